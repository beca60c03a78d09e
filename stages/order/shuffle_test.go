package order_test

import (
	"slices"
	"strconv"
	"testing"

	"github.com/rankflow/rankflow/pipeline/registry"
	"github.com/rankflow/rankflow/rank"
	"github.com/rankflow/rankflow/stages/internal/stagetest"
)

// params is a registry.Params held in a map.
type params map[string]float64

func (p params) Float(name string) (float64, bool) { v, ok := p[name]; return v, ok }

// shuffledWith runs a shuffle built from raw with env.Params = ps on 30
// candidates of context "alice".
func shuffledWith(t *testing.T, raw map[string]any, ps registry.Params) []string {
	t.Helper()
	env := &registry.Env{}
	if ps != nil {
		env.Params = ps
	}
	s := stagetest.Build(t, "shuffle", raw, env)
	ids := make([]string, 30)
	for i := range ids {
		ids[i] = strconv.Itoa(i)
	}
	return stagetest.Run(t, s, stagetest.Request(rank.NewEntity("alice"), ids...)).IDs
}

func TestShuffleProbabilityParam(t *testing.T) {
	const name = "video.shuffle_probability"
	cfg := func(p float64, param string) map[string]any {
		raw := map[string]any{"probability": p, "window": 3, "salt": "s1"}
		if param != "" {
			raw["probability_param"] = param
		}
		return raw
	}
	tests := []struct {
		name   string
		raw    map[string]any
		params registry.Params
		wantP  float64 // the probability the stage must behave as
	}{
		{"param overrides configured", cfg(0, name), params{name: 0.5}, 0.5},
		{"param zero turns it off", cfg(0.5, name), params{name: 0}, 0},
		{"param one", cfg(0, name), params{name: 1}, 1},
		{"param absent", cfg(0.5, name), params{"other": 0}, 0.5},
		{"no params in env", cfg(0.5, name), nil, 0.5},
		{"param above 1 is ignored", cfg(0.5, name), params{name: 1.5}, 0.5},
		{"param below 0 is ignored", cfg(0.5, name), params{name: -0.1}, 0.5},
		{"no probability_param", cfg(0.5, ""), params{name: 0}, 0.5},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := shuffledWith(t, tt.raw, tt.params)
			want := shuffledWith(t, cfg(tt.wantP, ""), nil)
			if !slices.Equal(got, want) {
				t.Errorf("order = %v,\nwant the order of probability %g: %v", got, tt.wantP, want)
			}
		})
	}
}

// TestShuffleParamIsReadPerRequest changes the param between requests to one
// built stage.
func TestShuffleParamIsReadPerRequest(t *testing.T) {
	ps := params{}
	env := &registry.Env{Params: ps}
	s := stagetest.Build(t, "shuffle", map[string]any{"probability": 0, "probability_param": "p"}, env)
	ids := []string{"0", "1", "2", "3", "4", "5", "6", "7"}
	run := func() []string {
		return stagetest.Run(t, s, stagetest.Request(rank.NewEntity("alice"), ids...)).IDs
	}
	if got := run(); !slices.Equal(got, ids) {
		t.Fatalf("without the param (probability 0) the order changed: %v", got)
	}
	ps["p"] = 1
	if got := run(); slices.Equal(got, ids) {
		t.Fatalf("param p=1 left the order as it was: %v", got)
	}
	delete(ps, "p")
	if got := run(); !slices.Equal(got, ids) {
		t.Fatalf("after the param was removed the order changed: %v", got)
	}
}
