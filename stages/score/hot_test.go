package score_test

import (
	"math"
	"strings"
	"testing"
	"time"

	"github.com/rankflow/rankflow/pipeline/registry"
	"github.com/rankflow/rankflow/rank"
	"github.com/rankflow/rankflow/stages/internal/stagetest"
)

func TestHot(t *testing.T) {
	now := time.Unix(1_700_000_000, 0)
	env := &registry.Env{Now: func() time.Time { return now }}
	created := func(ago time.Duration) rank.Value { return rank.IntValue(now.Add(-ago).Unix()) }
	posts := map[string]F{
		"big":   {"ups": rank.IntValue(1010), "downs": rank.IntValue(10), "created_at": created(10 * time.Hour)},
		"fresh": {"ups": rank.IntValue(100), "downs": rank.IntValue(0), "created_at": created(0)},
		"hated": {"ups": rank.IntValue(0), "downs": rank.IntValue(100), "created_at": created(0)},
		"old":   {"ups": rank.IntValue(5), "created_at": created(48 * time.Hour)},
		"none":  {"ups": rank.IntValue(5)},
	}
	ids := []string{"big", "fresh", "hated", "old", "none"}
	base := float64(now.Unix() - 1134028003)
	tests := []struct {
		name string
		raw  map[string]any
		want []float64
	}{
		{
			name: "reddit",
			raw:  map[string]any{},
			want: []float64{
				3 + (base-36000)/45000,
				2 + base/45000,
				-2 + base/45000,
				math.Log10(5) + (base-172800)/45000,
				math.Log10(5),
			},
		},
		{
			name: "reddit, ups alone, own epoch and scale",
			raw:  map[string]any{"downs": "", "epoch": 1_699_000_000, "timescale": "10h"},
			want: []float64{
				math.Log10(1010) + (1_000_000.0-36000)/36000,
				2 + 1_000_000.0/36000,
				0 + 1_000_000.0/36000,
				math.Log10(5) + (1_000_000.0-172800)/36000,
				math.Log10(5),
			},
		},
		{
			name: "gravity",
			raw:  map[string]any{"formula": "gravity", "gravity": 2, "offset": "2h"},
			want: []float64{1000.0 / 144, 100.0 / 4, -100.0 / 4, 5.0 / (50 * 50), 0},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := stagetest.Build(t, "score_hot", tt.raw, env)
			res := stagetest.Run(t, s, stagetest.Candidates(rank.NewEntity("u"), ids, posts))
			for i, w := range tt.want {
				if math.Abs(res.Scores[i]-w) > 1e-9 {
					t.Errorf("%s: score = %v, want %v", ids[i], res.Scores[i], w)
				}
			}
		})
	}
}

func TestHotBuildErrors(t *testing.T) {
	tests := []struct {
		raw  map[string]any
		want string
	}{
		{map[string]any{"formula": "hn"}, `formula: "hn" is not one of reddit, gravity`},
		{map[string]any{"timescale": "0s"}, "timescale: must be above zero"},
		{map[string]any{"ups": ""}, "ups: must not be empty"},
		{map[string]any{"formula": "gravity", "offset": "0s"}, "offset: must be above zero"},
	}
	for _, tt := range tests {
		fe := stagetest.FieldErr(t, stagetest.BuildErr(t, "score_hot", tt.raw, nil))
		if !strings.HasPrefix(fe.Error(), tt.want) {
			t.Errorf("error = %q, want %q", fe, tt.want)
		}
	}
}
