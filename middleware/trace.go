package middleware

import (
	"context"

	"github.com/rankflow/rankflow/rank"
	"github.com/rankflow/rankflow/stage"
	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/codes"
	"go.opentelemetry.io/otel/trace"
)

// Trace returns a middleware that opens an OpenTelemetry span per stage run,
// named after the stage, with the pipeline and the candidates in and out as
// attributes and the error, if any, as the span's status.
func Trace(tracer trace.Tracer, pipeline string) stage.Middleware {
	return func(next stage.Stage) stage.Stage {
		name := stage.Name(next)
		return stage.Wrap(name, next, stage.RankFunc(func(ctx context.Context, req *rank.Request) (*rank.Request, error) {
			ctx, span := tracer.Start(ctx, name)
			defer span.End()
			if !span.IsRecording() {
				return next.Rank(ctx, req)
			}
			span.SetAttributes(
				attribute.String("rankflow.pipeline", pipeline),
				attribute.Int("rankflow.candidates_in", len(req.Candidates)),
			)
			resp, err := next.Rank(ctx, req)
			if err != nil {
				span.RecordError(err)
				span.SetStatus(codes.Error, err.Error())
				return resp, err
			}
			if resp != nil {
				span.SetAttributes(attribute.Int("rankflow.candidates_out", len(resp.Candidates)))
			}
			return resp, nil
		}))
	}
}
