package stage

import (
	"context"
	"maps"

	"github.com/rankflow/rankflow/rank"
)

// Selector decides which branch of IfElse runs.
type Selector func(ctx context.Context, req *rank.Request) bool

// IfElse returns a stage that runs then when selector reports true and
// otherwise els. A nil stage passes the request through unchanged.
func IfElse(selector Selector, then, els Stage) Stage {
	if then == nil {
		then = Passthrough
	}
	if els == nil {
		els = Passthrough
	}
	return &ifElse{selector: selector, then: then, els: els}
}

type ifElse struct {
	selector  Selector
	then, els Stage
}

func (s *ifElse) Rank(ctx context.Context, req *rank.Request) (*rank.Request, error) {
	if s.selector(ctx, req) {
		return s.then.Rank(ctx, req)
	}
	return s.els.Rank(ctx, req)
}

func (s *ifElse) Name() string { return "if_else" }

// Stages returns the then and else branches.
func (s *ifElse) Stages() []Stage { return []Stage{s.then, s.els} }

// KeyFunc picks the case of Switch that runs, such as an experiment bucket.
type KeyFunc func(ctx context.Context, req *rank.Request) string

// Switch returns a stage that runs the case whose key is the one key
// returns, and def when no case matches. A nil def passes the request
// through unchanged.
func Switch(key KeyFunc, cases map[string]Stage, def Stage) Stage {
	if def == nil {
		def = Passthrough
	}
	return &switchStage{key: key, cases: maps.Clone(cases), def: def}
}

type switchStage struct {
	key   KeyFunc
	cases map[string]Stage
	def   Stage
}

func (s *switchStage) Rank(ctx context.Context, req *rank.Request) (*rank.Request, error) {
	if c, ok := s.cases[s.key(ctx, req)]; ok {
		return c.Rank(ctx, req)
	}
	return s.def.Rank(ctx, req)
}

func (s *switchStage) Name() string { return "switch" }

// Stages returns the cases and then the default (the cases in no
// particular order).
func (s *switchStage) Stages() []Stage {
	out := make([]Stage, 0, len(s.cases)+1)
	for _, c := range s.cases {
		out = append(out, c)
	}
	return append(out, s.def)
}

var (
	_ Stage = (*ifElse)(nil)
	_ Stage = (*switchStage)(nil)
)
