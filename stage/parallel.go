package stage

import (
	"context"
	"errors"
	"fmt"
	"slices"

	"github.com/rankflow/rankflow/rank"
)

// Merger combines the results of Parallel's branches into one request.
// results[i] is the request branch i returned, or nil if it failed or did not
// finish in time. The merger builds its answer on parent, the request
// Parallel was given, which no branch has touched; Parallel keeps the
// branches' entities alive for it. See package merger.
type Merger func(parent *rank.Request, results []*rank.Request) *rank.Request

// Outcome is how one branch of Parallel ended.
type Outcome struct {
	Stage    string
	Err      error // nil if the branch succeeded
	Optional bool  // the branch was wrapped in Optional
}

// Strategy decides from the outcomes of all branches whether Parallel fails;
// a nil error means the merged results of the branches that succeeded are
// returned. See package strategy.
type Strategy func(outcomes []Outcome) error

// ErrUnfinished is the outcome of a branch still running when Parallel
// returned partial results because its context expired.
var ErrUnfinished = errors.New("branch did not finish within the budget")

// Optional marks a branch of Parallel whose failure is tolerated: strategies
// do not count it, and its results are simply missing. Outside Parallel it
// runs s unchanged.
func Optional(s Stage) Stage { return optional{s} }

type optional struct{ Stage }

func (o optional) Name() string     { return Name(o.Stage) }
func (o optional) Unwrap() Stage    { return o.Stage }
func (o optional) IsOptional() bool { return true }

// Parallel returns a stage that runs every branch, each on its own copy of
// the request, and combines what they return with merge. Features the
// branches add to or change on the request's context are kept too (the
// first branch in order wins when several set one), so a branch may fetch
// what later stages read, such as the user's recently viewed posts, while
// the others fetch candidates. Branches that may
// block run at once, on goroutines of their own; those that only compute
// run in turn (see below). A panic in a branch is that branch's error.
// strategy decides from the branches' outcomes whether Parallel fails.
//
// Parallel returns when every branch has finished, or when ctx is done: then
// it fails with ctx's error, unless ctx allows partial results (AllowPartial,
// set by a budget with the partial policy), in which case it merges the
// branches that finished and counts the rest as failed with ErrUnfinished.
// Unless partial results are allowed, the branches that do not block
// (Blocks) run one after another on the calling goroutine while the others
// run on goroutines of their own; when every branch may block, the first
// runs on the calling goroutine. Parallel checks ctx before each branch on
// its goroutine and notices it otherwise only once that branch returns; a
// stage that ignores its context is bounded by a latency budget around it
// (package budget), not by Parallel.
func Parallel(merge Merger, strategy Strategy, branches ...Stage) Stage {
	p := &parallel{merge: merge, strategy: strategy, branches: branches, unfinished: make([]Outcome, len(branches))}
	for i, b := range branches {
		_, opt := b.(optional)
		p.unfinished[i] = Outcome{Stage: Name(b), Err: ErrUnfinished, Optional: opt}
		if !Blocks(b) {
			p.own = append(p.own, i)
		}
	}
	if len(p.own) == 0 && len(branches) > 0 {
		p.own = []int{0}
	}
	return p
}

type parallel struct {
	merge    Merger
	strategy Strategy
	branches []Stage
	// unfinished is each branch's outcome before it reports: its name and
	// whether it is optional, worked out once rather than per request.
	unfinished []Outcome
	// own are the branches that run on the calling goroutine, in order,
	// unless partial results are allowed: those that do not block, or the
	// first when all may.
	own []int
}

type branchResult struct {
	i    int
	resp *rank.Request
	err  error
}

