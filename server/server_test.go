package server

import (
	"context"
	"errors"
	"fmt"
	"github.com/rankflow/rankflow/store/redis"
	"google.golang.org/grpc"
	"google.golang.org/grpc/credentials/insecure"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"connectrpc.com/connect"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/testutil/promlint"
	rankflowv1 "github.com/rankflow/rankflow/api/rankflow/v1"
	"github.com/rankflow/rankflow/api/rankflow/v1/rankflowv1connect"
	"github.com/rankflow/rankflow/pipeline"
	"github.com/rankflow/rankflow/pipeline/registry"
	"github.com/rankflow/rankflow/store/memory"
	"go.yaml.in/yaml/v3"
)

const testConfig = `
pipelines:
  fast:
    limit: 2
    budget: 200ms
    stages:
      - source_list: {key: popular, n: 100}
      - top_k: {}
  slow:
    stages:
      - delay: {duration: 300ms}
`

func newTestServer(t *testing.T, o Options) (*Server, rankflowv1connect.RankingServiceClient, string) {
	t.Helper()
	m := memory.New()
	ctx := context.Background()
	if err := m.PutList(ctx, "popular", nil); err != nil {
		t.Fatal(err)
	}
	load := func() (*pipeline.Set, error) {
		return pipeline.Parse(map[string][]byte{"t.yaml": []byte(testConfig)}, pipeline.Options{Env: registry.StoreEnv(m)})
	}
	h, err := pipeline.NewHolder(load, slog.New(slog.DiscardHandler), nil)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { h.Close() })
	o.Pipelines = h
	o.Logger = slog.New(slog.DiscardHandler)
	s, err := New(o)
	if err != nil {
		t.Fatal(err)
	}
	hs := httptest.NewUnstartedServer(s.Handler())
	hs.Config.Protocols = Protocols()
	hs.Start()
	t.Cleanup(hs.Close)
	return s, rankflowv1connect.NewRankingServiceClient(http.DefaultClient, hs.URL), hs.URL
}

func rankReq(method string) *connect.Request[rankflowv1.Request] {
	return connect.NewRequest(&rankflowv1.Request{Options: &rankflowv1.Options{Method: method}})
}

func TestRankErrorsMapToCodes(t *testing.T) {
	_, client, _ := newTestServer(t, Options{MaxLimit: 10, MaxCandidates: 1})
	tests := []struct {
		name string
		give *rankflowv1.Request
		code connect.Code
		msg  string
	}{
		{"no method", &rankflowv1.Request{}, connect.CodeInvalidArgument, "options.method: required"},
		{"unknown method", &rankflowv1.Request{Options: &rankflowv1.Options{Method: "fats"}}, connect.CodeNotFound, `unknown pipeline "fats" (known: fast, slow)`},
		{"limit too large", &rankflowv1.Request{Options: &rankflowv1.Options{Method: "fast", Limit: 11}}, connect.CodeInvalidArgument, "options.limit: 11 is above the maximum of 10"},
		{"too many candidates", &rankflowv1.Request{Options: &rankflowv1.Options{Method: "fast"}, Candidates: []*rankflowv1.Entity{{Id: "a"}, {Id: "b"}}}, connect.CodeInvalidArgument, "candidates: 2 candidates, at most 1 allowed"},
		{"empty candidate id", &rankflowv1.Request{Options: &rankflowv1.Options{Method: "fast"}, Candidates: []*rankflowv1.Entity{{}}}, connect.CodeInvalidArgument, "candidates[0].id: must not be empty"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := client.Rank(context.Background(), connect.NewRequest(tt.give))
			if connect.CodeOf(err) != tt.code || err == nil || !strings.Contains(err.Error(), tt.msg) {
				t.Fatalf("Rank = %v (code %v), want %v containing %q", err, connect.CodeOf(err), tt.code, tt.msg)
			}
		})
	}
}

