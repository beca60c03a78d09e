package filter

import (
	"context"
	"fmt"

	"github.com/rankflow/rankflow/pipeline/registry"
	"github.com/rankflow/rankflow/rank"
	"github.com/rankflow/rankflow/stage"
)

func init() {
	specs = append(specs, registry.Spec{
		Name:    "filter_private",
		Kind:    registry.Filter,
		Summary: "Removes private candidates, such as posts of a private community, unless the context is a member of their group or their owner.",
		Doc: "A candidate is private when its bool feature private is true. It is kept when its group feature is in the " +
			"context's members set, or when its owner feature equals the context's id. Leave owner empty to ignore owners.",
		Fields: []registry.Field{
			{
				Name: "private", Type: registry.String, Default: "private",
				Role: registry.ReadsCandidate, FeatureKind: rank.Bool,
				Doc: "Candidate bool feature that marks it private.",
			},
			{
				Name: "group", Type: registry.String, Default: "community_id",
				Role: registry.ReadsCandidate, FeatureKind: rank.String,
				Doc: "Candidate string feature naming the group whose members may see it.",
			},
			{
				Name: "members", Type: registry.String, Default: "subscriptions",
				Role: registry.ReadsContext, FeatureKind: rank.StringSet,
				Doc: "Context string-set feature of the groups the context belongs to.",
			},
			{
				Name: "owner", Type: registry.String, Default: "author_id",
				Role: registry.ReadsCandidate, FeatureKind: rank.String,
				Doc: "Candidate string feature naming its owner, who always sees it; empty to ignore.",
			},
		},
		New: func(c *registry.Config, _ *registry.Env) (stage.Stage, error) {
			for _, f := range []string{"private", "group", "members"} {
				if c.String(f) == "" {
					return nil, &registry.FieldError{Field: f, Msg: "must not be empty"}
				}
			}
			return Private(PrivateOptions{
				Private: c.String("private"), Group: c.String("group"),
				Members: c.String("members"), Owner: c.String("owner"),
			}), nil
		},
	})
}

// PrivateOptions configure Private; see the filter_private stage doc.
type PrivateOptions struct {
	Private, Group, Members, Owner string
}

// Private returns a stage that removes the candidates whose bool feature
// o.Private is true unless their o.Group feature is in the context's o.Members
// set or their o.Owner feature is the context's id.
func Private(o PrivateOptions) stage.Stage {
	return &private{o: o, resolvers: rank.NewResolverPool(o.Private, o.Group, o.Owner)}
}

type private struct {
	o         PrivateOptions
	resolvers *rank.ResolverPool // reads Private, Group and Owner
}

func (s *private) Rank(_ context.Context, req *rank.Request) (*rank.Request, error) {
	var members *rank.Set
	var self string
	if req.Context != nil {
		members, _ = req.Context.GetStringSet(s.o.Members)
		self = req.Context.ID
	}
	r := s.resolvers.Get()
	defer s.resolvers.Put(r)
	kept := req.Candidates[:0]
	for _, e := range req.Candidates {
		if p, _ := r.Bool(e, 0); !p {
			kept = append(kept, e)
			continue
		}
		group, _ := r.String(e, 1)
		if group != "" && members.Has(group) {
			kept = append(kept, e)
			continue
		}
		if s.o.Owner != "" && self != "" {
			if owner, _ := r.String(e, 2); owner == self {
				kept = append(kept, e)
				continue
			}
		}
		if req.Trace != nil {
			req.Reject(e, fmt.Sprintf("%s and %s %q not in context %s", s.o.Private, s.o.Group, group, s.o.Members))
		}
	}
	clear(req.Candidates[len(kept):])
	req.Candidates = kept
	return req, nil
}

func (s *private) Name() string { return "filter_private" }

var _ stage.Stage = (*private)(nil)

// Blocks reports false: the stage only computes.
func (*private) Blocks() bool { return false }
