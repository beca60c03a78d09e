package middleware

import (
	"context"
	"maps"
	"sync"
	"sync/atomic"

	"github.com/rankflow/rankflow/rank"
	"github.com/rankflow/rankflow/stage"
)

// Flags tells whether a stage is switched off. KillSwitch calls Killed on
// every request, so implementations must be safe for concurrent use and
// should not lock.
type Flags interface {
	// Killed reports whether the stage named stage in pipeline must be
	// skipped.
	Killed(pipeline, stage string) bool
}

// KillSwitch returns a middleware that skips the stage, passing its request
// through unchanged, while flags says it is killed. The flag is read on every
// request, so flipping it takes effect on the next one.
func KillSwitch(flags Flags, pipeline string) stage.Middleware {
	return func(next stage.Stage) stage.Stage {
		name := stage.Name(next)
		return stage.Wrap(name, next, stage.RankFunc(func(ctx context.Context, req *rank.Request) (*rank.Request, error) {
			if flags.Killed(pipeline, name) {
				rank.Skip(ctx, "killed by flag")
				return req, nil
			}
			return next.Rank(ctx, req)
		}))
	}
}

// KillList is a Flags held in memory: a set of killed stages, read without
// locks and replaced atomically on change. The zero value kills nothing.
type KillList struct {
	mu     sync.Mutex // serialises writers
	killed atomic.Pointer[map[string]struct{}]
}

// killKey is the key of a stage in a pipeline; "*" as pipeline means every
// pipeline and "*" as stage means the whole pipeline.
func killKey(pipeline, stage string) string { return pipeline + "\x00" + stage }

// Killed reports whether the stage is killed in this pipeline, in every
// pipeline, or whether the whole pipeline is killed.
func (k *KillList) Killed(pipeline, stage string) bool {
	m := k.killed.Load()
	if m == nil || len(*m) == 0 {
		return false
	}
	_, a := (*m)[killKey(pipeline, stage)]
	_, b := (*m)[killKey("*", stage)]
	_, c := (*m)[killKey(pipeline, "*")]
	return a || b || c
}

// Set kills (on) or revives (!on) stage in pipeline; either may be "*".
func (k *KillList) Set(pipeline, stage string, on bool) {
	k.mu.Lock()
	defer k.mu.Unlock()
	next := make(map[string]struct{})
	if m := k.killed.Load(); m != nil {
		maps.Copy(next, *m)
	}
	if on {
		next[killKey(pipeline, stage)] = struct{}{}
	} else {
		delete(next, killKey(pipeline, stage))
	}
	k.killed.Store(&next)
}

var _ Flags = (*KillList)(nil)
