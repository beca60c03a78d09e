package stage_test

import (
	"context"
	"errors"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/rankflow/rankflow/rank"
	"github.com/rankflow/rankflow/stage"
	"github.com/rankflow/rankflow/stage/merger"
	"github.com/rankflow/rankflow/stage/strategy"
)

func TestParallel(t *testing.T) {
	tests := []struct {
		name     string
		strategy stage.Strategy
		branches []stage.Stage
		want     []string
		wantErr  []string // substrings of the error; none for success
	}{
		{
			name:     "no branches",
			strategy: strategy.FailWhenAnyFails,
			want:     []string{"a"},
		},
		{
			name:     "all succeed",
			strategy: strategy.FailWhenAnyFails,
			branches: []stage.Stage{add("x", "x"), add("y", "y")},
			want:     []string{"a", "x", "y"},
		},
		{
			name:     "some fail, fail when all fail",
			strategy: strategy.FailWhenAllFail,
			branches: []stage.Stage{add("x", "x"), fail("bad", errBoom), add("y", "y")},
			want:     []string{"a", "x", "y"},
		},
		{
			name:     "some fail, fail when any fails",
			strategy: strategy.FailWhenAnyFails,
			branches: []stage.Stage{add("x", "x"), fail("bad", errBoom)},
			wantErr:  []string{"branch bad: stage bad: boom"},
		},
		{
			name:     "all fail",
			strategy: strategy.FailWhenAllFail,
			branches: []stage.Stage{fail("bad1", errBoom), fail("bad2", errBoom)},
			wantErr:  []string{"all branches failed", "branch bad1: stage bad1: boom", "branch bad2: stage bad2: boom"},
		},
		{
			name:     "panicking branch tolerated",
			strategy: strategy.FailWhenAllFail,
			branches: []stage.Stage{panics("bomb"), add("y", "y")},
			want:     []string{"a", "y"},
		},
		{
			name:     "panicking branch fails",
			strategy: strategy.FailWhenAnyFails,
			branches: []stage.Stage{panics("bomb"), add("y", "y")},
			wantErr:  []string{"branch bomb: stage bomb: panic: kaboom"},
		},
		{
			name:     "no request and no error is a failure",
			strategy: strategy.FailWhenAnyFails,
			branches: []stage.Stage{returnsNil("lazy")},
			wantErr:  []string{"branch lazy: stage lazy: returned no request and no error"},
		},
		{
			name:     "optional failure tolerated",
			strategy: strategy.FailWhenAnyFails,
			branches: []stage.Stage{add("x", "x"), stage.Optional(fail("extra", errBoom))},
			want:     []string{"a", "x"},
		},
		{
			name:     "optional success merged",
			strategy: strategy.FailWhenAnyFails,
			branches: []stage.Stage{add("x", "x"), stage.Optional(add("extra", "e"))},
			want:     []string{"a", "x", "e"},
		},
		{
			name:     "required failure with optional success",
			strategy: strategy.FailWhenAllFail,
			branches: []stage.Stage{fail("bad", errBoom), stage.Optional(add("extra", "e"))},
			wantErr:  []string{"all branches failed", "branch bad"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := stage.Parallel(merger.Concat, tt.strategy, tt.branches...).Rank(t.Context(), newRequest("a"))
			if (err != nil) != (len(tt.wantErr) > 0) {
				t.Fatalf("error = %v, want one containing %q", err, tt.wantErr)
			}
			for _, w := range tt.wantErr {
				if !strings.Contains(errText(err), w) {
					t.Errorf("error = %q, want it to contain %q", err, w)
				}
			}
			if !slices.Equal(ids(got), tt.want) {
				t.Errorf("ids = %q, want %q", ids(got), tt.want)
			}
		})
	}
}

func TestParallelPanicIsPanicError(t *testing.T) {
	_, err := stage.Parallel(merger.Concat, strategy.FailWhenAnyFails, panics("bomb")).Rank(t.Context(), newRequest())
	var pe *stage.PanicError
	if !errors.As(err, &pe) || pe.Value != "kaboom" || len(pe.Stack) == 0 {
		t.Errorf("error = %#v, want a PanicError with a stack", err)
	}
}

