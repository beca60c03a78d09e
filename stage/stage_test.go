package stage_test

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"testing"

	"github.com/rankflow/rankflow/rank"
	"github.com/rankflow/rankflow/stage"
)

type fetchPopular struct{}

func (fetchPopular) Rank(_ context.Context, req *rank.Request) (*rank.Request, error) {
	return req, nil
}

type HTTPFetch struct{}

func (*HTTPFetch) Rank(_ context.Context, req *rank.Request) (*rank.Request, error) { return req, nil }

func TestName(t *testing.T) {
	tests := []struct {
		name string
		give stage.Stage
		want string
	}{
		{name: "unexported value type", give: fetchPopular{}, want: "fetch_popular"},
		{name: "pointer", give: &fetchPopular{}, want: "fetch_popular"},
		{name: "acronym", give: &HTTPFetch{}, want: "http_fetch"},
		{name: "func", give: stage.RankFunc(nil), want: "rank_func"},
		{name: "nil", give: nil, want: "nil"},
		{name: "named", give: stage.Named("fetch", fetchPopular{}), want: "fetch"},
		{name: "renamed", give: stage.Named("b", stage.Named("a", fetchPopular{})), want: "b"},
		{name: "optional keeps the name", give: stage.Optional(stage.Named("x", fetchPopular{})), want: "x"},
		{name: "passthrough", give: stage.Passthrough, want: "passthrough"},
		{name: "series", give: stage.Series(), want: "series"},
		{name: "parallel", give: stage.Parallel(nil, nil), want: "parallel"},
		{name: "if_else", give: stage.IfElse(nil, nil, nil), want: "if_else"},
		{name: "switch", give: stage.Switch(nil, nil, nil), want: "switch"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := stage.Name(tt.give); got != tt.want {
				t.Errorf("Name = %q, want %q", got, tt.want)
			}
		})
	}
}

func TestNamedUnwrapsOnce(t *testing.T) {
	inner := &fetchPopular{}
	s := stage.Named("b", stage.Named("a", inner))
	u, ok := s.(interface{ Unwrap() stage.Stage })
	if !ok || u.Unwrap() != stage.Stage(inner) {
		t.Errorf("Named(Named(s)) wraps %v, want the stage itself", u)
	}
}

func TestErrorWrapping(t *testing.T) {
	err := error(&stage.Error{Stage: "fetch", Err: errBoom})
	if err.Error() != "stage fetch: boom" || !errors.Is(err, errBoom) {
		t.Errorf("Error = %q, Is(errBoom) = %v", err, errors.Is(err, errBoom))
	}
	rec := stage.Recovered(stage.Named("s", nil), "oops")
	var se *stage.Error
	var pe *stage.PanicError
	if !errors.As(rec, &se) || se.Stage != "s" || !errors.As(rec, &pe) || pe.Value != "oops" || len(pe.Stack) == 0 {
		t.Errorf("Recovered = %#v", rec)
	}
	if rec.Error() != "stage s: panic: oops" {
		t.Errorf("Recovered message = %q", rec)
	}
}

func TestPassthrough(t *testing.T) {
	req := newRequest("a")
	got, err := stage.Passthrough.Rank(t.Context(), req)
	if err != nil || got != req {
		t.Errorf("Passthrough = %p, %v; want %p, nil", got, err, req)
	}
}

func TestChainOrder(t *testing.T) {
	var calls []string
	mw := func(name string) stage.Middleware {
		return func(next stage.Stage) stage.Stage {
			return stage.RankFunc(func(ctx context.Context, req *rank.Request) (*rank.Request, error) {
				calls = append(calls, name+">")
				defer func() { calls = append(calls, "<"+name) }()
				return next.Rank(ctx, req)
			})
		}
	}
	tests := []struct {
		name   string
		outer  string
		others []string
		want   []string
	}{
		{name: "one", outer: "a", want: []string{"a>", "stage", "<a"}},
		{name: "three", outer: "a", others: []string{"b", "c"}, want: []string{"a>", "b>", "c>", "stage", "<c", "<b", "<a"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			calls = nil
			var others []stage.Middleware
			for _, o := range tt.others {
				others = append(others, mw(o))
			}
			s := stage.Chain(mw(tt.outer), others...)(stage.RankFunc(func(_ context.Context, req *rank.Request) (*rank.Request, error) {
				calls = append(calls, "stage")
				return req, nil
			}))
			if _, err := s.Rank(t.Context(), newRequest()); err != nil {
				t.Fatal(err)
			}
			if !slices.Equal(calls, tt.want) {
				t.Errorf("calls = %q, want %q", calls, tt.want)
			}
		})
	}
}

func ExampleStage() {
	// A Stage is anything with a Rank method; this one keeps candidates
	// with an even id length.
	var s stage.Stage = evenLength{}
	req := rank.NewRequest(nil, rank.Options{})
	for _, id := range []string{"ab", "c", "defg"} {
		req.Append(id)
	}
	out, err := s.Rank(context.Background(), req)
	fmt.Println(rank.IDs(out.Candidates), err, stage.Name(s))
	// Output: [ab defg] <nil> even_length
}

type evenLength struct{}

func (evenLength) Rank(_ context.Context, req *rank.Request) (*rank.Request, error) {
	kept := req.Candidates[:0]
	for _, e := range req.Candidates {
		if len(e.ID)%2 == 0 {
			kept = append(kept, e)
		}
	}
	req.Candidates = kept
	return req, nil
}

func ExampleRankFunc() {
	boost := stage.RankFunc(func(_ context.Context, req *rank.Request) (*rank.Request, error) {
		for _, e := range req.Candidates {
			e.Score += 10
		}
		return req, nil
	})
	req := rank.NewRequest(nil, rank.Options{})
	req.Append("a").Score = 1
	out, _ := boost.Rank(context.Background(), req)
	fmt.Println(out.Candidates[0].ID, out.Candidates[0].Score)
	// Output: a 11
}

func ExampleChain() {
	annotate := func(name string) stage.Middleware {
		return func(next stage.Stage) stage.Stage {
			return stage.RankFunc(func(ctx context.Context, req *rank.Request) (*rank.Request, error) {
				fmt.Println(name, "pre")
				defer fmt.Println(name, "post")
				return next.Rank(ctx, req)
			})
		}
	}
	s := stage.Chain(annotate("first"), annotate("second"), annotate("third"))(
		stage.RankFunc(func(_ context.Context, req *rank.Request) (*rank.Request, error) {
			fmt.Println("stage")
			return req, nil
		}))
	_, _ = s.Rank(context.Background(), rank.NewRequest(nil, rank.Options{}))
	// Output:
	// first pre
	// second pre
	// third pre
	// stage
	// third post
	// second post
	// first post
}

func ExampleSeries() {
	fetch := stage.RankFunc(func(_ context.Context, req *rank.Request) (*rank.Request, error) {
		for i, id := range []string{"p1", "p2", "p3"} {
			req.Append(id).Score = float64(i)
		}
		return req, nil
	})
	reverse := stage.RankFunc(func(_ context.Context, req *rank.Request) (*rank.Request, error) {
		slices.Reverse(req.Candidates)
		return req, nil
	})
	out, err := stage.Series(fetch, reverse).Rank(context.Background(), rank.NewRequest(nil, rank.Options{}))
	fmt.Println(rank.IDs(out.Candidates), err)
	// Output: [p3 p2 p1] <nil>
}
