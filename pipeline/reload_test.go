package pipeline_test

import (
	"context"
	"fmt"
	"github.com/rankflow/rankflow/pipeline/internal/pipelinetest"
	"log/slog"
	"os"
	"path/filepath"
	"slices"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/rankflow/rankflow/pipeline"
	"github.com/rankflow/rankflow/pipeline/registry"
	"github.com/rankflow/rankflow/rank"
	"github.com/rankflow/rankflow/stage"
	"github.com/rankflow/rankflow/stages/builtin"
)

func stampConfig(version int) []byte {
	return fmt.Appendf(nil, `
pipelines:
  feed:
    stages:
      - stamp: {value: %d}
      - series:
          - stamp: {value: %d}
          - stamp: {value: %d}
`, version, version, version)
}

const badConfig = `
pipelines:
  feed:
    stages:
      - stamp: {value: "not a number"}
`

func TestReloadUnderLoadNeverMixesSets(t *testing.T) {
	reg := pipelinetest.StampRegistry(t)
	var mu sync.Mutex
	next := stampConfig(0)
	load := func() (*pipeline.Set, error) {
		mu.Lock()
		data := next
		mu.Unlock()
		return pipeline.Parse(map[string][]byte{"feed.yaml": data}, pipeline.Options{Registry: reg})
	}
	h, err := pipeline.NewHolder(load, slog.New(slog.DiscardHandler), nil)
	if err != nil {
		t.Fatal(err)
	}
	defer h.Close()

	ctx, cancel := context.WithCancel(context.Background())
	var served, failed, mixed atomic.Int64
	var wg sync.WaitGroup
	for range 4 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for ctx.Err() == nil {
				set, done := h.Acquire()
				p, ok := set.Lookup("feed")
				if !ok {
					failed.Add(1)
					done()
					continue
				}
				resp, err := p.Rank(context.Background(), rank.NewRequest(nil, rank.Options{}))
				done()
				if err != nil {
					failed.Add(1)
					continue
				}
				stamps, _ := resp.Context.GetIntList("stamps")
				if len(stamps) != 3 || stamps[0] != stamps[1] || stamps[1] != stamps[2] {
					mixed.Add(1)
				}
				served.Add(1)
			}
		}()
	}

	goodReloads := 0
	for i := 1; i <= 100; i++ {
		mu.Lock()
		if i%2 == 0 {
			next = []byte(badConfig)
		} else {
			next = stampConfig(i)
		}
		mu.Unlock()
		err := h.Reload()
		if (err == nil) != (i%2 == 1) {
			t.Fatalf("reload %d: err = %v", i, err)
		}
		if err == nil {
			goodReloads++
		}
	}
	cancel()
	wg.Wait()

	if failed.Load() != 0 || mixed.Load() != 0 {
		t.Fatalf("%d requests failed and %d saw a mix of sets, out of %d", failed.Load(), mixed.Load(), served.Load())
	}
	if served.Load() == 0 {
		t.Fatal("no request was served")
	}
	st := h.Status()
	if st.Err == nil || st.Generation != goodReloads+1 {
		t.Fatalf("status after a failed last reload = %+v, want its error and generation %d", st, goodReloads+1)
	}
	resp, err := mustLookup(t, h, "feed").Rank(context.Background(), rank.NewRequest(nil, rank.Options{}))
	if err != nil {
		t.Fatal(err)
	}
	if stamps, _ := resp.Context.GetIntList("stamps"); !slices.Equal(stamps, []int64{99, 99, 99}) {
		t.Fatalf("after the last good reload the pipeline stamps %v, want version 99", stamps)
	}
}

func mustLookup(t *testing.T, h *pipeline.Holder, name string) *pipeline.Pipeline {
	t.Helper()
	set, done := h.Acquire()
	defer done()
	p, ok := set.Lookup(name)
	if !ok {
		t.Fatalf("no pipeline %q", name)
	}
	return p
}

// closeCounter is a stage that counts Close calls, to check a replaced set
// is closed only after its last request.
type closeCounter struct {
	stage.Stage
	closed *atomic.Int64
}

func (c closeCounter) Close() error { c.closed.Add(1); return nil }

