package rank_test

import (
	"context"
	"reflect"
	"slices"
	"strconv"
	"testing"
	"time"

	"github.com/rankflow/rankflow/rank"
)

func requestOf(ids ...string) *rank.Request {
	r := rank.NewRequest(rank.NewEntity("user"), rank.Options{Method: "m", Limit: 3})
	for i, id := range ids {
		r.Append(id).Score = float64(i)
	}
	return r
}

func TestNewRequest(t *testing.T) {
	tests := []struct {
		name      string
		ctx       *rank.Entity
		opts      rank.Options
		wantTrace bool
	}{
		{name: "nil context", opts: rank.Options{}},
		{name: "debug traces", ctx: rank.NewEntity("u"), opts: rank.Options{Debug: true}, wantTrace: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := rank.NewRequest(tt.ctx, tt.opts)
			if r.Context == nil {
				t.Fatal("Context is nil")
			}
			if (r.Trace != nil) != tt.wantTrace {
				t.Errorf("Trace = %v, want traced %v", r.Trace, tt.wantTrace)
			}
		})
	}
}

func TestAppendGrows(t *testing.T) {
	r := rank.NewRequest(nil, rank.Options{})
	var want []string
	for i := range 1000 { // crosses several chunk and list sizes
		id := strconv.Itoa(i)
		r.Append(id)
		want = append(want, id)
	}
	if got := rank.IDs(r.Candidates); !slices.Equal(got, want) {
		t.Fatalf("ids after 1000 appends differ: got %d ids", len(got))
	}
	r.Grow(10)
	if cap(r.Candidates)-len(r.Candidates) < 10 {
		t.Errorf("Grow(10) left room for %d", cap(r.Candidates)-len(r.Candidates))
	}
	if c := r.MakeCandidates(100); len(c) != 0 || cap(c) < 100 {
		t.Errorf("MakeCandidates(100) = len %d cap %d", len(c), cap(c))
	}
	if e := r.NewCandidate("x"); e.ID != "x" || len(r.Candidates) != 1000 {
		t.Errorf("NewCandidate changed Candidates or lost its id %q", e.ID)
	}
}

func TestRequestLimit(t *testing.T) {
	tests := []struct {
		give, def, want int
	}{
		{give: 0, def: 10, want: 10},
		{give: 5, def: 10, want: 5},
		{give: -1, def: 10, want: 10},
	}
	for _, tt := range tests {
		t.Run(strconv.Itoa(tt.give), func(t *testing.T) {
			r := rank.NewRequest(nil, rank.Options{Limit: tt.give})
			if got := r.Limit(tt.def); got != tt.want {
				t.Errorf("Limit(%d) = %d, want %d", tt.def, got, tt.want)
			}
		})
	}
}

func TestRequestCopy(t *testing.T) {
	r := requestOf("a", "b", "c")
	r.Options.Debug = true
	r.Trace = rank.NewTrace()
	r.Candidates[0].Set("f", rank.IntValue(1))
	r.Context.Set("u", rank.StringValue("x"))

	c := r.Copy()
	if !reflect.DeepEqual(c.Options, r.Options) || c.Trace != r.Trace {
		t.Errorf("Copy changed options or trace: %+v %p, want %+v %p", c.Options, c.Trace, r.Options, r.Trace)
	}
	if got := rank.IDs(c.Candidates); !slices.Equal(got, []string{"a", "b", "c"}) {
		t.Fatalf("copy ids = %q", got)
	}
	for i := range c.Candidates {
		if c.Candidates[i] == r.Candidates[i] {
			t.Fatalf("candidate %d is shared, want a new entity", i)
		}
		if c.Candidates[i].Score != r.Candidates[i].Score {
			t.Errorf("candidate %d score = %v, want %v", i, c.Candidates[i].Score, r.Candidates[i].Score)
		}
	}
	if c.Context == r.Context || c.Context.ID != "user" {
		t.Errorf("copy context = %p %q, want a new entity named user", c.Context, c.Context.ID)
	}

	// Everything a stage does to the copy leaves r as it was.
	slices.Reverse(c.Candidates)
	c.Candidates = c.Candidates[:2]
	c.Append("d")
	for _, e := range c.Candidates {
		e.Score = 100
		e.Set("f", rank.IntValue(2))
	}
	c.Context.Set("u", rank.StringValue("y"))
	if got := rank.IDs(r.Candidates); !slices.Equal(got, []string{"a", "b", "c"}) {
		t.Errorf("original ids = %q after changing the copy", got)
	}
	for i, e := range r.Candidates {
		if e.Score != float64(i) {
			t.Errorf("original %s score = %v after changing the copy", e.ID, e.Score)
		}
	}
	if v, _ := r.Candidates[0].GetInt("f"); v != 1 {
		t.Errorf("original feature f = %d after changing the copy", v)
	}
	if v, _ := r.Context.GetString("u"); v != "x" {
		t.Errorf("original context u = %q after changing the copy", v)
	}
}

func TestRequestCopyEmpty(t *testing.T) {
	r := &rank.Request{}
	c := r.Copy()
	if c.Context != nil || len(c.Candidates) != 0 {
		t.Errorf("copy of an empty request = %+v", c)
	}
}

func TestRelease(t *testing.T) {
	tests := []struct {
		name        string
		adopt       bool
		wantCleared bool
	}{
		{name: "adopted entities are released with the adopter", adopt: true, wantCleared: true},
		{name: "other requests' entities are left alone", adopt: false, wantCleared: false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := requestOf("a")
			o := requestOf("b")
			kept := o.Candidates[0]
			if tt.adopt {
				r.Adopt(o)
			}
			own := r.Candidates[0]
			r.Release()
			if r.Candidates != nil || r.Context != nil {
				t.Errorf("released request still has candidates %v or context %v", r.Candidates, r.Context)
			}
			if own.ID != "" {
				t.Errorf("own entity not released: id %q", own.ID)
			}
			if cleared := kept.ID == ""; cleared != tt.wantCleared {
				t.Errorf("other entity cleared = %v, want %v", cleared, tt.wantCleared)
			}
		})
	}
}

