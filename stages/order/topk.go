// Package order holds stages that order and cut the candidate list.
package order

import (
	"context"
	"fmt"
	"slices"
	"strings"

	"github.com/rankflow/rankflow/pipeline/registry"
	"github.com/rankflow/rankflow/rank"
	"github.com/rankflow/rankflow/stage"
)

func init() {
	specs = append(specs, registry.Spec{
		Name:    "top_k",
		Kind:    registry.Order,
		Summary: "Keeps the best candidates by score (ties by id), ordered, selecting with a bounded heap instead of sorting everything.",
		Fields: []registry.Field{
			{
				Name: "limit", Type: registry.Int, Default: 25,
				Doc: "How many to keep when the request sets no limit; 0 keeps all, sorted.",
			},
			{
				Name: "at_least", Type: registry.Int, Default: 0,
				Doc: "Keep at least this many whatever the limit, so a later stage (such as diversify) has candidates to promote.",
			},
		},
		New: func(c *registry.Config, _ *registry.Env) (stage.Stage, error) {
			for _, f := range []string{"limit", "at_least"} {
				if c.Int(f) < 0 {
					return nil, &registry.FieldError{Field: f, Msg: "must not be negative"}
				}
			}
			s := TopK(c.Int("limit")).(*topK)
			s.atLeast = c.Int("at_least")
			return s, nil
		},
	})
}

// TopK returns a stage that keeps the request's Limit (or def when the
// request sets none) best candidates, by score descending and then id
// ascending, in that order. It selects with a bounded heap in place, so it
// costs O(n log k) and allocates nothing; a def of 0 or less keeps all
// candidates, sorted.
func TopK(def int) stage.Stage { return &topK{def: def} }

type topK struct {
	def     int
	atLeast int
}

func (s *topK) Rank(_ context.Context, req *rank.Request) (*rank.Request, error) {
	k := req.Limit(s.def)
	if k > 0 && k < s.atLeast {
		k = s.atLeast
	}
	if k <= 0 || k > len(req.Candidates) {
		k = len(req.Candidates)
	}
	req.Candidates = Top(req.Candidates, k)
	return req, nil
}

func (s *topK) Name() string { return "top_k" }

func (s *topK) String() string { return fmt.Sprintf("top_k(default %d)", s.def) }

// Better reports whether a ranks before b: higher score, then lower id.
func Better(a, b *rank.Entity) bool {
	if a.Score != b.Score {
		return a.Score > b.Score
	}
	return a.ID < b.ID
}

// Top moves the k best candidates of c, ordered best first, to c[:k] and
// returns c[:k]. The rest of c is cleared.
func Top(c []*rank.Entity, k int) []*rank.Entity {
	if k > len(c) {
		k = len(c)
	}
	if k <= 0 {
		clear(c)
		return c[:0]
	}
	if k < len(c) {
		// c[:k] is a heap with the worst kept candidate at the root.
		h := c[:k]
		for i := k/2 - 1; i >= 0; i-- {
			down(h, i)
		}
		for _, e := range c[k:] {
			if Better(e, h[0]) {
				h[0] = e
				down(h, 0)
			}
		}
	}
	top := c[:k]
	slices.SortFunc(top, func(a, b *rank.Entity) int {
		if Better(a, b) {
			return -1
		}
		if Better(b, a) {
			return 1
		}
		return strings.Compare(a.ID, b.ID)
	})
	clear(c[k:])
	return top
}

// down restores the heap property (worst at the root) below i.
func down(h []*rank.Entity, i int) {
	for {
		w := i
		l, r := 2*i+1, 2*i+2
		if l < len(h) && Better(h[w], h[l]) {
			w = l
		}
		if r < len(h) && Better(h[w], h[r]) {
			w = r
		}
		if w == i {
			return
		}
		h[i], h[w] = h[w], h[i]
		i = w
	}
}

var _ stage.Stage = (*topK)(nil)

// Blocks reports false: the stage only computes.
func (*topK) Blocks() bool { return false }
