package pipeline

import (
	"fmt"
	"maps"
	"slices"
	"strings"
	"time"

	"github.com/rankflow/rankflow/pipeline/registry"
	"github.com/rankflow/rankflow/stage/budget"
)

// Plan is the shape of a built pipeline: what runs, in which order, with
// which settings. Graphs, the admin page and golden tests print it.
type Plan struct {
	Name      string
	Kind      string // pipeline, stage, series, parallel, if, switch, use, or a branch label
	Type      string // the registered stage, or the pipeline a use runs
	Config    map[string]any
	Limit     int
	Timeout   time.Duration
	OnTimeout budget.Policy
	Optional  bool
	Merger    string
	Strategy  string
	Cond      string
	Children  []*Plan
}

// configValues returns a config's values, defaults included, for printing.
func configValues(spec *registry.Spec, c *registry.Config) map[string]any {
	out := map[string]any{}
	for _, f := range spec.Fields {
		if !c.Has(f.Name) {
			continue
		}
		switch f.Type {
		case registry.String:
			out[f.Name] = c.String(f.Name)
		case registry.Int:
			out[f.Name] = c.Int(f.Name)
		case registry.Float:
			out[f.Name] = c.Float(f.Name)
		case registry.Bool:
			out[f.Name] = c.Bool(f.Name)
		case registry.Duration:
			out[f.Name] = c.Duration(f.Name)
		case registry.Strings:
			out[f.Name] = c.Strings(f.Name)
		case registry.FloatMap:
			out[f.Name] = c.FloatMap(f.Name)
		}
	}
	return out
}

// String prints the plan as an indented tree, one stage per line.
func (p *Plan) String() string {
	var b strings.Builder
	p.write(&b, 0)
	return b.String()
}

func (p *Plan) write(b *strings.Builder, depth int) {
	b.WriteString(strings.Repeat("  ", depth))
	b.WriteString(p.Name)
	var attrs []string
	if p.Kind == "stage" && p.Type != p.Name {
		attrs = append(attrs, "stage="+p.Type)
	}
	if p.Kind == "use" {
		attrs = append(attrs, "use="+p.Type)
	}
	if p.Kind == "parallel" {
		attrs = append(attrs, "merger="+p.Merger, "strategy="+p.Strategy)
	}
	if p.Cond != "" {
		attrs = append(attrs, "on="+p.Cond)
	}
	if p.Limit > 0 {
		attrs = append(attrs, fmt.Sprintf("limit=%d", p.Limit))
	}
	if p.Timeout > 0 {
		attrs = append(attrs, fmt.Sprintf("timeout=%v/%v", p.Timeout, p.OnTimeout))
	}
	if p.Optional {
		attrs = append(attrs, "optional")
	}
	for _, k := range slices.Sorted(maps.Keys(p.Config)) {
		attrs = append(attrs, fmt.Sprintf("%s=%s", k, formatValue(p.Config[k])))
	}
	if len(attrs) > 0 {
		b.WriteString(" (" + strings.Join(attrs, " ") + ")")
	}
	b.WriteByte('\n')
	for _, c := range p.Children {
		c.write(b, depth+1)
	}
}

func formatValue(v any) string {
	switch v := v.(type) {
	case string:
		return fmt.Sprintf("%q", v)
	case map[string]float64:
		parts := make([]string, 0, len(v))
		for _, k := range slices.Sorted(maps.Keys(v)) {
			parts = append(parts, fmt.Sprintf("%s:%g", k, v[k]))
		}
		return "{" + strings.Join(parts, ",") + "}"
	case []string:
		return "[" + strings.Join(v, ",") + "]"
	}
	return fmt.Sprint(v)
}
