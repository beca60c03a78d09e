package builtin_test

import (
	"errors"
	"io"
	"slices"
	"testing"

	"github.com/rankflow/rankflow/pipeline/registry"
	"github.com/rankflow/rankflow/stage"
	"github.com/rankflow/rankflow/stages/builtin"
	"github.com/rankflow/rankflow/store/memory"
)

func TestEveryStageBuilds(t *testing.T) {
	mem := memory.New()
	env := registry.StoreEnv(mem)
	env.Dir = t.TempDir()
	tests := []struct {
		name     string
		good     map[string]any
		bad      map[string]any
		badField string
	}{
		{"source_list", map[string]any{"key": "community:{community_id}:hot"}, map[string]any{"key": "c:{"}, "key"},
		{"source_fanout", map[string]any{"over": "subscriptions", "key": "community:{item}:hot"}, map[string]any{"over": "s", "key": "k", "n": -1}, "n"},
		{"source_snapshot", map[string]any{"key": "country:{country}:popular", "n": 0}, map[string]any{"key": "k", "n": -1}, "n"},
		{"source_request", map[string]any{"n": 100}, map[string]any{"strict": "yes"}, "strict"},
		{"hydrate_features", map[string]any{"namespace": "post"}, map[string]any{}, "namespace"},
		{"hydrate_context", map[string]any{"namespace": "user"}, map[string]any{"namespace": 3}, "namespace"},
		{"hydrate_set", map[string]any{"key": "user:{id}:viewed", "feature": "recently_viewed"}, map[string]any{"key": "k"}, "feature"},
		{"filter_seen", map[string]any{"feature": "recently_viewed"}, map[string]any{}, "feature"},
		{"filter_feature", map[string]any{"feature": "media_type", "value": "video"}, map[string]any{"feature": "f", "op": "in"}, "values"},
		{"filter_age", map[string]any{"max_age": "48h"}, map[string]any{"max_age": "2d"}, "max_age"},
		{"filter_nsfw", map[string]any{}, map[string]any{"flag": ""}, "flag"},
		{"filter_private", map[string]any{}, map[string]any{"groop": "x"}, "groop"},
		{"filter_dedup", map[string]any{"by": "author_id"}, map[string]any{"by": "a", "max": 0}, "max"},
		{"score_linear", map[string]any{"weights": map[string]any{"ctr": 1}}, map[string]any{}, "weights"},
		{"score_hot", map[string]any{}, map[string]any{"formula": "hn"}, "formula"},
		{"score_feature", map[string]any{"feature": "list_score"}, map[string]any{"feature": ""}, "feature"},
		{"top_k", map[string]any{}, map[string]any{"limit": -1}, "limit"},
		{"sort_score", map[string]any{}, map[string]any{"by": "x"}, "by"},
		{"shuffle", map[string]any{"probability": 0.1, "salt": "x"}, map[string]any{"probability": 2}, "probability"},
		{"diversify", map[string]any{"feature": "author_id"}, map[string]any{"feature": "a", "top": -1}, "top"},
		{"truncate", map[string]any{"limit": 10}, map[string]any{"limit": "ten"}, "limit"},
		{"record_served", map[string]any{"key": "user:{id}:viewed"}, map[string]any{"key": "k", "workers": 0}, "workers"},
		{"delay", map[string]any{"duration": "1ms"}, map[string]any{"duration": "soon"}, "duration"},
	}
	r := builtin.Registry()
	var names []string
	for _, tt := range tests {
		names = append(names, tt.name)
		t.Run(tt.name, func(t *testing.T) {
			s, err := r.Build(tt.name, tt.good, env)
			if err != nil {
				t.Fatalf("build: %v", err)
			}
			if got := stage.Name(s); got != tt.name {
				t.Errorf("name = %q, want %q", got, tt.name)
			}
			// On the memory store only delay waits, so Parallel runs the
			// others on its own goroutine.
			if got, want := stage.Blocks(s), tt.name == "delay"; got != want {
				t.Errorf("Blocks = %v, want %v", got, want)
			}
			if c, ok := s.(io.Closer); ok {
				if err := c.Close(); err != nil {
					t.Errorf("close: %v", err)
				}
			}
			_, err = r.Build(tt.name, tt.bad, env)
			var fe *registry.FieldError
			if !errors.As(err, &fe) || fe.Field != tt.badField {
				t.Errorf("bad config: error %v, want a *registry.FieldError for %q", err, tt.badField)
			}
		})
	}
	slices.Sort(names)
	if got := r.Names(); !slices.Equal(got, names) {
		t.Errorf("registered %v, want %v", got, names)
	}
}

func TestStoreStagesNeedAStore(t *testing.T) {
	r := builtin.Registry()
	for name, raw := range map[string]map[string]any{
		"source_list":      {"key": "k"},
		"source_snapshot":  {"key": "k"},
		"source_fanout":    {"over": "s", "key": "k"},
		"hydrate_features": {"namespace": "post"},
		"hydrate_context":  {"namespace": "user"},
		"hydrate_set":      {"key": "k", "feature": "f"},
		"record_served":    {"key": "k"},
	} {
		if _, err := r.Build(name, raw, &registry.Env{}); err == nil {
			t.Errorf("%s built without a store", name)
		}
	}
}
