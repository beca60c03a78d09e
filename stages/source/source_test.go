package source_test

import (
	"context"
	"slices"
	"strings"
	"testing"

	"github.com/rankflow/rankflow/pipeline/registry"
	"github.com/rankflow/rankflow/rank"
	"github.com/rankflow/rankflow/stages/internal/stagetest"
	"github.com/rankflow/rankflow/stages/source"
	"github.com/rankflow/rankflow/store"
	"github.com/rankflow/rankflow/store/memory"
)

func lists(ctx context.Context, s *memory.Store) error {
	for key, members := range map[string][]store.Scored{
		"popular":     {{ID: "p1", Score: 9}, {ID: "p2", Score: 7}, {ID: "p3", Score: 5}},
		"c:c1:hot":    {{ID: "a", Score: 3}, {ID: "b", Score: 2}, {ID: "c", Score: 1}},
		"c:c2:hot":    {{ID: "x", Score: 30}, {ID: "y", Score: 20}},
		"c:7:hot":     {{ID: "seven", Score: 7}},
		"u:u1:c:c1":   {{ID: "mine", Score: 1}},
		"{tag}:list":  {{ID: "t", Score: 1}},
		"geo:42:near": {{ID: "g", Score: 4}},
	} {
		if err := s.PutList(ctx, key, members); err != nil {
			return err
		}
	}
	return nil
}

func user(features map[string]rank.Value) *rank.Entity {
	u := rank.NewEntity("u1")
	for k, v := range features {
		u.Set(k, v)
	}
	return u
}

