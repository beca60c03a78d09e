package pipeline

import (
	"context"
	"errors"
	"fmt"
	"hash/fnv"
	"io"
	"maps"
	"slices"
	"strconv"

	"github.com/rankflow/rankflow/middleware"
	"github.com/rankflow/rankflow/pipeline/registry"
	"github.com/rankflow/rankflow/rank"
	"github.com/rankflow/rankflow/stage"
	"github.com/rankflow/rankflow/stage/budget"
	"github.com/rankflow/rankflow/stage/merger"
	"github.com/rankflow/rankflow/stage/strategy"
	"github.com/rankflow/rankflow/stages/builtin"
)

var mergers = map[string]stage.Merger{
	"concat":          merger.Concat,
	"concat_keep_max": merger.ConcatKeepMax,
	"round_robin":     merger.RoundRobin,
}

var strategies = map[string]stage.Strategy{
	"fail_when_any_fails": strategy.FailWhenAnyFails,
	"fail_when_all_fail":  strategy.FailWhenAllFail,
}

// Options configure how configs are built. The zero value builds with the
// built-in stages, no stores and the default middlewares.
type Options struct {
	// Registry holds the stages configs may name; nil means
	// builtin.Registry().
	Registry *registry.Registry
	// Env is given to stage constructors.
	Env *registry.Env
	// Middleware returns the middleware wrapped around every stage of the
	// named pipeline; nil means middleware.Default with only the pipeline
	// name set.
	Middleware func(pipeline string) stage.Middleware
}

func (o *Options) registry() *registry.Registry {
	if o.Registry == nil {
		o.Registry = builtin.Registry()
	}
	return o.Registry
}

// Pipeline is one built pipeline: a Stage that applies the pipeline's
// default limit and runs its stages, and the plan it was built from.
type Pipeline struct {
	Name  string
	Def   *Def
	Plan  *Plan
	stage stage.Stage
}

// Rank runs the pipeline on req.
func (p *Pipeline) Rank(ctx context.Context, req *rank.Request) (*rank.Request, error) {
	if req.Options.Limit == 0 && p.Def.Limit > 0 {
		req.Options.Limit = p.Def.Limit
	}
	return p.stage.Rank(ctx, req)
}

// Stages returns the built stage tree, middlewares included.
func (p *Pipeline) Stage() stage.Stage { return p.stage }

// Set is a complete, validated set of pipelines, built together and swapped
// as one.
type Set struct {
	pipelines map[string]*Pipeline
	closers   []io.Closer
	digest    string // of the config files it was parsed from; "" if built from Defs
}

// Lookup returns the pipeline named name. Fragments are not served.
func (s *Set) Lookup(name string) (*Pipeline, bool) {
	p, ok := s.pipelines[name]
	return p, ok
}

// Names returns the served pipelines' names, sorted.
func (s *Set) Names() []string { return slices.Sorted(maps.Keys(s.pipelines)) }

// Close releases what the stages hold (such as side-effect workers). The set
// must not serve afterwards.
func (s *Set) Close() error {
	var errs []error
	for _, c := range s.closers {
		errs = append(errs, c.Close())
	}
	s.closers = nil
	return errors.Join(errs...)
}

// Build builds every pipeline in defs, checking names, references, stage
// configs and feature contracts. It returns all problems found, as
// Problems, and builds nothing if there is any.
func Build(defs []*Def, opts Options) (*Set, error) { return build(defs, opts, nil) }

