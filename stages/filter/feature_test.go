package filter_test

import (
	"strings"
	"testing"

	"github.com/rankflow/rankflow/rank"
	"github.com/rankflow/rankflow/stages/internal/stagetest"
)

type F = stagetest.F

var posts = map[string]F{
	"v":    {"media_type": rank.StringValue("video"), "ups": rank.IntValue(10), "live": rank.BoolValue(true), "tags": rank.StringSetValue("go", "db")},
	"i":    {"media_type": rank.StringValue("image"), "ups": rank.IntValue(3), "live": rank.BoolValue(false), "ratio": rank.FloatValue(0.5)},
	"t":    {"media_type": rank.StringValue("text"), "ups": rank.IntValue(50), "ratio": rank.FloatValue(2.5)},
	"none": {},
}

var order = []string{"v", "i", "t", "none"}

func TestFeature(t *testing.T) {
	tests := []struct {
		name        string
		raw         map[string]any
		wantIDs     []string
		wantRemoved map[string]string
	}{
		{
			name: "equals string", raw: map[string]any{"feature": "media_type", "value": "video"},
			wantIDs: []string{"v"},
			wantRemoved: map[string]string{
				"i": `media_type is "image", want "video"`, "t": `media_type is "text", want "video"`,
				"none": "no feature media_type",
			},
		},
		{
			name: "equals bool, missing kept", raw: map[string]any{"feature": "live", "value": "true", "missing": "keep"},
			wantIDs: []string{"v", "t", "none"}, wantRemoved: map[string]string{"i": "live is false, want true"},
		},
		{
			name: "equals on a set means contains", raw: map[string]any{"feature": "tags", "value": "db"},
			wantIDs:     []string{"v"},
			wantRemoved: map[string]string{"i": "no feature tags", "t": "no feature tags", "none": "no feature tags"},
		},
		{
			name: "not equals int", raw: map[string]any{"feature": "ups", "op": "not_equals", "value": "3"},
			wantIDs:     []string{"v", "t"},
			wantRemoved: map[string]string{"i": "ups is 3, want anything but 3", "none": "no feature ups"},
		},
		{
			name: "in", raw: map[string]any{"feature": "media_type", "op": "in", "values": []any{"video", "image"}, "missing": "keep"},
			wantIDs: []string{"v", "i", "none"}, wantRemoved: map[string]string{"t": `media_type is "text", want one of ["video", "image"]`},
		},
		{
			name: "not in", raw: map[string]any{"feature": "media_type", "op": "not_in", "values": []any{"video"}},
			wantIDs:     []string{"i", "t"},
			wantRemoved: map[string]string{"v": `media_type is "video", want none of ["video"]`, "none": "no feature media_type"},
		},
		{
			name: "range on ints", raw: map[string]any{"feature": "ups", "op": "range", "min": 5, "max": 10},
			wantIDs:     []string{"v"},
			wantRemoved: map[string]string{"i": "ups is 3, want in [5, 10]", "t": "ups is 50, want in [5, 10]", "none": "no feature ups"},
		},
		{
			name: "range open above on floats", raw: map[string]any{"feature": "ratio", "op": "range", "min": 1.5, "missing": "keep"},
			wantIDs: []string{"v", "t", "none"}, wantRemoved: map[string]string{"i": "ratio is 0.5, want >= 1.5"},
		},
		{
			name: "exists", raw: map[string]any{"feature": "ratio", "op": "exists"},
			wantIDs: []string{"i", "t"}, wantRemoved: map[string]string{"v": "no feature ratio", "none": "no feature ratio"},
		},
		{
			name: "not exists", raw: map[string]any{"feature": "ratio", "op": "not_exists"},
			wantIDs: []string{"v", "none"}, wantRemoved: map[string]string{"i": "has feature ratio", "t": "has feature ratio"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := stagetest.Build(t, "filter_feature", tt.raw, nil)
			res := stagetest.Run(t, s, stagetest.Candidates(rank.NewEntity("u"), order, posts))
			stagetest.Check(t, res, tt.wantIDs, tt.wantRemoved)
		})
	}
}

func TestFeatureUntracedDoesNotAllocate(t *testing.T) {
	s := stagetest.Build(t, "filter_feature", map[string]any{"feature": "media_type", "op": "in", "values": []any{"video", "text"}}, nil)
	req := stagetest.Candidates(rank.NewEntity("u"), order, posts)
	req.Trace = nil
	all := append([]*rank.Entity(nil), req.Candidates...)
	allocs := testing.AllocsPerRun(100, func() {
		req.Candidates = append(req.Candidates[:0], all...)
		if _, err := s.Rank(t.Context(), req); err != nil {
			t.Fatal(err)
		}
	})
	if got := rank.IDs(req.Candidates); len(got) != 2 || got[0] != "v" || got[1] != "t" {
		t.Errorf("ids = %v, want [v t]", got)
	}
	if allocs != 0 {
		t.Errorf("untraced run allocates %v times, want 0", allocs)
	}
}

func TestFeatureBuildErrors(t *testing.T) {
	tests := []struct {
		name      string
		raw       map[string]any
		wantField string
		wantMsg   string
	}{
		{"no feature", map[string]any{"value": "x"}, "feature", "required field is missing"},
		{"unknown op", map[string]any{"feature": "f", "op": "like"}, "op", `"like" is not one of`},
		{"equals without value", map[string]any{"feature": "f"}, "value", "op equals needs a value"},
		{"in without values", map[string]any{"feature": "f", "op": "in"}, "values", "op in needs at least one value"},
		{"value with in", map[string]any{"feature": "f", "op": "in", "value": "x", "values": []any{"x"}}, "value", "is not used by op in"},
		{"range without bounds", map[string]any{"feature": "f", "op": "range"}, "min", "op range needs min, max or both"},
		{"range upside down", map[string]any{"feature": "f", "op": "range", "min": 3, "max": 1}, "max", "1 is below min 3"},
		{"min with exists", map[string]any{"feature": "f", "op": "exists", "min": 1}, "min", "is not used by op exists"},
		{"value not a string", map[string]any{"feature": "f", "value": true}, "value", "want string, got bool true"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			fe := stagetest.FieldErr(t, stagetest.BuildErr(t, "filter_feature", tt.raw, nil))
			if fe.Field != tt.wantField || !strings.Contains(fe.Msg, tt.wantMsg) {
				t.Errorf("got %s: %s, want %s: ...%s...", fe.Field, fe.Msg, tt.wantField, tt.wantMsg)
			}
		})
	}
}
