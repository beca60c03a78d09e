package middleware_test

import (
	"context"
	"slices"
	"sync"
	"testing"

	"github.com/rankflow/rankflow/middleware"
	"github.com/rankflow/rankflow/stage"
	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/codes"
	"go.opentelemetry.io/otel/trace"
	"go.opentelemetry.io/otel/trace/noop"
)

// recTracer records the spans started with it.
type recTracer struct {
	noop.Tracer
	mu    sync.Mutex
	spans []*recSpan
}

func (tr *recTracer) Start(ctx context.Context, name string, _ ...trace.SpanStartOption) (context.Context, trace.Span) {
	s := &recSpan{name: name, attrs: map[attribute.Key]attribute.Value{}}
	if p, ok := trace.SpanFromContext(ctx).(*recSpan); ok {
		s.parent = p.name
	}
	tr.mu.Lock()
	tr.spans = append(tr.spans, s)
	tr.mu.Unlock()
	return trace.ContextWithSpan(ctx, s), s
}

func (tr *recTracer) byName() map[string]*recSpan {
	tr.mu.Lock()
	defer tr.mu.Unlock()
	m := map[string]*recSpan{}
	for _, s := range tr.spans {
		m[s.name] = s
	}
	return m
}

type recSpan struct {
	noop.Span
	mu     sync.Mutex
	name   string
	parent string
	attrs  map[attribute.Key]attribute.Value
	status codes.Code
	desc   string
	errs   int
	ended  bool
}

func (s *recSpan) IsRecording() bool { return true }

func (s *recSpan) SetAttributes(kv ...attribute.KeyValue) {
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, a := range kv {
		s.attrs[a.Key] = a.Value
	}
}

func (s *recSpan) SetStatus(c codes.Code, desc string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.status, s.desc = c, desc
}

func (s *recSpan) RecordError(error, ...trace.EventOption) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.errs++
}

func (s *recSpan) End(...trace.SpanEndOption) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.ended = true
}

func TestTrace(t *testing.T) {
	tr := &recTracer{}
	w := middleware.Trace(tr, "home")
	s := w(stage.Named("pipe", stage.Series(w(add("fetch", "x", "y")), w(fail("bad", errBoom)))))
	if _, err := s.Rank(t.Context(), newRequest(false, "a")); err == nil {
		t.Fatal("no error")
	}
	spans := tr.byName()
	tests := []struct {
		span     string
		parent   string
		in       int64
		out      int64 // -1: not set
		status   codes.Code
		desc     string
		recorded int
	}{
		{span: "pipe", in: 1, out: -1, status: codes.Error, desc: "stage bad: boom", recorded: 1},
		{span: "fetch", parent: "pipe", in: 1, out: 3, status: codes.Unset},
		{span: "bad", parent: "pipe", in: 3, out: -1, status: codes.Error, desc: "boom", recorded: 1},
	}
	for _, tt := range tests {
		t.Run(tt.span, func(t *testing.T) {
			sp := spans[tt.span]
			if sp == nil {
				t.Fatalf("no span %q among %d", tt.span, len(spans))
			}
			out, hasOut := sp.attrs["rankflow.candidates_out"]
			gotOut := int64(-1)
			if hasOut {
				gotOut = out.AsInt64()
			}
			if sp.parent != tt.parent || !sp.ended || sp.attrs["rankflow.pipeline"].AsString() != "home" ||
				sp.attrs["rankflow.candidates_in"].AsInt64() != tt.in || gotOut != tt.out ||
				sp.status != tt.status || sp.desc != tt.desc || sp.errs != tt.recorded {
				t.Errorf("span = %+v", sp)
			}
		})
	}
}

func TestTraceNotRecording(t *testing.T) {
	s := middleware.Trace(noop.NewTracerProvider().Tracer(""), "home")(add("fetch", "x"))
	got, err := s.Rank(t.Context(), newRequest(false, "a"))
	if err != nil || !slices.Equal(ids(got), []string{"a", "x"}) || stage.Name(s) != "fetch" {
		t.Errorf("Rank = %q, %v", ids(got), err)
	}
}
