package order_test

import (
	"fmt"
	"math/rand/v2"
	"slices"
	"strconv"
	"testing"

	"github.com/rankflow/rankflow/rank"
	"github.com/rankflow/rankflow/stages/order"
)

func entities(scores ...float64) []*rank.Entity {
	out := make([]*rank.Entity, len(scores))
	for i, s := range scores {
		out[i] = &rank.Entity{ID: strconv.Itoa(i), Score: s}
	}
	return out
}

func key(e *rank.Entity) string { return fmt.Sprintf("%s:%g", e.ID, e.Score) }

func keys(c []*rank.Entity) []string {
	out := make([]string, len(c))
	for i, e := range c {
		out[i] = key(e)
	}
	return out
}

// fullSort is the obvious implementation Top must agree with.
func fullSort(c []*rank.Entity, k int) []string {
	s := slices.Clone(c)
	slices.SortStableFunc(s, func(a, b *rank.Entity) int {
		switch {
		case order.Better(a, b):
			return -1
		case order.Better(b, a):
			return 1
		}
		return 0
	})
	return keys(s[:max(0, min(k, len(s)))])
}

func TestTopMatchesFullSort(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	for n := range 40 {
		for _, k := range []int{-1, 0, 1, 2, n / 2, n - 1, n, n + 1, 3 * n} {
			for round := range 5 {
				c := make([]*rank.Entity, n)
				for i := range c {
					// Few distinct scores and ids, so ties on both happen.
					c[i] = &rank.Entity{ID: strconv.Itoa(rng.IntN(n + 1)), Score: float64(rng.IntN(4))}
				}
				want := fullSort(c, k)
				orig := slices.Clone(c)
				got := order.Top(c, k)
				if !slices.Equal(keys(got), want) {
					t.Fatalf("n=%d k=%d round=%d: Top = %q, want %q (input %q)", n, k, round, keys(got), want, keys(orig))
				}
				if len(got) > 0 && &got[0] != &c[0] {
					t.Fatalf("n=%d k=%d: Top did not work in place", n, k)
				}
				if slices.ContainsFunc(c[len(got):], func(e *rank.Entity) bool { return e != nil }) {
					t.Fatalf("n=%d k=%d: the rest of c is not cleared: %v", n, k, c[len(got):])
				}
			}
		}
	}
}

func TestTop(t *testing.T) {
	tests := []struct {
		name string
		give []float64
		k    int
		want []string
	}{
		{name: "empty", give: nil, k: 3},
		{name: "k zero", give: []float64{1, 2}, k: 0},
		{name: "k negative", give: []float64{1, 2}, k: -5},
		{name: "k above n", give: []float64{1, 3, 2}, k: 10, want: []string{"1:3", "2:2", "0:1"}},
		{name: "ties by id", give: []float64{5, 5, 5, 1}, k: 2, want: []string{"0:5", "1:5"}},
		{name: "negative scores", give: []float64{-1, -3, -2}, k: 2, want: []string{"0:-1", "2:-2"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := entities(tt.give...)
			got := order.Top(c, tt.k)
			if !slices.Equal(keys(got), tt.want) {
				t.Errorf("Top = %q, want %q", keys(got), tt.want)
			}
			if slices.ContainsFunc(c[len(got):], func(e *rank.Entity) bool { return e != nil }) {
				t.Errorf("the rest of c is not cleared: %v", c[len(got):])
			}
		})
	}
}

func TestTopK(t *testing.T) {
	tests := []struct {
		name  string
		def   int
		limit int
		want  []string
	}{
		{name: "default", def: 2, want: []string{"b", "d"}},
		{name: "request limit wins", def: 2, limit: 3, want: []string{"b", "d", "a"}},
		{name: "zero default keeps all, sorted", def: 0, want: []string{"b", "d", "a", "c"}},
		{name: "limit above n", def: 10, want: []string{"b", "d", "a", "c"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			req := rank.NewRequest(nil, rank.Options{Limit: tt.limit})
			for id, score := range map[string]float64{"a": 1, "b": 3, "c": 0, "d": 2} {
				req.Append(id).Score = score
			}
			got, err := order.TopK(tt.def).Rank(t.Context(), req)
			if err != nil || !slices.Equal(rank.IDs(got.Candidates), tt.want) {
				t.Errorf("TopK = %q, %v; want %q", rank.IDs(got.Candidates), err, tt.want)
			}
		})
	}
}
