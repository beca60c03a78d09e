package loadgen

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"connectrpc.com/connect"
	rankflowv1 "github.com/rankflow/rankflow/api/rankflow/v1"
	"github.com/rankflow/rankflow/api/rankflow/v1/rankflowv1connect"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
)

// okDelay is how long the fake service takes to answer a call it accepts.
const okDelay = 2 * time.Millisecond

// fakeRanker answers by the request's context id: u7 is Unavailable, u8 is
// InvalidArgument, u9 never answers (the caller's deadline passes), and every
// other id gets its request back after okDelay.
type fakeRanker struct {
	calls atomic.Int64
	mu    sync.Mutex
	seen  map[string]int
}

func (f *fakeRanker) Rank(ctx context.Context, req *connect.Request[rankflowv1.Request]) (*connect.Response[rankflowv1.Request], error) {
	f.calls.Add(1)
	id := req.Msg.GetContext().GetId()
	f.mu.Lock()
	if f.seen == nil {
		f.seen = map[string]int{}
	}
	f.seen[req.Msg.GetOptions().GetMethod()+"/"+id]++
	f.mu.Unlock()
	switch id {
	case "u7":
		return nil, connect.NewError(connect.CodeUnavailable, errors.New("shedding load"))
	case "u8":
		return nil, connect.NewError(connect.CodeInvalidArgument, errors.New("bad request"))
	case "u9":
		select {
		case <-ctx.Done():
			return nil, ctx.Err()
		case <-time.After(time.Minute):
			return nil, errors.New("caller kept no deadline")
		}
	}
	time.Sleep(okDelay)
	return connect.NewResponse(req.Msg), nil
}

// serve starts f behind connect-go on a loopback port that speaks HTTP/1.1
// and HTTP/2 cleartext, as `rankflow serve` does, and returns its address.
func serve(t *testing.T, f *fakeRanker) string {
	t.Helper()
	mux := http.NewServeMux()
	mux.Handle(rankflowv1connect.NewRankingServiceHandler(f))
	srv := httptest.NewUnstartedServer(mux)
	srv.Config.Protocols = new(http.Protocols)
	srv.Config.Protocols.SetHTTP1(true)
	srv.Config.Protocols.SetUnencryptedHTTP2(true)
	srv.Start()
	t.Cleanup(srv.Close)
	return srv.Listener.Addr().String()
}

func dial(t *testing.T, addr string, p Protocol, conc int) *Client {
	t.Helper()
	c, err := Dial(addr, p, conc)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	return c
}

func popular() *rankflowv1.Request {
	return &rankflowv1.Request{Options: &rankflowv1.Options{Method: "popular", Limit: 25}}
}

func TestRunCountsAndClassifies(t *testing.T) {
	for _, p := range Protocols {
		t.Run(string(p), func(t *testing.T) {
			f := &fakeRanker{}
			addr := serve(t, f)
			res, err := Run(context.Background(), dial(t, addr, p, 4), Options{
				Concurrency: 4,
				Duration:    time.Minute,
				Requests:    100,
				Timeout:     300 * time.Millisecond,
				Request:     popular(),
				Users:       10,
			})
			if err != nil {
				t.Fatal(err)
			}
			want := map[string]int64{"Unavailable": 10, "InvalidArgument": 10, "DeadlineExceeded": 10}
			if res.Requests != 100 || res.OK != 70 || !maps.Equal(res.Errors, want) {
				t.Errorf("requests %d, ok %d, errors %v; want 100, 70, %v", res.Requests, res.OK, res.Errors, want)
			}
			if res.Interrupted {
				t.Error("result marked interrupted")
			}
			if n := res.Latency.Count(); n != 70 {
				t.Errorf("latency of %d calls, want the 70 ok ones", n)
			}
			if p50 := res.Latency.Percentile(50); p50 < okDelay {
				t.Errorf("p50 %v is below the service's %v", p50, okDelay)
			}
			f.mu.Lock()
			defer f.mu.Unlock()
			for i := range 9 { // u9 may time out before it reaches the server
				if k := fmt.Sprintf("popular/u%d", i); f.seen[k] != 10 {
					t.Errorf("server saw %s %d times, want 10 (saw %v)", k, f.seen[k], f.seen)
				}
			}
		})
	}
}

func TestRunStopsAfterDuration(t *testing.T) {
	f := &fakeRanker{}
	addr := serve(t, f)
	req := popular()
	req.Context = &rankflowv1.Entity{Id: "u1"}
	start := time.Now()
	res, err := Run(context.Background(), dial(t, addr, GRPC, 2), Options{
		Concurrency: 2,
		Duration:    300 * time.Millisecond,
		Warmup:      100 * time.Millisecond,
		Request:     req,
	})
	if err != nil {
		t.Fatal(err)
	}
	if took := time.Since(start); took > 10*time.Second {
		t.Errorf("run took %v, want it to stop after about 400ms", took)
	}
	if res.Requests == 0 || res.ErrorCount() != 0 || res.Interrupted {
		t.Errorf("requests %d, errors %v, interrupted %v; want some, none, false", res.Requests, res.Errors, res.Interrupted)
	}
	if res.Elapsed < 250*time.Millisecond {
		t.Errorf("measured for %v, want about 300ms", res.Elapsed)
	}
	if calls := f.calls.Load(); calls <= res.Requests {
		t.Errorf("server saw %d calls, measured %d: warm-up calls were counted", calls, res.Requests)
	}
	if r := res.Rate(); r <= 0 {
		t.Errorf("rate %v", r)
	}
}

