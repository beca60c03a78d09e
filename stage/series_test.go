package stage_test

import (
	"context"
	"errors"
	"runtime"
	"runtime/debug"
	"slices"
	"sync/atomic"
	"testing"

	"github.com/rankflow/rankflow/rank"
	"github.com/rankflow/rankflow/stage"
)

func TestSeries(t *testing.T) {
	tests := []struct {
		name    string
		give    []stage.Stage
		want    []string
		wantErr string
	}{
		{name: "empty", give: nil, want: []string{"a"}},
		{name: "in order", give: []stage.Stage{add("x", "x"), add("y", "y")}, want: []string{"a", "x", "y"}},
		{name: "stops at first error", give: []stage.Stage{add("x", "x"), fail("bad", errBoom), add("y", "y")}, wantErr: "stage bad: boom"},
		{name: "names the inner stage", give: []stage.Stage{stage.Series(fail("inner", errBoom))}, wantErr: "stage inner: boom"},
		{name: "no request and no error", give: []stage.Stage{returnsNil("lazy"), add("y", "y")}, wantErr: "stage lazy: returned no request and no error"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := stage.Series(tt.give...).Rank(t.Context(), newRequest("a"))
			if errText(err) != tt.wantErr {
				t.Fatalf("error = %v, want %q", err, tt.wantErr)
			}
			if !slices.Equal(ids(got), tt.want) {
				t.Errorf("ids = %q, want %q", ids(got), tt.want)
			}
		})
	}
}

func TestSeriesUsesReturnedRequest(t *testing.T) {
	other := newRequest("other")
	replace := stage.RankFunc(func(context.Context, *rank.Request) (*rank.Request, error) { return other, nil })
	got, err := stage.Series(replace, add("x", "x")).Rank(t.Context(), newRequest("a"))
	if err != nil || got != other || !slices.Equal(ids(got), []string{"other", "x"}) {
		t.Errorf("Series = %q, %v; want the replacement request with x appended", ids(got), err)
	}
}

func TestSeriesChecksContext(t *testing.T) {
	ctx, cancel := context.WithCancel(t.Context())
	ran := false
	cancelling := stage.Named("cancelling", stage.RankFunc(func(_ context.Context, req *rank.Request) (*rank.Request, error) {
		cancel()
		return req, nil
	}))
	next := stage.Named("next", stage.RankFunc(func(_ context.Context, req *rank.Request) (*rank.Request, error) {
		ran = true
		return req, nil
	}))
	_, err := stage.Series(cancelling, next).Rank(ctx, newRequest("a"))
	var se *stage.Error
	if !errors.Is(err, context.Canceled) || !errors.As(err, &se) || se.Stage != "next" || ran {
		t.Errorf("error = %v, next ran = %v; want context canceled before next", err, ran)
	}
	if want := "stage next: did not start: context canceled"; err == nil || err.Error() != want {
		t.Errorf("error = %v, want %q", err, want)
	}
}

func TestSeriesFlattens(t *testing.T) {
	a, b, c, d := add("a", "a"), add("b", "b"), add("c", "c"), add("d", "d")
	s := stage.Series(stage.Series(a, b), c, stage.Series(d))
	got := s.(interface{ Stages() []stage.Stage }).Stages()
	var names []string
	for _, st := range got {
		names = append(names, stage.Name(st))
	}
	if want := []string{"a", "b", "c", "d"}; !slices.Equal(names, want) {
		t.Errorf("Stages() = %q, want %q", names, want)
	}
}

func TestIfElse(t *testing.T) {
	byMethod := func(_ context.Context, req *rank.Request) bool { return req.Options.Method == "then" }
	tests := []struct {
		name    string
		method  string
		then    stage.Stage
		els     stage.Stage
		want    []string
		wantErr string
	}{
		{name: "then", method: "then", then: add("t", "t"), els: add("e", "e"), want: []string{"a", "t"}},
		{name: "else", method: "other", then: add("t", "t"), els: add("e", "e"), want: []string{"a", "e"}},
		{name: "nil then passes through", method: "then", els: add("e", "e"), want: []string{"a"}},
		{name: "nil else passes through", method: "other", then: add("t", "t"), want: []string{"a"}},
		{name: "branch error", method: "then", then: fail("t", errBoom), wantErr: "boom"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			req := newRequest("a")
			req.Options.Method = tt.method
			got, err := stage.IfElse(byMethod, tt.then, tt.els).Rank(t.Context(), req)
			if errText(err) != tt.wantErr || !slices.Equal(ids(got), tt.want) {
				t.Errorf("IfElse = %q, %v; want %q, %q", ids(got), err, tt.want, tt.wantErr)
			}
		})
	}
}

