package hydrate_test

import (
	"context"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/rankflow/rankflow/pipeline/registry"
	"github.com/rankflow/rankflow/rank"
	"github.com/rankflow/rankflow/stages/internal/stagetest"
	"github.com/rankflow/rankflow/store"
	"github.com/rankflow/rankflow/store/memory"
)

func fill(ctx context.Context, s *memory.Store) error {
	if err := s.PutFeatures(ctx, "post", []string{"p1", "p2"}, []map[string]rank.Value{
		{"author_id": rank.StringValue("a1"), "ups": rank.IntValue(10)},
		{"author_id": rank.StringValue("a2"), "ups": rank.IntValue(20)},
	}); err != nil {
		return err
	}
	if err := s.PutFeatures(ctx, "user", []string{"u1"}, []map[string]rank.Value{
		{"nsfw_ok": rank.BoolValue(true), "lang": rank.StringValue("en")},
	}); err != nil {
		return err
	}
	return s.PutSet(ctx, "user:u1:viewed", []string{"p9", "p8"})
}

// countingFeatures counts Features calls.
type countingFeatures struct {
	next  store.Features
	calls int
}

func (c *countingFeatures) Features(ctx context.Context, ns string, ids []string) ([]*rank.Record, error) {
	c.calls++
	return c.next.Features(ctx, ns, ids)
}

// describe lists each candidate as id:author_id:ups.
func describe(req *rank.Request) []string {
	var out []string
	for _, e := range req.Candidates {
		a, _ := e.GetString("author_id")
		u, _ := e.GetInt("ups")
		out = append(out, e.ID+":"+a+":"+rank.IntValue(u).String())
	}
	return out
}

func TestFeatures(t *testing.T) {
	tests := []struct {
		name        string
		raw         map[string]any
		give        []string
		own         map[string]rank.Value // set on p1 before hydrating
		want        []string
		wantRemoved map[string]string
	}{
		{
			name: "attaches features", raw: map[string]any{"namespace": "post"},
			give: []string{"p2", "unknown", "p1"},
			want: []string{"p2:a2:20", "unknown::0", "p1:a1:10"},
		},
		{
			name: "own features win", raw: map[string]any{"namespace": "post"},
			give: []string{"p1"}, own: map[string]rank.Value{"ups": rank.IntValue(99)},
			want: []string{"p1:a1:99"},
		},
		{
			name: "drops unknown", raw: map[string]any{"namespace": "post", "drop_missing": true},
			give: []string{"p2", "unknown", "p1"},
			want: []string{"p2:a2:20", "p1:a1:10"}, wantRemoved: map[string]string{"unknown": "no features in namespace post"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			mem := stagetest.Memory(t, fill)
			fs := &countingFeatures{next: mem}
			s := stagetest.Build(t, "hydrate_features", tt.raw, &registry.Env{Features: fs})
			req := stagetest.Request(rank.NewEntity("u1"), tt.give...)
			for _, e := range req.Candidates {
				if e.ID == "p1" {
					for k, v := range tt.own {
						e.Set(k, v)
					}
				}
			}
			res := stagetest.Run(t, s, req)
			if got := describe(res.Req); !slices.Equal(got, tt.want) {
				t.Errorf("got %v, want %v", got, tt.want)
			}
			if fs.calls != 1 {
				t.Errorf("Features called %d times, want 1", fs.calls)
			}
			if len(res.Removed) != len(tt.wantRemoved) {
				t.Errorf("removed %v, want %v", res.Removed, tt.wantRemoved)
			}
			for id, want := range tt.wantRemoved {
				if res.Removed[id] != want {
					t.Errorf("reason for %s = %q, want %q", id, res.Removed[id], want)
				}
			}
			// The store's maps are shared, never written through a candidate.
			for _, e := range res.Req.Candidates {
				e.Set("ups", rank.IntValue(-1))
			}
			again, _ := mem.Features(context.Background(), "post", []string{"p1"})
			if v, _ := again[0].Map()["ups"].AsInt(); v != 10 {
				t.Errorf("store's p1 ups = %d after writing the candidate, want 10", v)
			}
		})
	}
}

func TestContext(t *testing.T) {
	env := &registry.Env{Features: stagetest.Memory(t, fill)}
	s := stagetest.Build(t, "hydrate_context", map[string]any{"namespace": "user"}, env)
	u := rank.NewEntity("u1")
	u.Set("lang", rank.StringValue("de"))
	res := stagetest.Run(t, s, stagetest.Request(u))
	ok, _ := res.Req.Context.GetBool("nsfw_ok")
	lang, _ := res.Req.Context.GetString("lang")
	if !ok || lang != "de" {
		t.Errorf("nsfw_ok = %v, lang = %q; want true, de", ok, lang)
	}
	anon := stagetest.Run(t, s, stagetest.Request(rank.NewEntity("")))
	if n := anon.Req.Context.NumFeatures(); n != 0 {
		t.Errorf("anonymous context got %d features, want 0", n)
	}
}

func TestSet(t *testing.T) {
	tests := []struct {
		name    string
		ctx     *rank.Entity
		want    []string
		wantErr string
	}{
		{name: "reads the set", ctx: rank.NewEntity("u1"), want: []string{"p8", "p9"}},
		{name: "missing set is empty", ctx: rank.NewEntity("u2"), want: nil},
		{name: "no id", ctx: rank.NewEntity(""), wantErr: `key "user:{id}:viewed": the context has no id`},
	}
	env := &registry.Env{Sets: stagetest.Memory(t, fill)}
	s := stagetest.Build(t, "hydrate_set", map[string]any{"key": "user:{id}:viewed", "feature": "recently_viewed"}, env)
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			res, err := stagetest.RunErr(s, stagetest.Request(tt.ctx))
			if tt.wantErr != "" {
				if err == nil || err.Error() != tt.wantErr {
					t.Fatalf("error = %v, want %q", err, tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			set, ok := res.Req.Context.GetStringSet("recently_viewed")
			if !ok || !slices.Equal(set.Items(), tt.want) {
				t.Errorf("recently_viewed = %v (%v), want %v", set.Items(), ok, tt.want)
			}
		})
	}
}

func TestBuildErrors(t *testing.T) {
	mem := memory.New(memory.WithClock(func() time.Time { return time.Unix(0, 0) }))
	env := &registry.Env{Features: mem, Sets: mem}
	tests := []struct {
		name    string
		stage   string
		raw     map[string]any
		env     *registry.Env
		wantErr string
	}{
		{"no namespace", "hydrate_features", map[string]any{}, env, "namespace: required field is missing"},
		{"empty namespace", "hydrate_context", map[string]any{"namespace": ""}, env, "namespace: must not be empty"},
		{"bad key", "hydrate_set", map[string]any{"key": "u:{", "feature": "f"}, env, `key: key template "u:{": unclosed { at offset 2`},
		{"unknown field", "hydrate_set", map[string]any{"key": "k", "feature": "f", "ttl": "1h"}, env, `ttl: unknown field "ttl"`},
		{"no feature store", "hydrate_features", map[string]any{"namespace": "post"}, &registry.Env{}, "hydrate_features: needs a feature store"},
		{"no set store", "hydrate_set", map[string]any{"key": "k", "feature": "f"}, &registry.Env{}, "hydrate_set: needs a set store"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := stagetest.BuildErr(t, tt.stage, tt.raw, tt.env)
			if !strings.HasPrefix(err.Error(), tt.wantErr) {
				t.Errorf("error = %q, want prefix %q", err, tt.wantErr)
			}
		})
	}
}
