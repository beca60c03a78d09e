package middleware

import (
	"context"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/rankflow/rankflow/rank"
	"github.com/rankflow/rankflow/stage"
)

// Metrics are the per-stage Prometheus metrics Monitor records, labelled by
// pipeline and stage.
type Metrics struct {
	duration      *prometheus.HistogramVec
	candidatesIn  *prometheus.CounterVec
	candidatesOut *prometheus.CounterVec
	errors        *prometheus.CounterVec
}

// NewMetrics creates the stage metrics and registers them with reg.
func NewMetrics(reg prometheus.Registerer) (*Metrics, error) {
	labels := []string{"pipeline", "stage"}
	m := &Metrics{
		duration: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Namespace: "rankflow",
			Subsystem: "stage",
			Name:      "duration_seconds",
			Help:      "Time a stage took to rank a request, including nested stages.",
			Buckets:   []float64{.00005, .0001, .00025, .0005, .001, .0025, .005, .01, .025, .05, .1, .25, .5, 1},
		}, labels),
		candidatesIn: prometheus.NewCounterVec(prometheus.CounterOpts{
			Namespace: "rankflow", Subsystem: "stage", Name: "candidates_in_total",
			Help: "Candidates a stage received.",
		}, labels),
		candidatesOut: prometheus.NewCounterVec(prometheus.CounterOpts{
			Namespace: "rankflow", Subsystem: "stage", Name: "candidates_out_total",
			Help: "Candidates a stage returned.",
		}, labels),
		errors: prometheus.NewCounterVec(prometheus.CounterOpts{
			Namespace: "rankflow", Subsystem: "stage", Name: "errors_total",
			Help: "Requests a stage failed.",
		}, labels),
	}
	for _, c := range []prometheus.Collector{m.duration, m.candidatesIn, m.candidatesOut, m.errors} {
		if err := reg.Register(c); err != nil {
			return nil, err
		}
	}
	return m, nil
}

// Monitor returns a middleware that records, for each request, the stage's
// latency, the candidates it received and returned, and whether it failed,
// labelled with pipeline and the stage's name. The series are resolved when
// the stage is wrapped, not per request.
func Monitor(m *Metrics, pipeline string) stage.Middleware {
	return func(next stage.Stage) stage.Stage {
		name := stage.Name(next)
		duration := m.duration.WithLabelValues(pipeline, name)
		in := m.candidatesIn.WithLabelValues(pipeline, name)
		out := m.candidatesOut.WithLabelValues(pipeline, name)
		errs := m.errors.WithLabelValues(pipeline, name)
		return stage.Wrap(name, next, stage.RankFunc(func(ctx context.Context, req *rank.Request) (*rank.Request, error) {
			start := time.Now()
			in.Add(float64(len(req.Candidates)))
			resp, err := next.Rank(ctx, req)
			duration.Observe(time.Since(start).Seconds())
			if err != nil {
				errs.Inc()
				return resp, err
			}
			if resp != nil {
				out.Add(float64(len(resp.Candidates)))
			}
			return resp, nil
		}))
	}
}
