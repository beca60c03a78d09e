// Package stagetest helps the built-in stages' tests build requests and read
// what a stage did from the explain trace.
package stagetest

import (
	"context"
	"errors"
	"slices"
	"testing"

	"github.com/rankflow/rankflow/pipeline/registry"
	"github.com/rankflow/rankflow/rank"
	"github.com/rankflow/rankflow/stage"
	"github.com/rankflow/rankflow/stages/builtin"
	"github.com/rankflow/rankflow/store/memory"
)

// Request returns a traced request for the context entity ctx with
// candidates of the given ids, scored 0.
func Request(ctx *rank.Entity, ids ...string) *rank.Request {
	req := rank.NewRequest(ctx, rank.Options{Debug: true})
	for _, id := range ids {
		req.Append(id)
	}
	return req
}

// Result is what a stage returned and what it removed, with reasons.
type Result struct {
	Req     *rank.Request
	IDs     []string
	Scores  []float64
	Removed map[string]string // id → reason
}

// Run runs s on req (traced) and returns the result. It fails t on error.
func Run(t testing.TB, s stage.Stage, req *rank.Request) Result {
	t.Helper()
	res, err := RunErr(s, req)
	if err != nil {
		t.Fatalf("Rank: %v", err)
	}
	return res
}

// RunErr runs s on req and returns the result or the stage's error.
func RunErr(s stage.Stage, req *rank.Request) (Result, error) {
	if req.Trace == nil {
		req.Trace = rank.NewTrace()
	}
	ctx, i := req.Trace.Begin(context.Background(), stage.Name(s))
	before := rank.IDs(req.Candidates)
	out, err := s.Rank(ctx, req)
	if err != nil {
		req.Trace.End(i, 0, before, nil, err)
		return Result{}, err
	}
	after := rank.IDs(out.Candidates)
	req.Trace.End(i, 0, before, out, nil)
	st := req.Trace.Stages()[i]
	r := Result{Req: out, IDs: after, Removed: map[string]string{}}
	for _, e := range out.Candidates {
		r.Scores = append(r.Scores, e.Score)
	}
	for _, rm := range st.Removed {
		r.Removed[rm.ID] = rm.Reason
	}
	return r, nil
}

// Build builds the built-in stage name from raw through the built-in
// registry, failing t on error.
func Build(t testing.TB, name string, raw map[string]any, env *registry.Env) stage.Stage {
	t.Helper()
	s, err := builtin.Registry().Build(name, raw, env)
	if err != nil {
		t.Fatalf("build %s: %v", name, err)
	}
	return s
}

// BuildErr builds the built-in stage name from raw and returns the error,
// which must be non-nil.
func BuildErr(t testing.TB, name string, raw map[string]any, env *registry.Env) error {
	t.Helper()
	_, err := builtin.Registry().Build(name, raw, env)
	if err == nil {
		t.Fatalf("build %s with %v: no error", name, raw)
	}
	return err
}

// FieldErr returns the first *registry.FieldError in err, failing t if there
// is none.
func FieldErr(t testing.TB, err error) *registry.FieldError {
	t.Helper()
	var fe *registry.FieldError
	if !errors.As(err, &fe) {
		t.Fatalf("error %v (%T) has no *registry.FieldError", err, err)
	}
	return fe
}

// Memory returns an in-memory store filled by fill.
func Memory(t testing.TB, fill func(ctx context.Context, s *memory.Store) error) *memory.Store {
	t.Helper()
	s := memory.New()
	if fill != nil {
		if err := fill(context.Background(), s); err != nil {
			t.Fatalf("fill store: %v", err)
		}
	}
	return s
}

// F is a feature map, for brevity in tables.
type F = map[string]rank.Value

// Candidates returns a traced request for ctx with one candidate per id in
// ids, given the features in fs[id].
func Candidates(ctx *rank.Entity, ids []string, fs map[string]F) *rank.Request {
	req := Request(ctx, ids...)
	for _, e := range req.Candidates {
		for k, v := range fs[e.ID] {
			e.Set(k, v)
		}
	}
	return req
}

// Entity returns an entity with the given id and features.
func Entity(id string, f F) *rank.Entity {
	e := rank.NewEntity(id)
	for k, v := range f {
		e.Set(k, v)
	}
	return e
}

// Check compares a result's ids and removal reasons with want.
func Check(t testing.TB, got Result, wantIDs []string, wantRemoved map[string]string) {
	t.Helper()
	if !slices.Equal(got.IDs, wantIDs) && (len(got.IDs) != 0 || len(wantIDs) != 0) {
		t.Errorf("ids = %v, want %v", got.IDs, wantIDs)
	}
	if len(got.Removed) != len(wantRemoved) {
		t.Errorf("removed = %v, want %v", got.Removed, wantRemoved)
		return
	}
	for id, want := range wantRemoved {
		if got.Removed[id] != want {
			t.Errorf("reason for %q = %q, want %q", id, got.Removed[id], want)
		}
	}
}