func TestIfElseStages(t *testing.T) {
	s := stage.IfElse(nil, add("t", "t"), nil).(interface{ Stages() []stage.Stage })
	var names []string
	for _, st := range s.Stages() {
		names = append(names, stage.Name(st))
	}
	if want := []string{"t", "passthrough"}; !slices.Equal(names, want) {
		t.Errorf("Stages() = %q, want %q", names, want)
	}
}

func TestSwitch(t *testing.T) {
	bucket := func(_ context.Context, req *rank.Request) string { return req.Options.Method }
	cases := map[string]stage.Stage{"a": add("ca", "ca"), "b": add("cb", "cb")}
	tests := []struct {
		name string
		key  string
		def  stage.Stage
		want []string
	}{
		{name: "case a", key: "a", want: []string{"x", "ca"}},
		{name: "case b", key: "b", def: add("d", "d"), want: []string{"x", "cb"}},
		{name: "default", key: "zzz", def: add("d", "d"), want: []string{"x", "d"}},
		{name: "nil default passes through", key: "", want: []string{"x"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := stage.Switch(bucket, cases, tt.def)
			req := newRequest("x")
			req.Options.Method = tt.key
			got, err := s.Rank(t.Context(), req)
			if err != nil || !slices.Equal(ids(got), tt.want) {
				t.Errorf("Switch = %q, %v; want %q", ids(got), err, tt.want)
			}
		})
	}
}

func TestSwitchCopiesCases(t *testing.T) {
	cases := map[string]stage.Stage{"a": add("ca", "ca")}
	s := stage.Switch(func(context.Context, *rank.Request) string { return "a" }, cases, nil)
	cases["a"] = add("changed", "changed")
	got, _ := s.Rank(t.Context(), newRequest())
	if !slices.Equal(ids(got), []string{"ca"}) {
		t.Errorf("Switch followed a change to its cases map: %q", ids(got))
	}
}

// TestSeriesYieldsBetweenStages runs on one processor: a goroutine made
// before a Series of computing stages must get to run between its stages
// when the context asks for yields (YieldWhen), as a server's connection
// reader must to see new requests, and must not without. One yield may
// resume the yielding goroutine first (the scheduler takes the global queue
// now and then), so it gets eight.
func TestSeriesYieldsBetweenStages(t *testing.T) {
	tests := []struct {
		name    string
		ctx     func(context.Context) context.Context
		wantRan bool
	}{
		{"asked to yield", func(ctx context.Context) context.Context { return stage.YieldWhen(ctx, func() bool { return true }) }, true},
		{"not busy", func(ctx context.Context) context.Context { return stage.YieldWhen(ctx, func() bool { return false }) }, false},
		{"by default", func(ctx context.Context) context.Context { return ctx }, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			defer runtime.GOMAXPROCS(runtime.GOMAXPROCS(1))
			// No collection either: a GC assist could park the request's
			// goroutine and let the other run without any yield.
			defer debug.SetGCPercent(debug.SetGCPercent(-1))
			var ran atomic.Bool
			done := make(chan struct{})
			stages := []stage.Stage{stage.RankFunc(func(_ context.Context, req *rank.Request) (*rank.Request, error) {
				go func() { ran.Store(true); close(done) }() // runnable, waiting for the processor
				return req, nil
			})}
			for range 8 {
				stages = append(stages, stage.Passthrough)
			}
			var got bool
			stages = append(stages, stage.RankFunc(func(_ context.Context, req *rank.Request) (*rank.Request, error) {
				got = ran.Load()
				return req, nil
			}))
			if _, err := stage.Series(stages...).Rank(tt.ctx(t.Context()), newRequest("a")); err != nil {
				t.Fatal(err)
			}
			if got != tt.wantRan {
				t.Errorf("the other goroutine ran between the stages: %v, want %v", got, tt.wantRan)
			}
			<-done
		})
	}
}
