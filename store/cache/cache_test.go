package cache_test

import (
	"context"
	"errors"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/rankflow/rankflow/rank"
	"github.com/rankflow/rankflow/store"
	"github.com/rankflow/rankflow/store/cache"
	"github.com/rankflow/rankflow/store/memory"
)

// backend is a store that counts its calls and the ids it is asked for, and
// can hold every call until released.
type backend struct {
	topCalls, memberCalls, featureCalls, addCalls atomic.Int64
	snapshotCalls                                 atomic.Int64
	askedIDs                                      atomic.Int64
	gate                                          chan struct{} // when set, calls wait for it to close
	fail                                          atomic.Bool
	version                                       atomic.Int64 // changes what the backend returns

	mu           sync.Mutex
	snapshotKeys [][]string // the keys of each Snapshots call
}

var errBackend = errors.New("backend down")

func (b *backend) wait() error {
	if b.gate != nil {
		<-b.gate
	}
	if b.fail.Load() {
		return errBackend
	}
	return nil
}

func (b *backend) Top(_ context.Context, keys []string, n int) ([][]store.Scored, error) {
	b.topCalls.Add(1)
	if err := b.wait(); err != nil {
		return nil, err
	}
	out := make([][]store.Scored, len(keys))
	for i, k := range keys {
		for j := range 10 {
			if n > 0 && j == n {
				break
			}
			out[i] = append(out[i], store.Scored{ID: k + strconv.Itoa(j), Score: float64(10 - j)})
		}
	}
	return out, nil
}

func (b *backend) Members(_ context.Context, key string) (*rank.Set, error) {
	b.memberCalls.Add(1)
	if err := b.wait(); err != nil {
		return nil, err
	}
	return rank.NewSet(key, "v"+strconv.FormatInt(b.version.Load(), 10)), nil
}

func (b *backend) Add(context.Context, string, []string, time.Duration, int) error {
	b.addCalls.Add(1)
	b.version.Add(1)
	return nil
}

func (b *backend) Features(_ context.Context, ns string, ids []string) ([]*rank.Record, error) {
	b.featureCalls.Add(1)
	b.askedIDs.Add(int64(len(ids)))
	if err := b.wait(); err != nil {
		return nil, err
	}
	out := make([]*rank.Record, len(ids))
	for i, id := range ids {
		if id != "unknown" {
			out[i] = rank.RecordOf(map[string]rank.Value{"id": rank.StringValue(ns + "/" + id)})
		}
	}
	return out, nil
}

// Snapshots returns for each key but "missing" a snapshot of three members
// k0, k1, k2, the first with a record naming its key and version. Its
// slices have room to spare, so an append by a caller would write into them.
func (b *backend) Snapshots(_ context.Context, keys []string) ([]*store.Snapshot, error) {
	b.snapshotCalls.Add(1)
	b.mu.Lock()
	b.snapshotKeys = append(b.snapshotKeys, slices.Clone(keys))
	b.mu.Unlock()
	if err := b.wait(); err != nil {
		return nil, err
	}
	v := rank.StringValue("v" + strconv.FormatInt(b.version.Load(), 10))
	out := make([]*store.Snapshot, len(keys))
	for i, k := range keys {
		if k == "missing" {
			continue
		}
		s := &store.Snapshot{Members: make([]store.Scored, 0, 8), Records: make([]*rank.Record, 0, 8)}
		for j := range 3 {
			s.Members = append(s.Members, store.Scored{ID: k + strconv.Itoa(j), Score: float64(3 - j)})
			s.Records = append(s.Records, nil)
		}
		s.Records[0] = rank.RecordOf(map[string]rank.Value{"key": rank.StringValue(k), "version": v})
		out[i] = s
	}
	return out, nil
}

// askedSnapshots returns the keys of each Snapshots call so far.
func (b *backend) askedSnapshots() [][]string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return slices.Clone(b.snapshotKeys)
}

// clock is a fake clock.
type clock struct {
	mu  sync.Mutex
	now time.Time
}

