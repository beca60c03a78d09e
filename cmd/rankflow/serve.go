package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"os/signal"
	"runtime/debug"
	"strings"
	"syscall"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/rankflow/rankflow/middleware"
	"github.com/rankflow/rankflow/pipeline"
	"github.com/rankflow/rankflow/pipeline/flags"
	"github.com/rankflow/rankflow/server"
	"github.com/rankflow/rankflow/stage"
)

// durationValue is a flag.Value for time.Duration that prints like the
// input.
type durationValue struct{ d time.Duration }

func (d *durationValue) String() string { return d.d.String() }
func (d *durationValue) Set(s string) error {
	v, err := time.ParseDuration(s)
	if err != nil {
		return fmt.Errorf("%q is not a duration such as 250ms or 10s", s)
	}
	if v < 0 {
		return fmt.Errorf("duration %s must not be negative", s)
	}
	d.d = v
	return nil
}

type serveConfig struct {
	b               backendFlags
	listen          string
	watch           bool
	adminToken      string
	maxRequestBytes int
	maxCandidates   int
	maxLimit        int
	defaultTimeout  durationValue
	maxInFlight     int
	targetLatency   durationValue
	minQuality      float64
	shutdownGrace   durationValue
	logLevel        string
	logFormat       string
	accessLogSample int
	configFile      string
	flagsFile       string
	flagsRedisKey   string
	flagsInterval   durationValue
	otlpEndpoint    string
	traceSample     float64
	gcPercent       int
	memoryLimit     int
}

func runServe(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := newFlagSet("serve", "", stderr)
	var c serveConfig
	s := newSettings(fs)
	s.String(&c.listen, "listen", "127.0.0.1:8080", "address to serve gRPC, gRPC-Web, HTTP/JSON, metrics and admin on")
	s.String(&c.b.config, "config", "", "directory of pipeline configs (default: the embedded example feeds)")
	s.Bool(&c.watch, "watch", true, "reload pipelines when a file under --config changes")
	s.String(&c.b.redis, "redis", "", "Redis address(es), comma-separated; several mean a Redis Cluster (default: the in-memory store with the demo world)")
	s.String(&c.b.prefix, "redis-prefix", "", "prefix of every Redis key")
	s.Bool(&c.b.cluster, "redis-cluster", false, "treat a single --redis address as a cluster seed")
	s.String(&c.b.dataset, "dataset", "", "dataset file for the in-memory store (default: the generated demo world)")
	s.Bool(&c.b.noCache, "no-cache", false, "do not cache Redis reads in the process")
	s.String(&c.flagsFile, "flags-file", "", "YAML file of live flags (kill switches, params), reloaded when it changes and on SIGHUP")
	s.String(&c.flagsRedisKey, "flags-redis-key", "", "Redis hash of live flags in the --redis store, polled every --flags-interval")
	s.Duration(&c.flagsInterval, "flags-interval", "1s", "how often the --flags-redis-key hash is read")
	s.String(&c.otlpEndpoint, "otlp-endpoint", "", "OTLP/gRPC collector (host:port, no TLS) to send a span per stage to; empty: no tracing")
	s.Float(&c.traceSample, "trace-sample", 0.01, "fraction of requests traced when --otlp-endpoint is set")
	s.Int(&c.gcPercent, "gc-percent", 400, "garbage collector target, as GOGC: higher spends memory to save CPU (-1: keep the runtime's GOGC)")
	s.Int(&c.memoryLimit, "memory-limit-mb", 0, "soft memory limit in MiB, as GOMEMLIMIT, that makes the collector work harder near it (0: none)")
	s.String(&c.adminToken, "admin-token", "", "token for the admin API, console data and pprof (empty: admin disabled)")
	s.Int(&c.maxRequestBytes, "max-request-bytes", server.DefaultMaxRequestBytes, "largest request accepted, in bytes")
	s.Int(&c.maxCandidates, "max-candidates", server.DefaultMaxCandidates, "most candidates a request may carry")
	s.Int(&c.maxLimit, "max-limit", server.DefaultMaxLimit, "largest options.limit accepted")
	s.Duration(&c.defaultTimeout, "default-timeout", "1s", "deadline of a request whose client sets none")
	s.Int(&c.maxInFlight, "max-inflight", 256, "requests served at once; more are refused with ResourceExhausted")
	s.Duration(&c.targetLatency, "target-latency", "50ms", "latency above which the server degrades (fetches fewer candidates)")
	s.Float(&c.minQuality, "min-quality", 0.25, "lowest fraction of candidates fetched when degrading")
	s.Duration(&c.shutdownGrace, "shutdown-grace", "10s", "how long requests in flight may finish after SIGTERM")
	s.String(&c.logLevel, "log-level", "info", "debug, info, warn or error")
	s.String(&c.logFormat, "log-format", "json", "json or text")
	s.Int(&c.accessLogSample, "access-log-sample", 100, "log one successful request in this many (0: none)")
	fs.StringVar(&c.configFile, "config-file", os.Getenv("RANKFLOW_CONFIG_FILE"), "YAML file of settings named as the flags (env RANKFLOW_CONFIG_FILE); flags > environment > file > defaults")
	if err := parse(fs, args); err != nil {
		return err
	}
	if fs.NArg() > 0 {
		return fmt.Errorf("unexpected argument %q", fs.Arg(0))
	}
	if err := s.resolve(c.configFile); err != nil {
		return err
	}
	logger, err := newLogger(stderr, c.logLevel, c.logFormat)
	if err != nil {
		return err
	}
	return serve(ctx, c, logger, stdout)
}

