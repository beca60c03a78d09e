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
// each stage it checks ctx, returning ctx's error once it is done. Nested
// Series are flattened: Series(Series(a, b), c) is Series(a, b, c).
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
	for i, st := range s.stages {
		if i > 0 {
			// A yield point between stages: a request whose stages only
			// compute would otherwise hold its processor until it is done,
			// and a server would read new requests only between whole
			// requests, queueing them where its admission control cannot
			// see them.
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

// Stages returns the stages in the order they run.
func (s *series) Stages() []Stage { return s.stages }

var _ Stage = (*series)(nil)
