package middleware

import (
	"context"
	"errors"
	"log/slog"

	"github.com/rankflow/rankflow/rank"
	"github.com/rankflow/rankflow/stage"
)

// Recover returns a middleware that turns a panic in the stage into an error
// naming the stage (a *stage.Error wrapping a *stage.PanicError) and logs the
// panic with its stack on logger.
func Recover(logger *slog.Logger) stage.Middleware {
	return func(next stage.Stage) stage.Stage {
		name := stage.Name(next)
		return stage.Wrap(name, next, stage.RankFunc(func(ctx context.Context, req *rank.Request) (resp *rank.Request, err error) {
			defer func() {
				if v := recover(); v != nil {
					resp, err = nil, stage.Recovered(next, v)
					var pe *stage.PanicError
					errors.As(err, &pe)
					logger.ErrorContext(ctx, "stage panicked", "stage", name, "panic", pe.Value, "stack", string(pe.Stack))
				}
			}()
			return next.Rank(ctx, req)
		}))
	}
}