func (c *clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

func (c *clock) Advance(d time.Duration) {
	c.mu.Lock()
	c.now = c.now.Add(d)
	c.mu.Unlock()
}

func newCache(b *backend, clk *clock, p cache.Policy) *cache.Cache {
	return cache.New(b, cache.Options{Lists: p, Sets: p, Features: p, Snapshots: p, Now: clk.Now})
}

func TestSingleFlightHotKey(t *testing.T) {
	const requests = 200
	tests := []struct {
		name  string
		call  func(c *cache.Cache) error
		calls func(b *backend) int64
	}{
		{name: "members", call: func(c *cache.Cache) error {
			s, err := c.Members(context.Background(), "deleted_posts")
			if err == nil && !s.Has("deleted_posts") {
				err = errors.New("wrong set")
			}
			return err
		}, calls: func(b *backend) int64 { return b.memberCalls.Load() }},
		{name: "features", call: func(c *cache.Cache) error {
			_, err := c.Features(context.Background(), "post", []string{"hot", "x"})
			return err
		}, calls: func(b *backend) int64 { return b.featureCalls.Load() }},
		{name: "top", call: func(c *cache.Cache) error {
			_, err := c.Top(context.Background(), []string{"popular"}, 5)
			return err
		}, calls: func(b *backend) int64 { return b.topCalls.Load() }},
		{name: "snapshots", call: func(c *cache.Cache) error {
			s, err := c.Snapshots(context.Background(), []string{"popular"})
			if err == nil && (s[0] == nil || s[0].Members[0].ID != "popular0") {
				err = errors.New("wrong snapshot")
			}
			return err
		}, calls: func(b *backend) int64 { return b.snapshotCalls.Load() }},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			b := &backend{gate: make(chan struct{})}
			c := newCache(b, &clock{now: time.Unix(0, 0)}, cache.Policy{TTL: time.Minute})
			var wg sync.WaitGroup
			errs := make(chan error, requests)
			for range requests {
				wg.Go(func() { errs <- tt.call(c) })
			}
			// Release the fetch once the first caller is in it; the others
			// either wait on it or find the result cached.
			for tt.calls(b) == 0 {
				time.Sleep(time.Millisecond)
			}
			close(b.gate)
			wg.Wait()
			close(errs)
			for err := range errs {
				if err != nil {
					t.Fatal(err)
				}
			}
			if got := tt.calls(b); got != 1 {
				t.Fatalf("%d concurrent requests made %d backend calls, want 1", requests, got)
			}
		})
	}
}

func TestTTL(t *testing.T) {
	b := &backend{}
	clk := &clock{now: time.Unix(0, 0)}
	c := newCache(b, clk, cache.Policy{TTL: 10 * time.Second})
	ctx := context.Background()
	steps := []struct {
		advance time.Duration
		want    int64 // backend Members calls so far
	}{
		{advance: 0, want: 1},
		{advance: 9 * time.Second, want: 1},
		{advance: time.Second, want: 2}, // expired at exactly TTL
		{advance: 5 * time.Second, want: 2},
		{advance: 5 * time.Second, want: 3},
	}
	for i, st := range steps {
		clk.Advance(st.advance)
		if _, err := c.Members(ctx, "k"); err != nil {
			t.Fatal(err)
		}
		if got := b.memberCalls.Load(); got != st.want {
			t.Fatalf("step %d: %d backend calls, want %d", i, got, st.want)
		}
	}
}

