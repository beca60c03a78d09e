package main

// The tests in this file run `rankflow serve` the way a user does: the real
// binary on a free loopback port, called with the generated grpc-go client
// and plain HTTP/JSON. serve_harness_test.go starts and stops the servers;
// serve_readme_test.go runs the README's curl and grpcurl lines.

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"maps"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"syscall"
	"testing"
	"time"

	rankflowv1 "github.com/rankflow/rankflow/api/rankflow/v1"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/health/grpc_health_v1"
	"google.golang.org/grpc/reflection/grpc_reflection_v1"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/encoding/protojson"
	"google.golang.org/protobuf/proto"
)

// TestServe runs the read-only cases against one server: the example feeds
// plus a slow pipeline, with small limits so that the limit checks are
// cheap to trip.
func TestServe(t *testing.T) {
	t.Parallel()
	var grpcurl func(*testing.T) string
	if !testing.Short() {
		grpcurl = installGrpcurl() // in the background, while the server starts
	}
	dir := configDir(t, map[string]string{"slow.yaml": slowPipeline("slow", "500ms")})
	s := startServer(t, serverOpts{args: []string{
		"--config", dir, "--watch=false",
		"--admin-token", sharedToken,
		"--max-request-bytes", "65536",
		"--max-candidates", "50",
		"--max-limit", "100",
		// Keep every request at full quality: degrading under the race
		// detector would make the feeds return fewer candidates.
		"--target-latency", "1h",
	}})
	if got, want := servingLine.FindStringSubmatch(s.stdout.String())[1], "home, livestream, popular, slow, video"; got != want {
		t.Errorf("serving %q, want %q", got, want)
	}
	client := s.rankClient(t)
	ctx := t.Context()

	t.Run("feeds", func(t *testing.T) {
		tests := []struct {
			give   string
			limit  int  // the pipeline's default limit
			sorted bool // by score; home diversifies and video shuffles the order
		}{
			{give: "popular", limit: 25, sorted: true},
			{give: "home", limit: 25, sorted: false},
			{give: "video", limit: 20, sorted: false},
			{give: "livestream", limit: 10, sorted: true},
		}
		for _, tt := range tests {
			t.Run(tt.give, func(t *testing.T) {
				req := &rankflowv1.Request{Context: &rankflowv1.Entity{Id: "u1"}, Options: &rankflowv1.Options{Method: tt.give}}
				t.Run("grpc", func(t *testing.T) {
					resp, err := client.Rank(ctx, req)
					if err != nil {
						t.Fatal(err)
					}
					checkRanked(t, resp, tt.limit, tt.sorted)
				})
				t.Run("http", func(t *testing.T) {
					checkRanked(t, s.rankHTTP(t, req), tt.limit, tt.sorted)
				})
				t.Run("limit", func(t *testing.T) {
					req := proto.CloneOf(req)
					req.Options.Limit = 3
					resp, err := client.Rank(ctx, req)
					if err != nil {
						t.Fatal(err)
					}
					checkRanked(t, resp, 3, tt.sorted)
				})
			})
		}
	})

	t.Run("features", func(t *testing.T) {
		req := &rankflowv1.Request{Context: &rankflowv1.Entity{Id: "u1"}, Options: &rankflowv1.Options{Method: "popular", Limit: 5}}
		resp, err := client.Rank(ctx, req)
		if err != nil {
			t.Fatal(err)
		}
		for _, c := range resp.GetCandidates() {
			if len(c.GetFeatures()) != 0 {
				t.Errorf("%s carries features %v that were not asked for", c.GetId(), c.GetFeatures())
			}
		}
		req.Options.Features = []string{"community"}
		resp, err = client.Rank(ctx, req)
		if err != nil {
			t.Fatal(err)
		}
		for _, c := range resp.GetCandidates() {
			if _, ok := c.GetFeatures()["community"]; !ok || len(c.GetFeatures()) != 1 {
				t.Errorf("%s carries features %v, want only community", c.GetId(), c.GetFeatures())
			}
		}
	})

	t.Run("explain", func(t *testing.T) {
		req := &rankflowv1.Request{Context: &rankflowv1.Entity{Id: "u1"}, Options: &rankflowv1.Options{Method: "popular", Limit: 5}}
		resp, err := client.Rank(ctx, req)
		if err != nil {
			t.Fatal(err)
		}
		if len(resp.GetExplain()) != 0 {
			t.Errorf("explain without options.debug: got %d entries, want none", len(resp.GetExplain()))
		}

		req.Options.Debug = true
		resp, err = client.Rank(ctx, req)
		if err != nil {
			t.Fatal(err)
		}
		stages := map[string]*rankflowv1.StageTrace{}
		for _, e := range resp.GetExplain() {
			stages[e.GetStage()] = e
			if e.GetPath() == "" || !strings.HasPrefix(e.GetPath(), "popular") {
				t.Errorf("stage %s: path %q, want one under popular", e.GetStage(), e.GetPath())
			}
			for _, r := range e.GetRemoved() {
				if r.GetId() == "" || r.GetReason() == "" {
					t.Errorf("stage %s: removal %v lacks an id or a reason", e.GetStage(), r)
				}
			}
		}
		for _, name := range []string{"popular", "fetch_popular", "fetch_video", "fetch_image", "filter_seen", "filter_nsfw", "score_linear", "top_k", "diversify", "truncate"} {
			if stages[name] == nil {
				t.Errorf("explain has no stage %s; it has %v", name, slices.Sorted(maps.Keys(stages)))
			}
		}
		if t.Failed() {
			return
		}
		if got := stages["fetch_popular"].GetCandidatesOut(); got <= 0 {
			t.Errorf("fetch_popular: candidates_out %d, want some", got)
		}
		topK := stages["top_k"]
		if in, out := topK.GetCandidatesIn(), topK.GetCandidatesOut(); in <= out || int(in-out) != len(topK.GetRemoved()) {
			t.Errorf("top_k: %d in, %d out, %d removals; want fewer out and one removal per candidate dropped", in, out, len(topK.GetRemoved()))
		}
		if r := topK.GetRemoved(); len(r) == 0 || r[0].GetReason() != "removed by top_k" {
			t.Errorf("top_k removals %v, want reason %q", r, "removed by top_k")
		}
		trunc := stages["truncate"]
		if trunc.GetCandidatesOut() != 5 || len(resp.GetCandidates()) != 5 {
			t.Errorf("truncate: candidates_out %d and %d returned, want 5", trunc.GetCandidatesOut(), len(resp.GetCandidates()))
		}
		if r := trunc.GetRemoved(); len(r) == 0 || r[0].GetReason() != "past limit 5" {
			t.Errorf("truncate removals %v, want reason %q", r, "past limit 5")
		}
		if seen := stages["filter_seen"]; seen.GetCandidatesIn() < seen.GetCandidatesOut() {
			t.Errorf("filter_seen: %d in, %d out", seen.GetCandidatesIn(), seen.GetCandidatesOut())
		}

		// The same over HTTP/JSON, as the console reads it.
		body, _ := protojson.Marshal(req)
		code, out := s.rankJSON(t, body, nil)
		if code != http.StatusOK || !containsAll(out, []string{`"explain":[`, `"stage":"top_k"`, `"candidatesIn":`, `"reason":"removed by top_k"`}) {
			t.Errorf("explain over HTTP/JSON: HTTP %d %.500s", code, out)
		}
	})

	t.Run("rejected requests", func(t *testing.T) {
		many := func(n, idLen int) []*rankflowv1.Entity {
			out := make([]*rankflowv1.Entity, n)
			for i := range out {
				out[i] = &rankflowv1.Entity{Id: fmt.Sprintf("%0*d", idLen, i)}
			}
			return out
		}
		tests := []struct {
			name     string
			give     *rankflowv1.Request
			wantCode codes.Code
			wantHTTP int
			wantName string // the Connect code
			wantMsg  []string
		}{
			{
				name:     "unknown method",
				give:     &rankflowv1.Request{Options: &rankflowv1.Options{Method: "nope"}},
				wantCode: codes.NotFound, wantHTTP: http.StatusNotFound, wantName: "not_found",
				wantMsg: []string{`options.method: unknown pipeline "nope"`, "(known: home, livestream, popular, slow, video)"},
			},
			{
				name:     "empty method",
				give:     &rankflowv1.Request{Context: &rankflowv1.Entity{Id: "u1"}},
				wantCode: codes.InvalidArgument, wantHTTP: http.StatusBadRequest, wantName: "invalid_argument",
				wantMsg: []string{"options.method: required"},
			},
			{
				name:     "too many candidates",
				give:     &rankflowv1.Request{Candidates: many(51, 1), Options: &rankflowv1.Options{Method: "popular"}},
				wantCode: codes.InvalidArgument, wantHTTP: http.StatusBadRequest, wantName: "invalid_argument",
				wantMsg: []string{"candidates: 51 candidates, at most 50 allowed"},
			},
			{
				name:     "limit above the maximum",
				give:     &rankflowv1.Request{Options: &rankflowv1.Options{Method: "popular", Limit: 101}},
				wantCode: codes.InvalidArgument, wantHTTP: http.StatusBadRequest, wantName: "invalid_argument",
				wantMsg: []string{"options.limit: 101 is above the maximum of 100"},
			},
			{
				name:     "negative limit",
				give:     &rankflowv1.Request{Options: &rankflowv1.Options{Method: "popular", Limit: -1}},
				wantCode: codes.InvalidArgument, wantHTTP: http.StatusBadRequest, wantName: "invalid_argument",
				wantMsg: []string{"options.limit: must not be negative"},
			},
			{
				name:     "oversized request",
				give:     &rankflowv1.Request{Candidates: many(1000, 100), Options: &rankflowv1.Options{Method: "popular"}},
				wantCode: codes.ResourceExhausted, wantHTTP: http.StatusTooManyRequests, wantName: "resource_exhausted",
				wantMsg: []string{"larger than", "max", "65536"},
			},
		}
		for _, tt := range tests {
			t.Run(tt.name, func(t *testing.T) {
				t.Run("grpc", func(t *testing.T) {
					_, err := client.Rank(ctx, tt.give)
					st := status.Convert(err)
					if st.Code() != tt.wantCode || !containsAll(st.Message(), tt.wantMsg) {
						t.Errorf("got %v %q, want %v with %q", st.Code(), st.Message(), tt.wantCode, tt.wantMsg)
					}
				})
				t.Run("http", func(t *testing.T) {
					body, err := protojson.Marshal(tt.give)
					if err != nil {
						t.Fatal(err)
					}
					code, out := s.rankJSON(t, body, nil)
					e := decodeConnectError(t, out)
					if code != tt.wantHTTP || e.Code != tt.wantName || !containsAll(e.Message, tt.wantMsg) {
						t.Errorf("got HTTP %d %s, want HTTP %d %s with %q", code, out, tt.wantHTTP, tt.wantName, tt.wantMsg)
					}
				})
			})
		}
	})

	t.Run("malformed JSON", func(t *testing.T) {
		tests := []struct {
			name    string
			give    string
			wantMsg string
		}{
			{name: "truncated", give: `{"options":`, wantMsg: "unmarshal"},
			{name: "not an object", give: `[1, 2]`, wantMsg: "unmarshal"},
			{name: "wrong type", give: `{"options":{"method":"popular","limit":"many"}}`, wantMsg: "unmarshal"},
		}
		for _, tt := range tests {
			t.Run(tt.name, func(t *testing.T) {
				code, out := s.rankJSON(t, []byte(tt.give), nil)
				e := decodeConnectError(t, out)
				if code != http.StatusBadRequest || e.Code != "invalid_argument" || !strings.Contains(e.Message, tt.wantMsg) {
					t.Errorf("got HTTP %d %s, want HTTP 400 invalid_argument with %q", code, out, tt.wantMsg)
				}
			})
		}
	})

	t.Run("deadline shorter than the pipeline", func(t *testing.T) {
		req := &rankflowv1.Request{Options: &rankflowv1.Options{Method: "slow"}}
		t.Run("grpc", func(t *testing.T) {
			dctx, cancel := context.WithTimeout(ctx, 50*time.Millisecond)
			defer cancel()
			_, err := client.Rank(dctx, req)
			if got := status.Code(err); got != codes.DeadlineExceeded {
				t.Errorf("got %v (%v), want DeadlineExceeded", got, err)
			}
		})
		t.Run("http", func(t *testing.T) {
			body, _ := protojson.Marshal(req)
			code, out := s.rankJSON(t, body, http.Header{"Connect-Timeout-Ms": {"50"}})
			e := decodeConnectError(t, out)
			if code != http.StatusGatewayTimeout || e.Code != "deadline_exceeded" || !strings.Contains(e.Message, "context deadline exceeded") {
				t.Errorf("got HTTP %d %s, want HTTP 504 deadline_exceeded", code, out)
			}
		})
		// The server counted it as its own DeadlineExceeded, finished
		// the requests and serves on.
		eventually(t, func() bool {
			n, _ := s.metric(t, "rankflow_requests_total", `code="deadline_exceeded"`, `pipeline="slow"`)
			return n >= 1
		}, func() string { return "rankflow_requests_total counts no deadline_exceeded request of slow" })
		eventually(t, func() bool {
			n, ok := s.metric(t, "rankflow_inflight_requests")
			return ok && n == 0
		}, func() string { return "requests are still in flight" })
		if code, body := s.get(t, "/readyz", ""); code != http.StatusOK {
			t.Errorf("GET /readyz: HTTP %d %s", code, body)
		}
		resp, err := client.Rank(ctx, &rankflowv1.Request{Context: &rankflowv1.Entity{Id: "u1"}, Options: &rankflowv1.Options{Method: "popular"}})
		if err != nil {
			t.Fatalf("popular after a deadline: %v", err)
		}
		checkRanked(t, resp, 25, true)
	})

	t.Run("admin", func(t *testing.T) {
		tests := []struct {
			name     string
			path     string
			auth     string // the Authorization header
			wantCode int
			wantBody []string
		}{
			{name: "no token", path: "/admin/pipelines", wantCode: 401, wantBody: []string{"admin token missing or wrong"}},
			{name: "wrong token", path: "/admin/pipelines", auth: "Bearer nope", wantCode: 401, wantBody: []string{"admin token missing or wrong"}},
			{name: "token without Bearer", path: "/admin/status", auth: sharedToken, wantCode: 401, wantBody: []string{"Authorization: Bearer TOKEN"}},
			{name: "pipelines", path: "/admin/pipelines", auth: "Bearer " + sharedToken, wantCode: 200, wantBody: []string{`"name": "popular"`, `"file": "pipelines/slow.yaml"`}},
			{name: "pipeline", path: "/admin/pipelines/home", auth: "Bearer " + sharedToken, wantCode: 200, wantBody: []string{`"name": "home"`, `"plan":`, `"dot": "digraph`, `"mermaid":`, "diversify"}},
			{name: "unknown pipeline", path: "/admin/pipelines/nope", auth: "Bearer " + sharedToken, wantCode: 404, wantBody: []string{"unknown pipeline nope (known: home, livestream, popular, slow, video)"}},
			{name: "status", path: "/admin/status", auth: "Bearer " + sharedToken, wantCode: 200, wantBody: []string{`"generation": 1`, `"draining": false`, `"reload_error": null`}},
			{name: "pprof without token", path: "/debug/pprof/", wantCode: 401, wantBody: []string{"admin token missing or wrong"}},
			{name: "pprof cmdline without token", path: "/debug/pprof/cmdline", wantCode: 401},
			{name: "pprof", path: "/debug/pprof/", auth: "Bearer " + sharedToken, wantCode: 200, wantBody: []string{"goroutine"}},
			{name: "console page", path: "/", wantCode: 200, wantBody: []string{"<html"}},
		}
		for _, tt := range tests {
			t.Run(tt.name, func(t *testing.T) {
				h := http.Header{}
				if tt.auth != "" {
					h.Set("Authorization", tt.auth)
				}
				code, body := s.do(t, http.MethodGet, tt.path, h, nil)
				if code != tt.wantCode || !containsAll(body, tt.wantBody) {
					t.Errorf("GET %s: HTTP %d %.400s\nwant HTTP %d with %q", tt.path, code, body, tt.wantCode, tt.wantBody)
				}
			})
		}

		code, body := s.get(t, "/admin/pipelines", sharedToken)
		var list struct {
			Pipelines []struct {
				Name  string `json:"name"`
				Limit int    `json:"limit"`
			} `json:"pipelines"`
		}
		if err := json.Unmarshal([]byte(body), &list); code != 200 || err != nil {
			t.Fatalf("GET /admin/pipelines: HTTP %d %s (%v)", code, body, err)
		}
		var names []string
		for _, p := range list.Pipelines {
			names = append(names, p.Name)
		}
		if want := []string{"home", "livestream", "popular", "slow", "video"}; !slices.Equal(names, want) {
			t.Errorf("pipelines %v, want %v", names, want)
		}
	})

	t.Run("grpc health", func(t *testing.T) {
		health := grpc_health_v1.NewHealthClient(s.grpcConn(t))
		for _, service := range []string{"", "rankflow.v1.RankingService"} {
			resp, err := health.Check(ctx, &grpc_health_v1.HealthCheckRequest{Service: service})
			if err != nil || resp.GetStatus() != grpc_health_v1.HealthCheckResponse_SERVING {
				t.Errorf("health of %q: %v %v, want SERVING", service, resp.GetStatus(), err)
			}
		}
		_, err := health.Check(ctx, &grpc_health_v1.HealthCheckRequest{Service: "nope.v1.Nope"})
		if status.Code(err) != codes.NotFound {
			t.Errorf("health of an unknown service: %v, want NotFound", err)
		}
	})

	t.Run("grpc reflection", func(t *testing.T) {
		stream, err := grpc_reflection_v1.NewServerReflectionClient(s.grpcConn(t)).ServerReflectionInfo(ctx)
		if err != nil {
			t.Fatal(err)
		}
		err = stream.Send(&grpc_reflection_v1.ServerReflectionRequest{
			MessageRequest: &grpc_reflection_v1.ServerReflectionRequest_ListServices{},
		})
		if err != nil {
			t.Fatal(err)
		}
		resp, err := stream.Recv()
		if err != nil {
			t.Fatal(err)
		}
		var names []string
		for _, svc := range resp.GetListServicesResponse().GetService() {
			names = append(names, svc.GetName())
		}
		for _, want := range []string{"rankflow.v1.RankingService", "grpc.health.v1.Health"} {
			if !slices.Contains(names, want) {
				t.Errorf("reflection lists %v, want %s among them", names, want)
			}
		}
		stream.CloseSend()
	})

	t.Run("probes and metrics", func(t *testing.T) {
		for path, want := range map[string]string{"/healthz": "ok\n", "/readyz": "ready\n"} {
			if code, body := s.get(t, path, ""); code != http.StatusOK || body != want {
				t.Errorf("GET %s: HTTP %d %q, want 200 %q", path, code, body, want)
			}
		}
		if n, ok := s.metric(t, "rankflow_requests_total", `code="ok"`, `pipeline="popular"`); !ok || n < 1 {
			t.Errorf("rankflow_requests_total of popular ok: %v (present: %v), want at least 1", n, ok)
		}
		if n, ok := s.metric(t, "rankflow_requests_total", `code="not_found"`, `pipeline="unknown"`); !ok || n < 1 {
			t.Errorf("rankflow_requests_total of an unknown pipeline: %v (present: %v), want at least 1 under pipeline=\"unknown\"", n, ok)
		}
		for _, name := range []string{"rankflow_inflight_requests", "rankflow_quality_factor", "rankflow_shed_requests_total", "rankflow_request_duration_seconds_bucket"} {
			if _, ok := s.metric(t, name); !ok {
				t.Errorf("/metrics has no %s", name)
			}
		}
	})

	t.Run("README", func(t *testing.T) {
		testREADME(t, s, grpcurl)
	})

	s.stop(t)
}

