package memory_test

import (
	"context"
	"fmt"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/rankflow/rankflow/rank"
	"github.com/rankflow/rankflow/store"
	"github.com/rankflow/rankflow/store/memory"
)

// clock is a fake time source for ttl tests.
type clock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *clock) Advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = c.t.Add(d)
}

func TestTop(t *testing.T) {
	ctx := context.Background()
	s := memory.New()
	must(t, s.PutList(ctx, "a", []store.Scored{sc("x", 1), sc("b", 3), sc("a", 3), sc("c", 2)}))
	must(t, s.PutList(ctx, "b", []store.Scored{sc("p", 0.5), sc("q", -1)}))
	must(t, s.PutList(ctx, "dup", []store.Scored{sc("p", 5), sc("q", 1), sc("p", 0)}))

	tests := []struct {
		name string
		keys []string
		n    int
		want [][]store.Scored
	}{
		{"all, ties by id", []string{"a"}, 0, [][]store.Scored{{sc("a", 3), sc("b", 3), sc("c", 2), sc("x", 1)}}},
		{"top n", []string{"a"}, 2, [][]store.Scored{{sc("a", 3), sc("b", 3)}}},
		{"n past length", []string{"b"}, 10, [][]store.Scored{{sc("p", 0.5), sc("q", -1)}}},
		{"negative n means all", []string{"b"}, -1, [][]store.Scored{{sc("p", 0.5), sc("q", -1)}}},
		{"keys in order, missing empty", []string{"b", "nope", "a"}, 1, [][]store.Scored{{sc("p", 0.5)}, nil, {sc("a", 3)}}},
		{"duplicate id keeps last score", []string{"dup"}, 0, [][]store.Scored{{sc("q", 1), sc("p", 0)}}},
		{"no keys", nil, 5, [][]store.Scored{}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := s.Top(ctx, tt.keys, tt.n)
			must(t, err)
			if fmt.Sprint(got) != fmt.Sprint(tt.want) || len(got) != len(tt.want) {
				t.Errorf("Top(%q, %d) = %v, want %v", tt.keys, tt.n, got, tt.want)
			}
		})
	}
}

func TestTopResultIsCallers(t *testing.T) {
	ctx := context.Background()
	s := memory.New()
	must(t, s.PutList(ctx, "a", []store.Scored{sc("x", 2), sc("y", 1)}))
	must(t, s.PutList(ctx, "b", []store.Scored{sc("z", 1)}))
	got, err := s.Top(ctx, []string{"a", "b"}, 1)
	must(t, err)
	got[0] = append(got[0], sc("w", 0)) // must not spill into b
	got[0][0].ID = "changed"
	again, err := s.Top(ctx, []string{"a", "b"}, 0)
	must(t, err)
	if want := "[[{x 2} {y 1}] [{z 1}]]"; fmt.Sprint(again) != want {
		t.Errorf("after modifying a result, Top = %v, want %v", again, want)
	}
}

func TestPutListErrors(t *testing.T) {
	ctx := context.Background()
	s := memory.New()
	nan := 0.0
	nan /= nan
	err := s.PutList(ctx, "bad", []store.Scored{sc("ok", 1), sc("n", nan)})
	if err == nil || err.Error() != `memory put list "bad": member "n" has a NaN score` {
		t.Errorf("PutList with NaN: err = %v", err)
	}
	must(t, s.PutList(ctx, "k", []store.Scored{sc("a", 1)}))
	must(t, s.PutList(ctx, "k", nil))
	got, err := s.Top(ctx, []string{"k"}, 0)
	must(t, err)
	if len(got[0]) != 0 {
		t.Errorf("PutList(nil) did not delete: %v", got)
	}
}

func TestAdd(t *testing.T) {
	type add struct {
		members []string
		ttl     time.Duration
		maxLen  int
		after   time.Duration // advance the clock after the write
	}
	tests := []struct {
		name string
		put  []string // PutSet before the adds, when non-nil
		adds []add
		want []string
	}{
		{"new set", nil, []add{{members: []string{"b", "a"}}}, []string{"a", "b"}},
		{"adds to existing", []string{"x"}, []add{{members: []string{"y"}}}, []string{"x", "y"}},
		{"maxLen keeps most recent", nil, []add{
			{members: []string{"1", "2", "3"}},
			{members: []string{"4", "5"}, maxLen: 3},
		}, []string{"3", "4", "5"}},
		{"re-added member is most recent", nil, []add{
			{members: []string{"1", "2", "3"}},
			{members: []string{"1"}, maxLen: 2},
		}, []string{"1", "3"}},
		{"duplicates in one add count once", nil, []add{
			{members: []string{"a", "b", "a", "c"}, maxLen: 2},
		}, []string{"a", "c"}},
		{"maxLen over PutSet order", []string{"old", "mid"}, []add{
			{members: []string{"new"}, maxLen: 2},
		}, []string{"mid", "new"}},
		{"ttl expires on read", nil, []add{
			{members: []string{"a"}, ttl: time.Minute, after: time.Minute},
		}, []string{}},
		{"ttl not yet expired", nil, []add{
			{members: []string{"a"}, ttl: time.Minute, after: time.Minute - time.Second},
		}, []string{"a"}},
		{"each write restarts ttl", nil, []add{
			{members: []string{"a"}, ttl: time.Minute, after: 50 * time.Second},
			{members: []string{"b"}, ttl: time.Minute, after: 50 * time.Second},
		}, []string{"a", "b"}},
		{"expired set is replaced", nil, []add{
			{members: []string{"a"}, ttl: time.Minute, after: time.Hour},
			{members: []string{"b"}},
		}, []string{"b"}},
		{"zero ttl never expires", nil, []add{
			{members: []string{"a"}, after: 1000 * time.Hour},
		}, []string{"a"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ctx := context.Background()
			c := &clock{t: time.Unix(1_700_000_000, 0)}
			s := memory.New(memory.WithClock(c.Now))
			if tt.put != nil {
				must(t, s.PutSet(ctx, "k", tt.put))
			}
			for _, a := range tt.adds {
				must(t, s.Add(ctx, "k", a.members, a.ttl, a.maxLen))
				c.Advance(a.after)
			}
			got, err := s.Members(ctx, "k")
			must(t, err)
			if !slices.Equal(got.Items(), tt.want) {
				t.Errorf("Members = %q, want %q", got.Items(), tt.want)
			}
		})
	}
}

