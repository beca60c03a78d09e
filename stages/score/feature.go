package score

import (
	"context"
	"fmt"

	"github.com/rankflow/rankflow/pipeline/registry"
	"github.com/rankflow/rankflow/rank"
	"github.com/rankflow/rankflow/stage"
)

func init() {
	specs = append(specs, registry.Spec{
		Name:    "score_feature",
		Kind:    registry.Score,
		Summary: "Sets each candidate's score to a numeric feature, such as a score computed upstream, times a scale.",
		Fields: []registry.Field{
			{
				Name: "feature", Type: registry.String, Required: true,
				Role: registry.ReadsCandidate, FeatureKind: rank.Float,
				Doc: "Candidate float or int feature to copy.", Example: "list_score",
			},
			{Name: "scale", Type: registry.Float, Default: 1.0, Doc: "Factor applied to the feature."},
			{Name: "default", Type: registry.Float, Default: 0.0, Doc: "Score of a candidate without the feature."},
		},
		New: func(c *registry.Config, _ *registry.Env) (stage.Stage, error) {
			if c.String("feature") == "" {
				return nil, &registry.FieldError{Field: "feature", Msg: "must not be empty"}
			}
			return Feature(c.String("feature"), c.Float("scale"), c.Float("default")), nil
		},
	})
}

// Feature returns a stage that sets each candidate's score to scale times
// its float (or int) feature, or to def when it has none.
func Feature(feature string, scale, def float64) stage.Stage {
	return &copyFeature{feature: feature, scale: scale, def: def}
}

type copyFeature struct {
	feature    string
	scale, def float64
}

func (s *copyFeature) Rank(_ context.Context, req *rank.Request) (*rank.Request, error) {
	for _, e := range req.Candidates {
		if v, ok := e.GetFloat(s.feature); ok {
			e.Score = s.scale * v
		} else {
			e.Score = s.def
		}
	}
	return req, nil
}

func (s *copyFeature) Name() string { return "score_feature" }

func (s *copyFeature) String() string {
	return fmt.Sprintf("score_feature(%g * %s)", s.scale, s.feature)
}

var _ stage.Stage = (*copyFeature)(nil)

// Blocks reports false: the stage only computes.
func (*copyFeature) Blocks() bool { return false }