// TestServeReload changes the pipeline files under --config and reloads
// them through the admin API.
func TestServeReload(t *testing.T) {
	t.Parallel()
	const token = "reload-token"
	dir := configDir(t, nil)
	s := startServer(t, serverOpts{args: []string{"--config", dir, "--watch=false", "--admin-token", token}})
	client := s.rankClient(t)
	ctx := t.Context()

	type reloadBody struct {
		Generation int      `json:"generation"`
		Pipelines  []string `json:"pipelines"`
		Error      string   `json:"error"`
	}
	reload := func(t *testing.T, token string) (int, reloadBody, string) {
		t.Helper()
		code, body := s.do(t, http.MethodPost, "/admin/reload", http.Header{"Authorization": {"Bearer " + token}}, nil)
		var b reloadBody
		if code != http.StatusUnauthorized {
			if err := json.Unmarshal([]byte(body), &b); err != nil {
				t.Fatalf("POST /admin/reload: HTTP %d %s: %v", code, body, err)
			}
		}
		return code, b, body
	}
	rankFresh := func(t *testing.T) {
		t.Helper()
		resp, err := client.Rank(ctx, &rankflowv1.Request{Options: &rankflowv1.Options{Method: "fresh"}})
		if err != nil {
			t.Fatalf("rank fresh: %v", err)
		}
		checkRanked(t, resp, 5, true)
	}
	type statusBody struct {
		Generation  int     `json:"generation"`
		ReloadError *string `json:"reload_error"`
	}
	adminStatus := func(t *testing.T) statusBody {
		t.Helper()
		code, body := s.get(t, "/admin/status", token)
		var st statusBody
		if err := json.Unmarshal([]byte(body), &st); code != http.StatusOK || err != nil {
			t.Fatalf("GET /admin/status: HTTP %d %s (%v)", code, body, err)
		}
		return st
	}

	if code, _, body := reload(t, "wrong"); code != http.StatusUnauthorized {
		t.Fatalf("reload with a wrong token: HTTP %d %s, want 401", code, body)
	}
	_, err := client.Rank(ctx, &rankflowv1.Request{Options: &rankflowv1.Options{Method: "fresh"}})
	if status.Code(err) != codes.NotFound {
		t.Fatalf("fresh before it is written: %v, want NotFound", err)
	}

	writeFile(t, filepath.Join(dir, "fresh.yaml"), `pipelines:
  fresh:
    limit: 5
    stages:
      - source_list: {key: popular, n: 20}
      - top_k: {limit: 5}
`)
	code, b, body := reload(t, token)
	if code != http.StatusOK || b.Generation != 2 || !slices.Contains(b.Pipelines, "fresh") {
		t.Fatalf("reload with a new pipeline: HTTP %d %s, want 200, generation 2 and fresh among the pipelines", code, body)
	}
	rankFresh(t)

	// A broken file: the reload fails with every problem, where it is, and
	// the pipelines that were serving serve on.
	writeFile(t, filepath.Join(dir, "broken.yaml"), `pipelines:
  broken:
    stages:
      - no_such_stage: {}
      - top_k: {limit: many}
`)
	wantProblems := []string{
		`pipelines/broken.yaml:4:9: pipelines.broken.stages[0].no_such_stage: unknown stage "no_such_stage"`,
		`pipelines/broken.yaml:5:17: pipelines.broken.stages[1].top_k.limit: want int, got string "many"`,
	}
	code, b, body = reload(t, token)
	if code != http.StatusUnprocessableEntity || !containsAll(b.Error, wantProblems) || b.Generation != 2 {
		t.Fatalf("reload with a broken file: HTTP %d %s\nwant 422, generation 2 and the problems %q", code, body, wantProblems)
	}
	rankFresh(t)
	resp, err := client.Rank(ctx, &rankflowv1.Request{Context: &rankflowv1.Entity{Id: "u1"}, Options: &rankflowv1.Options{Method: "popular"}})
	if err != nil {
		t.Fatalf("popular after a failed reload: %v", err)
	}
	checkRanked(t, resp, 25, true)
	if st := adminStatus(t); st.Generation != 2 || st.ReloadError == nil || !containsAll(*st.ReloadError, wantProblems) {
		t.Errorf("status after a failed reload: %+v, want generation 2 and the problems %q", st, wantProblems)
	}
	if n, ok := s.metric(t, "rankflow_pipeline_reloads_total", `result="failure"`); !ok || n != 1 {
		t.Errorf("rankflow_pipeline_reloads_total failures: %v (present: %v), want 1", n, ok)
	}

	// Fixed again.
	if err := os.Remove(filepath.Join(dir, "broken.yaml")); err != nil {
		t.Fatal(err)
	}
	if code, b, body := reload(t, token); code != http.StatusOK || b.Generation != 3 {
		t.Fatalf("reload after the fix: HTTP %d %s, want 200 and generation 3", code, body)
	}
	if st := adminStatus(t); st.ReloadError != nil {
		t.Errorf("status after a good reload still shows the error %q", *st.ReloadError)
	}
	rankFresh(t)

	s.stop(t)
}

