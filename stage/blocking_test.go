package stage_test

import (
	"context"
	"errors"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/rankflow/rankflow/rank"
	"github.com/rankflow/rankflow/stage"
	"github.com/rankflow/rankflow/stage/budget"
	"github.com/rankflow/rankflow/stage/merger"
	"github.com/rankflow/rankflow/stage/strategy"
)

func TestBlocks(t *testing.T) {
	waits := stage.RankFunc(func(_ context.Context, req *rank.Request) (*rank.Request, error) { return req, nil })
	computes := stage.NonBlocking(waits)
	mw := func(next stage.Stage) stage.Stage { return stage.Wrap("mw", next, next.Rank) }
	tests := []struct {
		name string
		give stage.Stage
		want bool
	}{
		{"a plain stage may wait", waits, true},
		{"marked", computes, false},
		{"named", stage.Named("x", computes), false},
		{"through a middleware", mw(mw(computes)), false},
		{"a middleware around one that waits", mw(waits), true},
		{"optional", stage.Optional(computes), false},
		{"budgeted: the budget waits on a timer", budget.Latency(time.Second, budget.Skip)(computes), true},
		{"series of computing stages", stage.Series(computes, mw(computes)), false},
		{"series with one that waits", stage.Series(computes, waits), true},
		{"parallel", stage.Parallel(merger.Concat, strategy.FailWhenAnyFails, computes, computes), false},
		{"parallel with one that waits", stage.Parallel(merger.Concat, strategy.FailWhenAnyFails, computes, waits), true},
		{"if without else", stage.IfElse(func(context.Context, *rank.Request) bool { return true }, computes, nil), false},
		{"if with an else that waits", stage.IfElse(func(context.Context, *rank.Request) bool { return true }, computes, waits), true},
		{"switch", stage.Switch(func(context.Context, *rank.Request) string { return "" }, map[string]stage.Stage{"a": computes}, nil), false},
		{"switch with a case that waits", stage.Switch(func(context.Context, *rank.Request) string { return "" }, map[string]stage.Stage{"a": waits}, computes), true},
		{"passthrough", stage.Passthrough, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := stage.Blocks(tt.give); got != tt.want {
				t.Errorf("Blocks = %v, want %v", got, tt.want)
			}
		})
	}
}

// onCaller reports whether the calling function runs on the goroutine of
// Parallel's Rank rather than on one it started.
func onCaller() bool {
	pcs := make([]uintptr, 64)
	frames := runtime.CallersFrames(pcs[:runtime.Callers(2, pcs)])
	for {
		f, more := frames.Next()
		if strings.Contains(f.Function, "(*parallel).Rank") {
			return true
		}
		if !more {
			return false
		}
	}
}

// TestParallelRunsComputingBranchesOnItsGoroutine checks the branches that
// do not block run in order on Parallel's goroutine, and one that may
// block runs concurrently with them: it waits for a signal the last
// computing branch sends, which would deadlock if it ran first on the same
// goroutine.
func TestParallelRunsComputingBranchesOnItsGoroutine(t *testing.T) {
	signal := make(chan struct{})
	var order []string
	computing := func(name string, last bool) stage.Stage {
		return stage.NonBlocking(stage.Named(name, stage.RankFunc(func(_ context.Context, req *rank.Request) (*rank.Request, error) {
			if !onCaller() {
				t.Errorf("%s ran on a goroutine of its own", name)
			}
			order = append(order, name) // on one goroutine: no lock needed
			if last {
				close(signal)
			}
			req.Append(name)
			return req, nil
		})))
	}
	waiting := stage.Named("waiting", stage.RankFunc(func(ctx context.Context, req *rank.Request) (*rank.Request, error) {
		if onCaller() {
			t.Error("the waiting branch ran on Parallel's goroutine")
		}
		select {
		case <-signal:
		case <-ctx.Done():
			return nil, ctx.Err()
		}
		req.Append("waiting")
		return req, nil
	}))
	p := stage.Parallel(merger.Concat, strategy.FailWhenAnyFails, waiting, computing("a", false), computing("b", true))
	ctx, cancel := context.WithTimeout(t.Context(), 10*time.Second)
	defer cancel()
	out, err := p.Rank(ctx, rank.NewRequest(nil, rank.Options{}))
	if err != nil {
		t.Fatal(err)
	}
	if got := strings.Join(rank.IDs(out.Candidates), ","); got != "waiting,a,b" {
		t.Errorf("candidates = %s, want waiting,a,b (branch order)", got)
	}
	if got := strings.Join(order, ","); got != "a,b" {
		t.Errorf("computing branches ran in order %s, want a,b", got)
	}
}

// TestParallelStopsComputingBranchesOnceDone cancels the request in the
// first of three computing branches: the others do not start, and Parallel
// fails with the context's error.
func TestParallelStopsComputingBranchesOnceDone(t *testing.T) {
	ctx, cancel := context.WithCancel(t.Context())
	defer cancel()
	var ran []string
	branch := func(name string) stage.Stage {
		return stage.NonBlocking(stage.Named(name, stage.RankFunc(func(_ context.Context, req *rank.Request) (*rank.Request, error) {
			ran = append(ran, name)
			if name == "first" {
				cancel()
			}
			return req, nil
		})))
	}
	p := stage.Parallel(merger.Concat, strategy.FailWhenAnyFails, branch("first"), branch("second"), branch("third"))
	_, err := p.Rank(ctx, rank.NewRequest(nil, rank.Options{}))
	if !errors.Is(err, context.Canceled) {
		t.Errorf("error = %v, want context canceled", err)
	}
	if strings.Join(ran, ",") != "first" {
		t.Errorf("ran %v, want only first", ran)
	}
}