func TestList(t *testing.T) {
	env := &registry.Env{Lists: stagetest.Memory(t, lists)}
	tests := []struct {
		name       string
		raw        map[string]any
		ctx        *rank.Entity
		have       []string
		wantIDs    []string
		wantScores []float64
		wantErr    string
	}{
		{
			name: "static key", raw: map[string]any{"key": "popular", "n": 2}, ctx: user(nil),
			wantIDs: []string{"p1", "p2"}, wantScores: []float64{9, 7},
		},
		{
			name: "appends after existing", raw: map[string]any{"key": "popular"}, ctx: user(nil), have: []string{"z"},
			wantIDs: []string{"z", "p1", "p2", "p3"}, wantScores: []float64{0, 9, 7, 5},
		},
		{
			name: "string feature", raw: map[string]any{"key": "c:{community_id}:hot"},
			ctx:     user(map[string]rank.Value{"community_id": rank.StringValue("c2")}),
			wantIDs: []string{"x", "y"}, wantScores: []float64{30, 20},
		},
		{
			name: "int feature", raw: map[string]any{"key": "c:{community_id}:hot"},
			ctx:     user(map[string]rank.Value{"community_id": rank.IntValue(7)}),
			wantIDs: []string{"seven"}, wantScores: []float64{7},
		},
		{
			name: "id and feature", raw: map[string]any{"key": "u:{id}:c:{c}"},
			ctx:     user(map[string]rank.Value{"c": rank.StringValue("c1")}),
			wantIDs: []string{"mine"}, wantScores: []float64{1},
		},
		{
			name: "literal braces", raw: map[string]any{"key": "{{tag}}:list"}, ctx: user(nil),
			wantIDs: []string{"t"}, wantScores: []float64{1},
		},
		{
			name: "missing list is empty", raw: map[string]any{"key": "nothing"}, ctx: user(nil),
			wantIDs: []string{},
		},
		{
			name: "missing feature is an error", raw: map[string]any{"key": "c:{community_id}:hot"}, ctx: user(nil),
			wantErr: `key "c:{community_id}:hot": the context has no feature "community_id"`,
		},
		{
			name: "wrong kind is an error", raw: map[string]any{"key": "c:{community_id}:hot"},
			ctx:     user(map[string]rank.Value{"community_id": rank.FloatValue(1)}),
			wantErr: `key "c:{community_id}:hot": context feature "community_id" is a float, want a string or an int`,
		},
		{
			name: "missing id is an error", raw: map[string]any{"key": "u:{id}:c:c1"}, ctx: rank.NewEntity(""),
			wantErr: `key "u:{id}:c:c1": the context has no id`,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := stagetest.Build(t, "source_list", tt.raw, env)
			req := stagetest.Request(tt.ctx, tt.have...)
			res, err := stagetest.RunErr(s, req)
			if tt.wantErr != "" {
				if err == nil || err.Error() != tt.wantErr {
					t.Fatalf("error = %v, want %q", err, tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if !slices.Equal(res.IDs, tt.wantIDs) || !slices.Equal(res.Scores, tt.wantScores) {
				t.Errorf("got %v %v, want %v %v", res.IDs, res.Scores, tt.wantIDs, tt.wantScores)
			}
		})
	}
}

func TestListScoreFeature(t *testing.T) {
	env := &registry.Env{Lists: stagetest.Memory(t, lists)}
	s := stagetest.Build(t, "source_list", map[string]any{"key": "popular", "n": 1, "score_feature": "list_score"}, env)
	res := stagetest.Run(t, s, stagetest.Request(user(nil)))
	if got, _ := res.Req.Candidates[0].GetFloat("list_score"); got != 9 {
		t.Errorf("list_score = %v, want 9", got)
	}
}

// countingLists records the keys of each Top call.
type countingLists struct {
	store.Lists
	calls [][]string
}

func (c *countingLists) Top(ctx context.Context, keys []string, n int) ([][]store.Scored, error) {
	c.calls = append(c.calls, slices.Clone(keys))
	return c.Lists.Top(ctx, keys, n)
}

func TestFanout(t *testing.T) {
	tests := []struct {
		name       string
		raw        map[string]any
		ctx        *rank.Entity
		wantIDs    []string
		wantScores []float64
		wantCalls  int
	}{
		{
			name: "one list per subscription",
			raw:  map[string]any{"over": "subs", "key": "c:{item}:hot", "n": 2},
			ctx:  user(map[string]rank.Value{"subs": rank.StringSetValue("c2", "c1", "gone")}),
			// set items are sorted: c1, c2, gone
			wantIDs: []string{"a", "b", "x", "y"}, wantScores: []float64{3, 2, 30, 20}, wantCalls: 1,
		},
		{
			name:    "max lists",
			raw:     map[string]any{"over": "subs", "key": "c:{item}:hot", "max_lists": 1},
			ctx:     user(map[string]rank.Value{"subs": rank.StringSetValue("c2", "c1")}),
			wantIDs: []string{"a", "b", "c"}, wantScores: []float64{3, 2, 1}, wantCalls: 1,
		},
		{
			name:    "int list with context feature",
			raw:     map[string]any{"over": "ids", "key": "{region}:{item}:near"},
			ctx:     user(map[string]rank.Value{"ids": rank.IntListValue([]int64{42}), "region": rank.StringValue("geo")}),
			wantIDs: []string{"g"}, wantScores: []float64{4}, wantCalls: 1,
		},
		{
			name: "no subscriptions", raw: map[string]any{"over": "subs", "key": "c:{item}:hot"}, ctx: user(nil),
			wantIDs: []string{}, wantCalls: 0,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cl := &countingLists{Lists: stagetest.Memory(t, lists)}
			s := stagetest.Build(t, "source_fanout", tt.raw, &registry.Env{Lists: cl})
			res := stagetest.Run(t, s, stagetest.Request(tt.ctx))
			if !slices.Equal(res.IDs, tt.wantIDs) || !slices.Equal(res.Scores, tt.wantScores) {
				t.Errorf("got %v %v, want %v %v", res.IDs, res.Scores, tt.wantIDs, tt.wantScores)
			}
			if len(cl.calls) != tt.wantCalls {
				t.Errorf("Top called %d times (%v), want %d", len(cl.calls), cl.calls, tt.wantCalls)
			}
		})
	}
}

func TestFanoutItemFeature(t *testing.T) {
	env := &registry.Env{Lists: stagetest.Memory(t, lists)}
	s := stagetest.Build(t, "source_fanout", map[string]any{
		"over": "subs", "key": "c:{item}:hot", "n": 1, "item_feature": "community_id", "score_feature": "hot",
	}, env)
	res := stagetest.Run(t, s, stagetest.Request(user(map[string]rank.Value{"subs": rank.StringSetValue("c1", "c2")})))
	var got []string
	for _, e := range res.Req.Candidates {
		c, _ := e.GetString("community_id")
		h, _ := e.GetFloat("hot")
		got = append(got, e.ID+"@"+c+"="+rank.FloatValue(h).String())
	}
	if want := []string{"a@c1=3", "x@c2=30"}; !slices.Equal(got, want) {
		t.Errorf("got %v, want %v", got, want)
	}
}

func TestRequest(t *testing.T) {
	tests := []struct {
		name        string
		raw         map[string]any
		give        []string
		wantIDs     []string
		wantRemoved map[string]string
		wantErr     string
	}{
		{
			name: "dedups and drops empty ids", raw: map[string]any{},
			give:        []string{"a", "b", "a", "", "c"},
			wantIDs:     []string{"a", "b", "c"},
			wantRemoved: map[string]string{"": "empty id"},
		},
		{
			name: "caps at n", raw: map[string]any{"n": 2},
			give:        []string{"a", "b", "c", "d"},
			wantIDs:     []string{"a", "b"},
			wantRemoved: map[string]string{"c": "past n=2", "d": "past n=2"},
		},
		{
			name: "strict fails on a duplicate", raw: map[string]any{"strict": true},
			give: []string{"a", "a"}, wantErr: `candidate 1: duplicate id "a"`,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := stagetest.Build(t, "source_request", tt.raw, nil)
			res, err := stagetest.RunErr(s, stagetest.Request(user(nil), tt.give...))
			if tt.wantErr != "" {
				if err == nil || err.Error() != tt.wantErr {
					t.Fatalf("error = %v, want %q", err, tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if !slices.Equal(res.IDs, tt.wantIDs) {
				t.Errorf("ids = %v, want %v", res.IDs, tt.wantIDs)
			}
			for id, want := range tt.wantRemoved {
				if res.Removed[id] != want {
					t.Errorf("reason for %q = %q, want %q", id, res.Removed[id], want)
				}
			}
		})
	}
}

func TestBuildErrors(t *testing.T) {
	env := &registry.Env{Lists: stagetest.Memory(t, nil)}
	tests := []struct {
		name      string
		stage     string
		raw       map[string]any
		env       *registry.Env
		wantField string
		wantMsg   string
	}{
		{"bad template", "source_list", map[string]any{"key": "c:{x"}, env, "key", "unclosed {"},
		{"negative n", "source_list", map[string]any{"key": "k", "n": -1}, env, "n", "must not be negative"},
		{"missing over", "source_fanout", map[string]any{"key": "k"}, env, "over", "required field is missing"},
		{"negative max lists", "source_fanout", map[string]any{"over": "s", "key": "k", "max_lists": -2}, env, "max_lists", "must not be negative"},
		{"stray brace", "source_fanout", map[string]any{"over": "s", "key": "a}b"}, env, "key", "unmatched }"},
		{"n is not an int", "source_request", map[string]any{"n": "ten"}, nil, "n", `want int, got string "ten"`},
		{"snapshot negative n", "source_snapshot", map[string]any{"key": "k", "n": -1}, &registry.Env{Snapshots: memory.New()}, "n", "must not be negative"},
		{"snapshot bad template", "source_snapshot", map[string]any{"key": "k:{"}, &registry.Env{Snapshots: memory.New()}, "key", "unclosed {"},
		{"snapshot key and keys", "source_snapshot", map[string]any{"key": "a", "keys": []any{"b"}}, &registry.Env{Snapshots: memory.New()}, "keys", "give only one of key, keys (key is given too)"},
		{"snapshot no key", "source_snapshot", map[string]any{"n": 3}, &registry.Env{Snapshots: memory.New()}, "key", "missing: give one of key, keys"},
		{"snapshot keys and negative n", "source_snapshot", map[string]any{"keys": []any{"a", "b"}, "n": -1}, &registry.Env{Snapshots: memory.New()}, "n", "must not be negative"},
		{"snapshot bad template in keys", "source_snapshot", map[string]any{"keys": []any{"a", "b:{"}}, &registry.Env{Snapshots: memory.New()}, "keys[1]", "unclosed {"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			fe := stagetest.FieldErr(t, stagetest.BuildErr(t, tt.stage, tt.raw, tt.env))
			if fe.Field != tt.wantField || !strings.Contains(fe.Msg, tt.wantMsg) {
				t.Errorf("got %q: %q, want %q containing %q", fe.Field, fe.Msg, tt.wantField, tt.wantMsg)
			}
		})
	}
}

func TestBuildWithoutStore(t *testing.T) {
	tests := []struct {
		stage string
		raw   map[string]any
	}{
		{"source_list", map[string]any{"key": "k"}},
		{"source_fanout", map[string]any{"over": "s", "key": "k"}},
	}
	for _, tt := range tests {
		t.Run(tt.stage, func(t *testing.T) {
			err := stagetest.BuildErr(t, tt.stage, tt.raw, &registry.Env{})
			want := tt.stage + ": needs a store for ranked lists, and the environment has none (Env.Lists is nil)"
			if err.Error() != want {
				t.Errorf("error = %q, want %q", err, want)
			}
		})
	}
}

func snapshots(ctx context.Context, s *memory.Store) error {
	if err := s.PutSnapshot(ctx, "country:DE:popular",
		[]store.Scored{{ID: "p2", Score: 7}, {ID: "p1", Score: 9}, {ID: "p3", Score: 5}},
		[]map[string]rank.Value{{"ctr": rank.FloatValue(0.2)}, {"ctr": rank.FloatValue(0.1), "nsfw": rank.BoolValue(true)}, nil}); err != nil {
		return err
	}
	// Overlaps country:DE:popular on p2, with another score and features.
	return s.PutSnapshot(ctx, "media:video",
		[]store.Scored{{ID: "v1", Score: 30}, {ID: "p2", Score: 20}, {ID: "v2", Score: 10}},
		[]map[string]rank.Value{{"ctr": rank.FloatValue(0.5)}, {"ctr": rank.FloatValue(0.9)}, {"ctr": rank.FloatValue(0.3)}})
}

func TestSnapshot(t *testing.T) {
	env := &registry.Env{Snapshots: stagetest.Memory(t, snapshots)}
	tests := []struct {
		name       string
		raw        map[string]any
		ctx        *rank.Entity
		quality    float64
		wantIDs    []string
		wantScores []float64
		wantCTR    []float64 // -1: none
		wantErr    string
	}{
		{
			name: "all, with features", raw: map[string]any{"key": "country:{country}:popular", "n": 0},
			ctx:     user(map[string]rank.Value{"country": rank.StringValue("DE")}),
			wantIDs: []string{"p1", "p2", "p3"}, wantScores: []float64{9, 7, 5}, wantCTR: []float64{0.1, 0.2, -1},
		},
		{
			name: "top n", raw: map[string]any{"key": "country:DE:popular", "n": 2}, ctx: user(nil),
			wantIDs: []string{"p1", "p2"}, wantScores: []float64{9, 7}, wantCTR: []float64{0.1, 0.2},
		},
		{
			name: "n scaled down under load", raw: map[string]any{"key": "country:DE:popular", "n": 2}, ctx: user(nil), quality: 0.5,
			wantIDs: []string{"p1"}, wantScores: []float64{9}, wantCTR: []float64{0.1},
		},
		{
			name: "score feature", raw: map[string]any{"key": "country:DE:popular", "n": 1, "score_feature": "list_score"}, ctx: user(nil),
			wantIDs: []string{"p1"}, wantScores: []float64{9}, wantCTR: []float64{0.1},
		},
		{
			name: "drop members without features", raw: map[string]any{"key": "country:DE:popular", "n": 0, "drop_missing": true}, ctx: user(nil),
			wantIDs: []string{"p1", "p2"}, wantScores: []float64{9, 7}, wantCTR: []float64{0.1, 0.2},
		},
		{name: "missing snapshot", raw: map[string]any{"key": "country:FR:popular"}, ctx: user(nil)},
		{
			name: "several keys in key order, first of each id kept", raw: map[string]any{"keys": []any{"country:{country}:popular", "media:video"}, "n": 0},
			ctx:     user(map[string]rank.Value{"country": rank.StringValue("DE")}),
			wantIDs: []string{"p1", "p2", "p3", "v1", "v2"}, wantScores: []float64{9, 7, 5, 30, 10}, wantCTR: []float64{0.1, 0.2, -1, 0.5, 0.3},
		},
		{
			name: "several keys, n from each, one missing", raw: map[string]any{"keys": []any{"media:video", "country:FR:popular", "country:DE:popular"}, "n": 2},
			ctx:     user(nil),
			wantIDs: []string{"v1", "p2", "p1"}, wantScores: []float64{30, 20, 9}, wantCTR: []float64{0.5, 0.9, 0.1},
		},
		{name: "one of several keys cannot render", raw: map[string]any{"keys": []any{"media:video", "country:{country}:popular"}}, ctx: user(nil), wantErr: "country"},
		{name: "key cannot render", raw: map[string]any{"key": "country:{country}:popular"}, ctx: user(nil), wantErr: "country"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := stagetest.Build(t, "source_snapshot", tt.raw, env)
			req := rank.NewRequest(tt.ctx, rank.Options{Quality: tt.quality})
			res, err := stagetest.RunErr(s, req)
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("error = %v, want one containing %q", err, tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if !slices.Equal(res.IDs, tt.wantIDs) || !slices.Equal(res.Scores, tt.wantScores) {
				t.Fatalf("got %v %v, want %v %v", res.IDs, res.Scores, tt.wantIDs, tt.wantScores)
			}
			for i, e := range res.Req.Candidates {
				ctr, ok := e.GetFloat("ctr")
				if want := tt.wantCTR[i]; (want < 0) == ok || (ok && ctr != want) {
					t.Errorf("%s: ctr = %v, %v; want %v", e.ID, ctr, ok, want)
				}
				if sf, ok := e.GetFloat("list_score"); (tt.raw["score_feature"] != nil) != ok || (ok && sf != e.Score) {
					t.Errorf("%s: list_score = %v, %v", e.ID, sf, ok)
				}
			}
		})
	}
}

// countingSnapshots counts the calls a stage makes to its store.
type countingSnapshots struct {
	next  store.Snapshots
	calls [][]string
}

func (c *countingSnapshots) Snapshots(ctx context.Context, keys []string) ([]*store.Snapshot, error) {
	c.calls = append(c.calls, slices.Clone(keys))
	return c.next.Snapshots(ctx, keys)
}

// TestSnapshotKeysOneCall proves that several keys are one store call, so
// one round trip on a remote store.
func TestSnapshotKeysOneCall(t *testing.T) {
	counting := &countingSnapshots{next: stagetest.Memory(t, snapshots)}
	s := stagetest.Build(t, "source_snapshot", map[string]any{"keys": []any{"country:DE:popular", "media:video"}}, &registry.Env{Snapshots: counting})
	if _, err := stagetest.RunErr(s, rank.NewRequest(user(nil), rank.Options{})); err != nil {
		t.Fatal(err)
	}
	if want := [][]string{{"country:DE:popular", "media:video"}}; !slices.EqualFunc(counting.calls, want, slices.Equal) {
		t.Errorf("store calls %q, want %q", counting.calls, want)
	}
}

func TestSnapshotWithoutStore(t *testing.T) {
	err := stagetest.BuildErr(t, "source_snapshot", map[string]any{"key": "k"}, &registry.Env{})
	if want := "source_snapshot: needs a store for snapshots, and the environment has none (Env.Snapshots is nil)"; err.Error() != want {
		t.Errorf("error = %q, want %q", err, want)
	}
}

func TestSnapshotOptionsErrors(t *testing.T) {
	tests := []struct {
		name string
		o    source.SnapshotOptions
		want string
	}{
		{"key and keys", source.SnapshotOptions{ListOptions: source.ListOptions{Key: "a"}, Keys: []string{"b"}}, "source snapshot: keys: give key or keys, not both"},
		{"neither", source.SnapshotOptions{}, "source snapshot: key: missing: give key (one snapshot) or keys (several)"},
		{"negative n", source.SnapshotOptions{ListOptions: source.ListOptions{N: -2}, Keys: []string{"a"}}, "source snapshot: n: must not be negative (got -2)"},
		{"bad template in keys", source.SnapshotOptions{Keys: []string{"a", "b}"}}, `source snapshot: keys[1]: key template "b}": unmatched }`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := source.Snapshot(memory.New(), tt.o)
			if err == nil || !strings.HasPrefix(err.Error(), tt.want) {
				t.Errorf("error = %v, want one starting %q", err, tt.want)
			}
		})
	}
}
