// Package loadgen drives a running rankflow server's RankingService/Rank with
// a fixed number of concurrent callers for a bounded time or number of calls,
// and reports throughput, errors by gRPC code and latency percentiles.
//
// Run owns the loop: it starts Options.Concurrency workers, each calling the
// Caller in turn, discards what happens during the warm-up, stops on its own
// after Options.Duration or Options.Requests, or early when its context is
// cancelled, and returns what it measured. Dial builds the Caller for a
// server address with grpc-go or connect-go.
package loadgen

import (
	"context"
	"errors"
	"fmt"
	"net"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	"connectrpc.com/connect"
	rankflowv1 "github.com/rankflow/rankflow/api/rankflow/v1"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/proto"
)

// MaxDuration bounds Options.Duration so that a forgotten load test ends.
const MaxDuration = 10 * time.Minute

// Caller makes one Rank call. It returns the call's error; Run classifies it
// by its gRPC code (see Code). A Caller must be safe for concurrent use and
// must not keep req after it returns: Run reuses it.
type Caller interface {
	Call(ctx context.Context, req *rankflowv1.Request) error
}

// CallerFunc is an adapter to allow the use of ordinary functions as Callers.
type CallerFunc func(ctx context.Context, req *rankflowv1.Request) error

// Call calls f(ctx, req).
func (f CallerFunc) Call(ctx context.Context, req *rankflowv1.Request) error { return f(ctx, req) }

// Options say how hard and how long to drive the server. The zero value is
// not runnable: Duration is required.
type Options struct {
	// Concurrency is the number of calls in flight at all times; 0 means 1.
	Concurrency int
	// Duration is how long to measure after the warm-up; at most MaxDuration.
	Duration time.Duration
	// Warmup is how long to call before measuring; those calls are not
	// counted.
	Warmup time.Duration
	// Requests caps the number of measured calls; 0 means no cap.
	Requests int64
	// Timeout is the deadline of each call; 0 means 1s.
	Timeout time.Duration
	// Request is sent on every call. Run does not modify it.
	Request *rankflowv1.Request
	// Users, if positive, rotates the request's context id over u0..uUsers-1,
	// call after call, so that per-user caches see a realistic spread.
	Users int
}

func (o *Options) validate() error {
	switch {
	case o.Duration <= 0:
		return errors.New("duration must be positive")
	case o.Duration > MaxDuration:
		return fmt.Errorf("duration %v is above the %v limit", o.Duration, MaxDuration)
	case o.Concurrency < 0, o.Warmup < 0, o.Requests < 0, o.Timeout < 0, o.Users < 0:
		return errors.New("concurrency, warm-up, requests, timeout and users must not be negative")
	case o.Request == nil:
		return errors.New("no request")
	}
	return nil
}

// Result is what Run measured, after the warm-up.
type Result struct {
	// Requests counts measured calls: OK plus every error.
	Requests int64
	OK       int64
	// Errors counts failed calls by gRPC code name, such as
	// "DeadlineExceeded".
	Errors map[string]int64
	// Elapsed runs from the end of the warm-up until the last measured call
	// returned.
	Elapsed time.Duration
	// Interrupted is set when the context was cancelled before the run's own
	// end; calls cut short by the cancellation are not counted.
	Interrupted bool
	// Latency is of successful calls only, so that fast failures and timeouts
	// do not hide in it.
	Latency Histogram
}

// Rate returns measured calls per second.
func (r *Result) Rate() float64 {
	if r.Elapsed <= 0 {
		return 0
	}
	return float64(r.Requests) / r.Elapsed.Seconds()
}

// ErrorCount returns the number of failed calls.
func (r *Result) ErrorCount() int64 { return r.Requests - r.OK }

// Code returns the gRPC code of a Caller's error: codes.OK for nil, the
// error's own code if it carries one (grpc-go status errors and connect-go
// errors both do, with the same numbering), codes.DeadlineExceeded or
// codes.Canceled for the context errors, and codes.Unknown otherwise.
func Code(err error) codes.Code {
	if err == nil {
		return codes.OK
	}
	if s, ok := status.FromError(err); ok {
		return s.Code()
	}
	var ce *connect.Error
	if errors.As(err, &ce) {
		return codes.Code(ce.Code())
	}
	switch {
	case errors.Is(err, context.DeadlineExceeded):
		return codes.DeadlineExceeded
	case errors.Is(err, context.Canceled):
		return codes.Canceled
	}
	return codes.Unknown
}

