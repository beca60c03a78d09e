package effect_test

import (
	"context"
	"errors"
	"io"
	"runtime"
	"slices"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/testutil"

	"github.com/rankflow/rankflow/pipeline/registry"
	"github.com/rankflow/rankflow/rank"
	"github.com/rankflow/rankflow/stage"
	"github.com/rankflow/rankflow/stages/effect"
	"github.com/rankflow/rankflow/stages/internal/stagetest"
	"github.com/rankflow/rankflow/store"
	"github.com/rankflow/rankflow/store/memory"
)

// gated is a memory store whose Add waits until the gate opens or its
// context ends, like a store that has stopped answering.
type gated struct {
	*memory.Store
	gate    chan struct{}
	entered atomic.Int64
}

func (g *gated) Add(ctx context.Context, key string, members []string, ttl time.Duration, maxLen int) error {
	g.entered.Add(1)
	select {
	case <-g.gate:
		return g.Store.Add(ctx, key, members, ttl, maxLen)
	case <-ctx.Done():
		return ctx.Err()
	}
}

type statser interface {
	stage.Stage
	io.Closer
	Stats() effect.Stats
}

func build(t *testing.T, sets store.Sets, raw map[string]any) statser {
	t.Helper()
	s := stagetest.Build(t, "record_served", raw, &registry.Env{Sets: sets})
	r, ok := s.(statser)
	if !ok {
		t.Fatalf("record_served is a %T, want a closer with Stats", s)
	}
	t.Cleanup(func() { r.Close() })
	return r
}

func serve(t *testing.T, s stage.Stage, user string, ids ...string) {
	t.Helper()
	req := rank.NewRequest(rank.NewEntity(user), rank.Options{})
	for _, id := range ids {
		req.Append(id)
	}
	if _, err := s.Rank(context.Background(), req); err != nil {
		t.Fatal(err)
	}
	req.Release() // the entities go back to the pool; the recorder kept copies
}

// eventually polls cond for up to 5s.
func eventually(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(time.Millisecond)
	}
}

func TestRecordServed(t *testing.T) {
	mem := memory.New()
	r := build(t, mem, map[string]any{"key": "user:{id}:viewed", "max_len": 3, "ttl": "1h"})
	serve(t, r, "u1", "p1", "p2")
	eventually(t, "the first write", func() bool { return r.Stats().Written == 1 })
	serve(t, r, "u1", "p3", "p4")
	serve(t, r, "", "p5") // anonymous: skipped
	serve(t, r, "u2")     // nothing served: skipped
	eventually(t, "the second write", func() bool { return r.Stats().Written == 2 })
	set, err := mem.Members(context.Background(), "user:u1:viewed")
	if err != nil {
		t.Fatal(err)
	}
	if want := []string{"p2", "p3", "p4"}; !slices.Equal(set.Items(), want) {
		t.Errorf("viewed = %v, want %v (capped at the 3 most recent)", set.Items(), want)
	}
	if err := r.Close(); err != nil {
		t.Fatal(err)
	}
	if got, want := r.Stats(), (effect.Stats{Written: 2, Skipped: 2}); got != want {
		t.Errorf("stats = %+v, want %+v", got, want)
	}
	serve(t, r, "u1", "p6")
	if got := r.Stats().Dropped; got != 1 {
		t.Errorf("dropped after close = %d, want 1", got)
	}
}

func TestRecordServedBlockedStoreStaysBounded(t *testing.T) {
	before := runtime.NumGoroutine()
	g := &gated{Store: memory.New(), gate: make(chan struct{})}
	r := build(t, g, map[string]any{"key": "user:{id}:viewed", "workers": 2, "queue": 4, "timeout": "1m"})

	// Two writes occupy both workers, four fill the queue, the rest drop.
	serve(t, r, "u0", "a")
	eventually(t, "a worker blocked in the store", func() bool { return g.entered.Load() == 1 })
	serve(t, r, "u1", "a")
	eventually(t, "both workers blocked in the store", func() bool { return g.entered.Load() == 2 })
	for i := range 98 {
		serve(t, r, "u"+string(rune('a'+i%26)), "p")
	}
	if got := r.Stats(); got.Dropped != 94 || got.Written != 0 {
		t.Errorf("stats = %+v, want 94 dropped and none written", got)
	}
	if n := runtime.NumGoroutine(); n > before+2 {
		t.Errorf("%d goroutines with the store blocked, want at most %d (the workers)", n, before+2)
	}

	// The store answers again: the in-flight and queued writes land.
	close(g.gate)
	eventually(t, "six writes", func() bool { return r.Stats().Written == 6 })
	if err := r.Close(); err != nil {
		t.Fatal(err)
	}
	eventually(t, "the workers to exit", func() bool { return runtime.NumGoroutine() <= before })
}