func TestFeaturesFetchesOnlyMisses(t *testing.T) {
	b := &backend{}
	clk := &clock{now: time.Unix(0, 0)}
	c := newCache(b, clk, cache.Policy{TTL: time.Minute})
	ctx := context.Background()
	tests := []struct {
		name      string
		ids       []string
		wantCalls int64 // total backend calls after this step
		wantAsked int64 // total ids asked of the backend after this step
	}{
		{name: "cold", ids: []string{"a", "b", "unknown"}, wantCalls: 1, wantAsked: 3},
		{name: "all cached, unknown too", ids: []string{"b", "a", "unknown"}, wantCalls: 1, wantAsked: 3},
		{name: "two new ids, duplicated", ids: []string{"a", "c", "d", "c"}, wantCalls: 2, wantAsked: 5},
		{name: "empty", ids: nil, wantCalls: 2, wantAsked: 5},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := c.Features(ctx, "post", tt.ids)
			if err != nil {
				t.Fatal(err)
			}
			for i, id := range tt.ids {
				want := "post/" + id
				s, _ := got[i].Map()["id"].AsString()
				if id == "unknown" {
					want = ""
				}
				if s != want {
					t.Errorf("Features[%d] id = %q, want %q", i, s, want)
				}
			}
			if b.featureCalls.Load() != tt.wantCalls || b.askedIDs.Load() != tt.wantAsked {
				t.Fatalf("backend calls, ids = %d, %d; want %d, %d", b.featureCalls.Load(), b.askedIDs.Load(), tt.wantCalls, tt.wantAsked)
			}
		})
	}
	// Another namespace is cached apart.
	if _, err := c.Features(ctx, "user", []string{"a"}); err != nil || b.featureCalls.Load() != 3 {
		t.Fatalf("Features(user) = %v, calls %d; want a backend call", err, b.featureCalls.Load())
	}
}

func TestTop(t *testing.T) {
	b := &backend{}
	c := newCache(b, &clock{now: time.Unix(0, 0)}, cache.Policy{TTL: time.Minute})
	ctx := context.Background()
	tests := []struct {
		name      string
		keys      []string
		n         int
		wantLens  []int
		wantCalls int64
	}{
		{name: "cold", keys: []string{"a", "b"}, n: 5, wantLens: []int{5, 5}, wantCalls: 1},
		{name: "fewer is a hit", keys: []string{"a", "b", "a"}, n: 3, wantLens: []int{3, 3, 3}, wantCalls: 1},
		{name: "more is a miss", keys: []string{"a"}, n: 8, wantLens: []int{8}, wantCalls: 2},
		{name: "all is a miss", keys: []string{"a"}, n: 0, wantLens: []int{10}, wantCalls: 3},
		{name: "whole list covers any n", keys: []string{"a"}, n: 20, wantLens: []int{10}, wantCalls: 3},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := c.Top(ctx, tt.keys, tt.n)
			if err != nil {
				t.Fatal(err)
			}
			lens := make([]int, len(got))
			for i, l := range got {
				lens[i] = len(l)
				if len(l) > 0 && l[0].ID != tt.keys[i]+"0" {
					t.Errorf("list %d starts with %v", i, l[0])
				}
			}
			if !slices.Equal(lens, tt.wantLens) || b.topCalls.Load() != tt.wantCalls {
				t.Fatalf("lengths %v, calls %d; want %v, %d", lens, b.topCalls.Load(), tt.wantLens, tt.wantCalls)
			}
		})
	}
	// Appending to a returned list does not change the cached one.
	l, _ := c.Top(ctx, []string{"a"}, 2)
	_ = append(l[0], store.Scored{ID: "mine"})
	again, _ := c.Top(ctx, []string{"a"}, 3)
	if again[0][2].ID != "a2" {
		t.Fatalf("cached list changed by an append: %v", again[0])
	}
}

// snapshotVersion returns the version recorded in s, "" for a nil s.
func snapshotVersion(s *store.Snapshot) string {
	if s == nil {
		return ""
	}
	v, _ := s.Records[0].Map()["version"].AsString()
	return v
}

