package middleware_test

import (
	"slices"
	"testing"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/rankflow/rankflow/middleware"
	"github.com/rankflow/rankflow/rank"
	"github.com/rankflow/rankflow/stage"
	"github.com/rankflow/rankflow/stage/merger"
	"github.com/rankflow/rankflow/stage/strategy"
)

func TestDefault(t *testing.T) {
	logger, logs := newLogger()
	reg := prometheus.NewRegistry()
	m, err := middleware.NewMetrics(reg)
	if err != nil {
		t.Fatal(err)
	}
	var kill middleware.KillList
	kill.Set("home", "killed", true)
	tr := &recTracer{}
	w := middleware.Default(middleware.Options{Pipeline: "home", Logger: logger, Metrics: m, Flags: &kill, Tracer: tr})

	s := w(stage.Parallel(merger.Concat, strategy.FailWhenAllFail,
		w(add("fetch", "x")), w(add("killed", "k")), w(panics("bomb"))))
	req := newRequest(true, "a")
	got, err := s.Rank(t.Context(), req)
	if err != nil || !slices.Equal(ids(got), []string{"a", "x"}) {
		t.Fatalf("Rank = %q, %v", ids(got), err)
	}

	entries := map[string]rank.StageTrace{}
	for _, st := range req.Trace.Stages() {
		entries[st.Path] = st
	}
	spans := tr.byName()
	tests := []struct {
		stage       string
		wantSkipped string
		wantError   string
		wantRuns    float64 // Monitor's duration samples
		wantErrors  float64
		wantSpan    bool
	}{
		{stage: "fetch", wantRuns: 1, wantSpan: true},
		{stage: "killed", wantSkipped: "killed by flag", wantSpan: true},
		{stage: "bomb", wantError: "stage bomb: panic: kaboom", wantRuns: 1, wantErrors: 1, wantSpan: true},
	}
	for _, tt := range tests {
		t.Run(tt.stage, func(t *testing.T) {
			st := entries["parallel/"+tt.stage]
			if st.Skipped != tt.wantSkipped || st.Error != tt.wantError {
				t.Errorf("explain = %+v", st)
			}
			if n := series(t, reg, "rankflow_stage_duration_seconds", "home", tt.stage); n != tt.wantRuns {
				t.Errorf("duration samples = %v, want %v", n, tt.wantRuns)
			}
			if n := series(t, reg, "rankflow_stage_errors_total", "home", tt.stage); n != tt.wantErrors {
				t.Errorf("errors = %v, want %v", n, tt.wantErrors)
			}
			if sp := spans[tt.stage]; (sp != nil) != tt.wantSpan || sp.parent != "parallel" {
				t.Errorf("span = %+v", sp)
			}
		})
	}

	var msgs []string
	for _, rec := range logs.records(t) {
		msgs = append(msgs, rec["stage"].(string)+": "+rec["msg"].(string))
	}
	slices.Sort(msgs)
	if want := []string{"bomb: stage failed", "bomb: stage panicked"}; !slices.Equal(msgs, want) {
		t.Errorf("logs = %q, want %q", msgs, want)
	}
}

func TestDefaultZeroOptions(t *testing.T) {
	w := middleware.Default(middleware.Options{})
	s := w(add("fetch", "x"))
	got, err := s.Rank(t.Context(), newRequest(true, "a"))
	if err != nil || !slices.Equal(ids(got), []string{"a", "x"}) || stage.Name(s) != "fetch" {
		t.Errorf("Rank = %q, %v, name %q", ids(got), err, stage.Name(s))
	}
	if middleware.Tracer() == nil {
		t.Error("Tracer() is nil")
	}
}