func newLogger(w io.Writer, level, format string) (*slog.Logger, error) {
	var l slog.Level
	if err := l.UnmarshalText([]byte(level)); err != nil {
		return nil, fmt.Errorf("--log-level: %q is not debug, info, warn or error", level)
	}
	o := &slog.HandlerOptions{Level: l}
	switch format {
	case "json":
		return slog.New(slog.NewJSONHandler(w, o)), nil
	case "text":
		return slog.New(slog.NewTextHandler(w, o)), nil
	}
	return nil, fmt.Errorf("--log-format: %q is not json or text", format)
}

func serve(ctx context.Context, c serveConfig, logger *slog.Logger, stdout io.Writer) error {
	if c.gcPercent >= 0 {
		debug.SetGCPercent(c.gcPercent)
	}
	if c.memoryLimit > 0 {
		debug.SetMemoryLimit(int64(c.memoryLimit) << 20)
	}
	st, release, err := c.b.openStore(ctx)
	if err != nil {
		return err
	}
	defer release()

	reg := prometheus.NewRegistry()
	reg.MustRegister(collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	stageMetrics, err := middleware.NewMetrics(reg)
	if err != nil {
		return err
	}
	runCtx, stopRun := context.WithCancel(context.Background())
	defer stopRun()
	live, reloadFlags, err := openFlags(ctx, runCtx, c, logger)
	if err != nil {
		return err
	}
	env := c.b.env(st, logger)
	env.Params = live
	env.Metrics = reg
	tracer, stopTracing, err := startTracing(ctx, c.otlpEndpoint, c.traceSample)
	if err != nil {
		return err
	}
	defer func() {
		sctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		if err := stopTracing(sctx); err != nil {
			logger.Warn("flushing traces", "error", err.Error())
		}
	}()
	load := func() (*pipeline.Set, error) {
		files, err := c.b.configFiles()
		if err != nil {
			return nil, err
		}
		return pipeline.Parse(files, pipeline.Options{
			Env: env,
			Middleware: func(name string) stage.Middleware {
				return middleware.Default(middleware.Options{Pipeline: name, Logger: logger, Metrics: stageMetrics, Flags: live, Tracer: tracer})
			},
		})
	}
	holder, err := pipeline.NewHolder(load, logger, reg)
	if err != nil {
		return err
	}
	defer holder.Close()

	srv, err := server.New(server.Options{
		Pipelines:       holder,
		Logger:          logger,
		Metrics:         reg,
		AdminToken:      c.adminToken,
		MaxRequestBytes: c.maxRequestBytes,
		MaxCandidates:   c.maxCandidates,
		MaxLimit:        c.maxLimit,
		DefaultTimeout:  c.defaultTimeout.d,
		AccessLogSample: c.accessLogSample,
		Flags: func() any {
			set, st := live.Current(), live.Status()
			out := map[string]any{"kill": set.Kills(), "params": set.Params(), "generation": st.Generation}
			if st.Err != nil {
				out["error"] = st.Err.Error()
			}
			return out
		},
		Overload: server.OverloadOptions{
			MaxInFlight:   c.maxInFlight,
			TargetLatency: c.targetLatency.d,
			MinQuality:    c.minQuality,
		},
	})
	if err != nil {
		return err
	}

	ln, err := net.Listen("tcp", c.listen)
	if err != nil {
		return err
	}
	hs := &http.Server{
		ReadHeaderTimeout: 10 * time.Second,
		IdleTimeout:       2 * time.Minute,
		ErrorLog:          slog.NewLogLogger(logger.Handler(), slog.LevelWarn),
	}
	if c.b.config != "" && c.watch {
		go func() {
			if err := holder.Watch(runCtx, c.b.config, 200*time.Millisecond); err != nil {
				logger.Error("watching pipeline configs stopped", "error", err.Error())
			}
		}()
	}
	hup := make(chan os.Signal, 1)
	signal.Notify(hup, syscall.SIGHUP)
	defer signal.Stop(hup)
	go func() {
		for {
			select {
			case <-runCtx.Done():
				return
			case <-hup:
				logger.Info("SIGHUP: reloading pipelines and flags")
				_ = holder.Reload() // logged and kept in the status
				if reloadFlags != nil {
					_ = reloadFlags() // logged and kept in the flags' status
				}
			}
		}
	}()

	set, done := holder.Acquire()
	names := set.Names()
	done()
	backend := "memory (demo world)"
	if c.b.redis != "" {
		backend = "redis " + c.b.redis
	} else if c.b.dataset != "" {
		backend = "memory (" + c.b.dataset + ")"
	}
	logger.Info("serving", "addr", ln.Addr().String(), "pipelines", names, "store", backend, "admin", c.adminToken != "")
	fmt.Fprintf(stdout, "rankflow serving %s on %s\n", strings.Join(names, ", "), ln.Addr())

	errc := make(chan error, 1)
	go func() { errc <- srv.Serve(ln, hs) }()
	select {
	case err := <-errc:
		return err
	case <-ctx.Done():
	}
	logger.Info("shutting down: draining requests in flight", "grace", c.shutdownGrace.d.String())
	srv.Drain()
	sctx, cancel := context.WithTimeout(context.Background(), c.shutdownGrace.d)
	defer cancel()
	if err := srv.Shutdown(sctx, ln); err != nil && !errors.Is(err, http.ErrServerClosed) {
		return fmt.Errorf("shutdown: %w", err)
	}
	logger.Info("stopped")
	return nil
}

// liveFlags is where kill switches and params come from.
type liveFlags interface {
	middleware.Flags
	Float(name string) (float64, bool)
	Current() *flags.Set
	Status() flags.Status
}

// openFlags starts the live flags source the settings name (a file, a
// Redis hash, or none) and returns it with its reload func (nil if none).
func openFlags(ctx, runCtx context.Context, c serveConfig, logger *slog.Logger) (liveFlags, func() error, error) {
	switch {
	case c.flagsFile != "" && c.flagsRedisKey != "":
		return nil, nil, errors.New("--flags-file and --flags-redis-key: choose one source of flags")
	case c.flagsFile != "":
		src, err := flags.File(c.flagsFile, flags.WithLogger(logger))
		if err != nil {
			return nil, nil, err
		}
		go func() {
			if err := src.Watch(runCtx); err != nil {
				logger.Error("watching the flags file stopped", "file", c.flagsFile, "error", err.Error())
			}
		}()
		return src, src.Reload, nil
	case c.flagsRedisKey != "":
		if c.b.client == nil {
			return nil, nil, errors.New("--flags-redis-key needs --redis")
		}
		src := flags.Redis(c.b.client, c.b.prefix+c.flagsRedisKey, flags.WithLogger(logger), flags.WithInterval(c.flagsInterval.d))
		if err := src.Reload(ctx); err != nil {
			logger.Warn("live flags not loaded yet; serving without kill switches until they are", "error", err.Error())
		}
		go src.Run(runCtx)
		return src, func() error { return src.Reload(runCtx) }, nil
	}
	return new(flags.Source), nil, nil
}