// build builds defs. Pipelines in broken had decode problems, reported
// already: their feature contracts are not checked, since a stage that
// failed to decode is missing from them.
func build(defs []*Def, opts Options, broken map[string]bool) (*Set, error) {
	b := &builder{opts: opts, reg: opts.registry(), defs: map[string]*Def{}, broken: broken}
	for _, d := range defs {
		if prev, dup := b.defs[d.Name]; dup {
			b.ps.add(d.Pos, d.Path, "duplicate pipeline %q, first defined at %s", d.Name, prev.Pos)
			continue
		}
		b.defs[d.Name] = d
	}
	set := &Set{pipelines: map[string]*Pipeline{}}
	for _, name := range slices.Sorted(maps.Keys(b.defs)) {
		d := b.defs[name]
		mw := b.middleware(name)
		b.mw = mw
		st := newState(d)
		if broken[name] || (d.Fragment && d.Context == nil && d.Candidates == nil) {
			// A fragment without a schema of its own is checked where it
			// is used, against the using pipeline's features.
			st.ctxOpen, st.candOpen = true, true
		}
		plan := &Plan{Name: name, Kind: "pipeline", Limit: d.Limit, Timeout: d.Budget, OnTimeout: d.OnTimeout}
		root := b.series(d.Stages, []string{name}, st, plan)
		if d.Fragment || root == nil {
			continue
		}
		s := stage.Named(name, root)
		if d.Budget > 0 {
			s = budget.Latency(d.Budget, d.OnTimeout)(s)
		}
		set.pipelines[name] = &Pipeline{Name: name, Def: d, Plan: plan, stage: mw(s)}
	}
	set.closers = b.closers
	if err := b.ps.err(); err != nil {
		set.Close()
		return nil, err
	}
	return set, nil
}

type builder struct {
	opts    Options
	reg     *registry.Registry
	defs    map[string]*Def
	mw      stage.Middleware
	broken  map[string]bool
	ps      problems
	closers []io.Closer
}

func (b *builder) middleware(pipeline string) stage.Middleware {
	if b.opts.Middleware != nil {
		return b.opts.Middleware(pipeline)
	}
	var o middleware.Options
	o.Pipeline = pipeline
	if b.opts.Env != nil {
		o.Logger = b.opts.Env.Logger
	}
	return middleware.Default(o)
}

// series builds nodes to run one after another; nil if any failed.
func (b *builder) series(nodes []*Node, stack []string, st *state, plan *Plan) stage.Stage {
	var stages []stage.Stage
	ok := true
	for _, n := range nodes {
		child := &Plan{}
		s := b.node(n, stack, st, child)
		plan.Children = append(plan.Children, child)
		if s == nil {
			ok = false
			continue
		}
		stages = append(stages, s)
	}
	if !ok || len(stages) == 0 {
		return nil
	}
	if len(stages) == 1 {
		return stages[0]
	}
	return stage.Series(stages...)
}

// node builds one item, wrapped in its budget, name and middlewares.
func (b *builder) node(n *Node, stack []string, st *state, plan *Plan) stage.Stage {
	plan.Name, plan.Timeout, plan.OnTimeout, plan.Optional = n.name(), n.Timeout, n.OnTimeout, n.Optional
	var s stage.Stage
	switch n.Kind {
	case StageNode:
		plan.Kind, plan.Type = "stage", n.Type
		s = b.leaf(n, st, plan)
	case SeriesNode:
		plan.Kind = "series"
		s = b.series(n.Children, stack, st, plan)
	case ParallelNode:
		plan.Kind, plan.Merger, plan.Strategy = "parallel", n.Merger, n.Strategy
		s = b.parallel(n, stack, st, plan)
	case IfNode:
		plan.Kind = "if"
		s = b.ifElse(n, stack, st, plan)
	case SwitchNode:
		plan.Kind = "switch"
		s = b.switchStage(n, stack, st, plan)
	case UseNode:
		plan.Kind, plan.Type = "use", n.Use
		s = b.use(n, stack, st, plan)
	}
	if s == nil {
		return nil
	}
	s = stage.Named(n.name(), s)
	if n.Timeout > 0 {
		s = budget.Latency(n.Timeout, n.OnTimeout)(s)
	}
	s = b.mw(s)
	if n.Optional {
		s = stage.Optional(s)
	}
	return s
}

func (b *builder) leaf(n *Node, st *state, plan *Plan) stage.Stage {
	spec, ok := b.reg.Lookup(n.Type)
	if !ok { // the decoder reports unknown stages
		b.ps.add(n.Pos, n.Path, "unknown stage %q", n.Type)
		return nil
	}
	c, err := registry.NewConfig(spec, n.Config)
	if err != nil {
		b.fieldErrors(n, err)
		return nil
	}
	plan.Config = configValues(spec, c)
	b.checkFeatures(n, spec, c, st)
	env := b.opts.Env
	if env == nil {
		env = &registry.Env{}
	}
	s, err := spec.New(c, env)
	if err != nil {
		b.fieldErrors(n, err)
		return nil
	}
	if closer, ok := s.(io.Closer); ok {
		b.closers = append(b.closers, closer)
	}
	return s
}

