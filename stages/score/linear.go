// Package score holds stages that set candidates' scores.
package score

import (
	"context"
	"fmt"
	"maps"
	"math"
	"slices"

	"github.com/rankflow/rankflow/pipeline/registry"
	"github.com/rankflow/rankflow/rank"
	"github.com/rankflow/rankflow/stage"
)

func init() {
	specs = append(specs, registry.Spec{
		Name:    "score_linear",
		Kind:    registry.Score,
		Summary: "Sets each candidate's score to a bias plus a weighted sum of its numeric features.",
		Doc: "A missing feature counts as zero; int features are widened to floats. " +
			"The model is given inline (bias and weights) or in a weights_file, never both. " +
			"The file is JSON or YAML ({\"bias\": 0.1, \"weights\": {\"ctr\": 2}}), resolved against the pipeline's directory " +
			"and read when the pipeline is built, so a reload picks up a new model (the server watches .json and .yaml files " +
			"in its pipeline directory; files elsewhere take POST /admin/reload or SIGHUP).",
		Fields: []registry.Field{
			{Name: "bias", Type: registry.Float, Default: 0.0, Doc: "Constant added to every score; with weights_file, the file's bias is used and this must stay 0."},
			{
				Name: "weights", Type: registry.FloatMap,
				Role: registry.ReadsCandidate, FeatureKind: rank.Float,
				Doc:     "Weight of each candidate feature, by feature name. Required unless weights_file is set.",
				Example: map[string]float64{"upvotes_log": 0.8, "ctr": 2},
			},
			{
				Name: "score_weight", Type: registry.Float, Default: 0.0,
				Doc: "Weight of the score the candidate arrives with (such as its list score from a source), added to the sum; 0 ignores it.",
			},
			{
				Name: "weights_file", Type: registry.String,
				Doc:     "JSON or YAML file holding bias and weights, instead of the inline fields; a relative path is resolved against the pipeline's directory.",
				Example: "models/popular.json",
			},
		},
		New: newLinear,
	})
}

func newLinear(c *registry.Config, env *registry.Env) (stage.Stage, error) {
	file := c.String("weights_file")
	switch {
	case file != "" && c.Has("weights"):
		return nil, &registry.FieldError{Field: "weights_file", Msg: "set weights or weights_file, not both"}
	case file != "" && c.Float("bias") != 0:
		return nil, &registry.FieldError{Field: "bias", Msg: "set the bias in weights_file " + file + ", not beside it"}
	case file == "" && !c.Has("weights"):
		return nil, &registry.FieldError{Field: "weights", Msg: "required field is missing (or set weights_file)"}
	}
	bias, weights := c.Float("bias"), c.FloatMap("weights")
	if file != "" {
		m, err := LoadWeights(resolve(env.Dir, file))
		if err != nil {
			return nil, &registry.FieldError{Field: "weights_file", Msg: err.Error()}
		}
		bias, weights = m.Bias, m.Weights
	}
	s, err := Linear(bias, weights)
	if err != nil {
		field := "weights"
		if file != "" {
			field = "weights_file"
		}
		return nil, &registry.FieldError{Field: field, Msg: err.Error()}
	}
	w := c.Float("score_weight")
	if math.IsNaN(w) || math.IsInf(w, 0) {
		return nil, &registry.FieldError{Field: "score_weight", Msg: "must be a finite number"}
	}
	s.(*linear).scoreWeight = w
	return s, nil
}

// Linear returns a stage that sets each candidate's score to bias plus the
// weighted sum of its float (or int) features. A missing feature counts as
// zero. Weights must be finite.
func Linear(bias float64, weights map[string]float64) (stage.Stage, error) {
	s := &linear{bias: bias}
	for _, name := range slices.Sorted(maps.Keys(weights)) {
		w := weights[name]
		if math.IsNaN(w) || math.IsInf(w, 0) {
			return nil, fmt.Errorf("linear: weight of %q is %v, want a finite number", name, w)
		}
		s.terms = append(s.terms, term{name, w})
	}
	s.resolvers = rank.NewResolverPool(slices.Sorted(maps.Keys(weights))...)
	return s, nil
}

type term struct {
	feature string
	weight  float64
}

type linear struct {
	bias        float64
	scoreWeight float64 // weight of the incoming score
	terms       []term
	// resolvers read the terms' features: candidates hydrated from one
	// store share a schema, so each feature is found by position rather
	// than by name.
	resolvers *rank.ResolverPool
}

func (s *linear) Rank(_ context.Context, req *rank.Request) (*rank.Request, error) {
	r := s.resolvers.Get()
	defer s.resolvers.Put(r)
	for _, e := range req.Candidates {
		score := s.bias + s.scoreWeight*e.Score
		if rec, pos, ok := r.Fields(e); ok {
			for i, t := range s.terms {
				if j := pos[i]; j >= 0 {
					if v, ok := rec.At(j).AsFloat(); ok {
						score += t.weight * v
					}
				}
			}
		} else {
			for i, t := range s.terms {
				if v, ok := r.Float(e, i); ok {
					score += t.weight * v
				}
			}
		}
		e.Score = score
	}
	return req, nil
}

func (s *linear) Name() string { return "score_linear" }

var _ stage.Stage = (*linear)(nil)

// Blocks reports false: the stage only computes.
func (*linear) Blocks() bool { return false }
