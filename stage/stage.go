// Package stage defines the contract every step of a ranking pipeline meets,
// Stage, and the meta-stages that compose stages: Series, Parallel, IfElse and
// Switch. Middlewares wrap a Stage in another Stage; see package middleware
// for the built-in ones and packages merger, strategy and budget for the
// pieces Parallel and latency budgets take.
//
// A stage owns the request it is given until it returns: it may modify the
// request and its candidates in place and return it, or return another
// request. Parallel gives each branch its own copy (rank.Request.Copy), so a
// stage never has to guard against a concurrent writer; the merger combines
// the branches' candidates, and what they set on the context is kept (the
// first branch in order wins).
package stage

import (
	"context"
	"errors"
	"fmt"
	"reflect"
	"runtime/debug"
	"strings"

	"github.com/rankflow/rankflow/rank"
)

// Stage is one step of a ranking pipeline: it fetches, filters, scores or
// orders candidates.
//
// Rank returns the ranked request, usually req itself after modifying it in
// place. If Rank returns an error, the returned request is ignored and the
// caller must not assume anything about req's state. Rank should return
// promptly once ctx is done.
type Stage interface {
	Rank(ctx context.Context, req *rank.Request) (*rank.Request, error)
}

// RankFunc is an adapter to allow the use of ordinary functions as stages.
// If f is a function with the appropriate signature, RankFunc(f) is a Stage
// that calls f.
type RankFunc func(ctx context.Context, req *rank.Request) (*rank.Request, error)

// Rank calls f(ctx, req).
func (f RankFunc) Rank(ctx context.Context, req *rank.Request) (*rank.Request, error) {
	return f(ctx, req)
}

// Middleware decorates a Stage, for example to time it or to skip it while a
// kill switch is on.
type Middleware func(Stage) Stage

// Chain is a helper function for composing middlewares. Requests will
// traverse them in the order they're declared. That is, the first middleware
// is treated as the outermost middleware.
func Chain(outer Middleware, others ...Middleware) Middleware {
	return func(next Stage) Stage {
		for i := len(others) - 1; i >= 0; i-- { // reverse
			next = others[i](next)
		}
		return outer(next)
	}
}

// Namer is implemented by stages that know their name. Middlewares and the
// pipeline builder keep the name of the stage they wrap.
type Namer interface {
	Name() string
}

// Name returns the name of s for metrics, logs and traces: its Name method if
// it has one, and otherwise its type name in snake case ("fetchPopular" and
// *FetchPopular both give "fetch_popular").
func Name(s Stage) string {
	if n, ok := s.(Namer); ok {
		return n.Name()
	}
	if s == nil {
		return "nil"
	}
	t := reflect.TypeOf(s)
	for t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	return snake(t.Name())
}

// snake turns a Go type name into snake case, keeping acronyms whole:
// HTTPFetch is http_fetch, topK is top_k, fetchIDs is fetch_ids, fetchV2 is
// fetch_v2.
func snake(s string) string {
	var b strings.Builder
	rs := []rune(s)
	upper := func(i int) bool { return i >= 0 && i < len(rs) && 'A' <= rs[i] && rs[i] <= 'Z' }
	lower := func(i int) bool { return i < len(rs) && 'a' <= rs[i] && rs[i] <= 'z' }
	for i, r := range rs {
		if upper(i) {
			// A capital starts a word after a lower-case letter or a digit,
			// and as the last capital of an acronym when a lower-case letter
			// follows (the F of "HTTPFetch") unless that letter is a plural
			// "s" ending the acronym (the D of "IDs").
			plural := i+1 < len(rs) && rs[i+1] == 's' && !lower(i+2)
			starts := !upper(i-1) || (lower(i+1) && !plural)
			if i > 0 && rs[i-1] != '_' && starts {
				b.WriteByte('_')
			}
			r += 'a' - 'A'
		}
		b.WriteRune(r)
	}
	return b.String()
}

// Named returns a stage that runs s and reports name from Name. Named of a
// named stage renames it rather than wrapping it twice.
func Named(name string, s Stage) Stage {
	if n, ok := s.(named); ok {
		s = n.Stage
	}
	return named{name: name, Stage: s}
}

type named struct {
	name string
	Stage
}

func (n named) Name() string { return n.name }

// Unwrap returns the stage n renames.
func (n named) Unwrap() Stage { return n.Stage }

// Error is a stage's failure, naming the innermost stage that failed, or
// the stage a cancelled Series did not start ("did not start: ..."). Meta-stages
// wrap a child's error in an Error unless it already is one.
type Error struct {
	Stage string
	Err   error
}

func (e *Error) Error() string { return fmt.Sprintf("stage %s: %v", e.Stage, e.Err) }

// Unwrap returns the stage's own error.
func (e *Error) Unwrap() error { return e.Err }

// PanicError is the error a stage's panic is turned into, inside an Error
// that names the stage.
type PanicError struct {
	Value any
	Stack []byte
}

func (e *PanicError) Error() string { return fmt.Sprintf("panic: %v", e.Value) }

// Recovered turns a value recovered from a panic in stage s into an error.
// Meta-stages that start goroutines and the Recover middleware use it.
func Recovered(s Stage, v any) error {
	return &Error{Stage: Name(s), Err: &PanicError{Value: v, Stack: debug.Stack()}}
}

// wrapErr names s in err unless err already names a stage.
func wrapErr(s Stage, err error) error {
	if se := (*Error)(nil); errors.As(err, &se) {
		return err
	}
	return &Error{Stage: Name(s), Err: err}
}

// Passthrough is the stage that returns its request unchanged. IfElse and
// Switch use it for a missing branch.
var Passthrough Stage = named{name: "passthrough", Stage: NonBlocking(RankFunc(func(_ context.Context, req *rank.Request) (*rank.Request, error) {
	return req, nil
}))}
