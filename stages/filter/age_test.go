package filter_test

import (
	"strings"
	"testing"
	"time"

	"github.com/rankflow/rankflow/pipeline/registry"
	"github.com/rankflow/rankflow/rank"
	"github.com/rankflow/rankflow/stages/internal/stagetest"
)

func TestAge(t *testing.T) {
	now := time.Unix(1_700_000_000, 0)
	env := &registry.Env{Now: func() time.Time { return now }}
	at := func(ago time.Duration) rank.Value { return rank.IntValue(now.Add(-ago).Unix()) }
	items := map[string]F{
		"new":     {"created_at": at(2 * time.Minute), "t": rank.FloatValue(float64(now.Add(-3 * time.Hour).Unix()))},
		"day":     {"created_at": at(24 * time.Hour)},
		"edge":    {"created_at": at(48 * time.Hour)},
		"old":     {"created_at": at(52 * time.Hour)},
		"odd":     {"created_at": at(49*time.Hour + 30*time.Minute + 5*time.Second)},
		"undated": {},
	}
	ids := []string{"new", "day", "edge", "old", "odd", "undated"}
	tests := []struct {
		name        string
		raw         map[string]any
		wantIDs     []string
		wantRemoved map[string]string
	}{
		{
			name: "max age", raw: map[string]any{"max_age": "48h"},
			wantIDs: []string{"new", "day", "edge"},
			wantRemoved: map[string]string{
				"old": "age 52h > max 48h", "odd": "age 49h30m5s > max 48h", "undated": "no feature created_at",
			},
		},
		{
			name: "window, missing kept", raw: map[string]any{"max_age": "50h", "min_age": "5m", "missing": "keep"},
			wantIDs:     []string{"day", "edge", "odd", "undated"},
			wantRemoved: map[string]string{"new": "age 2m < min 5m", "old": "age 52h > max 50h"},
		},
		{
			name: "float feature", raw: map[string]any{"feature": "t", "max_age": "1h", "missing": "keep"},
			wantIDs:     []string{"day", "edge", "old", "odd", "undated"},
			wantRemoved: map[string]string{"new": "age 3h > max 1h"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := stagetest.Build(t, "filter_age", tt.raw, env)
			res := stagetest.Run(t, s, stagetest.Candidates(rank.NewEntity("u"), ids, items))
			stagetest.Check(t, res, tt.wantIDs, tt.wantRemoved)
		})
	}
}

func TestAgeBuildErrors(t *testing.T) {
	tests := []struct {
		name, wantField, wantMsg string
		raw                      map[string]any
	}{
		{"no bound", "max_age", "set max_age, min_age or both", map[string]any{}},
		{"inverted", "min_age", "2h0m0s is above max_age 1h0m0s", map[string]any{"max_age": "1h", "min_age": "2h"}},
		{"not a duration", "max_age", `"two days" is not a duration`, map[string]any{"max_age": "two days"}},
		{"zero", "max_age", "must be above zero", map[string]any{"max_age": "0s"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			fe := stagetest.FieldErr(t, stagetest.BuildErr(t, "filter_age", tt.raw, nil))
			if fe.Field != tt.wantField || !strings.Contains(fe.Msg, tt.wantMsg) {
				t.Errorf("got %s: %s, want %s: ...%s...", fe.Field, fe.Msg, tt.wantField, tt.wantMsg)
			}
		})
	}
}
