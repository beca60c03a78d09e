package middleware

import (
	"log/slog"

	"github.com/rankflow/rankflow/stage"
	"go.opentelemetry.io/otel"
	"go.opentelemetry.io/otel/trace"
)

// Options configure Default. The zero value is usable: it logs with
// slog.Default and leaves out tracing, metrics and kill switches.
type Options struct {
	// Pipeline names the pipeline in metrics, spans and flag lookups.
	Pipeline string
	Logger   *slog.Logger
	Metrics  *Metrics     // nil: no Monitor
	Flags    Flags        // nil: no KillSwitch
	Tracer   trace.Tracer // nil: no Trace (see Tracer for the global provider's)
}

// Default returns the middlewares the platform wraps around every stage, in
// this order from the outside in: Trace, Explain, KillSwitch, Monitor, Log,
// Recover (leaving out those Options turn off). Tracing is opt-in because
// even a no-op global tracer costs about 5% of a fast pipeline. A killed stage thus still shows in traces and the explain output,
// and a panic is counted and logged as the stage's error.
func Default(o Options) stage.Middleware {
	logger := o.Logger
	if logger == nil {
		logger = slog.Default()
	}
	var mws []stage.Middleware
	if o.Tracer != nil {
		mws = append(mws, Trace(o.Tracer, o.Pipeline))
	}
	mws = append(mws, Explain())
	if o.Flags != nil {
		mws = append(mws, KillSwitch(o.Flags, o.Pipeline))
	}
	if o.Metrics != nil {
		mws = append(mws, Monitor(o.Metrics, o.Pipeline))
	}
	mws = append(mws, Log(logger), Recover(logger))
	return stage.Chain(mws[0], mws[1:]...)
}

// Tracer returns the global OpenTelemetry provider's tracer for rankflow,
// for Options.Tracer when a provider is configured.
func Tracer() trace.Tracer { return otel.Tracer("github.com/rankflow/rankflow") }