func TestDeadlineShorterThanPipeline(t *testing.T) {
	_, client, _ := newTestServer(t, Options{})
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Millisecond)
	defer cancel()
	_, err := client.Rank(ctx, rankReq("slow"))
	if connect.CodeOf(err) != connect.CodeDeadlineExceeded {
		t.Fatalf("Rank = %v, want DeadlineExceeded", err)
	}
	if _, err := client.Rank(context.Background(), rankReq("fast")); err != nil {
		t.Fatalf("after a deadline the server fails: %v", err)
	}
}

func TestShedsBeyondMaxInFlight(t *testing.T) {
	s, client, _ := newTestServer(t, Options{Overload: OverloadOptions{MaxInFlight: 2}})
	var wg sync.WaitGroup
	errs := make(chan error, 6)
	for range 6 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			_, err := client.Rank(context.Background(), rankReq("slow"))
			errs <- err
		}()
	}
	wg.Wait()
	close(errs)
	ok, shed := 0, 0
	for err := range errs {
		switch connect.CodeOf(err) {
		case connect.CodeResourceExhausted:
			shed++
		default:
			if err == nil {
				ok++
			} else {
				t.Errorf("unexpected error %v", err)
			}
		}
	}
	if ok < 1 || ok > 2 || shed != 6-ok {
		t.Fatalf("%d served and %d shed of 6 with 2 slots", ok, shed)
	}
	if q := s.overload.Quality(); q >= 1 {
		t.Errorf("quality after slow requests above the target latency = %v, want it lowered", q)
	}
}

func TestQualityDegradesAndRecovers(t *testing.T) {
	ov := newOverload(OverloadOptions{MaxInFlight: 10, TargetLatency: 10 * time.Millisecond, MinQuality: 0.5}, mustMetrics(t))
	for range 50 {
		ov.observe(time.Second, 1)
	}
	if q := ov.Quality(); q != 0.5 {
		t.Fatalf("quality after slow requests = %v, want the floor 0.5", q)
	}
	for range 100 {
		ov.observe(time.Millisecond, 1)
	}
	if q := ov.Quality(); q != 1 {
		t.Fatalf("quality after fast requests = %v, want 1", q)
	}
	for range 3 {
		ov.observe(time.Millisecond, 9) // above the soft limit of 5
	}
	if q := ov.Quality(); q >= 1 {
		t.Fatalf("quality with many in flight = %v, want below 1", q)
	}
}

// TestBusyWhenEveryProcessorHasARequest: pipelines yield between stages
// (stage.YieldWhen with busy) once requests in flight reach the processors.
func TestBusyWhenEveryProcessorHasARequest(t *testing.T) {
	ov := newOverload(OverloadOptions{MaxInFlight: 10}, mustMetrics(t))
	ov.procs = 2
	var releases []func(time.Duration)
	for i, want := range []bool{false, true, true} {
		release, _, err := ov.admit()
		if err != nil {
			t.Fatal(err)
		}
		releases = append(releases, release)
		if got := ov.busy(); got != want {
			t.Errorf("busy with %d in flight on 2 processors = %v, want %v", i+1, got, want)
		}
	}
	releases[0](time.Millisecond)
	releases[1](time.Millisecond)
	if ov.busy() {
		t.Error("busy with 1 in flight on 2 processors")
	}
	releases[2](time.Millisecond)
}

func mustMetrics(t *testing.T) *metrics {
	m, err := newMetrics(prometheus.NewRegistry())
	if err != nil {
		t.Fatal(err)
	}
	return m
}

func TestMetricNamesLint(t *testing.T) {
	reg := prometheus.NewRegistry()
	m, err := newMetrics(reg)
	if err != nil {
		t.Fatal(err)
	}
	m.requests.WithLabelValues("p", "ok", "ok").Inc()
	m.duration.WithLabelValues("p").Observe(1)
	m.empty.WithLabelValues("p").Inc()
	families, err := reg.Gather()
	if err != nil {
		t.Fatal(err)
	}
	problems, err := promlint.NewWithMetricFamilies(families).Lint()
	if err != nil {
		t.Fatal(err)
	}
	for _, p := range problems {
		t.Errorf("metric %s: %s", p.Metric, p.Text)
	}
}