func TestSnapshots(t *testing.T) {
	b := &backend{}
	clk := &clock{now: time.Unix(0, 0)}
	c := newCache(b, clk, cache.Policy{TTL: 10 * time.Second})
	ctx := context.Background()
	tests := []struct {
		name     string
		advance  time.Duration
		bump     bool // change what the backend returns before this step
		keys     []string
		want     []string   // the version of each snapshot, "" for nil
		wantKeys [][]string // the keys of every backend call so far
	}{
		{
			name: "cold", keys: []string{"a", "missing", "b"},
			want:     []string{"v0", "", "v0"},
			wantKeys: [][]string{{"a", "missing", "b"}},
		},
		{
			name: "hits within TTL, missing key too", advance: 9 * time.Second, bump: true,
			keys:     []string{"b", "missing", "a", "a"},
			want:     []string{"v0", "", "v0", "v0"},
			wantKeys: [][]string{{"a", "missing", "b"}},
		},
		{
			name: "only the misses, once each, in one call", keys: []string{"c", "a", "d", "c", "b"},
			want:     []string{"v1", "v0", "v1", "v1", "v0"},
			wantKeys: [][]string{{"a", "missing", "b"}, {"c", "d"}},
		},
		{
			name: "expired at exactly TTL", advance: time.Second,
			keys:     []string{"a", "missing", "c"},
			want:     []string{"v1", "", "v1"},
			wantKeys: [][]string{{"a", "missing", "b"}, {"c", "d"}, {"a", "missing"}},
		},
		{
			name: "empty", keys: nil, want: []string{},
			wantKeys: [][]string{{"a", "missing", "b"}, {"c", "d"}, {"a", "missing"}},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			clk.Advance(tt.advance)
			if tt.bump {
				b.version.Add(1)
			}
			got, err := c.Snapshots(ctx, tt.keys)
			if err != nil {
				t.Fatal(err)
			}
			versions := make([]string, len(got))
			for i, s := range got {
				versions[i] = snapshotVersion(s)
				if s != nil && s.Members[0].ID != tt.keys[i]+"0" {
					t.Errorf("snapshot %d starts with %v", i, s.Members[0])
				}
			}
			if !slices.Equal(versions, tt.want) {
				t.Errorf("versions %q, want %q", versions, tt.want)
			}
			if asked := b.askedSnapshots(); !slices.EqualFunc(asked, tt.wantKeys, slices.Equal) {
				t.Fatalf("backend asked for %q, want %q", asked, tt.wantKeys)
			}
		})
	}
	// a, b (expired, not yet dropped), c, d and missing.
	if got := c.Len().Snapshots; got != 5 {
		t.Fatalf("%d snapshots cached, want 5", got)
	}
	// Appending to a returned snapshot does not change the cached one.
	s, _ := c.Snapshots(ctx, []string{"a"})
	_ = append(s[0].Members, store.Scored{ID: "mine"})
	_ = append(s[0].Records, nil)
	again, _ := c.Snapshots(ctx, []string{"a"})
	if m, r := again[0].Members, again[0].Records; len(m) != 3 || cap(m) != 3 || m[2].ID != "a2" || cap(r) != 3 {
		t.Fatalf("cached snapshot members %v (cap %d), records cap %d; want 3 members, slices capped", m, cap(m), cap(r))
	}
}

func TestMaxEntries(t *testing.T) {
	b := &backend{}
	c := newCache(b, &clock{now: time.Unix(0, 0)}, cache.Policy{TTL: time.Minute, MaxEntries: 10})
	ctx := context.Background()
	for i := range 100 {
		if _, err := c.Members(ctx, strconv.Itoa(i)); err != nil {
			t.Fatal(err)
		}
	}
	if got := c.Len(); got.Sets > 10 {
		t.Fatalf("%d sets cached, want at most 10", got.Sets)
	}
	// The last one is still there.
	calls := b.memberCalls.Load()
	if _, err := c.Members(ctx, "99"); err != nil || b.memberCalls.Load() != calls {
		t.Fatalf("Members(99) after filling: %v, %d calls; want a hit", err, b.memberCalls.Load()-calls)
	}
}

func TestAddForgetsCachedSet(t *testing.T) {
	b := &backend{}
	c := newCache(b, &clock{now: time.Unix(0, 0)}, cache.Policy{TTL: time.Minute})
	ctx := context.Background()
	before, _ := c.Members(ctx, "viewed")
	if err := c.Add(ctx, "viewed", []string{"x"}, 0, 0); err != nil {
		t.Fatal(err)
	}
	after, _ := c.Members(ctx, "viewed")
	if !before.Has("v0") || !after.Has("v1") {
		t.Fatalf("Members before, after Add = %v, %v; want v0 then v1", before.Items(), after.Items())
	}
}

