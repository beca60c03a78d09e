package order_test

import (
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/rankflow/rankflow/rank"
	"github.com/rankflow/rankflow/stages/internal/stagetest"
)

type F = stagetest.F

// scored returns a traced request whose candidates have the given ids and
// scores, and limit.
func scored(limit int, ids []string, scores []float64) *rank.Request {
	req := rank.NewRequest(rank.NewEntity("u1"), rank.Options{Debug: true, Limit: limit})
	for i, id := range ids {
		req.Append(id).Score = scores[i]
	}
	return req
}

func TestSortScore(t *testing.T) {
	s := stagetest.Build(t, "sort_score", nil, nil)
	res := stagetest.Run(t, s, scored(0, []string{"c", "a", "b", "d", "e"}, []float64{1, 2, 1, 3, 1}))
	if want := []string{"d", "a", "b", "c", "e"}; !slices.Equal(res.IDs, want) {
		t.Errorf("ids = %v, want %v", res.IDs, want)
	}
	if want := []float64{3, 2, 1, 1, 1}; !slices.Equal(res.Scores, want) {
		t.Errorf("scores = %v, want %v", res.Scores, want)
	}
}

func TestTruncate(t *testing.T) {
	ids := []string{"a", "b", "c", "d"}
	tests := []struct {
		name        string
		raw         map[string]any
		limit       int
		wantIDs     []string
		wantRemoved map[string]string
	}{
		{"default", map[string]any{"limit": 2}, 0, []string{"a", "b"}, map[string]string{"c": "past limit 2", "d": "past limit 2"}},
		{"request limit wins", map[string]any{"limit": 2}, 3, []string{"a", "b", "c"}, map[string]string{"d": "past limit 3"}},
		{"limit above length", map[string]any{}, 10, ids, nil},
		{"zero keeps all", map[string]any{"limit": 0}, 0, ids, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := stagetest.Build(t, "truncate", tt.raw, nil)
			res := stagetest.Run(t, s, scored(tt.limit, ids, []float64{4, 3, 2, 1}))
			stagetest.Check(t, res, tt.wantIDs, tt.wantRemoved)
		})
	}
	fe := stagetest.FieldErr(t, stagetest.BuildErr(t, "truncate", map[string]any{"limit": -1}, nil))
	if fe.Error() != "limit: must not be negative" {
		t.Errorf("error = %q", fe)
	}
}

func TestDiversify(t *testing.T) {
	authors := map[string]F{}
	for _, a := range []string{"x1", "x2", "x3", "x4", "y1", "y2", "z1"} {
		authors[a] = F{"author_id": rank.StringValue(a[:1]), "community": rank.IntValue(int64(a[0]))}
	}
	ids := []string{"x1", "x2", "x3", "y1", "x4", "n1", "y2", "z1"} // n1 has no author
	tests := []struct {
		name  string
		raw   map[string]any
		limit int
		want  []string
	}{
		{"two per author in the top 4", map[string]any{"feature": "author_id", "top": 4}, 0,
			[]string{"x1", "x2", "y1", "n1", "x3", "x4", "y2", "z1"}},
		{"one per author over the whole list", map[string]any{"feature": "author_id", "max": 1}, 0,
			[]string{"x1", "y1", "n1", "z1", "x2", "x3", "x4", "y2"}},
		{"top from the request limit, int feature", map[string]any{"feature": "community", "max": 1}, 3,
			[]string{"x1", "y1", "n1", "x2", "x3", "x4", "y2", "z1"}},
		{"nothing to push", map[string]any{"feature": "author_id", "max": 5}, 0, ids},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := stagetest.Build(t, "diversify", tt.raw, nil)
			req := stagetest.Candidates(rank.NewEntity("u"), ids, authors)
			req.Options.Limit = tt.limit
			res := stagetest.Run(t, s, req)
			stagetest.Check(t, res, tt.want, nil)
		})
	}
	fe := stagetest.FieldErr(t, stagetest.BuildErr(t, "diversify", map[string]any{"feature": "a", "max": 0}, nil))
	if fe.Error() != "max: must be at least 1" {
		t.Errorf("error = %q", fe)
	}
}

func shuffled(t *testing.T, raw map[string]any, ctxID string, n int) []string {
	t.Helper()
	s := stagetest.Build(t, "shuffle", raw, nil)
	ids := make([]string, n)
	for i := range ids {
		ids[i] = strconv.Itoa(i)
	}
	return stagetest.Run(t, s, stagetest.Request(rank.NewEntity(ctxID), ids...)).IDs
}

func TestShuffle(t *testing.T) {
	raw := map[string]any{"probability": 0.5, "window": 3, "salt": "s1"}
	a1, a2 := shuffled(t, raw, "alice", 30), shuffled(t, raw, "alice", 30)
	if !slices.Equal(a1, a2) {
		t.Errorf("same context shuffled differently:\n%v\n%v", a1, a2)
	}
	if b := shuffled(t, raw, "bob", 30); slices.Equal(a1, b) {
		t.Errorf("alice and bob got the same order %v", a1)
	}
	if c := shuffled(t, map[string]any{"probability": 0.5, "window": 3, "salt": "s2"}, "alice", 30); slices.Equal(a1, c) {
		t.Errorf("another salt gave the same order %v", a1)
	}
	// The order is pinned: math/rand/v2's PCG is a fixed algorithm.
	if got, want := shuffled(t, raw, "alice", 10), []string{"0", "4", "2", "3", "7", "8", "6", "9", "1", "5"}; !slices.Equal(got, want) {
		t.Errorf("alice's order = %v, want %v", got, want)
	}
	orig := make([]string, 30)
	for i := range orig {
		orig[i] = strconv.Itoa(i)
	}
	if slices.Equal(a1, orig) {
		t.Errorf("p=0.5 left 30 candidates in order")
	}
	sorted := slices.Clone(a1)
	slices.SortFunc(sorted, func(x, y string) int { xi, _ := strconv.Atoi(x); yi, _ := strconv.Atoi(y); return xi - yi })
	if !slices.Equal(sorted, orig) {
		t.Errorf("shuffle lost or duplicated candidates: %v", a1)
	}
	// Each swap moves a candidate down at most window places per step, so no
	// candidate rises more than window places.
	for pos, id := range a1 {
		if from, _ := strconv.Atoi(id); from-pos > 3 {
			t.Errorf("candidate %s rose from %d to %d, more than the window", id, from, pos)
		}
	}
	if got := shuffled(t, map[string]any{"probability": 0}, "alice", 10); !slices.Equal(got, orig[:10]) {
		t.Errorf("p=0 reordered: %v", got)
	}
	top := shuffled(t, map[string]any{"probability": 1, "top": 4}, "alice", 10)
	if !slices.Equal(top[4:], orig[4:10]) {
		t.Errorf("top=4 moved candidates past position 4: %v", top)
	}
	tests := []struct {
		raw  map[string]any
		want string
	}{
		{map[string]any{"probability": 1.5}, "probability: 1.5 is not between 0 and 1"},
		{map[string]any{"window": 0}, "window: must be at least 1"},
	}
	for _, tt := range tests {
		if fe := stagetest.FieldErr(t, stagetest.BuildErr(t, "shuffle", tt.raw, nil)); !strings.HasPrefix(fe.Error(), tt.want) {
			t.Errorf("error = %q, want %q", fe, tt.want)
		}
	}
}
