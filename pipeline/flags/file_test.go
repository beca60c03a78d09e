package flags_test

import (
	"context"
	"github.com/rankflow/rankflow/pipeline/internal/pipelinetest"
	"log/slog"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/rankflow/rankflow/middleware"
	"github.com/rankflow/rankflow/pipeline"
	"github.com/rankflow/rankflow/pipeline/flags"
	"github.com/rankflow/rankflow/rank"
	"github.com/rankflow/rankflow/stage"
)

var quiet = flags.WithLogger(slog.New(slog.DiscardHandler))

// writeFile replaces path with data by renaming a new file over it, as the
// package doc advises.
func writeFile(t testing.TB, path, data string) {
	t.Helper()
	tmp := path + ".tmp"
	if err := os.WriteFile(tmp, []byte(data), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.Rename(tmp, path); err != nil {
		t.Fatal(err)
	}
}

// eventually calls poke and then checks cond until cond holds, failing t
// after ten seconds. poke may be nil; a test that waits on a file watcher
// rewrites the file in it, since the watcher may have started after the
// first write.
func eventually(t testing.TB, what string, poke func(), cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for i := 0; ; i++ {
		if poke != nil && i%20 == 0 {
			poke()
		}
		if cond() {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting until %s", what)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

func TestFileReload(t *testing.T) {
	path := filepath.Join(t.TempDir(), "flags.yaml")
	if _, err := flags.File(path, quiet); err == nil || !strings.Contains(err.Error(), "no such file") {
		t.Fatalf("File on a missing file: err = %v", err)
	}
	writeFile(t, path, "kill: [popular/filter_seen]\nparams: {p: 0.5}\n")
	src, err := flags.File(path, quiet)
	if err != nil {
		t.Fatal(err)
	}
	if !src.Killed("popular", "filter_seen") {
		t.Fatal("popular/filter_seen not killed after the first load")
	}
	if st := src.Status(); st.Generation != 1 || st.Err != nil || st.LastSuccess.IsZero() {
		t.Fatalf("status after the first load = %+v", st)
	}

	// A bad file keeps the old flags and reports why.
	writeFile(t, path, "kill: [popular]\n")
	err = src.Reload()
	want := path + `:1:8: kill[0] "popular": want pipeline/stage, such as popular/filter_seen, with * for any`
	if err == nil || err.Error() != want {
		t.Fatalf("reload of a bad file: err = %v, want %s", err, want)
	}
	if st := src.Status(); st.Err == nil || st.Err.Error() != want || st.Generation != 1 {
		t.Fatalf("status after a bad reload = %+v", st)
	}
	if p, _ := src.Float("p"); !src.Killed("popular", "filter_seen") || p != 0.5 {
		t.Fatal("a bad file replaced the flags")
	}

	// So does a missing file.
	if err := os.Remove(path); err != nil {
		t.Fatal(err)
	}
	if err := src.Reload(); err == nil || !src.Killed("popular", "filter_seen") {
		t.Fatalf("reload of a removed file: err = %v, killed = %v", err, src.Killed("popular", "filter_seen"))
	}

	// A good file replaces them; the same file again changes nothing.
	writeFile(t, path, "kill: []\nparams: {p: 0.25}\n")
	for range 2 {
		if err := src.Reload(); err != nil {
			t.Fatal(err)
		}
	}
	if p, _ := src.Float("p"); src.Killed("popular", "filter_seen") || p != 0.25 {
		t.Fatalf("after a good reload: killed = %v, p = %v", src.Killed("popular", "filter_seen"), p)
	}
	if st := src.Status(); st.Err != nil || st.Generation != 2 {
		t.Fatalf("status after good reloads = %+v, want generation 2 and no error", st)
	}
}

func TestWatchKeepsOldFlagsOnBadFile(t *testing.T) {
	path := filepath.Join(t.TempDir(), "flags.yaml")
	writeFile(t, path, "kill: [a/b]\n")
	src, err := flags.File(path, quiet, flags.WithDebounce(time.Millisecond))
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error)
	go func() { done <- src.Watch(ctx) }()
	defer func() {
		cancel()
		if err := <-done; err != nil {
			t.Error(err)
		}
	}()

	writeBad := func() { writeFile(t, path, "kill: [a/b]\nnope: 1\n") }
	eventually(t, "the bad file is reported", writeBad, func() bool { return src.Status().Err != nil })
	if want := path + ":2:1: nope: unknown key (want kill or params)"; src.Status().Err.Error() != want {
		t.Errorf("status error = %v, want %s", src.Status().Err, want)
	}
	if !src.Killed("a", "b") {
		t.Fatal("a bad file revived a/b")
	}
	writeGood := func() { writeFile(t, path, "kill: [c/d]\n") }
	eventually(t, "the fixed file serves", writeGood, func() bool { return src.Killed("c", "d") && !src.Killed("a", "b") })
	if st := src.Status(); st.Err != nil || st.Generation != 2 {
		t.Errorf("status = %+v, want generation 2 and no error", st)
	}
}

// TestKillFlipUnderLoad flips a kill flag in the file, watched, while
// requests run through a pipeline whose middlewares read the source. The
// killed stage is a series of three stamps: every request must show it
// either skipped (no stamps 1-3) or run in full, and the stages around it
// must always run.
func TestKillFlipUnderLoad(t *testing.T) {
	path := filepath.Join(t.TempDir(), "flags.yaml")
	const alive, killed = "kill: []\n", "kill: [feed/decorate]\n"
	writeFile(t, path, alive)
	src, err := flags.File(path, quiet, flags.WithDebounce(time.Millisecond))
	if err != nil {
		t.Fatal(err)
	}
	cfg := []byte(`
pipelines:
  feed:
    stages:
      - stamp: {value: 0}
      - series:
          - stamp: {value: 1}
          - stamp: {value: 2}
          - stamp: {value: 3}
        as: decorate
      - stamp: {value: 4}
`)
	logger := slog.New(slog.DiscardHandler)
	set, err := pipeline.Parse(map[string][]byte{"feed.yaml": cfg}, pipeline.Options{
		Registry: pipelinetest.StampRegistry(t),
		Middleware: func(p string) stage.Middleware {
			return middleware.Default(middleware.Options{Pipeline: p, Logger: logger, Flags: src})
		},
	})
	if err != nil {
		t.Fatal(err)
	}
	feed, _ := set.Lookup("feed")

	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	watched := make(chan error)
	go func() { watched <- src.Watch(ctx) }()

	var ran, skipped, bad atomic.Int64
	var badMu sync.Mutex
	var badStamps [][]int64
	var wg sync.WaitGroup
	for range 4 {
		wg.Go(func() {
			for ctx.Err() == nil {
				resp, err := feed.Rank(context.Background(), rank.NewRequest(rank.NewEntity("u"), rank.Options{}))
				if err != nil {
					bad.Add(1)
					continue
				}
				stamps, _ := resp.Context.GetIntList("stamps")
				switch {
				case slices.Equal(stamps, []int64{0, 1, 2, 3, 4}):
					ran.Add(1)
				case slices.Equal(stamps, []int64{0, 4}):
					skipped.Add(1)
				default:
					bad.Add(1)
					badMu.Lock()
					badStamps = append(badStamps, stamps)
					badMu.Unlock()
				}
			}
		})
	}

	for i := range 6 {
		data, want, counter := alive, false, &ran
		if i%2 == 0 {
			data, want, counter = killed, true, &skipped
		}
		eventually(t, "the flip is seen", func() { writeFile(t, path, data) },
			func() bool { return src.Killed("feed", "decorate") == want })
		// Let requests run on the new flags before the next flip.
		from := counter.Load()
		eventually(t, "requests see the flip", nil, func() bool { return counter.Load() > from+10 })
	}
	cancel()
	wg.Wait()
	if err := <-watched; err != nil {
		t.Fatal(err)
	}
	if bad.Load() != 0 {
		t.Fatalf("%d requests ran the killed stage in part or failed, such as %v", bad.Load(), badStamps[:min(3, len(badStamps))])
	}
	t.Logf("%d requests ran the stage, %d skipped it", ran.Load(), skipped.Load())
}

func TestLookupsDoNotAllocate(t *testing.T) {
	path := filepath.Join(t.TempDir(), "flags.yaml")
	writeFile(t, path, "kill: [popular/filter_seen, \"*/score_linear\", video/*]\nparams: {p: 0.5}\n")
	src, err := flags.File(path, quiet)
	if err != nil {
		t.Fatal(err)
	}
	var sink bool
	allocs := testing.AllocsPerRun(1000, func() {
		a := src.Killed("popular", "filter_seen")
		b := src.Killed("home", "score_linear")
		c := src.Killed("video", "shuffle")
		d := src.Killed("home", "filter_seen")
		_, e := src.Float("p")
		_, f := src.Float("q")
		sink = a && b && c && !d && e && !f
	})
	if allocs != 0 {
		t.Errorf("lookups allocate %v times per run", allocs)
	}
	if !sink {
		t.Error("lookups gave wrong answers")
	}
}

func BenchmarkKilled(b *testing.B) {
	set, err := flags.New([]string{"popular/filter_seen", "*/score_linear", "video/*"}, nil)
	if err != nil {
		b.Fatal(err)
	}
	for b.Loop() {
		set.Killed("home", "filter_seen")
	}
}
