package builtin_test

import (
	"context"
	"io"
	"slices"
	"testing"
	"time"

	"github.com/rankflow/rankflow/pipeline/registry"
	"github.com/rankflow/rankflow/rank"
	"github.com/rankflow/rankflow/stage"
	"github.com/rankflow/rankflow/stages/builtin"
	"github.com/rankflow/rankflow/store"
	"github.com/rankflow/rankflow/store/memory"
)

// TestHomeFeed composes the home feed of the talk (posts from the user's
// subscriptions) from built-in stages only.
func TestHomeFeed(t *testing.T) {
	ctx := context.Background()
	now := time.Unix(1_700_000_000, 0)
	mem := memory.New(memory.WithClock(func() time.Time { return now }))
	must := func(err error) {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
	}
	must(mem.PutList(ctx, "community:c1:hot", []store.Scored{{ID: "p1", Score: 4}, {ID: "p2", Score: 3}, {ID: "p3", Score: 2}, {ID: "p7", Score: 1}}))
	must(mem.PutList(ctx, "community:c2:hot", []store.Scored{{ID: "p4", Score: 2}, {ID: "p5", Score: 1}, {ID: "p1", Score: 1}}))
	must(mem.PutList(ctx, "community:c3:hot", []store.Scored{{ID: "p9", Score: 9}}))
	must(mem.PutSet(ctx, "user:u1:viewed", []string{"p2"}))
	ago := func(d time.Duration) rank.Value { return rank.IntValue(now.Add(-d).Unix()) }
	post := func(c string, ups int64, age time.Duration, extra ...string) map[string]rank.Value {
		m := map[string]rank.Value{"community_id": rank.StringValue(c), "ups": rank.IntValue(ups), "created_at": ago(age)}
		for _, f := range extra {
			m[f] = rank.BoolValue(true)
		}
		return m
	}
	must(mem.PutFeatures(ctx, "post",
		[]string{"p1", "p2", "p3", "p4", "p5", "p7"},
		[]map[string]rank.Value{
			post("c1", 100, time.Hour),
			post("c1", 500, time.Hour),
			post("c1", 50, time.Hour, "nsfw"),
			post("c2", 1000, 72*time.Hour),
			post("c2", 10, 2*time.Hour),
			post("c1", 1000, time.Hour),
		}))

	env := registry.StoreEnv(mem)
	env.Now = func() time.Time { return now }
	r := builtin.Registry()
	var stages []stage.Stage
	for _, st := range []struct {
		name string
		raw  map[string]any
	}{
		{"hydrate_set", map[string]any{"key": "user:{id}:viewed", "feature": "recently_viewed"}},
		{"source_fanout", map[string]any{"over": "subscriptions", "key": "community:{item}:hot", "n": 10}},
		{"filter_dedup", nil},
		{"filter_seen", map[string]any{"feature": "recently_viewed"}},
		{"hydrate_features", map[string]any{"namespace": "post", "drop_missing": true}},
		{"filter_nsfw", nil},
		{"filter_private", nil},
		{"filter_age", map[string]any{"max_age": "48h"}},
		{"score_hot", map[string]any{"downs": ""}},
		{"sort_score", nil},
		{"diversify", map[string]any{"feature": "community_id", "max": 1}},
		{"truncate", nil},
		{"record_served", map[string]any{"key": "user:{id}:viewed"}},
	} {
		s, err := r.Build(st.name, st.raw, env)
		if err != nil {
			t.Fatalf("build %s: %v", st.name, err)
		}
		if c, ok := s.(io.Closer); ok {
			t.Cleanup(func() { c.Close() })
		}
		stages = append(stages, s)
	}
	feed := stage.Series(stages...)

	user := rank.NewEntity("u1")
	user.Set("subscriptions", rank.StringSetValue("c1", "c2"))
	req := rank.NewRequest(user, rank.Options{Limit: 2})
	out, err := feed.Rank(ctx, req)
	if err != nil {
		t.Fatal(err)
	}
	// p2 was viewed, p3 is NSFW, p4 is 72h old, p9 is not subscribed;
	// p7 (1000 ups) > p1 (100) > p5 (10), and diversify lets one c1 post in
	// the top 2.
	if got, want := rank.IDs(out.Candidates), []string{"p7", "p5"}; !slices.Equal(got, want) {
		t.Fatalf("feed = %v, want %v", got, want)
	}
	out.Release()
	deadline := time.Now().Add(5 * time.Second)
	for {
		set, err := mem.Members(ctx, "user:u1:viewed")
		must(err)
		if slices.Equal(set.Items(), []string{"p2", "p5", "p7"}) {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("viewed = %v, want [p2 p5 p7]", set.Items())
		}
		time.Sleep(time.Millisecond)
	}
}
