package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"connectrpc.com/connect"
	rankflowv1 "github.com/rankflow/rankflow/api/rankflow/v1"
	"github.com/rankflow/rankflow/api/rankflow/v1/rankflowv1connect"
)

// benchEcho returns the request, or NotFound for a pipeline other than
// popular.
type benchEcho struct{}

func (benchEcho) Rank(_ context.Context, req *connect.Request[rankflowv1.Request]) (*connect.Response[rankflowv1.Request], error) {
	if req.Msg.GetOptions().GetMethod() != "popular" {
		return nil, connect.NewError(connect.CodeNotFound, errors.New("no such pipeline"))
	}
	return connect.NewResponse(req.Msg), nil
}

func benchServer(t *testing.T) string {
	t.Helper()
	mux := http.NewServeMux()
	mux.Handle(rankflowv1connect.NewRankingServiceHandler(benchEcho{}))
	srv := httptest.NewUnstartedServer(mux)
	srv.Config.Protocols = new(http.Protocols)
	srv.Config.Protocols.SetHTTP1(true)
	srv.Config.Protocols.SetUnencryptedHTTP2(true)
	srv.Start()
	t.Cleanup(srv.Close)
	return srv.Listener.Addr().String()
}

func TestBenchJSON(t *testing.T) {
	addr := benchServer(t)
	for _, protocol := range []string{"grpc", "connect", "connect-json"} {
		t.Run(protocol, func(t *testing.T) {
			var stdout, stderr bytes.Buffer
			code := run(context.Background(), []string{"bench", "-addr", addr, "-protocol", protocol,
				"-pipeline", "popular", "-users", "5", "-c", "4", "-n", "50", "-warmup", "0", "-json"}, &stdout, &stderr)
			if code != 0 {
				t.Fatalf("exit %d: %s", code, stderr.String())
			}
			var got benchJSON
			if err := json.Unmarshal(stdout.Bytes(), &got); err != nil {
				t.Fatalf("%v in %s", err, stdout.String())
			}
			if got.Requests != 50 || got.OK != 50 || got.Pipeline != "popular" || got.Protocol != protocol || got.LatencySeconds.P99 <= 0 {
				t.Errorf("result %+v", got)
			}
		})
	}
}

func TestBenchText(t *testing.T) {
	addr := benchServer(t)
	var stdout, stderr bytes.Buffer
	code := run(context.Background(), []string{"bench", "-addr", addr, "-pipeline", "missing", "-n", "20", "-warmup", "0"}, &stdout, &stderr)
	if code != 1 || !strings.Contains(stderr.String(), "every call failed") {
		t.Errorf("exit %d, stderr %q; want 1 and every call failed", code, stderr.String())
	}
	for _, want := range []string{"requests  20 in ", "errors    20 (100.00%): NotFound 20\n"} {
		if !strings.Contains(stdout.String(), want) {
			t.Errorf("output lacks %q:\n%s", want, stdout.String())
		}
	}
}

func TestBenchRefuses(t *testing.T) {
	tests := []struct {
		give []string
		code int
		want string
	}{
		{[]string{"-pipeline", "p", "-addr", "10.1.2.3:8080"}, 1, "not a loopback address"},
		{[]string{"-pipeline", "p", "-d", "11m"}, 1, "at most 10m0s"},
		{[]string{"-pipeline", "p", "-c", "0"}, 1, "want at least 1"},
		{[]string{"-pipeline", "p", "-protocol", "http3"}, 1, "unknown protocol"},
		{[]string{"-d", "1s"}, 1, "-pipeline is required"},
		{[]string{"-bogus"}, 2, "flag provided but not defined"},
	}
	for _, tt := range tests {
		t.Run(strings.Join(tt.give, " "), func(t *testing.T) {
			var stdout, stderr bytes.Buffer
			code := run(context.Background(), append([]string{"bench"}, tt.give...), &stdout, &stderr)
			if code != tt.code || !strings.Contains(stderr.String(), tt.want) {
				t.Errorf("exit %d, stderr %q; want %d and %q", code, stderr.String(), tt.code, tt.want)
			}
		})
	}
}
