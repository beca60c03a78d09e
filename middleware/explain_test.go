package middleware_test

import (
	"context"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/rankflow/rankflow/middleware"
	"github.com/rankflow/rankflow/rank"
	"github.com/rankflow/rankflow/stage"
	"github.com/rankflow/rankflow/stage/budget"
	"github.com/rankflow/rankflow/stage/merger"
	"github.com/rankflow/rankflow/stage/strategy"
)

// explainPipeline is
//
//	home: series
//	  reject   drops b, saying why
//	  parallel
//	    fetch_a   adds x
//	    sleepy    sleeps, adds y
//	    broken    fails
//	    killed    killed by flag
//	    slow      blocks past its 30ms budget (skip policy)
//	  cut      drops the last candidate without a reason
//
// with Explain and KillSwitch around every stage, as the builder does.
func explainPipeline(t *testing.T) stage.Stage {
	release := make(chan struct{})
	t.Cleanup(func() { close(release) })
	var kill middleware.KillList
	kill.Set("home", "killed", true)
	w := stage.Chain(middleware.Explain(), middleware.KillSwitch(&kill, "home"))

	reject := fn("reject", func(_ context.Context, req *rank.Request) (*rank.Request, error) {
		kept := req.Candidates[:0]
		for _, e := range req.Candidates {
			if e.ID == "b" {
				req.Reject(e, "already seen")
				continue
			}
			kept = append(kept, e)
		}
		req.Candidates = kept
		return req, nil
	})
	sleepy := fn("sleepy", func(_ context.Context, req *rank.Request) (*rank.Request, error) {
		time.Sleep(2 * time.Millisecond)
		req.Append("y")
		return req, nil
	})
	slow := budget.Latency(30*time.Millisecond, budget.Skip)(fn("slow", func(_ context.Context, req *rank.Request) (*rank.Request, error) {
		<-release
		return req, nil
	}))
	cut := fn("cut", func(_ context.Context, req *rank.Request) (*rank.Request, error) {
		req.Candidates = req.Candidates[:len(req.Candidates)-1]
		return req, nil
	})
	return w(stage.Named("home", stage.Series(
		w(reject),
		w(stage.Parallel(merger.Concat, strategy.FailWhenAllFail,
			w(add("fetch_a", "x")),
			w(sleepy),
			w(fail("broken", errBoom)),
			w(add("killed", "k")),
			w(slow),
		)),
		w(cut),
	)))
}

func TestExplainNested(t *testing.T) {
	req := newRequest(true, "a", "b", "c")
	got, err := explainPipeline(t).Rank(t.Context(), req)
	if err != nil {
		t.Fatal(err)
	}
	if want := []string{"a", "c", "x"}; !slices.Equal(ids(got), want) {
		t.Fatalf("ids = %q, want %q", ids(got), want)
	}

	stages := req.Trace.Stages()
	minDuration := map[string]time.Duration{"home": 30 * time.Millisecond, "home/parallel": 30 * time.Millisecond, "home/parallel/slow": 30 * time.Millisecond, "home/parallel/sleepy": 2 * time.Millisecond}
	for i, st := range stages {
		if st.Duration < minDuration[st.Path] {
			t.Errorf("%s took %v, want at least %v", st.Path, st.Duration, minDuration[st.Path])
		}
		stages[i].Duration = 0
	}
	if len(stages) != 9 || stages[0].Path != "home" || stages[1].Path != "home/reject" ||
		stages[2].Path != "home/parallel" || stages[len(stages)-1].Path != "home/cut" {
		t.Fatalf("entries are not in start order: %+v", stages)
	}
	slices.SortFunc(stages, func(a, b rank.StageTrace) int { return strings.Compare(a.Path, b.Path) })

	want := []rank.StageTrace{
		{Stage: "home", Path: "home", Depth: 0, In: 3, Out: 3,
			Removed: []rank.Removal{{ID: "b", Reason: "already seen"}}, Added: []string{"x"}},
		{Stage: "cut", Path: "home/cut", Depth: 1, In: 4, Out: 3,
			Removed: []rank.Removal{{ID: "y", Reason: "removed by cut"}}},
		{Stage: "parallel", Path: "home/parallel", Depth: 1, In: 2, Out: 4, Added: []string{"x", "y"}},
		{Stage: "broken", Path: "home/parallel/broken", Depth: 2, In: 2, Out: 0, Error: "boom"},
		{Stage: "fetch_a", Path: "home/parallel/fetch_a", Depth: 2, In: 2, Out: 3, Added: []string{"x"}},
		{Stage: "killed", Path: "home/parallel/killed", Depth: 2, In: 2, Out: 2, Skipped: "killed by flag"},
		{Stage: "sleepy", Path: "home/parallel/sleepy", Depth: 2, In: 2, Out: 3, Added: []string{"y"}},
		{Stage: "slow", Path: "home/parallel/slow", Depth: 2, In: 2, Out: 2, Skipped: "latency budget of 30ms exceeded"},
		{Stage: "reject", Path: "home/reject", Depth: 1, In: 3, Out: 2,
			Removed: []rank.Removal{{ID: "b", Reason: "already seen"}}},
	}
	for i := range want {
		assertStageTrace(t, stages[i], want[i])
	}

	// The trace goes out on the wire with the response.
	if p := got.Proto(); len(p.GetExplain()) != len(want) {
		t.Errorf("wire explain has %d entries, want %d", len(p.GetExplain()), len(want))
	}
}