func TestAddKeepsReadersSnapshot(t *testing.T) {
	ctx := context.Background()
	s := memory.New()
	must(t, s.PutSet(ctx, "k", []string{"a", "b"}))
	before, err := s.Members(ctx, "k")
	must(t, err)
	must(t, s.Add(ctx, "k", []string{"c"}, 0, 2))
	if !slices.Equal(before.Items(), []string{"a", "b"}) {
		t.Errorf("a set read before Add changed to %q", before.Items())
	}
}

func TestSetErrorsAndMissing(t *testing.T) {
	ctx := context.Background()
	s := memory.New()
	got, err := s.Members(ctx, "missing")
	if err != nil || got.Len() != 0 {
		t.Errorf("Members(missing) = %v, %v; want empty, nil", got.Items(), err)
	}
	if err := s.Add(ctx, "k", []string{"a"}, -time.Second, 0); err == nil {
		t.Error("Add with negative ttl: no error")
	}
	must(t, s.PutSet(ctx, "k", []string{"a"}))
	must(t, s.PutSet(ctx, "k", nil))
	if got, _ := s.Members(ctx, "k"); got.Len() != 0 {
		t.Errorf("PutSet(nil) did not delete: %q", got.Items())
	}
}

func TestFeatures(t *testing.T) {
	ctx := context.Background()
	s := memory.New()
	in := []map[string]rank.Value{
		{"upvotes": rank.IntValue(10), "media_type": rank.StringValue("video")},
		{"upvotes": rank.IntValue(3)},
	}
	must(t, s.PutFeatures(ctx, "post", []string{"p1", "p2"}, in))
	in[0]["upvotes"] = rank.IntValue(999) // the store keeps its own copy

	tests := []struct {
		name      string
		namespace string
		ids       []string
		want      []string // upvotes per id; "" for nil
	}{
		{"in order of ids", "post", []string{"p2", "p1"}, []string{"3", "10"}},
		{"unknown id is nil", "post", []string{"p1", "nope"}, []string{"10", ""}},
		{"unknown namespace", "user", []string{"p1"}, []string{""}},
		{"no ids", "post", nil, []string{}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := s.Features(ctx, tt.namespace, tt.ids)
			must(t, err)
			up := make([]string, len(got))
			for i, m := range got {
				if m != nil {
					up[i] = m.Map()["upvotes"].String()
				}
			}
			if !slices.Equal(up, tt.want) {
				t.Errorf("Features(%q, %q) upvotes = %q, want %q", tt.namespace, tt.ids, up, tt.want)
			}
		})
	}
}

func TestFeaturesAreSharedAndDeletable(t *testing.T) {
	ctx := context.Background()
	s := memory.New()
	must(t, s.PutFeatures(ctx, "post", []string{"p1"}, []map[string]rank.Value{{"a": rank.BoolValue(true)}}))
	a, _ := s.Features(ctx, "post", []string{"p1"})
	b, _ := s.Features(ctx, "post", []string{"p1"})
	if a[0] != b[0] {
		t.Error("Features returned a copy per read, want the shared record")
	}
	e := rank.NewEntity("p1")
	e.BorrowRecord(a[0])
	e.Set("score_x", rank.FloatValue(1))
	e.Delete("a")
	if b[0].Len() != 1 || !b[0].Map()["a"].Equal(rank.BoolValue(true)) {
		t.Errorf("writing a borrowing entity changed the stored record: %v", b[0].Map())
	}

	must(t, s.PutFeatures(ctx, "post", []string{"p1"}, []map[string]rank.Value{nil}))
	got, _ := s.Features(ctx, "post", []string{"p1"})
	if got[0] != nil {
		t.Errorf("PutFeatures(nil) did not delete: %v", got[0])
	}
	if err := s.PutFeatures(ctx, "post", []string{"a", "b"}, nil); err == nil {
		t.Error("PutFeatures with mismatched lengths: no error")
	}
}