// TestServeWatch runs a server with the file watcher and no admin token.
func TestServeWatch(t *testing.T) {
	t.Parallel()
	dir := configDir(t, nil)
	s := startServer(t, serverOpts{args: []string{"--config", dir}})

	t.Run("admin disabled", func(t *testing.T) {
		tests := []struct {
			method, path string
		}{
			{http.MethodGet, "/admin/status"},
			{http.MethodGet, "/admin/pipelines"},
			{http.MethodPost, "/admin/reload"},
			{http.MethodGet, "/debug/pprof/"},
		}
		for _, tt := range tests {
			code, body := s.do(t, tt.method, tt.path, http.Header{"Authorization": {"Bearer anything"}}, nil)
			if code != http.StatusForbidden || !strings.Contains(body, "admin is disabled: start the server with an admin token") {
				t.Errorf("%s %s: HTTP %d %s, want 403 saying admin is disabled", tt.method, tt.path, code, body)
			}
		}
	})

	t.Run("a new file is picked up", func(t *testing.T) {
		client := s.rankClient(t)
		writeFile(t, filepath.Join(dir, "watched.yaml"), `pipelines:
  watched:
    stages:
      - source_list: {key: popular, n: 3}
`)
		var last error
		eventually(t, func() bool {
			resp, err := client.Rank(t.Context(), &rankflowv1.Request{Options: &rankflowv1.Options{Method: "watched"}})
			last = err
			return err == nil && len(resp.GetCandidates()) == 3
		}, func() string { return fmt.Sprintf("the watcher has not loaded watched.yaml: %v", last) })
	})

	s.stop(t)
}

