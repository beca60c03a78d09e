package server

import (
	"errors"
	"math"
	"runtime"
	"sync"
	"sync/atomic"
	"time"

	"connectrpc.com/connect"
)

// OverloadOptions configure how the server degrades before it fails.
//
// The server keeps a quality factor q in [MinQuality, 1]: sources take q of
// their usual candidates, so each request costs less. After each request,
// if its latency exceeded TargetLatency or more than SoftInFlight requests
// were running, q shrinks by a tenth; otherwise it grows back by a
// hundredth. Requests beyond MaxInFlight are refused at once with
// ResourceExhausted, so queues never grow without bound.
type OverloadOptions struct {
	MaxInFlight   int           // 0 means 256
	SoftInFlight  int           // default MaxInFlight/2
	TargetLatency time.Duration // default 50ms
	MinQuality    float64       // default 0.25
}

type overload struct {
	o        OverloadOptions
	m        *metrics
	procs    int64 // GOMAXPROCS when the server started
	inflight atomic.Int64
	mu       sync.Mutex
	quality  atomic.Uint64 // float64 bits
}

func newOverload(o OverloadOptions, m *metrics) *overload {
	if o.MaxInFlight <= 0 {
		o.MaxInFlight = 256
	}
	if o.SoftInFlight <= 0 || o.SoftInFlight > o.MaxInFlight {
		o.SoftInFlight = max(1, o.MaxInFlight/2)
	}
	if o.TargetLatency <= 0 {
		o.TargetLatency = 50 * time.Millisecond
	}
	if o.MinQuality <= 0 || o.MinQuality > 1 {
		o.MinQuality = 0.25
	}
	ov := &overload{o: o, m: m, procs: int64(runtime.GOMAXPROCS(0))}
	ov.quality.Store(math.Float64bits(1))
	return ov
}

var errOverloaded = errors.New("server is over capacity: too many requests in flight; retry with backoff")

// admit lets a request in, or refuses it when MaxInFlight are running. The
// returned func must be called with the request's latency when it is done.
func (ov *overload) admit() (func(time.Duration), float64, error) {
	n := ov.inflight.Add(1)
	if n > int64(ov.o.MaxInFlight) {
		ov.inflight.Add(-1)
		ov.m.shed.Inc()
		return nil, ov.Quality(), connect.NewError(connect.CodeResourceExhausted, errOverloaded)
	}
	ov.m.inflight.Set(float64(n))
	return func(d time.Duration) {
		left := ov.inflight.Add(-1)
		ov.m.inflight.Set(float64(left))
		ov.observe(d, n)
	}, ov.Quality(), nil
}

// observe adjusts the quality factor after a request that took d with n
// requests in flight.
func (ov *overload) observe(d time.Duration, n int64) {
	ov.mu.Lock()
	defer ov.mu.Unlock()
	q := math.Float64frombits(ov.quality.Load())
	if d > ov.o.TargetLatency || n > int64(ov.o.SoftInFlight) {
		q = max(ov.o.MinQuality, q*0.9)
	} else {
		q = min(1, q+0.01)
	}
	ov.quality.Store(math.Float64bits(q))
	ov.m.quality.Set(q)
}

// busy reports whether there are as many requests in flight as processors
// or more: then pipelines yield between stages (stage.YieldWhen) so that
// the server keeps reading new requests, and admission control sees them,
// while every processor computes. procs is read once, at start-up.
func (ov *overload) busy() bool { return ov.inflight.Load() >= ov.procs }

// Quality returns the current quality factor.
func (ov *overload) Quality() float64 { return math.Float64frombits(ov.quality.Load()) }
