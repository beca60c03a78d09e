package budget_test

import (
	"context"
	"errors"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/rankflow/rankflow/rank"
	"github.com/rankflow/rankflow/stage"
	"github.com/rankflow/rankflow/stage/budget"
	"github.com/rankflow/rankflow/stage/merger"
	"github.com/rankflow/rankflow/stage/strategy"
)

// budgetD is generous so that a fast stage finishes well within it even
// under the race detector on a busy machine.
const budgetD = 50 * time.Millisecond

var errBoom = errors.New("boom")

type makeStage func(release <-chan struct{}) stage.Stage

func named(name string, f stage.RankFunc) stage.Stage { return stage.Named(name, f) }

var (
	fast makeStage = func(<-chan struct{}) stage.Stage {
		return named("fast", func(_ context.Context, req *rank.Request) (*rank.Request, error) {
			req.Append("x")
			return req, nil
		})
	}
	// deaf trashes its request and then ignores its context until the test
	// ends.
	deaf makeStage = func(release <-chan struct{}) stage.Stage {
		return named("deaf", func(_ context.Context, req *rank.Request) (*rank.Request, error) {
			req.Candidates[0].Score = -1
			req.Candidates = req.Candidates[:0]
			<-release
			return req, nil
		})
	}
	// polite gives up with its context's error when the context is done.
	polite makeStage = func(release <-chan struct{}) stage.Stage {
		return named("polite", func(ctx context.Context, req *rank.Request) (*rank.Request, error) {
			req.Candidates = req.Candidates[:1]
			select {
			case <-ctx.Done():
				return nil, ctx.Err()
			case <-release:
				return req, nil
			}
		})
	}
	failing makeStage = func(<-chan struct{}) stage.Stage {
		return named("failing", func(context.Context, *rank.Request) (*rank.Request, error) {
			return nil, errBoom
		})
	}
	panicking makeStage = func(<-chan struct{}) stage.Stage {
		return named("panicking", func(context.Context, *rank.Request) (*rank.Request, error) {
			panic("kaboom")
		})
	}
	// fanOut has a fast branch and a deaf one.
	fanOut makeStage = func(release <-chan struct{}) stage.Stage {
		return stage.Named("fan_out", stage.Parallel(merger.Concat, strategy.FailWhenAllFail, fast(release), deaf(release)))
	}
)

func TestLatency(t *testing.T) {
	const skipped = "latency budget of 50ms exceeded"
	tests := []struct {
		name        string
		policy      budget.Policy
		stage       makeStage
		want        []string
		wantErr     string // in the error; "" for none
		wantStage   string // the stage the error names; "" for none
		wantSkipped string
	}{
		{name: "fail: in time", policy: budget.Fail, stage: fast, want: []string{"a", "b", "x"}},
		{name: "skip: in time", policy: budget.Skip, stage: fast, want: []string{"a", "b", "x"}},
		{name: "partial: in time", policy: budget.Partial, stage: fast, want: []string{"a", "b", "x"}},

		{name: "fail: ignores context", policy: budget.Fail, stage: deaf, wantErr: "latency budget of 50ms exceeded: context deadline exceeded", wantStage: "deaf"},
		{name: "skip: ignores context", policy: budget.Skip, stage: deaf, want: []string{"a", "b"}, wantSkipped: skipped},
		{name: "partial: ignores context", policy: budget.Partial, stage: deaf, want: []string{"a", "b"}, wantSkipped: skipped},

		{name: "fail: gives up at the deadline", policy: budget.Fail, stage: polite, wantErr: "latency budget of 50ms exceeded: context deadline exceeded", wantStage: "polite"},
		{name: "skip: gives up at the deadline", policy: budget.Skip, stage: polite, want: []string{"a", "b"}, wantSkipped: skipped},
		{name: "partial: gives up at the deadline", policy: budget.Partial, stage: polite, want: []string{"a", "b"}, wantSkipped: skipped},

		{name: "fail: parallel with a deaf branch", policy: budget.Fail, stage: fanOut, wantErr: "latency budget of 50ms exceeded: context deadline exceeded", wantStage: "fan_out"},
		{name: "skip: parallel with a deaf branch", policy: budget.Skip, stage: fanOut, want: []string{"a", "b"}, wantSkipped: skipped},
		{name: "partial: parallel merges finished branches", policy: budget.Partial, stage: fanOut, want: []string{"a", "b", "x"}},

		{name: "fail: own error", policy: budget.Fail, stage: failing, wantErr: "boom"},
		{name: "skip: own error is not skipped", policy: budget.Skip, stage: failing, wantErr: "boom"},
		{name: "partial: own error is not skipped", policy: budget.Partial, stage: failing, wantErr: "boom"},

		{name: "fail: panic", policy: budget.Fail, stage: panicking, wantErr: "stage panicking: panic: kaboom", wantStage: "panicking"},
		{name: "skip: panic", policy: budget.Skip, stage: panicking, wantErr: "stage panicking: panic: kaboom", wantStage: "panicking"},
		{name: "partial: panic", policy: budget.Partial, stage: panicking, wantErr: "stage panicking: panic: kaboom", wantStage: "panicking"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			release := make(chan struct{})
			t.Cleanup(func() { close(release) })
			inner := tt.stage(release)
			s := budget.Latency(budgetD, tt.policy)(inner)

			req := rank.NewRequest(nil, rank.Options{Debug: true})
			req.Append("a")
			req.Append("b")
			ctx, i := req.Trace.Begin(t.Context(), "budgeted")

			got, err := s.Rank(ctx, req)
			if (err == nil) != (tt.wantErr == "") || !strings.Contains(errText(err), tt.wantErr) {
				t.Fatalf("error = %v, want %q", err, tt.wantErr)
			}
			if got := stageOf(err); got != tt.wantStage {
				t.Errorf("error %v names stage %q, want %q", err, got, tt.wantStage)
			}
			var gotIDs []string
			if got != nil {
				gotIDs = rank.IDs(got.Candidates)
			}
			if !slices.Equal(gotIDs, tt.want) {
				t.Errorf("ids = %q, want %q", gotIDs, tt.want)
			}
			if st := req.Trace.Stages()[i]; st.Skipped != tt.wantSkipped {
				t.Errorf("skipped = %q, want %q", st.Skipped, tt.wantSkipped)
			}
			if got != nil && got.Candidates[0].Score != 0 {
				t.Errorf("a stage abandoned at its deadline changed the request: score %v", got.Candidates[0].Score)
			}
		})
	}
}