// worker is one caller's state; only Run's final merge reads it.
type worker struct {
	req    *rankflowv1.Request
	hist   Histogram
	ok     int64
	errs   [codes.Unauthenticated + 1]int64
	other  map[codes.Code]int64
	finish time.Time
}

func (w *worker) fail(c codes.Code) {
	if int(c) < len(w.errs) {
		w.errs[c]++
		return
	}
	if w.other == nil {
		w.other = map[codes.Code]int64{}
	}
	w.other[c]++
}

// Run calls c with opts until the duration has passed after the warm-up, the
// measured calls reach opts.Requests, or ctx is cancelled, whichever comes
// first, and returns what it measured. Calls in flight at the end run to
// completion (bounded by opts.Timeout); on cancellation they are cut short
// and not counted, and the result is marked Interrupted. Run returns an error
// only for invalid options.
func Run(ctx context.Context, c Caller, opts Options) (*Result, error) {
	if err := opts.validate(); err != nil {
		return nil, err
	}
	conc := max(opts.Concurrency, 1)
	timeout := opts.Timeout
	if timeout == 0 {
		timeout = time.Second
	}
	var users []string
	if opts.Users > 0 {
		users = make([]string, opts.Users)
		for i := range users {
			users[i] = "u" + strconv.Itoa(i)
		}
	}

	start := time.Now()
	measureFrom := start.Add(opts.Warmup)
	end := measureFrom.Add(opts.Duration)
	var (
		issued atomic.Int64 // measured calls started
		seq    atomic.Uint64
		done   atomic.Bool // set when the request cap is reached
	)
	workers := make([]worker, conc)
	var wg sync.WaitGroup
	for i := range workers {
		w := &workers[i]
		w.req = proto.CloneOf(opts.Request)
		if users != nil && w.req.Context == nil {
			w.req.Context = &rankflowv1.Entity{}
		}
		wg.Go(func() {
			for !done.Load() && ctx.Err() == nil {
				now := time.Now()
				if !now.Before(end) {
					return
				}
				measured := !now.Before(measureFrom)
				if measured && opts.Requests > 0 && issued.Add(1) > opts.Requests {
					done.Store(true)
					return
				}
				if users != nil {
					w.req.Context.Id = users[(seq.Add(1)-1)%uint64(len(users))]
				}
				cctx, cancel := context.WithTimeout(ctx, timeout)
				t0 := time.Now()
				err := c.Call(cctx, w.req)
				took := time.Since(t0)
				cancel()
				if !measured {
					continue
				}
				if err != nil && ctx.Err() != nil {
					return // cut short by the caller's cancellation
				}
				w.finish = t0.Add(took)
				if err == nil {
					w.ok++
					w.hist.Record(took)
					continue
				}
				w.fail(Code(err))
			}
		})
	}
	wg.Wait()

	res := &Result{Interrupted: ctx.Err() != nil}
	last := measureFrom
	for i := range workers {
		w := &workers[i]
		res.OK += w.ok
		res.Requests += w.ok
		res.Latency.Merge(&w.hist)
		for code, n := range w.errs {
			res.addError(codes.Code(code), n)
		}
		for code, n := range w.other {
			res.addError(code, n)
		}
		if w.finish.After(last) {
			last = w.finish
		}
	}
	res.Elapsed = last.Sub(measureFrom)
	return res, nil
}

func (r *Result) addError(c codes.Code, n int64) {
	if n == 0 {
		return
	}
	if r.Errors == nil {
		r.Errors = map[string]int64{}
	}
	r.Errors[c.String()] += n
	r.Requests += n
}

// IsLoopback reports whether addr, a host:port, names this machine: an empty
// host, "localhost" or a loopback IP address. Host names other than localhost
// are not resolved and are not loopback.
func IsLoopback(addr string) bool {
	host, _, err := net.SplitHostPort(addr)
	if err != nil {
		return false
	}
	if host == "" || host == "localhost" {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}