// TestServeGracefulShutdown sends SIGTERM while requests are in flight:
// every one of them completes, the process exits 0, and the port is closed.
func TestServeGracefulShutdown(t *testing.T) {
	t.Parallel()
	const n = 20
	// Long enough that all n are surely in flight together, even on a
	// busy machine.
	dir := configDir(t, map[string]string{"slow.yaml": slowPipeline("slow", "2s")})
	s := startServer(t, serverOpts{args: []string{"--config", dir, "--default-timeout", "30s", "--shutdown-grace", "30s"}})
	client := s.rankClient(t)

	// Half over one HTTP/2 connection with gRPC, half as HTTP/JSON over
	// HTTP/1.1 connections of their own.
	req := &rankflowv1.Request{Options: &rankflowv1.Options{Method: "slow"}}
	body, err := protojson.Marshal(req)
	if err != nil {
		t.Fatal(err)
	}
	errs := make(chan error, n)
	for i := range n {
		go func() {
			var resp *rankflowv1.Request
			var err error
			if i%2 == 0 {
				ctx, cancel := context.WithTimeout(context.Background(), stopTimeout)
				defer cancel()
				resp, err = client.Rank(ctx, req)
			} else {
				resp, err = postRank(s.url(rankPath), body)
			}
			if err == nil && len(resp.GetCandidates()) != 10 {
				err = fmt.Errorf("got %d candidates, want 10", len(resp.GetCandidates()))
			}
			errs <- err
		}()
	}
	eventually(t, func() bool {
		v, _ := s.metric(t, "rankflow_inflight_requests")
		return v >= n
	}, func() string { return fmt.Sprintf("rankflow_inflight_requests never reached %d", n) })

	if err := s.cmd.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	for range n {
		if err := <-errs; err != nil {
			t.Errorf("a request in flight at SIGTERM failed: %v", err)
		}
	}
	s.wait(t)
	if !strings.Contains(s.stderr.String(), "shutting down: draining requests in flight") {
		t.Errorf("the log does not say it drained")
	}
	conn, err := net.DialTimeout("tcp", s.addr, 5*time.Second)
	if err == nil {
		conn.Close()
		t.Fatalf("%s still accepts connections after the server exited", s.addr)
	}
	if !errors.Is(err, syscall.ECONNREFUSED) {
		t.Errorf("dial after shutdown: %v, want connection refused", err)
	}
}

