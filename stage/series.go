package stage

import (
	"context"
	"errors"
	"fmt"
	"runtime"

	"github.com/rankflow/rankflow/rank"
)

// Series returns a stage that runs stages one after another, each on the
// request the previous one returned. It stops at the first error, and before
// each stage it checks ctx, returning ctx's error once it is done. Between
// stages it yields its processor when ctx asks (YieldWhen). Nested Series
// are flattened: Series(Series(a, b), c) is Series(a, b, c).
func Series(stages ...Stage) Stage {
	flat := make([]Stage, 0, len(stages))
	for _, s := range stages {
		if inner, ok := s.(*series); ok {
			flat = append(flat, inner.stages...)
			continue
		}
		flat = append(flat, s)
	}
	return &series{stages: flat}
}

type series struct {
	stages []Stage
}

func (s *series) Rank(ctx context.Context, req *rank.Request) (*rank.Request, error) {
	busy, _ := ctx.Value(yieldKey{}).(func() bool)
	for i, st := range s.stages {
		if i > 0 && busy != nil && busy() {
			runtime.Gosched()
		}
		if err := ctx.Err(); err != nil {
			// Name the stage that never ran as such, so the error does not
			// read as if it failed.
			return nil, &Error{Stage: Name(st), Err: fmt.Errorf("did not start: %w", err)}
		}
		resp, err := st.Rank(ctx, req)
		if err != nil {
			return nil, wrapErr(st, err)
		}
		if resp == nil {
			return nil, &Error{Stage: Name(st), Err: errors.New("returned no request and no error")}
		}
		req = resp
	}
	return req, nil
}

func (s *series) Name() string { return "series" }

type yieldKey struct{}

// YieldWhen returns a context under which Series yields its processor
// (runtime.Gosched) between stages whenever busy reports true. A server
// passes it with a busy that reports more requests in flight than
// processors: a request whose stages only compute would otherwise hold its
// processor until it is done, so the server would read new requests only
// between whole requests, queueing them where its admission control cannot
// see them. Without contention a yield only costs (it wakes an idle
// processor to look for work), so Series does not yield by default. busy
// is called between every two stages and must be cheap and safe for
// concurrent use.
func YieldWhen(ctx context.Context, busy func() bool) context.Context {
	return context.WithValue(ctx, yieldKey{}, busy)
}

// Stages returns the stages in the order they run.
func (s *series) Stages() []Stage { return s.stages }

var _ Stage = (*series)(nil)