func TestAdoptIgnoresNilAndSelf(t *testing.T) {
	r := requestOf("a")
	r.Adopt(nil)
	r.Adopt(r)
	r.Adopt(&rank.Request{}) // no arena
	e := r.Candidates[0]
	r.Release()
	if e.ID != "" {
		t.Errorf("entity not released: %q", e.ID)
	}
}

// TestReleaseReuse checks that a released request's memory serves the next
// request correctly: the new request starts clean.
func TestReleaseReuse(t *testing.T) {
	for round := range 5 {
		r := rank.NewRequest(nil, rank.Options{})
		for i := range 300 {
			e := r.Append(strconv.Itoa(i))
			if e.NumFeatures() != 0 || e.Score != 0 {
				t.Fatalf("round %d: reused entity is not clean: %d features, score %v", round, e.NumFeatures(), e.Score)
			}
			e.Score = float64(i)
			e.Set("f", rank.IntValue(int64(i)))
		}
		if c := r.MakeCandidates(10); len(c) != 0 {
			t.Fatalf("round %d: reused slice has %d entries", round, len(c))
		}
		r.Release()
	}
}

func TestRejectUntracedIsNoop(t *testing.T) {
	r := requestOf("a")
	r.Reject(r.Candidates[0], "why") // must not panic without a trace
	if r.Trace != nil {
		t.Errorf("Reject made a trace")
	}
}

func TestTraceEnd(t *testing.T) {
	tests := []struct {
		name        string
		before      []string
		after       []string
		reject      map[string]string
		err         error
		skip        string
		wantRemoved []rank.Removal
		wantAdded   []string
		wantErr     string
	}{
		{
			name:        "removed with reasons and default",
			before:      []string{"a", "b", "c"},
			after:       []string{"b"},
			reject:      map[string]string{"a": "seen"},
			wantRemoved: []rank.Removal{{ID: "a", Reason: "seen"}, {ID: "c", Reason: "removed by s"}},
		},
		{
			name:      "added",
			before:    []string{"a"},
			after:     []string{"x", "a", "y"},
			wantAdded: []string{"x", "y"},
		},
		{
			name:        "duplicate removed once",
			before:      []string{"a", "a"},
			after:       nil,
			wantRemoved: []rank.Removal{{ID: "a", Reason: "removed by s"}},
		},
		{
			name:   "skipped lists no changes",
			before: []string{"a"},
			after:  []string{"a", "b"},
			skip:   "killed",
		},
		{
			name:    "failed lists no removals",
			before:  []string{"a", "b"},
			after:   nil,
			err:     context.Canceled,
			wantErr: "context canceled",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			tr := rank.NewTrace()
			r := rank.NewRequest(nil, rank.Options{})
			r.Trace = tr
			ctx, i := tr.Begin(context.Background(), "s")
			for id, why := range tt.reject {
				r.Reject(rank.NewEntity(id), why)
			}
			rank.Skip(ctx, tt.skip)
			for _, id := range tt.after {
				r.Append(id)
			}
			resp := r
			if tt.err != nil {
				resp = nil
			}
			tr.End(i, time.Millisecond, tt.before, resp, tt.err)
			st := tr.Stages()[0]
			want := rank.StageTrace{
				Stage: "s", Path: "s", Duration: time.Millisecond,
				In: len(tt.before), Out: len(tt.after),
				Removed: tt.wantRemoved, Added: tt.wantAdded,
				Skipped: tt.skip, Error: tt.wantErr,
			}
			assertStageTrace(t, st, want)
		})
	}
}

func assertStageTrace(t *testing.T, got, want rank.StageTrace) {
	t.Helper()
	if got.Stage != want.Stage || got.Path != want.Path || got.Depth != want.Depth ||
		got.Duration != want.Duration || got.In != want.In || got.Out != want.Out ||
		got.Skipped != want.Skipped || got.Error != want.Error ||
		!slices.Equal(got.Removed, want.Removed) || !slices.Equal(got.Added, want.Added) {
		t.Errorf("stage trace =\n%+v\nwant\n%+v", got, want)
	}
}

func TestTraceNesting(t *testing.T) {
	tr := rank.NewTrace()
	other := rank.NewTrace()
	ctx, outer := tr.Begin(context.Background(), "outer")
	inCtx, inner := tr.Begin(ctx, "inner")
	_, deep := tr.Begin(inCtx, "deep")
	_, foreign := other.Begin(inCtx, "foreign") // another trace starts a new root
	tr.End(deep, 0, nil, nil, nil)
	tr.End(inner, 0, nil, nil, nil)
	tr.End(outer, 0, nil, nil, nil)
	other.End(foreign, 0, nil, nil, nil)
	rank.Skip(context.Background(), "untraced context: nothing happens")

	var got []string
	for _, st := range tr.Stages() {
		got = append(got, st.Path+"@"+strconv.Itoa(st.Depth))
	}
	if want := []string{"outer@0", "outer/inner@1", "outer/inner/deep@2"}; !slices.Equal(got, want) {
		t.Errorf("paths = %q, want %q", got, want)
	}
	if st := other.Stages()[0]; st.Path != "foreign" || st.Depth != 0 {
		t.Errorf("foreign trace entry = %+v", st)
	}
}