// TestParallelBranchesGetCopies runs branches that rewrite every candidate
// at once: with the race detector on, any sharing shows.
func TestParallelBranchesGetCopies(t *testing.T) {
	rewrite := func(name string, score float64) stage.Stage {
		return stage.Named(name, stage.RankFunc(func(_ context.Context, req *rank.Request) (*rank.Request, error) {
			for _, e := range req.Candidates {
				e.Score = score
				e.Set("by", rank.StringValue(name))
			}
			req.Context.Set("seen_by", rank.StringValue(name))
			slices.Reverse(req.Candidates)
			return req, nil
		}))
	}
	parent := newRequest("a", "b", "c")
	for _, e := range parent.Candidates {
		e.Set("by", rank.StringValue("parent"))
	}
	var branches []stage.Stage
	for i, name := range []string{"r1", "r2", "r3", "r4"} {
		branches = append(branches, rewrite(name, float64(i+1)))
	}
	var seen []*rank.Request
	capture := func(p *rank.Request, results []*rank.Request) *rank.Request {
		seen = slices.Clone(results)
		for _, e := range p.Candidates {
			if v, _ := e.GetString("by"); v != "parent" || e.Score != 0 {
				t.Errorf("parent candidate %s changed by a branch: by=%q score=%v", e.ID, v, e.Score)
			}
		}
		if p.Context.Has("seen_by") {
			t.Errorf("parent context changed by a branch")
		}
		return merger.ConcatKeepMax(p, results)
	}
	got, err := stage.Parallel(capture, strategy.FailWhenAnyFails, branches...).Rank(t.Context(), parent)
	if err != nil {
		t.Fatal(err)
	}
	if len(seen) != 4 || got != parent {
		t.Fatalf("merger saw %d results, returned %p (parent %p)", len(seen), got, parent)
	}
	for i, r := range seen {
		if !slices.Equal(ids(r), []string{"c", "b", "a"}) {
			t.Errorf("branch %d ids = %q", i, ids(r))
		}
	}
	for _, e := range got.Candidates {
		if v, _ := e.GetString("by"); e.Score != 4 || v != "r4" {
			t.Errorf("kept %s with score %v by %q, want the highest score from r4", e.ID, e.Score, v)
		}
	}
}

// TestParallelMergesContext shows that features branches set on the
// context survive the merge, the first branch in order winning.
func TestParallelMergesContext(t *testing.T) {
	setCtx := func(name string, kv ...any) stage.Stage {
		return stage.Named(name, stage.RankFunc(func(_ context.Context, req *rank.Request) (*rank.Request, error) {
			for i := 0; i < len(kv); i += 2 {
				if v, ok := kv[i+1].(rank.Value); ok {
					req.Context.Set(kv[i].(string), v)
				} else {
					req.Context.Delete(kv[i].(string))
				}
			}
			return req, nil
		}))
	}
	s := func(v string) rank.Value { return rank.StringValue(v) }
	tests := []struct {
		name     string
		branches []stage.Stage
		want     map[string]string // "" for absent
	}{
		{
			name:     "a branch adds a feature",
			branches: []stage.Stage{add("src", "a"), setCtx("seen", "viewed", s("x"))},
			want:     map[string]string{"viewed": "x", "country": "DE"},
		},
		{
			name:     "the first branch that sets a feature wins",
			branches: []stage.Stage{setCtx("b1", "country", s("FR")), setCtx("b2", "country", s("US"), "lang", s("en"))},
			want:     map[string]string{"country": "FR", "lang": "en"},
		},
		{
			name:     "a branch that leaves a feature does not undo another's change",
			branches: []stage.Stage{add("src", "a"), setCtx("b2", "country", s("US"))},
			want:     map[string]string{"country": "US"},
		},
		{
			name:     "removals are not merged",
			branches: []stage.Stage{setCtx("b1", "country", nil)},
			want:     map[string]string{"country": "DE"},
		},
		{
			name:     "a failed optional branch's context is dropped",
			branches: []stage.Stage{stage.Optional(stage.Series(setCtx("b1", "viewed", s("x")), fail("f", errBoom))), add("src", "a")},
			want:     map[string]string{"viewed": "", "country": "DE"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			req := newRequest()
			req.Context.Set("country", s("DE"))
			got, err := stage.Parallel(merger.Concat, strategy.FailWhenAllFail, tt.branches...).Rank(t.Context(), req)
			if err != nil {
				t.Fatal(err)
			}
			for k, want := range tt.want {
				v, ok := got.Context.GetString(k)
				if ok != (want != "") || v != want {
					t.Errorf("context %s = %q, %v; want %q", k, v, ok, want)
				}
			}
		})
	}
}

// TestParallelMergesContextIntoABranch covers a merger that returns one of
// the branches' requests: a branch that left a feature alone must not undo
// another branch's change to it.
func TestParallelMergesContextIntoABranch(t *testing.T) {
	set := func(k, v string) stage.Stage {
		return stage.RankFunc(func(_ context.Context, req *rank.Request) (*rank.Request, error) {
			req.Context.Set(k, rank.StringValue(v))
			return req, nil
		})
	}
	pickSecond := func(_ *rank.Request, results []*rank.Request) *rank.Request { return results[1] }
	req := newRequest()
	req.Context.Set("country", rank.StringValue("DE"))
	got, err := stage.Parallel(pickSecond, strategy.FailWhenAnyFails,
		stage.Passthrough, set("country", "FR"), set("lang", "fr")).Rank(t.Context(), req)
	if err != nil {
		t.Fatal(err)
	}
	for k, want := range map[string]string{"country": "FR", "lang": "fr"} {
		if v, _ := got.Context.GetString(k); v != want {
			t.Errorf("context %s = %q, want %q", k, v, want)
		}
	}
}

