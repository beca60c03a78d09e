package server

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"runtime/debug"
	"strconv"
	"strings"
	"time"

	"connectrpc.com/connect"
	rankflowv1 "github.com/rankflow/rankflow/api/rankflow/v1"
	"github.com/rankflow/rankflow/rank"
	"github.com/rankflow/rankflow/stage"
	"github.com/rankflow/rankflow/store/redis"
)

// Class is who a failure is owed to, so an SLO counts only what the platform
// owes.
type Class string

// The failure classes.
const (
	ClassOK         Class = "ok"
	ClassClient     Class = "client"     // a bad request: invalid, unknown pipeline, cancelled by the client
	ClassServer     Class = "server"     // a bug or failure of the platform
	ClassDependency Class = "dependency" // a store or other dependency failed
	ClassOverload   Class = "overload"   // shed or out of time under load
)

// Rank serves the RankingService/Rank RPC over Connect, gRPC-Web and
// HTTP/JSON. gRPC itself is served by grpc-go (see GRPC), through the same
// serve.
func (s *Server) Rank(ctx context.Context, in *connect.Request[rankflowv1.Request]) (*connect.Response[rankflowv1.Request], error) {
	resp, id, err := s.serve(ctx, in.Msg, in.Header().Get("X-Request-Id"))
	if err != nil {
		return nil, err
	}
	out := connect.NewResponse(resp)
	out.Header().Set("X-Request-Id", id)
	return out, nil
}

// serve runs one Rank call for any protocol: it ranks, counts, classifies
// and logs, and returns the response, the request id (the client's, or a new
// one) and an error carrying a Connect code.
func (s *Server) serve(ctx context.Context, msg *rankflowv1.Request, id string) (*rankflowv1.Request, string, error) {
	start := time.Now()
	n := s.reqSeq.Add(1)
	if id == "" {
		id = strconv.FormatUint(n, 36)
	}
	method := msg.GetOptions().GetMethod()
	resp, quality, served, err := s.rank(ctx, msg)
	took := time.Since(start)

	class := classify(err)
	code := "ok"
	if err != nil {
		code = connect.CodeOf(err).String()
	}
	label := "unknown" // a name the client sent that no pipeline has must not make a metric series
	if served {
		label = method
	}
	s.metrics.requests.WithLabelValues(label, code, string(class)).Inc()
	s.metrics.duration.WithLabelValues(label).Observe(took.Seconds())
	if err == nil && len(resp.GetCandidates()) == 0 {
		s.metrics.empty.WithLabelValues(label).Inc()
	}

	// The attributes are built only for a request that is logged: most
	// are not, and this runs for every request.
	attrs := func(last ...any) []any {
		return append([]any{"request_id", id, "pipeline", method, "code", code, "class", class,
			"duration_ms", float64(took.Microseconds()) / 1000, "quality", quality}, last...)
	}
	switch {
	case err != nil && (class == ClassServer || class == ClassDependency):
		s.logger.ErrorContext(ctx, "rank failed", attrs("error", err.Error())...)
	case err != nil:
		s.logger.WarnContext(ctx, "rank rejected", attrs("error", err.Error())...)
	case s.o.AccessLogSample > 0 && n%uint64(s.o.AccessLogSample) == 0:
		s.logger.InfoContext(ctx, "rank", attrs("candidates", len(resp.GetCandidates()))...)
	}
	return resp, id, err
}

