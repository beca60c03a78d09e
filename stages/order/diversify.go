package order

import (
	"context"

	"github.com/rankflow/rankflow/pipeline/registry"
	"github.com/rankflow/rankflow/rank"
	"github.com/rankflow/rankflow/stage"
	"github.com/rankflow/rankflow/stages/internal/counter"
)

func init() {
	specs = append(specs, registry.Spec{
		Name:    "diversify",
		Kind:    registry.Order,
		Summary: "Keeps at most max candidates per value of a feature (such as author or community) in the top positions, pushing the excess down rather than removing it.",
		Doc: "Walking the current order, a candidate whose value already has max places in the top is moved below the top, " +
			"ahead of the rest, keeping its relative order. Candidates without the feature are not limited. Run it after sorting.",
		Fields: []registry.Field{
			{
				Name: "feature", Type: registry.String, Required: true,
				Role: registry.ReadsCandidate, FeatureKind: rank.Invalid,
				Doc: "Candidate string or int feature to diversify by.", Example: "author_id",
			},
			{Name: "max", Type: registry.Int, Default: 2, Doc: "Most candidates per value in the top."},
			{Name: "top", Type: registry.Int, Default: 0, Doc: "Size of the top; 0 uses the request's limit, or the whole list when it sets none."},
		},
		New: func(c *registry.Config, _ *registry.Env) (stage.Stage, error) {
			switch {
			case c.String("feature") == "":
				return nil, &registry.FieldError{Field: "feature", Msg: "must not be empty"}
			case c.Int("max") < 1:
				return nil, &registry.FieldError{Field: "max", Msg: "must be at least 1"}
			case c.Int("top") < 0:
				return nil, &registry.FieldError{Field: "top", Msg: "must not be negative"}
			}
			return Diversify(c.String("feature"), c.Int("max"), c.Int("top")), nil
		},
	})
}

// Diversify returns a stage that reorders the candidates so that the first
// top (0: the request's limit, or all) hold at most perValue candidates with
// the same value of the string or int feature, keeping the order otherwise.
// The excess moves just below the top; nothing is removed.
func Diversify(feature string, perValue, top int) stage.Stage {
	return &diversify{feature: feature, max: perValue, top: top}
}

type diversify struct {
	feature  string
	max, top int
}

func (s *diversify) Rank(_ context.Context, req *rank.Request) (*rank.Request, error) {
	c := req.Candidates
	k := s.top
	if k == 0 {
		k = req.Limit(len(c))
	}
	k = min(k, len(c))
	if k == 0 {
		return req, nil
	}
	counts := counter.Get()
	defer counts.Put()
	var deferred []*rank.Entity
	w, i := 0, 0 // c[:w] is the top so far; c[i:] is not yet seen
	for ; i < len(c) && w < k; i++ {
		e := c[i]
		if n, _ := counts.Feature(e, s.feature); n > s.max {
			if deferred == nil {
				deferred = req.MakeCandidates(len(c) - w)
			}
			deferred = append(deferred, e)
			continue
		}
		c[w] = e
		w++
	}
	// c[w:i] has exactly room for the deferred, which go ahead of c[i:].
	copy(c[w:i], deferred)
	return req, nil
}

func (s *diversify) Name() string { return "diversify" }

var _ stage.Stage = (*diversify)(nil)

// Blocks reports false: the stage only computes.
func (*diversify) Blocks() bool { return false }