func TestAdminNeedsToken(t *testing.T) {
	tests := []struct {
		name, token, send string
		want              int
	}{
		{"disabled", "", "x", http.StatusForbidden},
		{"missing", "s3cret", "", http.StatusUnauthorized},
		{"wrong", "s3cret", "nope", http.StatusUnauthorized},
		{"right", "s3cret", "s3cret", http.StatusOK},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, _, url := newTestServer(t, Options{AdminToken: tt.token})
			for _, path := range []string{"/admin/pipelines", "/admin/status", "/debug/pprof/"} {
				req, _ := http.NewRequest("GET", url+path, nil)
				if tt.send != "" {
					req.Header.Set("Authorization", "Bearer "+tt.send)
				}
				resp, err := http.DefaultClient.Do(req)
				if err != nil {
					t.Fatal(err)
				}
				resp.Body.Close()
				if resp.StatusCode != tt.want {
					t.Errorf("GET %s = %d, want %d", path, resp.StatusCode, tt.want)
				}
			}
		})
	}
}

func TestAlertRulesUseServedMetrics(t *testing.T) {
	s, client, _ := newTestServer(t, Options{})
	if _, err := client.Rank(context.Background(), rankReq("fast")); err != nil {
		t.Fatal(err)
	}
	set, done := s.o.Pipelines.Acquire()
	defer done()
	out, err := AlertRules(set, AlertOptions{})
	if err != nil {
		t.Fatal(err)
	}
	var f ruleFile
	if err := yaml.Unmarshal(out, &f); err != nil {
		t.Fatal(err)
	}
	if len(f.Groups) != 2 {
		t.Fatalf("%d rule groups, want one per pipeline (2)", len(f.Groups))
	}
	families, err := s.o.Metrics.Gather()
	if err != nil {
		t.Fatal(err)
	}
	served := map[string]bool{}
	for _, mf := range families {
		served[mf.GetName()] = true
	}
	for _, g := range f.Groups {
		for _, r := range g.Rules {
			for _, name := range []string{"rankflow_request_duration_seconds", "rankflow_requests_total", "rankflow_empty_responses_total"} {
				if strings.Contains(r.Expr, name) && !served[name] {
					t.Errorf("rule %s uses %s, which the server does not export", r.Alert, name)
				}
			}
		}
		if !strings.Contains(g.Rules[0].Expr, "> 0.2") && g.Name == "rankflow-fast" {
			t.Errorf("fast's latency rule %q does not use its 200ms budget", g.Rules[0].Expr)
		}
	}
}

func TestClassify(t *testing.T) {
	tests := []struct {
		give error
		want Class
	}{
		{nil, ClassOK},
		{connect.NewError(connect.CodeInvalidArgument, errors.New("x")), ClassClient},
		{connect.NewError(connect.CodeNotFound, errors.New("x")), ClassClient},
		{connect.NewError(connect.CodeResourceExhausted, errors.New("x")), ClassOverload},
		{connect.NewError(connect.CodeDeadlineExceeded, errors.New("x")), ClassOverload},
		{connect.NewError(connect.CodeUnavailable, errors.New("x")), ClassDependency},
		{connect.NewError(connect.CodeInternal, fmt.Errorf("x")), ClassServer},
	}
	for _, tt := range tests {
		if got := classify(tt.give); got != tt.want {
			t.Errorf("classify(%v) = %s, want %s", tt.give, got, tt.want)
		}
	}
}