func TestErrorsAreNotCached(t *testing.T) {
	b := &backend{}
	b.fail.Store(true)
	c := newCache(b, &clock{now: time.Unix(0, 0)}, cache.Policy{TTL: time.Minute})
	ctx := context.Background()
	if _, err := c.Features(ctx, "post", []string{"a"}); !errors.Is(err, errBackend) {
		t.Fatalf("Features error = %v, want %v", err, errBackend)
	}
	if _, err := c.Members(ctx, "k"); !errors.Is(err, errBackend) {
		t.Fatalf("Members error = %v, want %v", err, errBackend)
	}
	if _, err := c.Snapshots(ctx, []string{"a", "missing"}); !errors.Is(err, errBackend) {
		t.Fatalf("Snapshots error = %v, want %v", err, errBackend)
	}
	b.fail.Store(false)
	if _, err := c.Features(ctx, "post", []string{"a"}); err != nil {
		t.Fatal(err)
	}
	if _, err := c.Members(ctx, "k"); err != nil {
		t.Fatal(err)
	}
	if s, err := c.Snapshots(ctx, []string{"a", "missing"}); err != nil || s[0] == nil || s[1] != nil {
		t.Fatalf("Snapshots after the backend is back = %v, %v; want a and nil", s, err)
	}
	if b.featureCalls.Load() != 2 || b.memberCalls.Load() != 2 || b.snapshotCalls.Load() != 2 {
		t.Fatalf("backend calls = %d, %d, %d; want a retry of each", b.featureCalls.Load(), b.memberCalls.Load(), b.snapshotCalls.Load())
	}
}

func TestDisabled(t *testing.T) {
	ctx := context.Background()
	tests := []struct {
		name  string
		opts  func(p cache.Policy) cache.Options // caching off for the pattern under test only
		call  func(c *cache.Cache) error
		calls func(b *backend) int64
	}{
		{name: "members", opts: func(p cache.Policy) cache.Options { return cache.Options{Sets: p} },
			call: func(c *cache.Cache) error {
				_, err := c.Members(ctx, "k")
				return err
			}, calls: func(b *backend) int64 { return b.memberCalls.Load() }},
		{name: "snapshots", opts: func(p cache.Policy) cache.Options { return cache.Options{Snapshots: p} },
			call: func(c *cache.Cache) error {
				s, err := c.Snapshots(ctx, []string{"a", "missing", "a"})
				if err == nil && (s[0] == nil || s[1] != nil || s[2] == nil) {
					err = errors.New("wrong snapshots")
				}
				return err
			}, calls: func(b *backend) int64 { return b.snapshotCalls.Load() }},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			b := &backend{}
			c := cache.New(b, tt.opts(cache.Policy{TTL: -1}))
			for range 3 {
				if err := tt.call(c); err != nil {
					t.Fatal(err)
				}
			}
			if got := tt.calls(b); got != 3 {
				t.Fatalf("%d backend calls with caching off, want 3", got)
			}
		})
	}
	// Straight through means the backend sees the keys as given.
	b := &backend{}
	c := cache.New(b, cache.Options{Snapshots: cache.Policy{TTL: -1}})
	if _, err := c.Snapshots(ctx, []string{"a", "a"}); err != nil {
		t.Fatal(err)
	}
	if asked := b.askedSnapshots(); len(asked) != 1 || !slices.Equal(asked[0], []string{"a", "a"}) {
		t.Fatalf("backend asked for %q, want [[a a]]", asked)
	}
}

