package middleware_test

import (
	"errors"
	"testing"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/testutil/promlint"
	dto "github.com/prometheus/client_model/go"
	"github.com/rankflow/rankflow/middleware"
	"github.com/rankflow/rankflow/stage"
)

// series finds the value of the metric family name for pipeline and stage:
// a counter's value or a histogram's sample count.
func series(t *testing.T, reg *prometheus.Registry, name, pipeline, stageName string) float64 {
	t.Helper()
	mfs, err := reg.Gather()
	if err != nil {
		t.Fatal(err)
	}
	for _, mf := range mfs {
		if mf.GetName() != name {
			continue
		}
		for _, m := range mf.GetMetric() {
			if label(m, "pipeline") == pipeline && label(m, "stage") == stageName {
				if h := m.GetHistogram(); h != nil {
					return float64(h.GetSampleCount())
				}
				return m.GetCounter().GetValue()
			}
		}
	}
	return 0
}

func label(m *dto.Metric, name string) string {
	for _, l := range m.GetLabel() {
		if l.GetName() == name {
			return l.GetValue()
		}
	}
	return ""
}

func TestMonitor(t *testing.T) {
	reg := prometheus.NewRegistry()
	m, err := middleware.NewMetrics(reg)
	if err != nil {
		t.Fatal(err)
	}
	mon := middleware.Monitor(m, "home")
	ok := mon(add("grow", "x", "y"))
	bad := mon(fail("bad", errBoom))
	for range 3 {
		if _, err := ok.Rank(t.Context(), newRequest(false, "a")); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := bad.Rank(t.Context(), newRequest(false, "a", "b")); err == nil {
		t.Fatal("no error")
	}
	if stage.Name(ok) != "grow" {
		t.Errorf("Name = %q", stage.Name(ok))
	}

	tests := []struct {
		metric string
		stage  string
		want   float64
	}{
		{metric: "rankflow_stage_duration_seconds", stage: "grow", want: 3},
		{metric: "rankflow_stage_candidates_in_total", stage: "grow", want: 3},
		{metric: "rankflow_stage_candidates_out_total", stage: "grow", want: 9},
		{metric: "rankflow_stage_errors_total", stage: "grow", want: 0},
		{metric: "rankflow_stage_duration_seconds", stage: "bad", want: 1},
		{metric: "rankflow_stage_candidates_in_total", stage: "bad", want: 2},
		{metric: "rankflow_stage_candidates_out_total", stage: "bad", want: 0},
		{metric: "rankflow_stage_errors_total", stage: "bad", want: 1},
	}
	for _, tt := range tests {
		t.Run(tt.metric+"/"+tt.stage, func(t *testing.T) {
			if got := series(t, reg, tt.metric, "home", tt.stage); got != tt.want {
				t.Errorf("%s{stage=%q} = %v, want %v", tt.metric, tt.stage, got, tt.want)
			}
		})
	}
}

// TestMetricsLint lints every metric NewMetrics registers, with series
// present so that each family is gathered.
func TestMetricsLint(t *testing.T) {
	reg := prometheus.NewRegistry()
	m, err := middleware.NewMetrics(reg)
	if err != nil {
		t.Fatal(err)
	}
	mon := middleware.Monitor(m, "home")
	_, _ = mon(add("ok", "x")).Rank(t.Context(), newRequest(false, "a"))
	_, _ = mon(fail("bad", errBoom)).Rank(t.Context(), newRequest(false, "a"))

	mfs, err := reg.Gather()
	if err != nil {
		t.Fatal(err)
	}
	if len(mfs) != 4 {
		t.Errorf("gathered %d metric families, want 4", len(mfs))
	}
	problems, err := promlint.NewWithMetricFamilies(mfs).Lint()
	if err != nil {
		t.Fatal(err)
	}
	for _, p := range problems {
		t.Errorf("%s: %s", p.Metric, p.Text)
	}
}

func TestNewMetricsTwice(t *testing.T) {
	reg := prometheus.NewRegistry()
	if _, err := middleware.NewMetrics(reg); err != nil {
		t.Fatal(err)
	}
	_, err := middleware.NewMetrics(reg)
	var are prometheus.AlreadyRegisteredError
	if !errors.As(err, &are) {
		t.Errorf("second NewMetrics error = %v, want AlreadyRegisteredError", err)
	}
}