// rank ranks msg; served reports whether it named a pipeline of the
// current set (so its name may label metrics).
func (s *Server) rank(ctx context.Context, msg *rankflowv1.Request) (resp *rankflowv1.Request, quality float64, served bool, err error) {
	release, quality, err := s.overload.admit()
	if err != nil {
		_, served = s.lookup(msg.GetOptions().GetMethod())
		return nil, 1, served, err
	}
	start := time.Now()
	defer func() { release(time.Since(start)) }()

	set, done := s.o.Pipelines.Acquire()
	defer done()
	p, served := set.Lookup(msg.GetOptions().GetMethod())
	if err := s.validate(msg); err != nil {
		return nil, quality, served, err
	}
	if !served {
		return nil, quality, false, connect.NewError(connect.CodeNotFound,
			fmt.Errorf("options.method: unknown pipeline %q (known: %s)", msg.GetOptions().GetMethod(), strings.Join(set.Names(), ", ")))
	}
	req, err := rank.FromProto(msg)
	if err != nil {
		return nil, quality, true, connect.NewError(connect.CodeInvalidArgument, err)
	}
	req.Options.Quality = quality
	if _, ok := ctx.Deadline(); !ok {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, s.o.DefaultTimeout)
		defer cancel()
	}
	ranked, err := p.Rank(stage.YieldWhen(ctx, s.overload.busy), req)
	if err != nil {
		return nil, quality, true, s.rankError(ctx, err)
	}
	out := ranked.Response()
	ranked.Release()
	return out, quality, true, nil
}

func (s *Server) validate(msg *rankflowv1.Request) error {
	o := msg.GetOptions()
	switch {
	case o.GetMethod() == "":
		return connect.NewError(connect.CodeInvalidArgument, errors.New("options.method: required: name the pipeline to run"))
	case len(msg.GetCandidates()) > s.o.MaxCandidates:
		return connect.NewError(connect.CodeInvalidArgument,
			fmt.Errorf("candidates: %d candidates, at most %d allowed", len(msg.GetCandidates()), s.o.MaxCandidates))
	case int(o.GetLimit()) > s.o.MaxLimit:
		return connect.NewError(connect.CodeInvalidArgument,
			fmt.Errorf("options.limit: %d is above the maximum of %d", o.GetLimit(), s.o.MaxLimit))
	case o.GetLimit() < 0:
		return connect.NewError(connect.CodeInvalidArgument, fmt.Errorf("options.limit: must not be negative, got %d", o.GetLimit()))
	}
	return nil
}

// rankError maps a pipeline's error to a code.
func (s *Server) rankError(ctx context.Context, err error) error {
	var re *redis.Error
	dl, hasDeadline := ctx.Deadline()
	switch {
	case errors.As(err, &re) && ctx.Err() == nil: // Redis failed or timed out on its own
		return connect.NewError(connect.CodeUnavailable, err)
	case errors.Is(err, context.DeadlineExceeded) || errors.Is(ctx.Err(), context.DeadlineExceeded),
		hasDeadline && !time.Now().Before(dl): // the client gave up at its deadline, a moment before ours fired
		return connect.NewError(connect.CodeDeadlineExceeded, err)
	case errors.Is(err, context.Canceled) || errors.Is(ctx.Err(), context.Canceled):
		return connect.NewError(connect.CodeCanceled, err)
	}
	return connect.NewError(connect.CodeInternal, err)
}

// lookup reports whether name is a pipeline of the current set.
func (s *Server) lookup(name string) (string, bool) {
	set, done := s.o.Pipelines.Acquire()
	defer done()
	_, ok := set.Lookup(name)
	return name, ok
}

// classify returns who owes a failure.
func classify(err error) Class {
	if err == nil {
		return ClassOK
	}
	switch connect.CodeOf(err) {
	case connect.CodeInvalidArgument, connect.CodeNotFound, connect.CodeCanceled, connect.CodeUnauthenticated, connect.CodePermissionDenied:
		return ClassClient
	case connect.CodeResourceExhausted, connect.CodeDeadlineExceeded:
		return ClassOverload
	case connect.CodeUnavailable:
		return ClassDependency
	}
	return ClassServer
}

func (s *Server) recoverRPC(ctx context.Context, spec connect.Spec, _ http.Header, v any) error {
	s.logger.ErrorContext(ctx, "rpc panicked", "procedure", spec.Procedure, "panic", fmt.Sprint(v), "stack", string(debug.Stack()))
	return connect.NewError(connect.CodeInternal, fmt.Errorf("internal error: %v", v))
}
