package rank

import (
	"context"
	"slices"
	"sync"
	"time"
)

// StageTrace is what one stage did to the candidates of a traced request.
type StageTrace struct {
	// Stage is the stage's name; Path is where it sits in the pipeline, such
	// as "popular/parallel/fetch_video". Depth is 0 for the outermost stage.
	Stage string
	Path  string
	Depth int

	Duration time.Duration
	In, Out  int
	// Removed lists the candidates the stage dropped, with the reason a
	// filter gave (Request.Reject); Added lists the ids it brought in.
	Removed []Removal
	Added   []string
	// Skipped says why the stage did not run; Error is its error.
	Skipped string
	Error   string
}

// Removal is one candidate a stage removed and why.
type Removal struct {
	ID     string
	Reason string
}

// Trace collects StageTraces for one request. It is safe for concurrent use,
// so parallel branches share it.
type Trace struct {
	mu     sync.Mutex
	stages []StageTrace
}

// NewTrace returns an empty trace.
func NewTrace() *Trace { return &Trace{} }

type frameKey struct{}

type frame struct {
	trace *Trace
	index int
	path  string
	depth int
}

// Begin opens an entry for the stage called name, nested under the entry
// open in ctx, and returns a context for the stage's own run and the entry's
// index for End. Entries are kept in the order stages start.
func (t *Trace) Begin(ctx context.Context, name string) (context.Context, int) {
	path, depth := name, 0
	if parent, ok := ctx.Value(frameKey{}).(*frame); ok && parent.trace == t {
		path, depth = parent.path+"/"+name, parent.depth+1
	}
	t.mu.Lock()
	i := len(t.stages)
	t.stages = append(t.stages, StageTrace{Stage: name, Path: path, Depth: depth})
	t.mu.Unlock()
	return context.WithValue(ctx, frameKey{}, &frame{trace: t, index: i, path: path, depth: depth}), i
}

// End completes entry i with what the stage did: before are the ids of the
// candidates it received, resp what it returned (nil if it failed). Each
// removed candidate gets the reason its filter gave on resp
// (Request.Reject), or "removed by <stage>". A stage that failed or was
// skipped returned no candidates of its own, so its entry lists no removed or
// added ids.
func (t *Trace) End(i int, d time.Duration, before []string, resp *Request, err error) {
	var after []string
	if resp != nil {
		after = IDs(resp.Candidates)
	}
	t.mu.Lock()
	defer t.mu.Unlock()
	st := &t.stages[i]
	st.Duration, st.In, st.Out = d, len(before), len(after)
	if err != nil {
		st.Error = err.Error()
	}
	if st.Skipped != "" || err != nil {
		return
	}
	in := make(map[string]struct{}, len(before))
	for _, id := range before {
		in[id] = struct{}{}
	}
	out := make(map[string]struct{}, len(after))
	for _, id := range after {
		out[id] = struct{}{}
		if _, ok := in[id]; !ok {
			st.Added = append(st.Added, id)
			// Brought back: an earlier removal's reason no longer applies.
			delete(resp.rejected, id)
		}
	}
	for _, id := range before {
		if _, ok := out[id]; !ok {
			reason := resp.rejection(id)
			if reason == "" {
				reason = "removed by " + st.Stage
			}
			st.Removed = append(st.Removed, Removal{ID: id, Reason: reason})
			out[id] = struct{}{} // report a duplicate id once
		}
	}
}

// Stages returns a copy of the entries recorded so far.
func (t *Trace) Stages() []StageTrace {
	t.mu.Lock()
	defer t.mu.Unlock()
	return slices.Clone(t.stages)
}

// Skip records on the trace entry open in ctx that its stage did not run and
// why, such as "killed by flag". It does nothing when ctx is not traced.
func Skip(ctx context.Context, reason string) {
	f, ok := ctx.Value(frameKey{}).(*frame)
	if !ok {
		return
	}
	f.trace.mu.Lock()
	f.trace.stages[f.index].Skipped = reason
	f.trace.mu.Unlock()
}

// IDs returns the ids of the candidates, in order.
func IDs(candidates []*Entity) []string {
	ids := make([]string, len(candidates))
	for i, e := range candidates {
		ids[i] = e.ID
	}
	return ids
}
