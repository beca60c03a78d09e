package pipeline

import (
	"fmt"
	"strings"
)

// DOT returns the plan as a Graphviz digraph: one node per stage, edges in
// the order requests flow, meta-stages as clusters.
func (p *Plan) DOT() string {
	var b strings.Builder
	g := &grapher{b: &b}
	fmt.Fprintf(&b, "digraph %q {\n  rankdir=LR;\n  node [shape=box, fontname=\"Helvetica\"];\n", p.Name)
	in := g.id()
	fmt.Fprintf(&b, "  %s [label=%q, shape=circle];\n", in, "request")
	last := g.dot(p, []string{in}, 1)
	out := g.id()
	fmt.Fprintf(&b, "  %s [label=%q, shape=doublecircle];\n", out, "response")
	for _, l := range last {
		fmt.Fprintf(&b, "  %s -> %s;\n", l, out)
	}
	b.WriteString("}\n")
	return b.String()
}

type grapher struct {
	b *strings.Builder
	n int
}

func (g *grapher) id() string { g.n++; return fmt.Sprintf("n%d", g.n) }

func (g *grapher) indent(depth int) string { return strings.Repeat("  ", depth) }

// dot writes p entered from the nodes in from and returns its exit nodes.
func (g *grapher) dot(p *Plan, from []string, depth int) []string {
	ind := g.indent(depth)
	switch p.Kind {
	case "pipeline", "series", "use":
		for _, c := range p.Children {
			from = g.dot(c, from, depth)
		}
		return from
	case "parallel", "if", "switch":
		fmt.Fprintf(g.b, "%ssubgraph cluster_%s {\n%s  label=%q;\n%s  style=dashed;\n", ind, g.id(), ind, label(p), ind)
		var exits []string
		for _, c := range p.Children {
			exits = append(exits, g.dot(c, from, depth+1)...)
		}
		fmt.Fprintf(g.b, "%s}\n", ind)
		if p.Kind != "parallel" && len(exits) == 0 {
			return from
		}
		return exits
	}
	id := g.id()
	fmt.Fprintf(g.b, "%s%s [label=%q];\n", ind, id, label(p))
	for _, f := range from {
		fmt.Fprintf(g.b, "%s%s -> %s;\n", ind, f, id)
	}
	return []string{id}
}

func label(p *Plan) string {
	var parts []string
	parts = append(parts, p.Name)
	if p.Kind == "stage" && p.Type != p.Name {
		parts = append(parts, "("+p.Type+")")
	}
	if p.Kind == "parallel" {
		parts = append(parts, p.Merger+", "+p.Strategy)
	}
	if p.Cond != "" {
		parts = append(parts, p.Cond)
	}
	if p.Timeout > 0 {
		parts = append(parts, fmt.Sprintf("budget %v, %v", p.Timeout, p.OnTimeout))
	}
	if p.Optional {
		parts = append(parts, "optional")
	}
	return strings.Join(parts, "\n")
}

// Mermaid returns the plan as a Mermaid flowchart.
func (p *Plan) Mermaid() string {
	var b strings.Builder
	g := &grapher{b: &b}
	b.WriteString("flowchart LR\n")
	in := g.id()
	fmt.Fprintf(&b, "  %s((request))\n", in)
	last := g.mermaid(p, []string{in}, 1)
	out := g.id()
	fmt.Fprintf(&b, "  %s(((response)))\n", out)
	for _, l := range last {
		fmt.Fprintf(&b, "  %s --> %s\n", l, out)
	}
	return b.String()
}

func (g *grapher) mermaid(p *Plan, from []string, depth int) []string {
	ind := g.indent(depth)
	switch p.Kind {
	case "pipeline", "series", "use":
		for _, c := range p.Children {
			from = g.mermaid(c, from, depth)
		}
		return from
	case "parallel", "if", "switch":
		fmt.Fprintf(g.b, "%ssubgraph %s[%q]\n", ind, g.id(), strings.ReplaceAll(label(p), "\n", " · "))
		var exits []string
		for _, c := range p.Children {
			if c.Kind == "series" && len(c.Children) == 0 {
				continue
			}
			exits = append(exits, g.mermaid(c, from, depth+1)...)
		}
		fmt.Fprintf(g.b, "%send\n", ind)
		if p.Kind != "parallel" {
			exits = append(exits, from...) // an if or switch may run no branch
			exits = dedup(exits)
		}
		return exits
	}
	id := g.id()
	fmt.Fprintf(g.b, "%s%s[%q]\n", ind, id, strings.ReplaceAll(label(p), "\n", " · "))
	for _, f := range from {
		fmt.Fprintf(g.b, "%s%s --> %s\n", ind, f, id)
	}
	return []string{id}
}

func dedup(ids []string) []string {
	seen := map[string]bool{}
	out := ids[:0]
	for _, id := range ids {
		if !seen[id] {
			seen[id] = true
			out = append(out, id)
		}
	}
	return out
}
