package middleware

import (
	"context"
	"time"

	"github.com/rankflow/rankflow/rank"
	"github.com/rankflow/rankflow/stage"
)

// Explain returns a middleware that, for requests with Options.Debug set,
// records in the request's Trace what the stage did: its name and place in
// the pipeline, its duration, the candidates in and out, each candidate it
// removed with the reason its filter gave (rank.Request.Reject), each one it
// added, and whether it was skipped or failed. Untraced requests pay one nil
// check.
func Explain() stage.Middleware {
	return func(next stage.Stage) stage.Stage {
		name := stage.Name(next)
		return stage.Wrap(name, next, stage.RankFunc(func(ctx context.Context, req *rank.Request) (*rank.Request, error) {
			t := req.Trace
			if t == nil {
				return next.Rank(ctx, req)
			}
			ctx, i := t.Begin(ctx, name)
			before := rank.IDs(req.Candidates)
			start := time.Now()
			resp, err := next.Rank(ctx, req)
			done := resp
			if err != nil {
				done = nil
			}
			t.End(i, time.Since(start), before, done, err)
			return resp, err
		}))
	}
}
