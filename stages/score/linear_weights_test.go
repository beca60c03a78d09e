package score_test

import (
	"math"
	"slices"
	"strings"
	"testing"

	"github.com/rankflow/rankflow/rank"
	"github.com/rankflow/rankflow/stages/internal/stagetest"
	"github.com/rankflow/rankflow/stages/score"
)

func TestLinearScores(t *testing.T) {
	features := map[string]F{
		"floats":  {"ctr": rank.FloatValue(0.5), "age": rank.FloatValue(2)},
		"ints":    {"ctr": rank.IntValue(1), "age": rank.IntValue(-3)},
		"missing": {},
		"other":   {"ctr": rank.StringValue("high"), "age": rank.BoolValue(true), "tags": rank.IntListValue([]int64{1})},
		"extra":   {"ctr": rank.FloatValue(1), "unused": rank.FloatValue(100)},
	}
	ids := []string{"floats", "ints", "missing", "other", "extra"}
	tests := []struct {
		name    string
		bias    float64
		weights map[string]float64
		want    []float64
	}{
		{name: "bias only", bias: 1.5, want: []float64{1.5, 1.5, 1.5, 1.5, 1.5}},
		{name: "weighted sum", bias: 1, weights: map[string]float64{"ctr": 2, "age": -0.5},
			want: []float64{1 + 1 - 1, 1 + 2 + 1.5, 1, 1, 1 + 2}},
		{name: "zero weight", weights: map[string]float64{"ctr": 0}, want: []float64{0, 0, 0, 0, 0}},
		{name: "weight for an absent feature", weights: map[string]float64{"nope": 3}, want: []float64{0, 0, 0, 0, 0}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s, err := score.Linear(tt.bias, tt.weights)
			if err != nil {
				t.Fatal(err)
			}
			req := stagetest.Candidates(rank.NewEntity("u"), ids, features)
			for _, e := range req.Candidates {
				e.Score = 42 // overwritten, not added to
			}
			res := stagetest.Run(t, s, req)
			if !slices.Equal(res.IDs, ids) || !slices.Equal(res.Scores, tt.want) {
				t.Errorf("scores = %v for %q, want %v", res.Scores, res.IDs, tt.want)
			}
		})
	}
}

func TestLinearRejectsNonFiniteWeights(t *testing.T) {
	tests := []struct {
		name string
		give float64
	}{
		{name: "NaN", give: math.NaN()},
		{name: "+Inf", give: math.Inf(1)},
		{name: "-Inf", give: math.Inf(-1)},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s, err := score.Linear(0, map[string]float64{"ok": 1, "ctr": tt.give})
			if err == nil || s != nil || !strings.Contains(err.Error(), `weight of "ctr"`) {
				t.Errorf("Linear = %v, %v; want an error naming ctr", s, err)
			}
		})
	}
}
