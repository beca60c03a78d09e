package score_test

import (
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/rankflow/rankflow/pipeline/registry"
	"github.com/rankflow/rankflow/rank"
	"github.com/rankflow/rankflow/stages/internal/stagetest"
)

type F = stagetest.F

var items = map[string]F{
	"a": {"ctr": rank.FloatValue(0.5), "ups": rank.IntValue(10)},
	"b": {"ctr": rank.FloatValue(0.25)},
	"c": {},
}

func TestLinear(t *testing.T) {
	dir := t.TempDir()
	write := func(name, body string) {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(body), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	write("m.json", `{"bias": 1, "weights": {"ctr": 2, "ups": 0.5}}`)
	write("m.yaml", "bias: 1\nweights:\n  ctr: 2\n  ups: 0.5\n")
	env := &registry.Env{Dir: dir}
	want := []float64{7, 1.5, 1}
	tests := []struct {
		name string
		raw  map[string]any
	}{
		{"inline", map[string]any{"bias": 1, "weights": map[string]any{"ctr": 2, "ups": 0.5}}},
		{"json file", map[string]any{"weights_file": "m.json"}},
		{"yaml file", map[string]any{"weights_file": "m.yaml"}},
		{"absolute path", map[string]any{"weights_file": filepath.Join(dir, "m.json")}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := stagetest.Build(t, "score_linear", tt.raw, env)
			res := stagetest.Run(t, s, stagetest.Candidates(rank.NewEntity("u"), []string{"a", "b", "c"}, items))
			if !slices.Equal(res.Scores, want) {
				t.Errorf("scores = %v, want %v", res.Scores, want)
			}
		})
	}
}

func TestLinearBuildErrors(t *testing.T) {
	dir := t.TempDir()
	for name, body := range map[string]string{
		"extra.json": `{"bias": 1, "weights": {"ctr": 2}, "version": 3}`,
		"bad.yaml":   "weights: [1, 2]\n",
		"none.json":  `{"bias": 1}`,
		"empty.yaml": "",
	} {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(body), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	env := &registry.Env{Dir: dir}
	tests := []struct {
		name      string
		raw       map[string]any
		wantField string
		wantMsg   []string
	}{
		{"neither", map[string]any{}, "weights", []string{"required field is missing (or set weights_file)"}},
		{"both", map[string]any{"weights": map[string]any{"a": 1}, "weights_file": "m.json"}, "weights_file", []string{"set weights or weights_file, not both"}},
		{"bias beside file", map[string]any{"bias": 2, "weights_file": "m.json"}, "bias", []string{"set the bias in weights_file m.json"}},
		{"missing file", map[string]any{"weights_file": "gone.json"}, "weights_file", []string{"read weights", filepath.Join(dir, "gone.json")}},
		{"unknown key", map[string]any{"weights_file": "extra.json"}, "weights_file", []string{"extra.json", `unknown field "version"`}},
		{"wrong shape", map[string]any{"weights_file": "bad.yaml"}, "weights_file", []string{"bad.yaml", "cannot unmarshal"}},
		{"no weights", map[string]any{"weights_file": "none.json"}, "weights_file", []string{"none.json: no weights"}},
		{"empty file", map[string]any{"weights_file": "empty.yaml"}, "weights_file", []string{"empty.yaml: the file is empty"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			fe := stagetest.FieldErr(t, stagetest.BuildErr(t, "score_linear", tt.raw, env))
			if fe.Field != tt.wantField {
				t.Errorf("field = %q (%s), want %q", fe.Field, fe.Msg, tt.wantField)
			}
			for _, w := range tt.wantMsg {
				if !strings.Contains(fe.Msg, w) {
					t.Errorf("message %q does not contain %q", fe.Msg, w)
				}
			}
		})
	}
}

func TestLinearScoreWeight(t *testing.T) {
	s := stagetest.Build(t, "score_linear", map[string]any{"score_weight": 0.5, "weights": map[string]any{"ctr": 2}}, nil)
	req := stagetest.Candidates(rank.NewEntity("u"), []string{"a", "b", "c"}, items)
	for i, e := range req.Candidates {
		e.Score = float64(10 * (i + 1)) // the scores a source gave: 10, 20, 30
	}
	res := stagetest.Run(t, s, req)
	if want := []float64{6, 10.5, 15}; !slices.Equal(res.Scores, want) {
		t.Errorf("scores = %v, want %v (0.5 × incoming + 2 × ctr)", res.Scores, want)
	}
}

// TestLinearReadsRecordsAndOwnFeatures scores candidates whose features come
// from shared records (read by position), from the entity itself, and from
// both, where the entity's own value wins.
func TestLinearReadsRecordsAndOwnFeatures(t *testing.T) {
	rec := rank.RecordOf(map[string]rank.Value{"ctr": rank.FloatValue(0.5), "ups": rank.IntValue(10)})
	other := rank.RecordOf(map[string]rank.Value{"ups": rank.IntValue(4), "x": rank.BoolValue(true)})
	req := stagetest.Request(rank.NewEntity("u"), "rec", "other", "own", "both", "rec2")
	req.Candidates[0].BorrowRecord(rec)
	req.Candidates[1].BorrowRecord(other)
	req.Candidates[2].Set("ctr", rank.FloatValue(0.25))
	req.Candidates[3].BorrowRecord(rec)
	req.Candidates[3].Set("ctr", rank.FloatValue(1))
	req.Candidates[4].BorrowRecord(rec)
	s := stagetest.Build(t, "score_linear", map[string]any{"bias": 1, "weights": map[string]any{"ctr": 2, "ups": 0.5}}, nil)
	res := stagetest.Run(t, s, req)
	want := []float64{7, 3, 1.5, 8, 7}
	if !slices.Equal(res.Scores, want) {
		t.Errorf("scores = %v, want %v", res.Scores, want)
	}
}
