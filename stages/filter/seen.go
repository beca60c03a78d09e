// Package filter holds stages that remove candidates. Every filter works in
// place and gives a reason for each removal (rank.Request.Reject) for the
// explain trace.
package filter

import (
	"context"

	"github.com/rankflow/rankflow/pipeline/registry"
	"github.com/rankflow/rankflow/rank"
	"github.com/rankflow/rankflow/stage"
)

func init() {
	specs = append(specs, registry.Spec{
		Name:    "filter_seen",
		Kind:    registry.Filter,
		Summary: "Removes the candidates whose id is in a string set on the context, such as the posts a user recently viewed.",
		Fields: []registry.Field{{
			Name: "feature", Type: registry.String, Required: true,
			Role: registry.ReadsContext, FeatureKind: rank.StringSet,
			Doc:     "Context feature holding the ids to remove.",
			Example: "recently_viewed",
		}},
		New: func(c *registry.Config, _ *registry.Env) (stage.Stage, error) {
			return Seen(c.String("feature")), nil
		},
	})
}

// Seen returns a stage that removes the candidates whose id is in the
// string-set feature named feature on the request's context, such as the
// posts a user recently viewed. Without that feature it removes nothing.
func Seen(feature string) stage.Stage {
	return &seen{feature: feature, reason: "in context set " + feature}
}

type seen struct {
	feature string
	reason  string
}

func (s *seen) Rank(_ context.Context, req *rank.Request) (*rank.Request, error) {
	set, ok := req.Context.GetStringSet(s.feature)
	if !ok || set.Len() == 0 {
		return req, nil
	}
	kept := req.Candidates[:0]
	for _, e := range req.Candidates {
		if set.Has(e.ID) {
			req.Reject(e, s.reason)
			continue
		}
		kept = append(kept, e)
	}
	clear(req.Candidates[len(kept):])
	req.Candidates = kept
	return req, nil
}

func (s *seen) Name() string { return "filter_seen" }

var _ stage.Stage = (*seen)(nil)

// Blocks reports false: the stage only computes.
func (*seen) Blocks() bool { return false }