// postRank posts a Connect JSON request and decodes the response; unlike
// serverProc.rankJSON it may run outside the test's goroutine.
func postRank(url string, body []byte) (*rankflowv1.Request, error) {
	resp, err := httpClient.Post(url, "application/json", bytes.NewReader(body))
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		return nil, err
	}
	if resp.StatusCode != http.StatusOK {
		return nil, fmt.Errorf("HTTP %d %s", resp.StatusCode, b)
	}
	out := new(rankflowv1.Request)
	return out, protojson.Unmarshal(b, out)
}

// TestServeSettingsPrecedence sets values in a config file, overrides some
// in the environment and one of those again with a flag.
func TestServeSettingsPrecedence(t *testing.T) {
	t.Parallel()
	file := filepath.Join(t.TempDir(), "rankflow.yaml")
	writeFile(t, file, `admin-token: file-token
max-candidates: 3
max-limit: 5
`)
	s := startServer(t, serverOpts{
		args: []string{"--config", configDir(t, nil), "--config-file", file, "--admin-token", "flag-token"},
		env:  []string{"RANKFLOW_ADMIN_TOKEN=env-token", "RANKFLOW_MAX_CANDIDATES=4"},
	})
	client := s.rankClient(t)
	ctx := t.Context()
	cands := func(n int) []*rankflowv1.Entity {
		out := make([]*rankflowv1.Entity, n)
		for i := range out {
			out[i] = &rankflowv1.Entity{Id: fmt.Sprint("c", i)}
		}
		return out
	}

	u1 := &rankflowv1.Entity{Id: "u1"}
	tests := []struct {
		name    string
		give    *rankflowv1.Request
		wantErr string // "" for success
	}{
		{name: "file max-limit allows 5", give: &rankflowv1.Request{Context: u1, Options: &rankflowv1.Options{Method: "popular", Limit: 5}}},
		{name: "file max-limit refuses 6", give: &rankflowv1.Request{Options: &rankflowv1.Options{Method: "popular", Limit: 6}}, wantErr: "options.limit: 6 is above the maximum of 5"},
		{name: "env max-candidates allows 4", give: &rankflowv1.Request{Context: u1, Candidates: cands(4), Options: &rankflowv1.Options{Method: "popular", Limit: 5}}},
		{name: "env max-candidates refuses 5", give: &rankflowv1.Request{Candidates: cands(5), Options: &rankflowv1.Options{Method: "popular", Limit: 5}}, wantErr: "candidates: 5 candidates, at most 4 allowed"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := client.Rank(ctx, tt.give)
			if tt.wantErr == "" {
				if err != nil {
					t.Errorf("got %v, want success", err)
				}
				return
			}
			if st := status.Convert(err); st.Code() != codes.InvalidArgument || !strings.Contains(st.Message(), tt.wantErr) {
				t.Errorf("got %v, want InvalidArgument %q", err, tt.wantErr)
			}
		})
	}

	for token, want := range map[string]int{"flag-token": 200, "env-token": 401, "file-token": 401} {
		if code, body := s.get(t, "/admin/status", token); code != want {
			t.Errorf("admin with the %s: HTTP %d %s, want %d", token, code, body, want)
		}
	}
	s.stop(t)
}
