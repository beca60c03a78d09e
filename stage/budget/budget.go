// Package budget bounds how long a stage may take. Latency wraps a stage so
// that the request moves on when the budget is spent, whether or not the
// stage honours its context, with a policy for what the stage's caller gets.
package budget

import (
	"context"
	"fmt"
	"time"

	"github.com/rankflow/rankflow/rank"
	"github.com/rankflow/rankflow/stage"
)

// Policy says what a budgeted stage returns when its budget is spent.
type Policy uint8

const (
	// Fail makes the stage fail with an error wrapping
	// context.DeadlineExceeded.
	Fail Policy = iota
	// Skip passes the stage's input through unchanged, as if the stage had
	// not run.
	Skip
	// Partial lets the stage return what it has: its context expires a
	// little before the budget (a tenth of it, at most 5ms, earlier) and
	// allows partial results, so Parallel merges the branches that finished.
	// A stage that does not return by the budget is skipped.
	Partial
)

var policyNames = [...]string{Fail: "fail", Skip: "skip", Partial: "partial"}

func (p Policy) String() string {
	if int(p) < len(policyNames) {
		return policyNames[p]
	}
	return fmt.Sprintf("policy(%d)", p)
}

// ParsePolicy returns the policy named s: "fail", "skip" or "partial".
func ParsePolicy(s string) (Policy, error) {
	for p, name := range policyNames {
		if name == s {
			return Policy(p), nil
		}
	}
	return Fail, fmt.Errorf("unknown timeout policy %q (want fail, skip or partial)", s)
}

// Latency returns a middleware that gives a stage at most d, then acts on
// onTimeout. The stage runs in its own goroutine on a copy of the request,
// so a stage that ignores its context is abandoned at the deadline and
// cannot touch the request its caller carries on with.
func Latency(d time.Duration, onTimeout Policy) stage.Middleware {
	return func(next stage.Stage) stage.Stage {
		return &budgeted{next: next, name: stage.Name(next), d: d, policy: onTimeout}
	}
}

type budgeted struct {
	next   stage.Stage
	name   string
	d      time.Duration
	policy Policy
}

type result struct {
	resp *rank.Request
	err  error
}

func (b *budgeted) Rank(ctx context.Context, req *rank.Request) (*rank.Request, error) {
	bctx, cancel := context.WithTimeout(ctx, b.d)
	defer cancel()
	inner := bctx
	if b.policy == Partial {
		var cancelInner context.CancelFunc
		inner, cancelInner = context.WithTimeout(ctx, b.d-min(b.d/10, 5*time.Millisecond))
		defer cancelInner()
		inner = stage.AllowPartial(inner)
	}

	work := req.Copy()
	ch := make(chan result, 1)
	go func() {
		var r result
		defer func() {
			if v := recover(); v != nil {
				r = result{err: stage.Recovered(b.next, v)}
			}
			ch <- r
		}()
		r.resp, r.err = b.next.Rank(inner, work)
	}()

	select {
	case r := <-ch:
		if r.err == nil {
			if r.resp != nil {
				r.resp.Adopt(req) // req's entities are no longer referenced: pool them with the response
			}
			return r.resp, nil
		}
		if inner.Err() == nil || ctx.Err() != nil || b.policy == Fail {
			return nil, r.err
		}
		return b.expired(ctx, req) // the stage gave up because the budget ran out
	case <-bctx.Done():
		if ctx.Err() != nil {
			return nil, &stage.Error{Stage: b.name, Err: ctx.Err()}
		}
		return b.expired(ctx, req)
	}
}

func (b *budgeted) expired(ctx context.Context, req *rank.Request) (*rank.Request, error) {
	if b.policy == Fail {
		return nil, &stage.Error{Stage: b.name, Err: fmt.Errorf("latency budget of %v exceeded: %w", b.d, context.DeadlineExceeded)}
	}
	rank.Skip(ctx, fmt.Sprintf("latency budget of %v exceeded", b.d))
	return req, nil
}

func (b *budgeted) Name() string { return b.name }

// Unwrap returns the budgeted stage.
func (b *budgeted) Unwrap() stage.Stage { return b.next }

// Blocks reports true: the budget runs the stage on a goroutine and waits
// for it or its timer, so budgets of parallel branches must overlap.
func (b *budgeted) Blocks() bool { return true }

// Budget returns the duration and the policy, for graphs and plans.
func (b *budgeted) Budget() (time.Duration, Policy) { return b.d, b.policy }

var _ stage.Stage = (*budgeted)(nil)