func TestRunStopsOnCancel(t *testing.T) {
	addr := serve(t, &fakeRanker{})
	ctx, cancel := context.WithCancel(context.Background())
	time.AfterFunc(300*time.Millisecond, cancel)
	start := time.Now()
	res, err := Run(ctx, dial(t, addr, GRPC, 3), Options{
		Concurrency: 3,
		Duration:    MaxDuration,
		Timeout:     time.Minute, // u9 calls hang until the cancellation
		Request:     popular(),
		Users:       10,
	})
	if err != nil {
		t.Fatal(err)
	}
	if took := time.Since(start); took > 10*time.Second {
		t.Errorf("run took %v after a cancel at 300ms", took)
	}
	if !res.Interrupted {
		t.Error("result not marked interrupted")
	}
	if n := res.Errors["Canceled"] + res.Errors["DeadlineExceeded"]; n != 0 {
		t.Errorf("%d calls cut short by the cancellation were counted as errors: %v", n, res.Errors)
	}
}

// TestRunRequestCap checks the cap without a network: exactly n calls, each
// with the next user in turn, however many workers race for them.
func TestRunRequestCap(t *testing.T) {
	var mu sync.Mutex
	seen := map[string]int{}
	call := CallerFunc(func(ctx context.Context, req *rankflowv1.Request) error {
		mu.Lock()
		seen[req.GetContext().GetId()]++
		mu.Unlock()
		if _, ok := ctx.Deadline(); !ok {
			return errors.New("no deadline")
		}
		return nil
	})
	template := &rankflowv1.Request{}
	res, err := Run(context.Background(), call, Options{Concurrency: 8, Duration: time.Minute, Requests: 1000, Request: template, Users: 4})
	if err != nil {
		t.Fatal(err)
	}
	if res.Requests != 1000 || res.OK != 1000 {
		t.Errorf("requests %d, ok %d, errors %v; want 1000 ok", res.Requests, res.OK, res.Errors)
	}
	want := map[string]int{"u0": 250, "u1": 250, "u2": 250, "u3": 250}
	if !maps.Equal(seen, want) {
		t.Errorf("users %v, want %v", seen, want)
	}
	if template.Context != nil {
		t.Error("Run modified the request template")
	}
}

func TestRunValidates(t *testing.T) {
	call := CallerFunc(func(context.Context, *rankflowv1.Request) error { return nil })
	tests := []struct {
		name string
		give Options
		want string
	}{
		{"no duration", Options{Request: popular()}, "duration must be positive"},
		{"too long", Options{Duration: 11 * time.Minute, Request: popular()}, "above the 10m0s limit"},
		{"negative", Options{Duration: time.Second, Concurrency: -1, Request: popular()}, "must not be negative"},
		{"no request", Options{Duration: time.Second}, "no request"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := Run(context.Background(), call, tt.give)
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("error %v, want %q", err, tt.want)
			}
		})
	}
}

func TestCode(t *testing.T) {
	tests := []struct {
		give error
		want codes.Code
	}{
		{nil, codes.OK},
		{status.Error(codes.Unavailable, "x"), codes.Unavailable},
		{fmt.Errorf("call: %w", status.Error(codes.ResourceExhausted, "x")), codes.ResourceExhausted},
		{connect.NewError(connect.CodeNotFound, errors.New("x")), codes.NotFound},
		{fmt.Errorf("call: %w", context.DeadlineExceeded), codes.DeadlineExceeded},
		{context.Canceled, codes.Canceled},
		{errors.New("x"), codes.Unknown},
	}
	for _, tt := range tests {
		if got := Code(tt.give); got != tt.want {
			t.Errorf("Code(%v) = %v, want %v", tt.give, got, tt.want)
		}
	}
}

func TestIsLoopback(t *testing.T) {
	tests := []struct {
		give string
		want bool
	}{
		{"127.0.0.1:8080", true},
		{"127.3.4.5:8080", true},
		{"[::1]:8080", true},
		{"localhost:8080", true},
		{":8080", true},
		{"10.0.0.1:8080", false},
		{"[2001:db8::1]:8080", false},
		{"example.com:8080", false},
		{"localhost.example.com:8080", false},
		{"127.0.0.1", false},
	}
	for _, tt := range tests {
		if got := IsLoopback(tt.give); got != tt.want {
			t.Errorf("IsLoopback(%q) = %v, want %v", tt.give, got, tt.want)
		}
	}
}

func TestWriteText(t *testing.T) {
	res := &Result{
		Requests: 1000,
		OK:       990,
		Errors:   map[string]int64{"Unavailable": 3, "DeadlineExceeded": 7},
		Elapsed:  2 * time.Second,
	}
	for i := range 990 {
		res.Latency.Record(time.Duration(i+1) * 10 * time.Microsecond) // 10µs..9.9ms
	}
	var b strings.Builder
	if err := res.WriteText(&b); err != nil {
		t.Fatal(err)
	}
	want := "requests  1000 in 2s (500.0/s)\n" +
		"errors    10 (1.00%): DeadlineExceeded 7, Unavailable 3\n" +
		"latency   p50 4.98ms  p90 8.91ms  p99 9.83ms  max 9.9ms  (990 ok calls)\n"
	if b.String() != want {
		t.Errorf("got\n%s\nwant\n%s", b.String(), want)
	}
	s := res.Summary()
	if s.RequestsPerSecond != 500 || s.LatencySeconds.Max != 0.0099 || s.ElapsedSeconds != 2 {
		t.Errorf("summary %+v", s)
	}
	if got := slices.Sorted(maps.Keys(s.Errors)); !slices.Equal(got, []string{"DeadlineExceeded", "Unavailable"}) {
		t.Errorf("summary errors %v", got)
	}
}