func TestExplainUntraced(t *testing.T) {
	req := newRequest(false, "a", "b", "c")
	got, err := explainPipeline(t).Rank(t.Context(), req)
	if err != nil || !slices.Equal(ids(got), []string{"a", "c", "x"}) || req.Trace != nil {
		t.Errorf("Rank = %q, %v, trace %v", ids(got), err, req.Trace)
	}
}

func TestExplainFailure(t *testing.T) {
	req := newRequest(true, "a")
	s := middleware.Explain()(stage.Named("pipe", stage.Series(middleware.Explain()(fail("bad", errBoom)))))
	if _, err := s.Rank(t.Context(), req); err == nil {
		t.Fatal("no error")
	}
	want := []rank.StageTrace{
		{Stage: "pipe", Path: "pipe", In: 1, Error: "stage bad: boom"},
		{Stage: "bad", Path: "pipe/bad", Depth: 1, In: 1, Error: "boom"},
	}
	got := req.Trace.Stages()
	if len(got) != len(want) {
		t.Fatalf("%d entries, want %d", len(got), len(want))
	}
	for i := range want {
		got[i].Duration = 0
		assertStageTrace(t, got[i], want[i])
	}
}

func assertStageTrace(t *testing.T, got, want rank.StageTrace) {
	t.Helper()
	if got.Stage != want.Stage || got.Path != want.Path || got.Depth != want.Depth ||
		got.Duration != want.Duration || got.In != want.In || got.Out != want.Out ||
		got.Skipped != want.Skipped || got.Error != want.Error ||
		!slices.Equal(got.Removed, want.Removed) || !slices.Equal(got.Added, want.Added) {
		t.Errorf("stage trace =\n%+v\nwant\n%+v", got, want)
	}
}

// TestExplainReasonsStayInTheirBranch has two Parallel branches remove the
// same candidate, one with a reason and one without: each branch's entry
// shows its own, never the other branch's.
func TestExplainReasonsStayInTheirBranch(t *testing.T) {
	drop := func(name, reason string) stage.Stage {
		return fn(name, func(_ context.Context, req *rank.Request) (*rank.Request, error) {
			kept := req.Candidates[:0]
			for _, e := range req.Candidates {
				if e.ID == "a" {
					if reason != "" {
						req.Reject(e, reason)
					}
					continue
				}
				kept = append(kept, e)
			}
			req.Candidates = kept
			return req, nil
		})
	}
	w := middleware.Explain()
	for _, order := range [][2]string{{"says_why", "silent"}, {"silent", "says_why"}} {
		t.Run(order[0]+"_first", func(t *testing.T) {
			branches := map[string]stage.Stage{"says_why": w(drop("says_why", "too old")), "silent": w(drop("silent", ""))}
			s := w(stage.Named("feed", stage.Parallel(merger.Concat, strategy.FailWhenAnyFails, branches[order[0]], branches[order[1]])))
			req := newRequest(true, "a", "b")
			if _, err := s.Rank(t.Context(), req); err != nil {
				t.Fatal(err)
			}
			// The Parallel itself removed a too, and took the reason given.
			want := map[string]string{"feed": "too old", "feed/says_why": "too old", "feed/silent": "removed by silent"}
			for _, st := range req.Trace.Stages() {
				if w, ok := want[st.Path]; ok {
					if len(st.Removed) != 1 || st.Removed[0] != (rank.Removal{ID: "a", Reason: w}) {
						t.Errorf("%s removed %+v, want a: %q", st.Path, st.Removed, w)
					}
					delete(want, st.Path)
				}
			}
			if len(want) != 0 {
				t.Errorf("no trace entries for %v", want)
			}
		})
	}
}

// TestExplainForgetsReasonsOfReaddedCandidates removes a candidate with a
// reason, brings it back, and removes it again without one: the second
// removal must not show the first one's reason.
func TestExplainForgetsReasonsOfReaddedCandidates(t *testing.T) {
	w := middleware.Explain()
	age := w(fn("age", func(_ context.Context, req *rank.Request) (*rank.Request, error) {
		req.Reject(req.Candidates[0], "too old")
		req.Candidates = req.Candidates[1:]
		return req, nil
	}))
	cut := w(fn("cut", func(_ context.Context, req *rank.Request) (*rank.Request, error) {
		req.Candidates = req.Candidates[:len(req.Candidates)-1]
		return req, nil
	}))
	req := newRequest(true, "a", "b")
	if _, err := stage.Series(age, w(add("readd", "a")), cut).Rank(t.Context(), req); err != nil {
		t.Fatal(err)
	}
	for _, st := range req.Trace.Stages() {
		if st.Stage == "cut" && (len(st.Removed) != 1 || st.Removed[0] != (rank.Removal{ID: "a", Reason: "removed by cut"})) {
			t.Errorf("cut removed %+v, want a without the earlier reason", st.Removed)
		}
	}
}