// TestParallelBranchIgnoresCancellation shows that Parallel returns once its
// context is done even while a branch keeps running.
func TestParallelBranchIgnoresCancellation(t *testing.T) {
	release := released(t)
	ctx, cancel := context.WithCancel(t.Context())
	p := stage.Parallel(merger.Concat, strategy.FailWhenAllFail,
		add("x", "x"),
		stuck("deaf", release, cancel), // cancels the request, then ignores it
	)
	got, err := p.Rank(ctx, newRequest("a"))
	if !errors.Is(err, context.Canceled) || got != nil {
		t.Errorf("Parallel = %q, %v; want context canceled", ids(got), err)
	}
}

func TestParallelPartial(t *testing.T) {
	tests := []struct {
		name     string
		strategy stage.Strategy
		want     []string
		wantErr  error
	}{
		{name: "finished branches merged", strategy: strategy.FailWhenAllFail, want: []string{"a", "x"}},
		{name: "unfinished branch counts as failed", strategy: strategy.FailWhenAnyFails, wantErr: stage.ErrUnfinished},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			release := released(t)
			fastDone := make(chan struct{})
			fast := stage.Named("fast", stage.RankFunc(func(_ context.Context, req *rank.Request) (*rank.Request, error) {
				defer close(fastDone)
				req.Append("x")
				return req, nil
			}))
			ctx, cancel := context.WithCancel(stage.AllowPartial(t.Context()))
			slow := stuck("slow", release, func() {
				<-fastDone
				time.Sleep(50 * time.Millisecond) // let Parallel receive the fast branch's result
				cancel()
			})
			got, err := stage.Parallel(merger.Concat, tt.strategy, fast, slow).Rank(ctx, newRequest("a"))
			if !errors.Is(err, tt.wantErr) {
				t.Fatalf("error = %v, want %v", err, tt.wantErr)
			}
			if !slices.Equal(ids(got), tt.want) {
				t.Errorf("ids = %q, want %q", ids(got), tt.want)
			}
		})
	}
}

func TestPartialAllowed(t *testing.T) {
	if stage.PartialAllowed(t.Context()) || !stage.PartialAllowed(stage.AllowPartial(t.Context())) {
		t.Error("PartialAllowed does not follow AllowPartial")
	}
}

func TestParallelOutcomes(t *testing.T) {
	var got []stage.Outcome
	record := func(o []stage.Outcome) error {
		got = slices.Clone(o)
		return nil
	}
	_, err := stage.Parallel(merger.Concat, record,
		add("ok", "x"), fail("bad", errBoom), stage.Optional(fail("opt", errBoom)),
	).Rank(t.Context(), newRequest())
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != 3 ||
		got[0].Stage != "ok" || got[0].Err != nil || got[0].Optional ||
		got[1].Stage != "bad" || !errors.Is(got[1].Err, errBoom) || got[1].Optional ||
		got[2].Stage != "opt" || !errors.Is(got[2].Err, errBoom) || !got[2].Optional {
		t.Errorf("outcomes = %+v", got)
	}
}

func TestParallelConcurrentRequests(t *testing.T) {
	p := stage.Parallel(merger.RoundRobin, strategy.FailWhenAllFail, add("x", "x"), add("y", "y"), panics("bomb"))
	var wg sync.WaitGroup
	for range 20 {
		wg.Go(func() {
			got, err := p.Rank(t.Context(), newRequest("a"))
			if err != nil || !slices.Equal(ids(got), []string{"a", "x", "y"}) {
				t.Errorf("Parallel = %q, %v", ids(got), err)
			}
			got.Release()
		})
	}
	wg.Wait()
}

func TestJoinFailures(t *testing.T) {
	outcomes := []stage.Outcome{
		{Stage: "a"},
		{Stage: "b", Err: errBoom},
		{Stage: "c", Err: errBoom, Optional: true},
	}
	tests := []struct {
		name            string
		includeOptional bool
		want            string
	}{
		{name: "required only", want: "branch b: boom"},
		{name: "with optional", includeOptional: true, want: "branch b: boom\nbranch c: boom"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := errText(stage.JoinFailures(outcomes, tt.includeOptional)); got != tt.want {
				t.Errorf("JoinFailures = %q, want %q", got, tt.want)
			}
		})
	}
	if err := stage.JoinFailures(outcomes[:1], true); err != nil {
		t.Errorf("JoinFailures without failures = %v", err)
	}
}
