package pipeline

import (
	"maps"
	"slices"

	"github.com/rankflow/rankflow/pipeline/registry"
	"github.com/rankflow/rankflow/rank"
)

// state is what features a request is known to carry at a point in a
// pipeline: those the pipeline's schema declares and those earlier stages
// write. open means a stage wrote features it could not name (such as a
// store's), so reads on that side cannot be checked.
type state struct {
	ctx, cand         map[string]rank.Kind
	ctxOpen, candOpen bool
}

func newState(d *Def) *state {
	return &state{ctx: maps.Clone(orEmpty(d.Context)), cand: maps.Clone(orEmpty(d.Candidates))}
}

func orEmpty(m map[string]rank.Kind) map[string]rank.Kind {
	if m == nil {
		return map[string]rank.Kind{}
	}
	return m
}

func (s *state) clone() *state {
	return &state{ctx: maps.Clone(s.ctx), cand: maps.Clone(s.cand), ctxOpen: s.ctxOpen, candOpen: s.candOpen}
}

// union makes s what any of outs may carry (after parallel branches, whose
// candidates are merged).
func (s *state) union(outs []*state) {
	for _, o := range outs {
		maps.Copy(s.ctx, o.ctx)
		maps.Copy(s.cand, o.cand)
		s.ctxOpen = s.ctxOpen || o.ctxOpen
		s.candOpen = s.candOpen || o.candOpen
	}
}

// intersect makes s what every one of outs carries (after branches of
// which exactly one runs).
func (s *state) intersect(outs []*state) {
	if len(outs) == 0 {
		return
	}
	*s = *outs[0].clone()
	for _, o := range outs[1:] {
		maps.DeleteFunc(s.ctx, func(k string, _ rank.Kind) bool { _, ok := o.ctx[k]; return !ok })
		maps.DeleteFunc(s.cand, func(k string, _ rank.Kind) bool { _, ok := o.cand[k]; return !ok })
		s.ctxOpen = s.ctxOpen && o.ctxOpen
		s.candOpen = s.candOpen && o.candOpen
	}
}

// featureNames returns the features a field's value names.
func featureNames(c *registry.Config, f *registry.Field) []string {
	if !c.Has(f.Name) {
		return nil
	}
	switch f.Type {
	case registry.String:
		if s := c.String(f.Name); s != "" {
			return []string{s}
		}
	case registry.Strings:
		return c.Strings(f.Name)
	case registry.FloatMap:
		return slices.Sorted(maps.Keys(c.FloatMap(f.Name)))
	}
	return nil
}

// checkFeatures checks a stage's reads against st and adds its writes.
func (b *builder) checkFeatures(n *Node, spec *registry.Spec, c *registry.Config, st *state) {
	type ref struct {
		target registry.Target
		name   string
		kind   rank.Kind
		pos    Pos
		path   string
	}
	var reads, writes []ref
	for _, r := range spec.Reads {
		reads = append(reads, ref{r.On, r.Name, r.Kind, n.Pos, n.Path})
	}
	for _, w := range spec.Writes {
		writes = append(writes, ref{w.On, w.Name, w.Kind, n.Pos, n.Path})
	}
	for i := range spec.Fields {
		f := &spec.Fields[i]
		pos, ok := n.ConfigPos[f.Name]
		if !ok {
			pos = n.Pos
		}
		path := n.Path + "." + f.Name
		for _, name := range featureNames(c, f) {
			switch f.Role {
			case registry.ReadsContext:
				reads = append(reads, ref{registry.OnContext, name, f.FeatureKind, pos, path})
			case registry.ReadsCandidate:
				reads = append(reads, ref{registry.OnCandidate, name, f.FeatureKind, pos, path})
			case registry.WritesContext:
				writes = append(writes, ref{registry.OnContext, name, f.FeatureKind, pos, path})
			case registry.WritesCandidate:
				writes = append(writes, ref{registry.OnCandidate, name, f.FeatureKind, pos, path})
			}
		}
	}
	for _, r := range reads {
		b.checkRead(r.pos, r.path, r.target, r.name, r.kind, st)
	}
	for _, w := range writes {
		m, open := st.cand, &st.candOpen
		if w.target == registry.OnContext {
			m, open = st.ctx, &st.ctxOpen
		}
		if w.name == "*" {
			*open = true
			continue
		}
		m[w.name] = w.kind
	}
}

// checkRead reports a read of a feature nothing before it provides, or of
// another kind than provided.
func (b *builder) checkRead(pos Pos, path string, target registry.Target, name string, kind rank.Kind, st *state) {
	if name == "" || name == "*" {
		return
	}
	m, open, decl := st.cand, st.candOpen, "candidates:"
	if target == registry.OnContext {
		m, open, decl = st.ctx, st.ctxOpen, "context:"
	}
	have, ok := m[name]
	switch {
	case !ok && !open:
		b.ps.add(pos, path, "reads %s feature %q, which neither the pipeline's %s schema nor an earlier stage provides%s",
			target, name, decl, hint(name, slices.Collect(maps.Keys(m))))
	case ok && kind != rank.Invalid && have != rank.Invalid && !compatible(have, kind):
		b.ps.add(pos, path, "reads %s feature %q as %s, but it is %s", target, name, kind, have)
	}
}

// compatible reports whether a feature of kind have can be read as want;
// ints read as floats.
func compatible(have, want rank.Kind) bool {
	return have == want || (want == rank.Float && have == rank.Int)
}
