package filter

import (
	"context"

	"github.com/rankflow/rankflow/pipeline/registry"
	"github.com/rankflow/rankflow/rank"
	"github.com/rankflow/rankflow/stage"
)

func init() {
	specs = append(specs, registry.Spec{
		Name:    "filter_nsfw",
		Kind:    registry.Filter,
		Summary: "Removes the candidates flagged NSFW (a true bool feature) unless a bool feature on the context allows them.",
		Doc: "A candidate without the flag is kept; a context without the allowing feature does not allow. " +
			"The same stage serves any opt-in flag, such as spoilers.",
		Fields: []registry.Field{
			{
				Name: "flag", Type: registry.String, Default: "nsfw",
				Role: registry.ReadsCandidate, FeatureKind: rank.Bool,
				Doc: "Candidate bool feature that marks it NSFW.",
			},
			{
				Name: "allow", Type: registry.String, Default: "nsfw_ok",
				Role: registry.ReadsContext, FeatureKind: rank.Bool,
				Doc: "Context bool feature that, when true, keeps flagged candidates.",
			},
		},
		New: func(c *registry.Config, _ *registry.Env) (stage.Stage, error) {
			for _, f := range []string{"flag", "allow"} {
				if c.String(f) == "" {
					return nil, &registry.FieldError{Field: f, Msg: "must not be empty"}
				}
			}
			return NSFW(c.String("flag"), c.String("allow")), nil
		},
	})
}

// NSFW returns a stage that removes the candidates whose bool feature flag
// is true unless the context's bool feature allow is true.
func NSFW(flag, allow string) stage.Stage {
	return &nsfw{
		flag: flag, allow: allow,
		reasonFalse:   flag + " and context " + allow + " is false",
		reasonMissing: flag + " and context has no " + allow,
		resolvers:     rank.NewResolverPool(flag),
	}
}

type nsfw struct {
	flag, allow                string
	reasonFalse, reasonMissing string
	resolvers                  *rank.ResolverPool // reads flag
}

func (s *nsfw) Rank(_ context.Context, req *rank.Request) (*rank.Request, error) {
	var allowed, set bool
	if req.Context != nil {
		allowed, set = req.Context.GetBool(s.allow)
	}
	if allowed {
		return req, nil
	}
	reason := s.reasonFalse
	if !set {
		reason = s.reasonMissing
	}
	r := s.resolvers.Get()
	defer s.resolvers.Put(r)
	kept := req.Candidates[:0]
	for _, e := range req.Candidates {
		if flagged, _ := r.Bool(e, 0); flagged {
			req.Reject(e, reason)
			continue
		}
		kept = append(kept, e)
	}
	clear(req.Candidates[len(kept):])
	req.Candidates = kept
	return req, nil
}

func (s *nsfw) Name() string { return "filter_nsfw" }

var _ stage.Stage = (*nsfw)(nil)

// Blocks reports false: the stage only computes.
func (*nsfw) Blocks() bool { return false }
