// Package server serves pipelines: the Rank RPC over gRPC, gRPC-Web and
// Connect (HTTP/JSON) on one port, with gRPC reflection and health,
// Prometheus metrics, liveness and readiness probes, and an admin API and
// console behind a token.
//
// Serve splits the port by the first bytes of each connection: one that
// opens with the HTTP/2 preface is a gRPC client and goes to grpc-go, which
// costs less than half the CPU per call of serving gRPC through net/http;
// everything else is HTTP/1.1 for net/http with connect-go (Connect JSON,
// gRPC-Web, metrics, probes, admin). A Connect or gRPC-Web client that
// speaks cleartext HTTP/2 is therefore not served; use HTTP/1.1, or TLS in
// front of the server.
//
// Errors become gRPC codes and HTTP statuses here and nowhere else: a bad
// request is InvalidArgument naming the field, an unknown pipeline NotFound
// listing the known ones, an expired deadline DeadlineExceeded, a failing
// store Unavailable, and load the server sheds ResourceExhausted.
package server

import (
	"errors"
	"log/slog"
	"net/http"
	"sync"
	"sync/atomic"
	"time"

	"connectrpc.com/connect"
	"connectrpc.com/grpchealth"
	"connectrpc.com/grpcreflect"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/promhttp"
	"github.com/rankflow/rankflow/api/rankflow/v1/rankflowv1connect"
	"github.com/rankflow/rankflow/pipeline"
	"google.golang.org/grpc"
	"google.golang.org/grpc/health"
)

// Options configure a Server. Zero limits take the defaults below.
type Options struct {
	// Pipelines serves the current pipeline set; required.
	Pipelines *pipeline.Holder
	// Reload rebuilds the pipelines (admin reload); nil means
	// Pipelines.Reload.
	Reload func() error
	Logger *slog.Logger
	// Metrics is where the server's and the stages' metrics are registered
	// and what /metrics serves; nil means a new registry.
	Metrics *prometheus.Registry
	// AdminToken guards the admin API, the console's data and pprof. Empty
	// disables them.
	AdminToken string
	// Flags, if set, returns what the admin API shows of the live flags.
	Flags func() any

	MaxRequestBytes int           // default 4 MiB
	MaxCandidates   int           // candidates a request may carry; default 10,000
	MaxLimit        int           // largest options.limit; default 1,000
	DefaultTimeout  time.Duration // when the client sets no deadline; default 1s
	// AccessLogSample logs one request in this many at info level (0: none);
	// failures are always logged.
	AccessLogSample int

	Overload OverloadOptions
}

// Defaults for Options.
const (
	DefaultMaxRequestBytes = 4 << 20
	DefaultMaxCandidates   = 10_000
	DefaultMaxLimit        = 1_000
	DefaultTimeout         = time.Second
)

// Server is the rankflow service. It is safe for concurrent use.
type Server struct {
	o        Options
	logger   *slog.Logger
	metrics  *metrics
	overload *overload
	health   *grpchealth.StaticChecker
	draining atomic.Bool
	reqSeq   atomic.Uint64
	handler  http.Handler

	grpc       *grpc.Server
	grpcHealth *health.Server
	closing    atomic.Bool
	mu         sync.Mutex
	hs         *http.Server
	listeners  []*chanListener
}

// HealthService is the name the gRPC health service reports Rank under.
const HealthService = rankflowv1connect.RankingServiceName

// New returns a server for o.
func New(o Options) (*Server, error) {
	if o.Pipelines == nil {
		return nil, errors.New("server: no pipelines")
	}
	if o.Logger == nil {
		o.Logger = slog.Default()
	}
	if o.Metrics == nil {
		o.Metrics = prometheus.NewRegistry()
	}
	if o.Reload == nil {
		o.Reload = o.Pipelines.Reload
	}
	if o.MaxRequestBytes <= 0 {
		o.MaxRequestBytes = DefaultMaxRequestBytes
	}
	if o.MaxCandidates <= 0 {
		o.MaxCandidates = DefaultMaxCandidates
	}
	if o.MaxLimit <= 0 {
		o.MaxLimit = DefaultMaxLimit
	}
	if o.DefaultTimeout <= 0 {
		o.DefaultTimeout = DefaultTimeout
	}
	m, err := newMetrics(o.Metrics)
	if err != nil {
		return nil, err
	}
	s := &Server{o: o, logger: o.Logger, metrics: m, health: grpchealth.NewStaticChecker(HealthService)}
	s.overload = newOverload(o.Overload, m)

	mux := http.NewServeMux()
	path, h := rankflowv1connect.NewRankingServiceHandler(s,
		connect.WithReadMaxBytes(o.MaxRequestBytes),
		connect.WithRecover(s.recoverRPC),
	)
	mux.Handle(path, h)
	reflector := grpcreflect.NewStaticReflector(rankflowv1connect.RankingServiceName, grpchealth.HealthV1ServiceName)
	mux.Handle(grpcreflect.NewHandlerV1(reflector))
	mux.Handle(grpcreflect.NewHandlerV1Alpha(reflector))
	mux.Handle(grpchealth.NewHandler(s.health))
	mux.Handle("GET /metrics", promhttp.HandlerFor(o.Metrics, promhttp.HandlerOpts{Registry: o.Metrics}))
	mux.HandleFunc("GET /healthz", func(w http.ResponseWriter, _ *http.Request) { w.Write([]byte("ok\n")) })
	mux.HandleFunc("GET /readyz", s.ready)
	s.adminRoutes(mux)
	s.handler = mux
	s.grpc, s.grpcHealth = s.newGRPC()
	return s, nil
}

// Handler returns the server's HTTP handler: Connect, gRPC-Web and
// HTTP/JSON for Rank (and gRPC too, when served over HTTP/2 cleartext, as
// Protocols allows), metrics, probes and admin. Serve uses it beside the
// faster grpc-go server for gRPC clients.
func (s *Server) Handler() http.Handler { return s.handler }

// Protocols are the protocols an http.Server serving Handler on its own
// should accept: HTTP/1.1, and HTTP/2 without TLS for gRPC clients.
func Protocols() *http.Protocols {
	p := new(http.Protocols)
	p.SetHTTP1(true)
	p.SetUnencryptedHTTP2(true)
	return p
}

// Drain marks the server as shutting down: readiness and gRPC health report
// not serving, so load balancers stop sending requests, while requests in
// flight finish. Stop accepting connections with Shutdown after.
func (s *Server) Drain() {
	s.draining.Store(true)
	s.health.SetStatus(HealthService, grpchealth.StatusNotServing)
	s.health.SetStatus("", grpchealth.StatusNotServing)
	s.grpcHealth.Shutdown()
}

func (s *Server) ready(w http.ResponseWriter, _ *http.Request) {
	if s.draining.Load() {
		http.Error(w, "draining\n", http.StatusServiceUnavailable)
		return
	}
	set, done := s.o.Pipelines.Acquire()
	n := len(set.Names())
	done()
	if n == 0 {
		http.Error(w, "no pipelines loaded\n", http.StatusServiceUnavailable)
		return
	}
	w.Write([]byte("ready\n"))
}

// MetricsRegistry returns the registry /metrics serves, for the stages'
// metrics.
func (s *Server) MetricsRegistry() *prometheus.Registry { return s.o.Metrics }
