package score_test

import (
	"slices"
	"testing"

	"github.com/rankflow/rankflow/rank"
	"github.com/rankflow/rankflow/stages/internal/stagetest"
)

func TestFeature(t *testing.T) {
	tests := []struct {
		name string
		raw  map[string]any
		want []float64
	}{
		{"copy", map[string]any{"feature": "ctr"}, []float64{0.5, 0.25, 0}},
		{"int, scaled, default", map[string]any{"feature": "ups", "scale": 2, "default": -1}, []float64{20, -1, -1}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := stagetest.Build(t, "score_feature", tt.raw, nil)
			res := stagetest.Run(t, s, stagetest.Candidates(rank.NewEntity("u"), []string{"a", "b", "c"}, items))
			if !slices.Equal(res.Scores, tt.want) {
				t.Errorf("scores = %v, want %v", res.Scores, tt.want)
			}
		})
	}
	if fe := stagetest.FieldErr(t, stagetest.BuildErr(t, "score_feature", map[string]any{}, nil)); fe.Error() != "feature: required field is missing" {
		t.Errorf("error = %q", fe)
	}
}
