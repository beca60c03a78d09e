package middleware

import (
	"context"
	"errors"
	"log/slog"

	"github.com/rankflow/rankflow/rank"
	"github.com/rankflow/rankflow/stage"
)

// Bounds on what Log writes for one failure.
const (
	logMaxCandidates = 20
	logMaxBytes      = 8 << 10
)

// contextDone reports whether err is the request's context ending (its
// deadline or its client going away): not a failure of the stage, and
// logged once by the server.
func contextDone(err error) bool {
	return errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded)
}

// Log returns a middleware that logs a stage's failure at error level with
// the stage's name, the error, and the request and response as JSON (at most
// 20 candidates and 8 KiB each). Stages modify requests in place, so the
// request is logged as the failing stage left it. Only the innermost stage
// that failed logs; the meta-stages around it pass the error on silently.
// A request whose context ended (deadline, cancellation) is not logged here.
func Log(logger *slog.Logger) stage.Middleware {
	return func(next stage.Stage) stage.Stage {
		name := stage.Name(next)
		return stage.Wrap(name, next, stage.RankFunc(func(ctx context.Context, req *rank.Request) (*rank.Request, error) {
			resp, err := next.Rank(ctx, req)
			if err != nil && !loggedBelow(err, name) && !contextDone(err) {
				logger.ErrorContext(ctx, "stage failed",
					"stage", name,
					"pipeline", req.Options.Method,
					"error", err.Error(),
					"request", req.JSON(logMaxCandidates, logMaxBytes),
					"response", resp.JSON(logMaxCandidates, logMaxBytes),
				)
			}
			return resp, err
		}))
	}
}

// loggedBelow reports whether err already names a stage other than name,
// which a nested Log has then logged. It looks through wrapping and joined
// errors, such as the one Parallel's strategy builds from its branches'.
func loggedBelow(err error, name string) bool {
	var se *stage.Error
	return errors.As(err, &se) && se.Stage != name
}