// fieldErrors reports a stage's config errors at the fields they name.
func (b *builder) fieldErrors(n *Node, err error) {
	var errs []error
	if j, ok := err.(interface{ Unwrap() []error }); ok {
		errs = j.Unwrap()
	} else {
		errs = []error{err}
	}
	for _, e := range errs {
		var fe *registry.FieldError
		if errors.As(e, &fe) && fe.Field != "" {
			pos, ok := n.ConfigPos[fe.Field]
			if !ok {
				pos = n.Pos
			}
			b.ps.add(pos, n.Path+"."+fe.Field, "%s", fe.Msg)
			continue
		}
		b.ps.add(n.Pos, n.Path, "%v", e)
	}
}

func (b *builder) parallel(n *Node, stack []string, st *state, plan *Plan) stage.Stage {
	var branches []stage.Stage
	ok := true
	var outs []*state
	for _, c := range n.Children {
		bst := st.clone()
		child := &Plan{}
		s := b.node(c, stack, bst, child)
		plan.Children = append(plan.Children, child)
		outs = append(outs, bst)
		if s == nil {
			ok = false
			continue
		}
		branches = append(branches, s)
	}
	st.union(outs)
	m, okm := mergers[n.Merger]
	strat, oks := strategies[n.Strategy]
	if !ok || !okm || !oks || len(branches) == 0 {
		return nil
	}
	return stage.Parallel(m, strat, branches...)
}

func (b *builder) ifElse(n *Node, stack []string, st *state, plan *Plan) stage.Stage {
	b.checkRead(n.When.Pos, n.Path+".when", registry.OnContext, n.When.Feature, rank.Invalid, st)
	sel := selector(n.When)
	thenSt, elseSt := st.clone(), st.clone()
	thenPlan := &Plan{Name: "then", Kind: "series"}
	elsePlan := &Plan{Name: "else", Kind: "series"}
	plan.Cond = n.When.String()
	then := b.series(n.Then, stack, thenSt, thenPlan)
	var els stage.Stage
	if len(n.Else) > 0 {
		els = b.series(n.Else, stack, elseSt, elsePlan)
		if els == nil {
			return nil
		}
	}
	plan.Children = append(plan.Children, thenPlan, elsePlan)
	st.intersect([]*state{thenSt, elseSt})
	if then == nil || sel == nil {
		return nil
	}
	return stage.IfElse(sel, then, els)
}

func (b *builder) switchStage(n *Node, stack []string, st *state, plan *Plan) stage.Stage {
	if n.On.Feature != "" {
		b.checkRead(n.On.Pos, n.Path+".on", registry.OnContext, n.On.Feature, rank.Invalid, st)
	}
	cases := map[string]stage.Stage{}
	var outs []*state
	ok := true
	for _, c := range n.Cases {
		cst := st.clone()
		cp := &Plan{Name: "case " + c.Key, Kind: "series"}
		s := b.series(c.Stages, stack, cst, cp)
		plan.Children = append(plan.Children, cp)
		outs = append(outs, cst)
		if s == nil {
			ok = false
			continue
		}
		if n.On.Buckets > 0 {
			lo, hi, err := bucketRange(c.Key, n.On.Buckets)
			if err != nil {
				ok = false // reported by the decoder
				continue
			}
			for k := lo; k <= hi; k++ {
				key := strconv.Itoa(k)
				if _, dup := cases[key]; dup {
					b.ps.add(c.Pos, n.Path+".cases."+c.Key, "bucket %d is in more than one case", k)
					ok = false
				}
				cases[key] = s
			}
			continue
		}
		cases[c.Key] = s
	}
	dst := st.clone()
	var def stage.Stage
	if len(n.Default) > 0 {
		dp := &Plan{Name: "default", Kind: "series"}
		def = b.series(n.Default, stack, dst, dp)
		plan.Children = append(plan.Children, dp)
		if def == nil {
			ok = false
		}
	}
	outs = append(outs, dst)
	st.intersect(outs)
	plan.Cond = n.On.String()
	if !ok {
		return nil
	}
	return stage.Switch(switchKey(n.On), cases, def)
}

