package middleware_test

import (
	"bytes"
	"context"
	"encoding/json"
	"slices"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/rankflow/rankflow/middleware"
	"github.com/rankflow/rankflow/rank"
	"github.com/rankflow/rankflow/stage"
	"github.com/rankflow/rankflow/stage/merger"
	"github.com/rankflow/rankflow/stage/strategy"
)

func TestLogOnce(t *testing.T) {
	release := make(chan struct{})
	t.Cleanup(func() { close(release) })
	var cancel context.CancelFunc
	// deaf cancels the request and then ignores that until the test ends.
	deaf := fn("deaf", func(_ context.Context, req *rank.Request) (*rank.Request, error) {
		cancel()
		<-release
		return req, nil
	})
	tests := []struct {
		name      string
		build     func(wrap stage.Middleware) stage.Stage
		wantErr   string
		wantStage []string // the stages that logged
	}{
		{
			name:  "success is silent",
			build: func(w stage.Middleware) stage.Stage { return w(add("ok", "x")) },
		},
		{
			name:      "leaf failure",
			build:     func(w stage.Middleware) stage.Stage { return w(fail("bad", errBoom)) },
			wantErr:   "boom",
			wantStage: []string{"bad"},
		},
		{
			name: "series logs only the innermost",
			build: func(w stage.Middleware) stage.Stage {
				return w(stage.Series(w(add("ok", "x")), w(stage.Series(w(fail("bad", errBoom))))))
			},
			wantErr:   "stage bad: boom",
			wantStage: []string{"bad"},
		},
		{
			name: "parallel logs only the failed branches",
			build: func(w stage.Middleware) stage.Stage {
				return w(stage.Series(w(stage.Parallel(merger.Concat, strategy.FailWhenAnyFails, w(add("ok", "x")), w(fail("bad", errBoom))))))
			},
			wantErr:   "branch bad: stage bad: boom",
			wantStage: []string{"bad"},
		},
		{
			name: "all branches fail",
			build: func(w stage.Middleware) stage.Stage {
				return w(stage.Parallel(merger.Concat, strategy.FailWhenAllFail, w(fail("bad1", errBoom)), w(fail("bad2", errBoom))))
			},
			wantErr:   "all branches failed",
			wantStage: []string{"bad1", "bad2"},
		},
		{
			name: "a request whose context ended is not logged as a stage failure",
			build: func(w stage.Middleware) stage.Stage {
				return w(stage.Parallel(merger.Concat, strategy.FailWhenAllFail, w(add("ok", "x")), w(deaf)))
			},
			wantErr:   "context canceled",
			wantStage: nil,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			logger, buf := newLogger()
			var ctx context.Context
			ctx, cancel = context.WithCancel(t.Context())
			defer cancel()
			_, err := tt.build(middleware.Log(logger)).Rank(ctx, newRequest(false, "a"))
			if !strings.Contains(errText(err), tt.wantErr) || (err == nil) != (tt.wantErr == "") {
				t.Fatalf("error = %v, want %q", err, tt.wantErr)
			}
			var logged []string
			for _, rec := range buf.records(t) {
				logged = append(logged, rec["stage"].(string))
			}
			slices.Sort(logged)
			if !slices.Equal(logged, tt.wantStage) {
				t.Errorf("logged by %q, want %q", logged, tt.wantStage)
			}
		})
	}
}

func TestLogRecord(t *testing.T) {
	logger, buf := newLogger()
	s := middleware.Log(logger)(fn("bad", func(_ context.Context, req *rank.Request) (*rank.Request, error) {
		req.Candidates = req.Candidates[:1] // logged as the stage left it
		return nil, errBoom
	}))
	req := newRequest(false, "a", "b")
	if _, err := s.Rank(t.Context(), req); err == nil {
		t.Fatal("no error")
	}
	recs := buf.records(t)
	if len(recs) != 1 {
		t.Fatalf("got %d records", len(recs))
	}
	rec := recs[0]
	want := map[string]any{
		"level":    "ERROR",
		"msg":      "stage failed",
		"stage":    "bad",
		"pipeline": "home",
		"error":    "boom",
		"request":  `{"context":{"id":"user"},"candidates":[{"id":"a"}],"options":{"method":"home"}}`,
		"response": "null",
	}
	var compact bytes.Buffer
	if err := json.Compact(&compact, []byte(rec["request"].(string))); err != nil {
		t.Fatalf("request is not JSON: %v", err)
	}
	rec["request"] = compact.String() // protojson varies its spacing
	for k, v := range want {
		if rec[k] != v {
			t.Errorf("%s = %q, want %q", k, rec[k], v)
		}
	}
}

func TestLogTruncatesRequest(t *testing.T) {
	const maxBytes = 8 << 10
	tests := []struct {
		name       string
		candidates int
		title      string
		want       string
	}{
		{name: "many small candidates", candidates: 1000, title: "t", want: "(20 of 1000 candidates shown)"},
		{name: "a few huge candidates", candidates: 30, title: strings.Repeat("ü", 333), want: "…(truncated, "},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			logger, buf := newLogger()
			s := middleware.Log(logger)(fn("bad", func(_ context.Context, req *rank.Request) (*rank.Request, error) {
				return req, errBoom // the response is logged too
			}))
			req := newRequest(false)
			for i := range tt.candidates {
				e := req.Append(strings.Repeat("p", i%7+1))
				e.Set("title", rank.StringValue(tt.title))
			}
			if _, err := s.Rank(t.Context(), req); err == nil {
				t.Fatal("no error")
			}
			rec := buf.records(t)[0]
			for _, key := range []string{"request", "response"} {
				got := rec[key].(string)
				if len(got) > maxBytes+100 || !strings.Contains(got, tt.want) || !utf8.ValidString(got) {
					t.Errorf("%s is %d bytes, want at most %d containing %q: %.100q…", key, len(got), maxBytes+100, tt.want, got)
				}
			}
		})
	}
}
