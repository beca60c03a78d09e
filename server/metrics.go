package server

import "github.com/prometheus/client_golang/prometheus"

type metrics struct {
	requests *prometheus.CounterVec
	duration *prometheus.HistogramVec
	empty    *prometheus.CounterVec
	inflight prometheus.Gauge
	quality  prometheus.Gauge
	shed     prometheus.Counter
}

func newMetrics(reg prometheus.Registerer) (*metrics, error) {
	m := &metrics{
		requests: prometheus.NewCounterVec(prometheus.CounterOpts{
			Namespace: "rankflow", Name: "requests_total",
			Help: "Rank requests by pipeline, gRPC code and failure class (ok, client, server, dependency, overload).",
		}, []string{"pipeline", "code", "class"}),
		duration: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Namespace: "rankflow", Name: "request_duration_seconds",
			Help:    "Time to serve a Rank request.",
			Buckets: []float64{.0005, .001, .0025, .005, .01, .025, .05, .1, .25, .5, 1, 2.5},
		}, []string{"pipeline"}),
		empty: prometheus.NewCounterVec(prometheus.CounterOpts{
			Namespace: "rankflow", Name: "empty_responses_total",
			Help: "Successful Rank requests that returned no candidates.",
		}, []string{"pipeline"}),
		inflight: prometheus.NewGauge(prometheus.GaugeOpts{
			Namespace: "rankflow", Name: "inflight_requests",
			Help: "Rank requests being served.",
		}),
		quality: prometheus.NewGauge(prometheus.GaugeOpts{
			Namespace: "rankflow", Name: "quality_factor",
			Help: "Fraction of the usual candidates fetched and scored; below 1 while degrading under load.",
		}),
		shed: prometheus.NewCounter(prometheus.CounterOpts{
			Namespace: "rankflow", Name: "shed_requests_total",
			Help: "Rank requests refused with ResourceExhausted because the server was over capacity.",
		}),
	}
	for _, c := range []prometheus.Collector{m.requests, m.duration, m.empty, m.inflight, m.quality, m.shed} {
		if err := reg.Register(c); err != nil {
			return nil, err
		}
	}
	m.quality.Set(1)
	return m, nil
}