func TestUnknownPipelinesDoNotMakeMetricSeries(t *testing.T) {
	s, client, _ := newTestServer(t, Options{MaxLimit: 10})
	for i := range 5 {
		bad := &rankflowv1.Request{Options: &rankflowv1.Options{Method: fmt.Sprintf("attacker-%d", i), Limit: -1}}
		client.Rank(context.Background(), connect.NewRequest(bad))
		client.Rank(context.Background(), rankReq(fmt.Sprintf("nope-%d", i)))
	}
	families, err := s.o.Metrics.Gather()
	if err != nil {
		t.Fatal(err)
	}
	for _, mf := range families {
		for _, m := range mf.GetMetric() {
			for _, l := range m.GetLabel() {
				if l.GetName() == "pipeline" && l.GetValue() != "unknown" && l.GetValue() != "fast" && l.GetValue() != "slow" {
					t.Errorf("metric %s has pipeline=%q from a client", mf.GetName(), l.GetValue())
				}
			}
		}
	}
}

func TestStoreTimeoutIsUnavailable(t *testing.T) {
	s, _, _ := newTestServer(t, Options{})
	err := s.rankError(context.Background(), &redis.Error{Op: "FEATURES", Key: "post:1", Err: context.DeadlineExceeded})
	if connect.CodeOf(err) != connect.CodeUnavailable {
		t.Fatalf("a store timeout maps to %v, want Unavailable", connect.CodeOf(err))
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if err := s.rankError(ctx, &redis.Error{Op: "FEATURES", Key: "post:1", Err: context.Canceled}); connect.CodeOf(err) != connect.CodeCanceled {
		t.Fatalf("a store call cut by the client's cancel maps to %v, want Canceled", connect.CodeOf(err))
	}
}

func TestServeRoutesGRPCAndHTTPOnOnePort(t *testing.T) {
	s, _, _ := newTestServer(t, Options{})
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	hs := &http.Server{}
	done := make(chan error, 1)
	go func() { done <- s.Serve(ln, hs) }()

	// A short HTTP/1.0 request (shorter than the HTTP/2 preface) is
	// answered at once, not after the preface read times out.
	c, err := net.Dial("tcp", ln.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	c.SetDeadline(time.Now().Add(5 * time.Second))
	fmt.Fprint(c, "GET /healthz HTTP/1.0\r\n\r\n")
	reply, err := io.ReadAll(c)
	c.Close()
	if err != nil || !strings.Contains(string(reply), "200 OK") {
		t.Fatalf("HTTP/1.0 reply = %q, %v", reply, err)
	}

	conn, err := grpc.NewClient(ln.Addr().String(), grpc.WithTransportCredentials(insecure.NewCredentials()))
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	resp, err := rankflowv1.NewRankingServiceClient(conn).Rank(context.Background(), &rankflowv1.Request{Options: &rankflowv1.Options{Method: "fast"}})
	if err != nil || resp.GetOptions().GetMethod() != "fast" {
		t.Fatalf("gRPC Rank = %v, %v", resp, err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if err := s.Shutdown(ctx, ln); err != nil {
		t.Fatalf("Shutdown = %v", err)
	}
	if err := <-done; !errors.Is(err, http.ErrServerClosed) {
		t.Fatalf("Serve returned %v, want http.ErrServerClosed", err)
	}
}

func TestGRPCWebAndConnectJSONOverHTTP1(t *testing.T) {
	_, _, url := newTestServer(t, Options{})
	for name, opts := range map[string][]connect.ClientOption{
		"grpc-web":     {connect.WithGRPCWeb()},
		"connect-json": {connect.WithProtoJSON()},
	} {
		t.Run(name, func(t *testing.T) {
			client := rankflowv1connect.NewRankingServiceClient(&http.Client{}, url, opts...)
			resp, err := client.Rank(context.Background(), rankReq("fast"))
			if err != nil {
				t.Fatal(err)
			}
			if resp.Msg.GetOptions().GetMethod() != "fast" || resp.Header().Get("X-Request-Id") == "" {
				t.Fatalf("response %v, headers %v", resp.Msg, resp.Header())
			}
			_, err = client.Rank(context.Background(), rankReq("nope"))
			if connect.CodeOf(err) != connect.CodeNotFound {
				t.Fatalf("unknown pipeline over %s = %v, want NotFound", name, err)
			}
		})
	}
}
