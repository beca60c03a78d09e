// Package merger holds the ways Parallel combines its branches' candidates.
// Each function is a stage.Merger: it builds the result on the parent
// request and leaves the branches' requests to Parallel.
package merger

import (
	"sync"

	"github.com/rankflow/rankflow/rank"
)

// Dedup maps are pooled: a map keeps its buckets through clear, so a merge
// of ~1000 candidates allocates nothing once the pool is warm.
var (
	posPool  = sync.Pool{New: func() any { return make(map[string]int) }}
	seenPool = sync.Pool{New: func() any { return make(map[string]struct{}) }}
)

// Concat appends the candidates of every branch in branch order and keeps
// the first candidate of each id.
func Concat(parent *rank.Request, results []*rank.Request) *rank.Request {
	return concat(parent, results, false)
}

// ConcatKeepMax appends the candidates of every branch in branch order and,
// for an id several branches returned, keeps the position of the first and
// the candidate with the highest score.
func ConcatKeepMax(parent *rank.Request, results []*rank.Request) *rank.Request {
	return concat(parent, results, true)
}

func concat(parent *rank.Request, results []*rank.Request, keepMax bool) *rank.Request {
	total := 0
	for _, r := range results {
		if r != nil {
			total += len(r.Candidates)
		}
	}
	out := parent.MakeCandidates(total)
	pos := posPool.Get().(map[string]int)
	defer func() { clear(pos); posPool.Put(pos) }()
	for _, r := range results {
		if r == nil {
			continue
		}
		for _, e := range r.Candidates {
			if i, dup := pos[e.ID]; dup {
				if keepMax && e.Score > out[i].Score {
					out[i] = e
				}
				continue
			}
			pos[e.ID] = len(out)
			out = append(out, e)
		}
	}
	parent.Candidates = out
	return parent
}

// RoundRobin interleaves the branches' candidates, one from each branch in
// turn (branch order within a round), and keeps the first of each id. A
// branch that runs out is skipped.
func RoundRobin(parent *rank.Request, results []*rank.Request) *rank.Request {
	total, longest := 0, 0
	for _, r := range results {
		if r != nil {
			total += len(r.Candidates)
			longest = max(longest, len(r.Candidates))
		}
	}
	out := parent.MakeCandidates(total)
	seen := seenPool.Get().(map[string]struct{})
	defer func() { clear(seen); seenPool.Put(seen) }()
	for k := range longest {
		for _, r := range results {
			if r == nil || k >= len(r.Candidates) {
				continue
			}
			e := r.Candidates[k]
			if _, dup := seen[e.ID]; dup {
				continue
			}
			seen[e.ID] = struct{}{}
			out = append(out, e)
		}
	}
	parent.Candidates = out
	return parent
}
