package merger_test

import (
	"fmt"
	"slices"
	"testing"

	"github.com/rankflow/rankflow/rank"
	"github.com/rankflow/rankflow/stage"
	"github.com/rankflow/rankflow/stage/merger"
)

// branch returns a request whose candidates are "id:score" pairs.
func branch(cands ...string) *rank.Request {
	r := rank.NewRequest(nil, rank.Options{})
	for _, c := range cands {
		var id string
		var score float64
		if _, err := fmt.Sscanf(c, "%1s:%g", &id, &score); err != nil {
			panic(err)
		}
		r.Append(id).Score = score
	}
	return r
}

func pairs(r *rank.Request) []string {
	var out []string
	for _, e := range r.Candidates {
		out = append(out, fmt.Sprintf("%s:%g", e.ID, e.Score))
	}
	return out
}

func TestMergers(t *testing.T) {
	tests := []struct {
		name    string
		merge   stage.Merger
		results []*rank.Request
		want    []string
	}{
		{name: "concat keeps first", merge: merger.Concat,
			results: []*rank.Request{branch("a:1", "b:1"), branch("b:9", "c:1")},
			want:    []string{"a:1", "b:1", "c:1"}},
		{name: "concat dedupes within a branch", merge: merger.Concat,
			results: []*rank.Request{branch("a:1", "a:2")},
			want:    []string{"a:1"}},
		{name: "concat skips nil results", merge: merger.Concat,
			results: []*rank.Request{nil, branch("a:1"), nil, branch("b:2")},
			want:    []string{"a:1", "b:2"}},
		{name: "concat of nothing", merge: merger.Concat,
			results: []*rank.Request{nil, nil}},
		{name: "keep max takes the best score at the first position", merge: merger.ConcatKeepMax,
			results: []*rank.Request{branch("a:1", "b:1"), branch("c:1", "b:9", "a:0")},
			want:    []string{"a:1", "b:9", "c:1"}},
		{name: "keep max keeps the first of equal scores", merge: merger.ConcatKeepMax,
			results: []*rank.Request{branch("a:5"), branch("a:5")},
			want:    []string{"a:5"}},
		{name: "keep max skips nil results", merge: merger.ConcatKeepMax,
			results: []*rank.Request{nil, branch("a:1"), branch("a:3")},
			want:    []string{"a:3"}},
		{name: "round robin interleaves", merge: merger.RoundRobin,
			results: []*rank.Request{branch("a:1", "b:1", "c:1"), branch("x:1"), branch("y:1", "z:1")},
			want:    []string{"a:1", "x:1", "y:1", "b:1", "z:1", "c:1"}},
		{name: "round robin keeps first of each id", merge: merger.RoundRobin,
			results: []*rank.Request{branch("a:1", "b:1"), branch("b:2", "a:2", "c:2")},
			want:    []string{"a:1", "b:2", "c:2"}},
		{name: "round robin skips nil results", merge: merger.RoundRobin,
			results: []*rank.Request{nil, branch("a:1"), nil},
			want:    []string{"a:1"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			parent := branch("p:0")
			got := tt.merge(parent, tt.results)
			if got != parent {
				t.Errorf("merger returned %p, want the parent %p", got, parent)
			}
			if !slices.Equal(pairs(got), tt.want) {
				t.Errorf("merged = %q, want %q", pairs(got), tt.want)
			}
		})
	}
}

func TestMergerKeepsBranchEntities(t *testing.T) {
	b := branch("a:1")
	b.Candidates[0].Set("f", rank.IntValue(7))
	got := merger.Concat(branch(), []*rank.Request{b})
	if got.Candidates[0] != b.Candidates[0] {
		t.Error("Concat copied the branch's entity instead of taking it")
	}
}