func TestRecordServedCloseStopsBlockedWorkers(t *testing.T) {
	before := runtime.NumGoroutine()
	g := &gated{Store: memory.New(), gate: make(chan struct{})}
	r := build(t, g, map[string]any{"key": "user:{id}:viewed", "workers": 3, "queue": 2, "timeout": "1h"})
	for i := range 10 {
		serve(t, r, "u"+string(rune('0'+i)), "p")
		if i < 3 { // one at a time until every worker is blocked
			eventually(t, "a worker blocked", func() bool { return g.entered.Load() == int64(i+1) })
		}
	}
	done := make(chan struct{})
	go func() { r.Close(); close(done) }()
	select {
	case <-done:
	case <-time.After(5 * time.Second):
		t.Fatal("Close did not return while the store was blocked")
	}
	got := r.Stats()
	if want := (effect.Stats{Failed: 3, Dropped: 7}); got != want {
		t.Errorf("stats = %+v, want %+v: 3 cancelled in flight, 2 dropped from the queue, 5 when it was full", got, want)
	}
	eventually(t, "the workers to exit", func() bool { return runtime.NumGoroutine() <= before })
}

func TestRecordServedBuildErrors(t *testing.T) {
	mem := memory.New()
	tests := []struct {
		name string
		raw  map[string]any
		env  *registry.Env
		want string
	}{
		{"no store", map[string]any{"key": "k"}, &registry.Env{}, "record_served: needs a set store"},
		{"no key", map[string]any{}, &registry.Env{Sets: mem}, "key: required field is missing"},
		{"zero workers", map[string]any{"key": "k", "workers": 0}, &registry.Env{Sets: mem}, "workers: must be at least 1"},
		{"zero queue", map[string]any{"key": "k", "queue": 0}, &registry.Env{Sets: mem}, "queue: must be at least 1"},
		{"bad ttl", map[string]any{"key": "k", "ttl": "soon"}, &registry.Env{Sets: mem}, `ttl: "soon" is not a duration`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := stagetest.BuildErr(t, "record_served", tt.raw, tt.env)
			if !strings.HasPrefix(err.Error(), tt.want) {
				t.Errorf("error = %q, want prefix %q", err, tt.want)
			}
			var fe *registry.FieldError
			if tt.env.Sets != nil && !errors.As(err, &fe) {
				t.Errorf("error %v is not a *registry.FieldError", err)
			}
		})
	}
}

// TestRecordServedMetrics checks the Prometheus counters follow Stats, and
// that a second build on the same registry (a pipeline reload) adds to the
// same counters instead of failing to register.
func TestRecordServedMetrics(t *testing.T) {
	reg := prometheus.NewPedanticRegistry()
	g := &gated{Store: memory.New(), gate: make(chan struct{})}
	env := &registry.Env{Sets: g, Metrics: reg}
	raw := map[string]any{"key": "user:{id}:viewed", "workers": 1, "queue": 1, "timeout": "1m"}
	first := stagetest.Build(t, "record_served", raw, env).(statser)
	second := stagetest.Build(t, "record_served", raw, env).(statser) // rebuilt on reload
	t.Cleanup(func() { first.Close(); second.Close() })

	serve(t, first, "u1", "a") // written once the gate opens
	eventually(t, "the worker blocked in the store", func() bool { return g.entered.Load() == 1 })
	serve(t, first, "u2", "a") // queued
	serve(t, first, "u3", "a") // dropped: queue full
	serve(t, second, "", "a")  // skipped: no id
	close(g.gate)
	eventually(t, "two writes", func() bool { return first.Stats().Written == 2 })

	want := `
# HELP rankflow_record_served_total What record_served did with the responses it saw, by result: written, failed (the store refused or timed out), dropped (the queue was full or the pipeline closing), skipped (no candidates or no key).
# TYPE rankflow_record_served_total counter
rankflow_record_served_total{result="dropped"} 1
rankflow_record_served_total{result="failed"} 0
rankflow_record_served_total{result="skipped"} 1
rankflow_record_served_total{result="written"} 2
`
	if err := testutil.GatherAndCompare(reg, strings.NewReader(want), "rankflow_record_served_total"); err != nil {
		t.Error(err)
	}
	if problems, err := testutil.GatherAndLint(reg); err != nil || len(problems) > 0 {
		t.Errorf("lint: %v %v", problems, err)
	}
}