func TestFeaturesAllocations(t *testing.T) {
	ctx := context.Background()
	s := memory.New()
	ids := make([]string, 500)
	fs := make([]map[string]rank.Value, len(ids))
	for i := range ids {
		ids[i] = fmt.Sprint("p", i)
		fs[i] = map[string]rank.Value{"upvotes": rank.IntValue(int64(i))}
	}
	must(t, s.PutFeatures(ctx, "post", ids, fs))
	allocs := testing.AllocsPerRun(20, func() {
		if _, err := s.Features(ctx, "post", ids); err != nil {
			t.Fatal(err)
		}
	})
	if allocs > 1 {
		t.Errorf("Features of %d ids allocated %v times, want 1 (the result slice)", len(ids), allocs)
	}
}

func TestCanceledContext(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	s := memory.New()
	calls := []struct {
		name string
		call func() error
	}{
		{"Top", func() error { _, err := s.Top(ctx, []string{"k"}, 1); return err }},
		{"Members", func() error { _, err := s.Members(ctx, "k"); return err }},
		{"Add", func() error { return s.Add(ctx, "k", []string{"a"}, 0, 0) }},
		{"Features", func() error { _, err := s.Features(ctx, "post", []string{"a"}); return err }},
		{"PutList", func() error { return s.PutList(ctx, "k", nil) }},
		{"PutSet", func() error { return s.PutSet(ctx, "k", nil) }},
		{"PutFeatures", func() error { return s.PutFeatures(ctx, "post", nil, nil) }},
		{"Snapshots", func() error { _, err := s.Snapshots(ctx, []string{"k"}); return err }},
		{"PutSnapshot", func() error { return s.PutSnapshot(ctx, "k", nil, nil) }},
	}
	for _, tt := range calls {
		t.Run(tt.name, func(t *testing.T) {
			if err := tt.call(); err == nil {
				t.Error("no error with a canceled context")
			}
		})
	}
}

func TestSnapshots(t *testing.T) {
	ctx := context.Background()
	s := memory.New()
	members := []store.Scored{{ID: "b", Score: 1}, {ID: "a", Score: 2}}
	features := []map[string]rank.Value{{"ctr": rank.FloatValue(0.5)}, nil}
	if err := s.PutSnapshot(ctx, "popular", members, features); err != nil {
		t.Fatal(err)
	}
	got, err := s.Snapshots(ctx, []string{"popular", "missing"})
	if err != nil {
		t.Fatal(err)
	}
	if got[1] != nil {
		t.Errorf("missing key = %v, want nil", got[1])
	}
	snap := got[0]
	if snap == nil || len(snap.Members) != 2 || snap.Members[0].ID != "a" || snap.Members[1].ID != "b" {
		t.Fatalf("snapshot = %+v, want a then b", snap)
	}
	if v, ok := snap.Records[1].Get("ctr"); !ok || v != rank.FloatValue(0.5) || snap.Records[0] != nil {
		t.Errorf("records = %v, want none for a and b's ctr", snap.Records)
	}
	if err := s.PutSnapshot(ctx, "bad", members, nil); err == nil {
		t.Error("PutSnapshot with 2 members and no feature maps: no error")
	}
	if err := s.PutSnapshot(ctx, "popular", nil, nil); err != nil {
		t.Fatal(err)
	}
	if got, _ := s.Snapshots(ctx, []string{"popular"}); got[0] != nil {
		t.Errorf("an empty PutSnapshot left %v", got[0])
	}
}

// TestConcurrent exercises every method at once; run with -race.
func TestConcurrent(t *testing.T) {
	ctx := context.Background()
	s := memory.New()
	var wg sync.WaitGroup
	for w := range 4 {
		wg.Go(func() {
			for i := range 200 {
				id := fmt.Sprint("p", i%20)
				_ = s.PutList(ctx, "popular", []store.Scored{sc(id, float64(i))})
				_ = s.PutFeatures(ctx, "post", []string{id}, []map[string]rank.Value{{"w": rank.IntValue(int64(w))}})
				_ = s.Add(ctx, "user:1:viewed", []string{id}, time.Hour, 10)
				if _, err := s.Top(ctx, []string{"popular"}, 5); err != nil {
					t.Error(err)
				}
				fs, err := s.Features(ctx, "post", []string{id})
				if err != nil {
					t.Error(err)
				}
				_, _ = fs[0].Get("w")
				set, err := s.Members(ctx, "user:1:viewed")
				if err != nil {
					t.Error(err)
				}
				_ = set.Has(id)
			}
		})
	}
	wg.Wait()
	set, _ := s.Members(ctx, "user:1:viewed")
	if set.Len() != 10 {
		t.Errorf("after concurrent adds with maxLen 10, set has %d members", set.Len())
	}
}

func must(t *testing.T, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}

func sc(id string, score float64) store.Scored { return store.Scored{ID: id, Score: score} }