func TestWaiterGivesUp(t *testing.T) {
	b := &backend{gate: make(chan struct{})}
	c := newCache(b, &clock{now: time.Unix(0, 0)}, cache.Policy{TTL: time.Minute})
	done := make(chan error)
	go func() {
		_, err := c.Features(context.Background(), "post", []string{"a"})
		done <- err
	}()
	for b.featureCalls.Load() == 0 {
		time.Sleep(time.Millisecond)
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, err := c.Features(ctx, "post", []string{"a"}); !errors.Is(err, context.Canceled) {
		t.Fatalf("waiting caller's error = %v, want %v", err, context.Canceled)
	}
	close(b.gate)
	if err := <-done; err != nil {
		t.Fatal(err)
	}
}

// panicky is a backend whose first Features call panics.
type panicky struct {
	*backend
	calls atomic.Int64
}

func (p *panicky) Features(ctx context.Context, ns string, ids []string) ([]*rank.Record, error) {
	if p.calls.Add(1) == 1 {
		panic("backend bug")
	}
	return p.backend.Features(ctx, ns, ids)
}

func TestPanickingFetchDoesNotWedgeKeys(t *testing.T) {
	p := &panicky{backend: &backend{}}
	c := cache.New(p, cache.Options{})
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if _, err := c.Features(ctx, "post", []string{"a"}); err == nil || !strings.Contains(err.Error(), "panicked") {
		t.Fatalf("first call = %v, want the panic as an error", err)
	}
	got, err := c.Features(ctx, "post", []string{"a"})
	if err != nil || got[0] == nil {
		t.Fatalf("second call = %v, %v; want the backend asked again", got, err)
	}
	if n := p.calls.Load(); n != 2 {
		t.Fatalf("backend called %d times, want 2", n)
	}
}

// TestAddDuringFetchIsNotHiddenByIt checks a process reads its own write:
// a Members fetch that started before an Add must not cache the old set.
func TestAddDuringFetchIsNotHiddenByIt(t *testing.T) {
	b := &backend{gate: make(chan struct{})}
	c := cache.New(b, cache.Options{})
	ctx := context.Background()
	first := make(chan *rank.Set)
	go func() {
		s, _ := c.Members(ctx, "k")
		first <- s
	}()
	for b.memberCalls.Load() == 0 {
		time.Sleep(time.Millisecond)
	}
	if err := c.Add(ctx, "k", []string{"x"}, time.Hour, 0); err != nil {
		t.Fatal(err)
	}
	close(b.gate)
	<-first
	s, err := c.Members(ctx, "k")
	if err != nil {
		t.Fatal(err)
	}
	if n := b.memberCalls.Load(); n != 2 || !s.Has("v1") {
		t.Fatalf("Members after Add = %v with %d backend calls; want a fresh fetch (2 calls) of v1", s.Items(), n)
	}
}

// versioned is the memory store, counting the snapshot reads a cache makes.
type versioned struct {
	*memory.Store
	fetches, checks [][]string
}

func (v *versioned) Snapshots(ctx context.Context, keys []string) ([]*store.Snapshot, error) {
	v.fetches = append(v.fetches, slices.Clone(keys))
	return v.Store.Snapshots(ctx, keys)
}

func (v *versioned) SnapshotVersions(ctx context.Context, keys []string) ([]uint64, error) {
	v.checks = append(v.checks, slices.Clone(keys))
	return v.Store.SnapshotVersions(ctx, keys)
}

func TestRevalidateSnapshots(t *testing.T) {
	ctx := context.Background()
	m := memory.New()
	put := func(key string, ids ...string) {
		t.Helper()
		members := make([]store.Scored, len(ids))
		feats := make([]map[string]rank.Value, len(ids))
		for i, id := range ids {
			members[i] = store.Scored{ID: id, Score: float64(len(ids) - i)}
			feats[i] = map[string]rank.Value{"ctr": rank.FloatValue(float64(i))}
		}
		if err := m.PutSnapshot(ctx, key, members, feats); err != nil {
			t.Fatal(err)
		}
	}
	put("a", "p1", "p2")
	put("b", "p3")
	v := &versioned{Store: m}
	clk := &clock{now: time.Unix(1e9, 0)}
	c := cache.New(v, cache.Options{Snapshots: cache.Policy{TTL: time.Millisecond, Revalidate: true}, Now: clk.Now})
	get := func() []*store.Snapshot {
		t.Helper()
		s, err := c.Snapshots(ctx, []string{"a", "b", "none"})
		if err != nil {
			t.Fatal(err)
		}
		return s
	}
	first := get()
	if len(v.fetches) != 1 || len(v.checks) != 0 {
		t.Fatalf("cold: %d fetches and %d version checks, want 1 and 0", len(v.fetches), len(v.checks))
	}

	clk.Advance(2 * time.Millisecond) // expired, unchanged
	second := get()
	if second[0] != first[0] || second[1] != first[1] {
		t.Error("an unchanged snapshot was not served from the cache")
	}
	// The missing key is fetched again (nothing to revalidate); a and b are
	// only checked.
	if want := [][]string{{"a", "b"}}; !slices.EqualFunc(v.checks, want, slices.Equal) {
		t.Errorf("version checks %q, want %q", v.checks, want)
	}
	if want := [][]string{{"a", "b", "none"}, {"none"}}; !slices.EqualFunc(v.fetches, want, slices.Equal) {
		t.Errorf("fetches %q, want %q", v.fetches, want)
	}

	get() // fresh again: no call at all for a and b
	if len(v.checks) != 1 {
		t.Errorf("%d version checks within the TTL, want none after the first", len(v.checks)-1)
	}

	put("a", "p9") // republished
	clk.Advance(2 * time.Millisecond)
	third := get()
	if got := third[0].Members; len(got) != 1 || got[0].ID != "p9" {
		t.Errorf("after a publish: a = %v, want [p9]", got)
	}
	if third[1] != first[1] {
		t.Error("b, unchanged, was fetched again")
	}
	if last := v.fetches[len(v.fetches)-1]; !slices.Equal(last, []string{"a", "none"}) {
		t.Errorf("last fetch %q, want [a none]", last)
	}
}

// TestRevalidateEveryRequest: with a TTL shorter than a request, every
// read checks the version, and an unchanged snapshot is never fetched
// again, however late the check returns.
func TestRevalidateEveryRequest(t *testing.T) {
	ctx := context.Background()
	m := memory.New()
	if err := m.PutSnapshot(ctx, "a", []store.Scored{{ID: "p1", Score: 1}}, []map[string]rank.Value{nil}); err != nil {
		t.Fatal(err)
	}
	v := &versioned{Store: m}
	clk := &clock{now: time.Unix(1e9, 0)}
	ticking := func() time.Time { clk.Advance(time.Millisecond); return clk.Now() } // later at every look
	c := cache.New(v, cache.Options{Snapshots: cache.Policy{TTL: time.Nanosecond, Revalidate: true}, Now: ticking})
	for range 5 {
		if s, err := c.Snapshots(ctx, []string{"a", "a"}); err != nil || s[0] == nil || s[1] != s[0] {
			t.Fatalf("Snapshots = %v, %v", s, err)
		}
	}
	if len(v.fetches) != 1 || len(v.checks) != 4 {
		t.Errorf("%d fetches and %d version checks for 5 reads, want 1 and 4", len(v.fetches), len(v.checks))
	}
}

// TestRevalidateNeedsVersions: a backend without SnapshotVersions is read
// again once the TTL has passed, Revalidate or not.
func TestRevalidateNeedsVersions(t *testing.T) {
	b := &backend{}
	clk := &clock{now: time.Unix(1e9, 0)}
	c := cache.New(b, cache.Options{Snapshots: cache.Policy{TTL: time.Millisecond, Revalidate: true}, Now: clk.Now})
	for range 2 {
		if _, err := c.Snapshots(context.Background(), []string{"a"}); err != nil {
			t.Fatal(err)
		}
		clk.Advance(2 * time.Millisecond)
	}
	if got := len(b.askedSnapshots()); got != 2 {
		t.Errorf("%d fetches, want 2", got)
	}
}