func TestLatencyBudgetError(t *testing.T) {
	release := make(chan struct{})
	t.Cleanup(func() { close(release) })
	for _, mk := range []makeStage{deaf, polite} {
		s := budget.Latency(budgetD, budget.Fail)(mk(release))
		req := rank.NewRequest(nil, rank.Options{})
		req.Append("a")
		_, err := s.Rank(t.Context(), req)
		if want := "stage " + stage.Name(s) + ": latency budget of 50ms exceeded: context deadline exceeded"; errText(err) != want {
			t.Errorf("error = %q, want %q", err, want)
		}
	}
}

// TestLatencyParentDone checks that a budget never hides its caller's own
// cancellation, whatever the policy.
func TestLatencyParentDone(t *testing.T) {
	for _, p := range []budget.Policy{budget.Fail, budget.Skip, budget.Partial} {
		t.Run(p.String(), func(t *testing.T) {
			release := make(chan struct{})
			t.Cleanup(func() { close(release) })
			ctx, cancel := context.WithCancel(t.Context())
			cancel()
			req := rank.NewRequest(nil, rank.Options{})
			req.Append("a")
			got, err := budget.Latency(time.Minute, p)(deaf(release)).Rank(ctx, req)
			if !errors.Is(err, context.Canceled) || got != nil {
				t.Errorf("Rank = %v, %v; want context canceled", got, err)
			}
		})
	}
}

func TestLatencyAccessors(t *testing.T) {
	inner := fast(nil)
	s := budget.Latency(time.Second, budget.Partial)(inner)
	if stage.Name(s) != "fast" {
		t.Errorf("Name = %q", stage.Name(s))
	}
	if u := s.(interface{ Unwrap() stage.Stage }).Unwrap(); stage.Name(u) != "fast" {
		t.Errorf("Unwrap = %v", u)
	}
	if d, p := s.(interface {
		Budget() (time.Duration, budget.Policy)
	}).Budget(); d != time.Second || p != budget.Partial {
		t.Errorf("Budget = %v, %v", d, p)
	}
}

func TestPolicyNames(t *testing.T) {
	tests := []struct {
		give    string
		want    budget.Policy
		wantErr bool
	}{
		{give: "fail", want: budget.Fail},
		{give: "skip", want: budget.Skip},
		{give: "partial", want: budget.Partial},
		{give: "Skip", want: budget.Fail, wantErr: true},
		{give: "", want: budget.Fail, wantErr: true},
	}
	for _, tt := range tests {
		t.Run(tt.give, func(t *testing.T) {
			p, err := budget.ParsePolicy(tt.give)
			if p != tt.want || (err != nil) != tt.wantErr {
				t.Fatalf("ParsePolicy(%q) = %v, %v", tt.give, p, err)
			}
			if err == nil && p.String() != tt.give {
				t.Errorf("String() = %q, want %q", p.String(), tt.give)
			}
		})
	}
	if s := budget.Policy(9).String(); s != "policy(9)" {
		t.Errorf("Policy(9).String() = %q", s)
	}
}

// stageOf returns the stage a *stage.Error names, or "".
func stageOf(err error) string {
	var se *stage.Error
	if errors.As(err, &se) {
		return se.Stage
	}
	return ""
}

func errText(err error) string {
	if err == nil {
		return ""
	}
	return err.Error()
}