func (b *builder) use(n *Node, stack []string, st *state, plan *Plan) stage.Stage {
	d, ok := b.defs[n.Use]
	if !ok {
		b.ps.add(n.Pos, n.Path, "no pipeline or fragment named %q%s", n.Use, hint(n.Use, slices.Collect(maps.Keys(b.defs))))
		return nil
	}
	if i := slices.Index(stack, n.Use); i >= 0 {
		cycle := append(slices.Clone(stack[i:]), n.Use)
		b.ps.add(n.Pos, n.Path, "cycle: %s", joinArrow(cycle))
		return nil
	}
	return b.series(d.Stages, append(slices.Clone(stack), n.Use), st, plan)
}

func joinArrow(names []string) string {
	out := ""
	for i, n := range names {
		if i > 0 {
			out += " -> "
		}
		out += n
	}
	return out
}

// hint returns ` (did you mean "x"?)` for the candidate closest to name.
func hint(name string, candidates []string) string {
	best, ok := registry.Closest(name, candidates)
	if !ok {
		return ""
	}
	return fmt.Sprintf(" (did you mean %q?)", best)
}

// selector evaluates an if's condition on the request's context.
func selector(c Cond) stage.Selector {
	switch {
	case c.Exists != nil:
		want := *c.Exists
		return func(_ context.Context, req *rank.Request) bool { return req.Context.Has(c.Feature) == want }
	case c.In != nil:
		return func(_ context.Context, req *rank.Request) bool {
			v, ok := req.Context.Feature(c.Feature)
			return ok && slices.ContainsFunc(c.In, func(x any) bool { return valueEquals(v, x) })
		}
	default:
		return func(_ context.Context, req *rank.Request) bool {
			v, ok := req.Context.Feature(c.Feature)
			return ok && valueEquals(v, c.Equals)
		}
	}
}

// valueEquals compares a feature with a value written in YAML.
func valueEquals(v rank.Value, x any) bool {
	switch x := x.(type) {
	case string:
		s, ok := v.AsString()
		return ok && s == x
	case bool:
		b, ok := v.AsBool()
		return ok && b == x
	case int:
		if i, ok := v.AsInt(); ok {
			return i == int64(x)
		}
		f, ok := v.AsFloat()
		return ok && f == float64(x)
	case float64:
		f, ok := v.AsFloat()
		return ok && f == x
	}
	return false
}

// switchKey returns the key function of a switch.
func switchKey(k SwitchKey) stage.KeyFunc {
	if k.Buckets > 0 {
		n, salt := uint64(k.Buckets), k.Salt
		return func(_ context.Context, req *rank.Request) string {
			return strconv.FormatUint(Bucket(req.Context.ID, salt, n), 10)
		}
	}
	return func(_ context.Context, req *rank.Request) string {
		v, ok := req.Context.Feature(k.Feature)
		if !ok {
			return ""
		}
		if s, ok := v.AsString(); ok {
			return s
		}
		return v.String()
	}
}

// Bucket hashes id with salt into one of n buckets, the same one on every
// server, for experiments.
func Bucket(id, salt string, n uint64) uint64 {
	h := fnv.New64a()
	h.Write([]byte(salt))
	h.Write([]byte{0})
	h.Write([]byte(id))
	return h.Sum64() % n
}

func (c Cond) String() string {
	switch {
	case c.Exists != nil && *c.Exists:
		return fmt.Sprintf("context.%s exists", c.Feature)
	case c.Exists != nil:
		return fmt.Sprintf("context.%s missing", c.Feature)
	case c.In != nil:
		return fmt.Sprintf("context.%s in %v", c.Feature, c.In)
	}
	return fmt.Sprintf("context.%s == %v", c.Feature, c.Equals)
}

func (k SwitchKey) String() string {
	if k.Buckets > 0 {
		return fmt.Sprintf("bucket(context.id, salt %q) of %d", k.Salt, k.Buckets)
	}
	return "context." + k.Feature
}
