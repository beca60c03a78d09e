package middleware_test

import (
	"slices"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/rankflow/rankflow/middleware"
	"github.com/rankflow/rankflow/stage"
)

type flag struct {
	pipeline, stage string
	on              bool
}

func TestKillList(t *testing.T) {
	tests := []struct {
		name  string
		sets  []flag
		query [2]string
		want  bool
	}{
		{name: "zero value kills nothing", query: [2]string{"home", "boost"}},
		{name: "stage in pipeline", sets: []flag{{"home", "boost", true}}, query: [2]string{"home", "boost"}, want: true},
		{name: "other pipeline", sets: []flag{{"home", "boost", true}}, query: [2]string{"search", "boost"}},
		{name: "other stage", sets: []flag{{"home", "boost", true}}, query: [2]string{"home", "fetch"}},
		{name: "stage in every pipeline", sets: []flag{{"*", "boost", true}}, query: [2]string{"search", "boost"}, want: true},
		{name: "whole pipeline", sets: []flag{{"home", "*", true}}, query: [2]string{"home", "fetch"}, want: true},
		{name: "whole pipeline, other pipeline", sets: []flag{{"home", "*", true}}, query: [2]string{"search", "fetch"}},
		{name: "revived", sets: []flag{{"home", "boost", true}, {"home", "boost", false}}, query: [2]string{"home", "boost"}},
		{name: "revive leaves others", sets: []flag{{"home", "a", true}, {"home", "b", true}, {"home", "a", false}}, query: [2]string{"home", "b"}, want: true},
		{name: "revive of a wildcard only", sets: []flag{{"*", "a", true}, {"home", "a", false}}, query: [2]string{"home", "a"}, want: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var k middleware.KillList
			for _, s := range tt.sets {
				k.Set(s.pipeline, s.stage, s.on)
			}
			if got := k.Killed(tt.query[0], tt.query[1]); got != tt.want {
				t.Errorf("Killed(%q, %q) = %v, want %v", tt.query[0], tt.query[1], got, tt.want)
			}
		})
	}
}

func TestKillSwitch(t *testing.T) {
	var k middleware.KillList
	s := stage.Chain(middleware.Explain(), middleware.KillSwitch(&k, "home"))(add("boost", "x"))
	tests := []struct {
		name        string
		killed      bool
		want        []string
		wantSkipped string
	}{
		{name: "runs", want: []string{"a", "x"}},
		{name: "killed passes through", killed: true, want: []string{"a"}, wantSkipped: "killed by flag"},
		{name: "revived runs again", want: []string{"a", "x"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			k.Set("home", "boost", tt.killed)
			req := newRequest(true, "a")
			got, err := s.Rank(t.Context(), req)
			if err != nil || !slices.Equal(ids(got), tt.want) {
				t.Fatalf("Rank = %q, %v; want %q", ids(got), err, tt.want)
			}
			if st := req.Trace.Stages()[0]; st.Skipped != tt.wantSkipped || st.Stage != "boost" {
				t.Errorf("trace = %+v, want boost skipped %q", st, tt.wantSkipped)
			}
		})
	}
	if stage.Name(s) != "boost" {
		t.Errorf("Name = %q", stage.Name(s))
	}
}

// TestKillSwitchFlippedConcurrently flips the flag while requests run: each
// request sees the stage either run or skipped, whole, and its explain entry
// says which.
func TestKillSwitchFlippedConcurrently(t *testing.T) {
	var k middleware.KillList
	s := stage.Chain(middleware.Explain(), middleware.KillSwitch(&k, "home"))(add("boost", "x"))

	stop := make(chan struct{})
	var flipper sync.WaitGroup
	flipper.Go(func() {
		for on := true; ; on = !on {
			select {
			case <-stop:
				return
			default:
				k.Set("home", "boost", on)
				k.Set("*", "other", on) // writes to unrelated keys too
			}
		}
	})

	var ran, skipped atomic.Int64
	var workers sync.WaitGroup
	for range 8 {
		workers.Go(func() {
			for range 200 {
				req := newRequest(true, "a")
				got, err := s.Rank(t.Context(), req)
				if err != nil {
					t.Error(err)
					return
				}
				st := req.Trace.Stages()[0]
				switch {
				case slices.Equal(ids(got), []string{"a", "x"}) && st.Skipped == "" && slices.Equal(st.Added, []string{"x"}):
					ran.Add(1)
				case slices.Equal(ids(got), []string{"a"}) && st.Skipped == "killed by flag" && len(st.Added) == 0:
					skipped.Add(1)
				default:
					t.Errorf("inconsistent request: ids %q, trace %+v", ids(got), st)
					return
				}
			}
		})
	}
	workers.Wait()
	close(stop)
	flipper.Wait()
	if ran.Load()+skipped.Load() != 8*200 {
		t.Errorf("ran %d + skipped %d, want %d requests", ran.Load(), skipped.Load(), 8*200)
	}

	// Once the flips stop, the last state holds for every request.
	k.Set("home", "boost", true)
	if got, _ := s.Rank(t.Context(), newRequest(false, "a")); !slices.Equal(ids(got), []string{"a"}) {
		t.Errorf("after the final kill ids = %q", ids(got))
	}
}