func TestReplacedSetClosesAfterItsLastRequest(t *testing.T) {
	r := builtin.Registry()
	var closed atomic.Int64
	if err := r.Register(registry.Spec{
		Name: "closer", Kind: registry.Effect, Summary: "Counts closes.",
		New: func(*registry.Config, *registry.Env) (stage.Stage, error) {
			return closeCounter{Stage: stage.Passthrough, closed: &closed}, nil
		},
	}); err != nil {
		t.Fatal(err)
	}
	cfg := []byte("pipelines:\n  feed:\n    stages:\n      - closer:\n")
	load := func() (*pipeline.Set, error) {
		return pipeline.Parse(map[string][]byte{"f.yaml": cfg}, pipeline.Options{Registry: r})
	}
	h, err := pipeline.NewHolder(load, slog.New(slog.DiscardHandler), nil)
	if err != nil {
		t.Fatal(err)
	}
	_, done := h.Acquire() // a request in flight on the first set
	if err := h.Reload(); err != nil {
		t.Fatal(err)
	}
	if n := closed.Load(); n != 0 {
		t.Fatalf("replaced set closed %d times while a request still used it", n)
	}
	done()
	if n := closed.Load(); n != 1 {
		t.Fatalf("replaced set closed %d times after its last request, want 1", n)
	}
	h.Close()
	if n := closed.Load(); n != 2 {
		t.Fatalf("closing the holder closed %d sets in all, want 2", n)
	}
}

// TestWatchCatchesChangesBeforeItStarted checks a config written after the
// first load but before Watch began is still picked up.
func TestWatchCatchesChangesBeforeItStarted(t *testing.T) {
	dir := t.TempDir()
	write := func(body string) {
		if err := os.WriteFile(filepath.Join(dir, "feed.yaml"), []byte(body), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	write("pipelines:\n  a:\n    stages:\n      - top_k: {}\n")
	load := func() (*pipeline.Set, error) { return pipeline.Load(dir, pipeline.Options{}) }
	h, err := pipeline.NewHolder(load, slog.New(slog.DiscardHandler), nil)
	if err != nil {
		t.Fatal(err)
	}
	defer h.Close()
	write("pipelines:\n  b:\n    stages:\n      - top_k: {}\n") // before Watch starts
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	go h.Watch(ctx, dir, 10*time.Millisecond)
	deadline := time.Now().Add(10 * time.Second)
	for h.Status().Generation < 2 && time.Now().Before(deadline) {
		time.Sleep(10 * time.Millisecond)
	}
	set, done := h.Acquire()
	defer done()
	if _, ok := set.Lookup("b"); !ok {
		t.Fatalf("pipelines after Watch started = %v, want the change made before it", set.Names())
	}
}

// TestWatchPicksUpNewSubdirectories writes a config into a directory made
// while Watch runs.
func TestWatchPicksUpNewSubdirectories(t *testing.T) {
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "feed.yaml"), []byte("pipelines:\n  a:\n    stages:\n      - top_k: {}\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	load := func() (*pipeline.Set, error) { return pipeline.Load(dir, pipeline.Options{}) }
	h, err := pipeline.NewHolder(load, slog.New(slog.DiscardHandler), nil)
	if err != nil {
		t.Fatal(err)
	}
	defer h.Close()
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	started := make(chan struct{})
	go func() { close(started); h.Watch(ctx, dir, 10*time.Millisecond) }()
	<-started
	time.Sleep(50 * time.Millisecond) // let the watch begin
	sub := filepath.Join(dir, "more")
	if err := os.Mkdir(sub, 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(sub, "b.yaml"), []byte("pipelines:\n  b:\n    stages:\n      - top_k: {}\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	deadline := time.Now().Add(10 * time.Second)
	for {
		set, done := h.Acquire()
		_, ok := set.Lookup("b")
		done()
		if ok {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("pipelines = %v, want b from the new subdirectory", set.Names())
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// TestWatchReloadsOnWeightsFile changes a model's weights file, a JSON file
// beside the configs: the pipelines are rebuilt with the new weights.
func TestWatchReloadsOnWeightsFile(t *testing.T) {
	dir := t.TempDir()
	write := func(name, body string) {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(body), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	write("feed.yaml", "pipelines:\n  a:\n    stages:\n      - score_linear: {weights_file: model.json}\n")
	write("model.json", `{"weights": {"ctr": 1}}`)
	load := func() (*pipeline.Set, error) {
		return pipeline.Load(dir, pipeline.Options{Env: &registry.Env{Dir: dir}})
	}
	h, err := pipeline.NewHolder(load, slog.New(slog.DiscardHandler), nil)
	if err != nil {
		t.Fatal(err)
	}
	defer h.Close()
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	go h.Watch(ctx, dir, 10*time.Millisecond)
	// Watch gives no sign that it has begun, so write until a reload comes:
	// a write before it began is not an event.
	deadline := time.Now().Add(10 * time.Second)
	for i := 2; h.Status().Generation < 2; i++ {
		if time.Now().After(deadline) {
			t.Fatal("no reload after the weights file changed")
		}
		write("model.json", fmt.Sprintf(`{"weights": {"ctr": %d}}`, i))
		time.Sleep(50 * time.Millisecond)
	}
	if err := h.Status().Err; err != nil {
		t.Fatal(err)
	}
}
