package stage_test

import (
	"context"
	"errors"
	"testing"

	"github.com/rankflow/rankflow/rank"
	"github.com/rankflow/rankflow/stage"
)

var errBoom = errors.New("boom")

func newRequest(ids ...string) *rank.Request {
	r := rank.NewRequest(rank.NewEntity("user"), rank.Options{})
	for _, id := range ids {
		r.Append(id)
	}
	return r
}

func ids(r *rank.Request) []string {
	if r == nil {
		return nil
	}
	return rank.IDs(r.Candidates)
}

func errText(err error) string {
	if err == nil {
		return ""
	}
	return err.Error()
}

// add returns a stage named name that appends a candidate with id.
func add(name, id string) stage.Stage {
	return stage.Named(name, stage.RankFunc(func(_ context.Context, req *rank.Request) (*rank.Request, error) {
		req.Append(id)
		return req, nil
	}))
}

func fail(name string, err error) stage.Stage {
	return stage.Named(name, stage.RankFunc(func(context.Context, *rank.Request) (*rank.Request, error) {
		return nil, err
	}))
}

func panics(name string) stage.Stage {
	return stage.Named(name, stage.RankFunc(func(context.Context, *rank.Request) (*rank.Request, error) {
		panic("kaboom")
	}))
}

func returnsNil(name string) stage.Stage {
	return stage.Named(name, stage.RankFunc(func(context.Context, *rank.Request) (*rank.Request, error) {
		return nil, nil
	}))
}

// released returns a channel that is closed when the test ends, for stages
// that block, ignoring their context, until then.
func released(t *testing.T) chan struct{} {
	ch := make(chan struct{})
	t.Cleanup(func() { close(ch) })
	return ch
}

// stuck returns a stage that ignores its context and blocks until release
// is closed, after first calling before (if not nil).
func stuck(name string, release <-chan struct{}, before func()) stage.Stage {
	return stage.Named(name, stage.RankFunc(func(_ context.Context, req *rank.Request) (*rank.Request, error) {
		if before != nil {
			before()
		}
		<-release
		return req, nil
	}))
}
