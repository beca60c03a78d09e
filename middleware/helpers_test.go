package middleware_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"log/slog"
	"strings"
	"sync"
	"testing"

	"github.com/rankflow/rankflow/rank"
	"github.com/rankflow/rankflow/stage"
)

var errBoom = errors.New("boom")

func newRequest(debug bool, ids ...string) *rank.Request {
	r := rank.NewRequest(rank.NewEntity("user"), rank.Options{Method: "home", Debug: debug})
	for _, id := range ids {
		r.Append(id)
	}
	return r
}

func ids(r *rank.Request) []string {
	if r == nil {
		return nil
	}
	return rank.IDs(r.Candidates)
}

func errText(err error) string {
	if err == nil {
		return ""
	}
	return err.Error()
}

func fn(name string, f stage.RankFunc) stage.Stage { return stage.Named(name, f) }

func add(name string, newIDs ...string) stage.Stage {
	return fn(name, func(_ context.Context, req *rank.Request) (*rank.Request, error) {
		for _, id := range newIDs {
			req.Append(id)
		}
		return req, nil
	})
}

func fail(name string, err error) stage.Stage {
	return fn(name, func(context.Context, *rank.Request) (*rank.Request, error) { return nil, err })
}

func panics(name string) stage.Stage {
	return fn(name, func(context.Context, *rank.Request) (*rank.Request, error) { panic("kaboom") })
}

// logBuffer collects JSON log records.
type logBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *logBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *logBuffer) records(t *testing.T) []map[string]any {
	t.Helper()
	b.mu.Lock()
	defer b.mu.Unlock()
	var out []map[string]any
	for line := range strings.Lines(b.buf.String()) {
		var rec map[string]any
		if err := json.Unmarshal([]byte(line), &rec); err != nil {
			t.Fatalf("log line is not JSON: %v: %s", err, line)
		}
		out = append(out, rec)
	}
	return out
}

func newLogger() (*slog.Logger, *logBuffer) {
	b := &logBuffer{}
	return slog.New(slog.NewJSONHandler(b, nil)), b
}
