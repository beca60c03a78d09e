package stage

import (
	"context"

	"github.com/rankflow/rankflow/rank"
)

// Blocker is implemented by stages that say whether they may wait: on a
// store across the network, a timer, or another goroutine. Parallel runs
// the branches that do not wait one after another on its own goroutine and
// starts goroutines only for those that may: a branch that only computes
// (over an in-memory store, say) gains nothing from a goroutine of its own
// but the hand-off, and its candidates would cross to another core.
type Blocker interface {
	Blocks() bool
}

// Blocks reports whether s may wait. It asks s if s is a Blocker; a
// meta-stage blocks if any stage it runs does (Stages); a wrapper is asked
// through Unwrap. Any other stage may wait.
func Blocks(s Stage) bool {
	for s != nil {
		switch w := s.(type) {
		case Blocker:
			return w.Blocks()
		case interface{ Stages() []Stage }:
			return anyBlocks(w.Stages())
		case interface{ Unwrap() Stage }:
			s = w.Unwrap()
		default:
			return true
		}
	}
	return true
}

func anyBlocks(stages []Stage) bool {
	for _, s := range stages {
		if Blocks(s) {
			return true
		}
	}
	return false
}

// NonBlocking marks s as a stage that never waits, for stages written as
// functions: NonBlocking(RankFunc(...)).
func NonBlocking(s Stage) Stage { return nonBlocking{s} }

type nonBlocking struct{ Stage }

func (n nonBlocking) Name() string  { return Name(n.Stage) }
func (n nonBlocking) Unwrap() Stage { return n.Stage }
func (nonBlocking) Blocks() bool    { return false }

// Wrap returns the stage a middleware makes of next: it is called name,
// runs fn, and unwraps to next, so what next declares (Blocks) is still
// seen through the middleware.
func Wrap(name string, next Stage, fn RankFunc) Stage {
	return &wrapped{name: name, next: next, fn: fn}
}

type wrapped struct {
	name string
	next Stage
	fn   RankFunc
}

func (w *wrapped) Rank(ctx context.Context, req *rank.Request) (*rank.Request, error) {
	return w.fn(ctx, req)
}

func (w *wrapped) Name() string  { return w.name }
func (w *wrapped) Unwrap() Stage { return w.next }