func (p *parallel) Rank(ctx context.Context, req *rank.Request) (*rank.Request, error) {
	n := len(p.branches)
	if n == 0 {
		return req, nil
	}
	copies := make([]*rank.Request, n)
	for i := range copies {
		copies[i] = req.Copy()
	}
	ch := make(chan branchResult, n)
	// Without partial results the branches in p.own run on this goroutine,
	// which saves goroutine hand-offs and keeps their candidates on this
	// core; the others run concurrently with them.
	var own []int
	if !PartialAllowed(ctx) {
		own = p.own
	}
	for i, b := range p.branches {
		if !slices.Contains(own, i) {
			go runBranch(ctx, i, b, copies[i], ch)
		}
	}
	for _, i := range own {
		if ctx.Err() != nil {
			break // the wait below returns ctx's error
		}
		runBranch(ctx, i, p.branches[i], copies[i], ch)
	}

	results := make([]*rank.Request, n)
	outcomes := slices.Clone(p.unfinished)
	record := func(r branchResult) {
		outcomes[r.i].Err = r.err
		if r.err == nil && r.resp == nil {
			outcomes[r.i].Err = &Error{Stage: outcomes[r.i].Stage, Err: errors.New("returned no request and no error")}
		}
		if outcomes[r.i].Err == nil {
			results[r.i] = r.resp
		}
	}
wait:
	for done := 0; done < n; done++ {
		select {
		case r := <-ch:
			record(r)
		case <-ctx.Done():
			if !PartialAllowed(ctx) {
				return nil, ctx.Err()
			}
			for { // take what finished meanwhile, then merge
				select {
				case r := <-ch:
					record(r)
				default:
					break wait
				}
			}
		}
	}
	if err := p.strategy(outcomes); err != nil {
		return nil, err
	}
	out := p.merge(req, results)
	mergeContext(out, req.Context, results)
	for _, r := range results {
		if r != out {
			out.Adopt(r)
		}
	}
	return out, nil
}

// mergeContext gives out's context the features the branches set on
// theirs: a feature a branch added or changed (from parent, the context
// the branches copied) is copied, the first branch in order winning when
// several set it. Removals are not merged. Mergers usually return the
// parent request, so out.Context may be parent: features set here are
// remembered and never compared again.
func mergeContext(out *rank.Request, parent *rank.Entity, results []*rank.Request) {
	var set []string // features set by an earlier branch, which win
	changed := func(k string, v rank.Value) bool {
		if slices.Contains(set, k) {
			return false
		}
		if parent == nil {
			return true
		}
		old, ok := parent.Feature(k)
		return !ok || !old.Equal(v)
	}
	for _, r := range results {
		if r == nil || r.Context == nil || parent != nil && r.Context.SharesFeatures(parent) {
			continue // nothing set, the usual case for sources
		}
		if r == out || out.Context == nil {
			// Its context is the result's already: claim what it changed.
			if out.Context == nil {
				out.Context = r.Context // kept alive by Adopt
			}
			for k, v := range r.Context.Features() {
				if changed(k, v) {
					set = append(set, k)
				}
			}
			continue
		}
		for k, v := range r.Context.Features() {
			if changed(k, v) {
				out.Context.Set(k, v)
				set = append(set, k)
			}
		}
	}
}

func runBranch(ctx context.Context, i int, b Stage, req *rank.Request, ch chan<- branchResult) {
	r := branchResult{i: i}
	defer func() {
		if v := recover(); v != nil {
			r.resp, r.err = nil, Recovered(b, v)
		}
		ch <- r
	}()
	r.resp, r.err = b.Rank(ctx, req)
	if r.err != nil {
		r.err = wrapErr(b, r.err)
	}
}

func (p *parallel) Name() string { return "parallel" }

// Stages returns the branches.
func (p *parallel) Stages() []Stage { return p.branches }

type partialKey struct{}

// AllowPartial returns a context under which Parallel, once the context is
// done, returns the merged results of the branches that finished instead of
// failing.
func AllowPartial(ctx context.Context) context.Context {
	return context.WithValue(ctx, partialKey{}, true)
}

// PartialAllowed reports whether ctx came from AllowPartial.
func PartialAllowed(ctx context.Context) bool {
	v, _ := ctx.Value(partialKey{}).(bool)
	return v
}

// JoinFailures returns the errors of the failed branches joined, each naming
// its branch, or nil if none failed. Strategies use it to build their error.
func JoinFailures(outcomes []Outcome, includeOptional bool) error {
	var errs []error
	for _, o := range outcomes {
		if o.Err != nil && (includeOptional || !o.Optional) {
			errs = append(errs, fmt.Errorf("branch %s: %w", o.Stage, o.Err))
		}
	}
	return errors.Join(errs...)
}

var _ Stage = (*parallel)(nil)
