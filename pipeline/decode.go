package pipeline

import (
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/rankflow/rankflow/rank"
	"github.com/rankflow/rankflow/stage/budget"
	"go.yaml.in/yaml/v3"
)

// Meta keys a stage item may carry beside the key naming the stage.
var metaKeys = map[string]bool{"as": true, "timeout": true, "on_timeout": true, "optional": true}

// structural keys name meta-stages rather than registered stages.
var structural = map[string]bool{"series": true, "parallel": true, "if": true, "switch": true, "use": true}

// Decode parses one config file. It returns every pipeline and fragment it
// could decode and the problems it found; known reports whether a stage name
// is registered (for the "unknown stage" check and its hint).
func Decode(file string, data []byte, known func(string) bool, hint func(string) string) ([]*Def, Problems) {
	d := &decoder{file: file, known: known, hint: hint}
	defs := d.file_(data)
	return defs, d.ps.list
}

type decoder struct {
	file  string
	known func(string) bool
	hint  func(string) string
	ps    problems

	// Guards against YAML aliases: a list of stages that contains itself,
	// and alias trees that expand to a huge config.
	active    map[*yaml.Node]bool
	depth     int
	itemCount int // stage items decoded
}

// Bounds on what one config file may expand to through aliases.
const (
	maxDepth = 64
	maxItems = 10_000
)

func (d *decoder) pos(n *yaml.Node) Pos { return Pos{File: d.file, Line: n.Line, Col: n.Column} }

func (d *decoder) errf(n *yaml.Node, path, format string, args ...any) {
	d.ps.add(d.pos(n), path, format, args...)
}

func (d *decoder) file_(data []byte) []*Def {
	var doc yaml.Node
	if err := yaml.Unmarshal(data, &doc); err != nil {
		line := 0
		msg := err.Error()
		if _, after, ok := strings.Cut(msg, "line "); ok {
			if n, err := strconv.Atoi(strings.SplitN(after, ":", 2)[0]); err == nil {
				line = n
			}
		}
		d.ps.add(Pos{File: d.file, Line: line, Col: 1}, "", "invalid YAML: %s", strings.TrimPrefix(msg, "yaml: "))
		return nil
	}
	if len(doc.Content) == 0 {
		d.ps.add(Pos{File: d.file}, "", "empty config: want a map with pipelines and fragments")
		return nil
	}
	root := doc.Content[0]
	pairs, ok := d.mapping(root, "")
	if !ok {
		return nil
	}
	var defs []*Def
	for _, p := range pairs {
		switch p.key {
		case "pipelines", "fragments":
			entries, ok := d.mapping(p.val, p.key)
			if !ok {
				continue
			}
			for _, e := range entries {
				if def := d.def(e, p.key+"."+e.key, p.key == "fragments"); def != nil {
					defs = append(defs, def)
				}
			}
		default:
			d.errf(p.keyNode, p.key, "unknown top-level key %q (want pipelines or fragments)", p.key)
		}
	}
	return defs
}

type pair struct {
	key     string
	keyNode *yaml.Node
	val     *yaml.Node
}

// mapping returns the pairs of a mapping node, reporting a node of another
// kind and duplicate keys.
func (d *decoder) mapping(n *yaml.Node, path string) ([]pair, bool) {
	n = resolve(n)
	if n.Kind != yaml.MappingNode {
		d.errf(n, path, "want a map, got %s", describeNode(n))
		return nil, false
	}
	seen := map[string]bool{}
	var out []pair
	for i := 0; i+1 < len(n.Content); i += 2 {
		k, v := n.Content[i], n.Content[i+1]
		if k.Kind != yaml.ScalarNode {
			d.errf(k, path, "map keys must be strings")
			continue
		}
		if seen[k.Value] {
			d.errf(k, join(path, k.Value), "duplicate key %q", k.Value)
			continue
		}
		seen[k.Value] = true
		out = append(out, pair{key: k.Value, keyNode: k, val: v})
	}
	return out, true
}

func resolve(n *yaml.Node) *yaml.Node {
	for n.Kind == yaml.AliasNode && n.Alias != nil {
		n = n.Alias
	}
	if n.Kind == yaml.DocumentNode && len(n.Content) > 0 {
		return n.Content[0]
	}
	return n
}

func join(path, key string) string {
	if path == "" {
		return key
	}
	return path + "." + key
}

func describeNode(n *yaml.Node) string {
	switch n.Kind {
	case yaml.MappingNode:
		return "a map"
	case yaml.SequenceNode:
		return "a list"
	case yaml.ScalarNode:
		if n.Tag == "!!null" {
			return "nothing"
		}
		return fmt.Sprintf("%s %q", strings.TrimPrefix(n.Tag, "!!"), n.Value)
	}
	return "an alias"
}

func (d *decoder) def(e pair, path string, fragment bool) *Def {
	def := &Def{Name: e.key, Pos: d.pos(e.keyNode), Path: path, Fragment: fragment}
	if e.key == "" {
		d.errf(e.keyNode, path, "pipeline name must not be empty")
	}
	pairs, ok := d.mapping(e.val, path)
	if !ok {
		return nil
	}
	hasStages := false
	for _, p := range pairs {
		ppath := join(path, p.key)
		switch p.key {
		case "description":
			def.Description, _ = d.str(p.val, ppath)
		case "limit":
			if n, ok := d.int(p.val, ppath); ok {
				if n < 0 {
					d.errf(p.val, ppath, "limit must not be negative")
				}
				def.Limit = n
			}
		case "budget":
			def.Budget, _ = d.duration(p.val, ppath)
		case "on_timeout":
			def.OnTimeout, _ = d.policy(p.val, ppath)
		case "context":
			def.Context = d.schema(p.val, ppath)
		case "candidates":
			def.Candidates = d.schema(p.val, ppath)
		case "stages":
			hasStages = true
			def.Stages = d.items(p.val, ppath)
		default:
			d.errf(p.keyNode, ppath, "unknown field %q (want description, limit, budget, on_timeout, context, candidates or stages)", p.key)
		}
	}
	if !hasStages {
		d.errf(e.keyNode, path, "pipeline has no stages")
	}
	return def
}

func (d *decoder) scalar(n *yaml.Node, path, want string) (*yaml.Node, bool) {
	n = resolve(n)
	if n.Kind != yaml.ScalarNode || n.Tag == "!!null" {
		d.errf(n, path, "want %s, got %s", want, describeNode(n))
		return nil, false
	}
	return n, true
}

func (d *decoder) str(n *yaml.Node, path string) (string, bool) {
	s, ok := d.scalar(n, path, "a string")
	if !ok {
		return "", false
	}
	if s.Tag != "!!str" {
		d.errf(s, path, "want a string, got %s", describeNode(s))
		return "", false
	}
	return s.Value, true
}

func (d *decoder) int(n *yaml.Node, path string) (int, bool) {
	s, ok := d.scalar(n, path, "an integer")
	if !ok {
		return 0, false
	}
	v, err := strconv.Atoi(s.Value)
	if s.Tag != "!!int" || err != nil {
		d.errf(s, path, "want an integer, got %s", describeNode(s))
		return 0, false
	}
	return v, true
}

func (d *decoder) bool(n *yaml.Node, path string) (bool, bool) {
	s, ok := d.scalar(n, path, "true or false")
	if !ok {
		return false, false
	}
	if s.Tag != "!!bool" {
		d.errf(s, path, "want true or false, got %s", describeNode(s))
		return false, false
	}
	return s.Value == "true", true
}

func (d *decoder) duration(n *yaml.Node, path string) (time.Duration, bool) {
	s, ok := d.str(n, path)
	if !ok {
		return 0, false
	}
	v, err := time.ParseDuration(s)
	if err != nil || v <= 0 {
		d.errf(n, path, "want a positive duration such as 100ms, got %q", s)
		return 0, false
	}
	return v, true
}

func (d *decoder) policy(n *yaml.Node, path string) (budget.Policy, bool) {
	s, ok := d.str(n, path)
	if !ok {
		return budget.Fail, false
	}
	p, err := budget.ParsePolicy(s)
	if err != nil {
		d.errf(n, path, "%v", err)
		return budget.Fail, false
	}
	return p, true
}

func (d *decoder) schema(n *yaml.Node, path string) map[string]rank.Kind {
	pairs, ok := d.mapping(n, path)
	if !ok {
		return nil
	}
	out := make(map[string]rank.Kind, len(pairs))
	for _, p := range pairs {
		s, ok := d.str(p.val, join(path, p.key))
		if !ok {
			continue
		}
		k, err := rank.ParseKind(s)
		if err != nil {
			d.errf(p.val, join(path, p.key), "%v", err)
			continue
		}
		out[p.key] = k
	}
	return out
}

// items decodes a list of stage items.
func (d *decoder) items(n *yaml.Node, path string) []*Node {
	n = resolve(n)
	switch {
	case d.active[n]:
		d.errf(n, path, "a list of stages contains itself through a YAML alias")
		return nil
	case d.depth >= maxDepth:
		d.errf(n, path, "stages are nested more than %d deep", maxDepth)
		return nil
	case d.itemCount >= maxItems:
		return nil // reported once, when the limit was reached
	}
	if d.active == nil {
		d.active = map[*yaml.Node]bool{}
	}
	d.active[n] = true
	d.depth++
	defer func() { delete(d.active, n); d.depth-- }()
	if n.Kind != yaml.SequenceNode {
		d.errf(n, path, "want a list of stages, got %s", describeNode(n))
		return nil
	}
	if len(n.Content) == 0 {
		d.errf(n, path, "want at least one stage")
	}
	var out []*Node
	for i, item := range n.Content {
		if d.itemCount++; d.itemCount == maxItems {
			d.errf(item, path, "the config expands to more than %d stages (through YAML aliases?)", maxItems)
		}
		if d.itemCount >= maxItems {
			return out
		}
		if node := d.item(item, fmt.Sprintf("%s[%d]", path, i)); node != nil {
			out = append(out, node)
		}
	}
	return out
}

// item decodes one stage item: a map with one stage key and meta keys.
func (d *decoder) item(n *yaml.Node, path string) *Node {
	pairs, ok := d.mapping(n, path)
	if !ok {
		return nil
	}
	var main *pair
	node := &Node{Pos: d.pos(resolve(n))}
	for i := range pairs {
		p := &pairs[i]
		if metaKeys[p.key] {
			continue
		}
		if main != nil {
			d.errf(p.keyNode, path, "a stage item names one stage, got %q and %q (put them in separate list items)", main.key, p.key)
			continue
		}
		main = p
	}
	if main == nil {
		d.errf(n, path, "stage item names no stage")
		return nil
	}
	path = join(path, main.key)
	node.Path = path
	node.Pos = d.pos(main.keyNode)
	for _, p := range pairs {
		ppath := join(path, p.key)
		switch p.key {
		case "as":
			node.As, _ = d.str(p.val, ppath)
		case "timeout":
			node.Timeout, _ = d.duration(p.val, ppath)
		case "on_timeout":
			node.OnTimeout, _ = d.policy(p.val, ppath)
		case "optional":
			node.Optional, _ = d.bool(p.val, ppath)
		}
	}
	switch main.key {
	case "series":
		node.Kind = SeriesNode
		node.Children = d.items(main.val, path)
	case "parallel":
		node.Kind = ParallelNode
		d.parallel(node, main.val, path)
	case "if":
		node.Kind = IfNode
		d.ifNode(node, main.val, path)
	case "switch":
		node.Kind = SwitchNode
		d.switchNode(node, main.val, path)
	case "use":
		node.Kind = UseNode
		node.Use, _ = d.str(main.val, path)
	default:
		node.Kind = StageNode
		node.Type = main.key
		if !d.known(main.key) {
			d.errf(main.keyNode, path, "unknown stage %q%s", main.key, d.hint(main.key))
			return nil
		}
		d.config(node, main.val, path)
	}
	return node
}

func (d *decoder) config(node *Node, n *yaml.Node, path string) {
	node.Config = map[string]any{}
	node.ConfigPos = map[string]Pos{}
	n = resolve(n)
	if n.Kind == yaml.ScalarNode && n.Tag == "!!null" {
		return // a stage without fields: `- dedup:`
	}
	pairs, ok := d.mapping(n, path)
	if !ok {
		return
	}
	for _, p := range pairs {
		var v any
		if err := p.val.Decode(&v); err != nil {
			d.errf(p.val, join(path, p.key), "%v", err)
			continue
		}
		node.Config[p.key] = v
		node.ConfigPos[p.key] = d.pos(p.keyNode)
	}
}

func (d *decoder) parallel(node *Node, n *yaml.Node, path string) {
	node.Merger, node.Strategy = "concat", "fail_when_any_fails"
	pairs, ok := d.mapping(n, path)
	if !ok {
		return
	}
	hasBranches := false
	for _, p := range pairs {
		ppath := join(path, p.key)
		switch p.key {
		case "merger":
			if s, ok := d.str(p.val, ppath); ok {
				if _, ok := mergers[s]; !ok {
					d.errf(p.val, ppath, "unknown merger %q (want concat, concat_keep_max or round_robin)", s)
				}
				node.Merger = s
			}
		case "strategy":
			if s, ok := d.str(p.val, ppath); ok {
				if _, ok := strategies[s]; !ok {
					d.errf(p.val, ppath, "unknown strategy %q (want fail_when_any_fails or fail_when_all_fail)", s)
				}
				node.Strategy = s
			}
		case "branches":
			hasBranches = true
			node.Children = d.items(p.val, ppath)
		default:
			d.errf(p.keyNode, ppath, "unknown field %q of parallel (want merger, strategy or branches)", p.key)
		}
	}
	if !hasBranches {
		d.errf(n, path, "parallel has no branches")
	}
}

func (d *decoder) cond(n *yaml.Node, path string) Cond {
	c := Cond{Pos: d.pos(resolve(n))}
	pairs, ok := d.mapping(n, path)
	if !ok {
		return c
	}
	tests := 0
	for _, p := range pairs {
		ppath := join(path, p.key)
		switch p.key {
		case "context":
			c.Feature, _ = d.str(p.val, ppath)
		case "equals":
			tests++
			if s, ok := d.scalar(p.val, ppath, "a value"); ok {
				_ = s.Decode(&c.Equals)
			}
		case "in":
			tests++
			var l []any
			if err := p.val.Decode(&l); err != nil || len(l) == 0 {
				d.errf(p.val, ppath, "want a non-empty list of values")
			}
			c.In = l
		case "exists":
			tests++
			if b, ok := d.bool(p.val, ppath); ok {
				c.Exists = &b
			}
		default:
			d.errf(p.keyNode, ppath, "unknown field %q of a condition (want context with equals, in or exists)", p.key)
		}
	}
	if c.Feature == "" {
		d.errf(n, path, "condition names no context feature")
	}
	if tests != 1 {
		d.errf(n, path, "condition needs exactly one of equals, in or exists")
	}
	return c
}

func (d *decoder) ifNode(node *Node, n *yaml.Node, path string) {
	pairs, ok := d.mapping(n, path)
	if !ok {
		return
	}
	hasWhen, hasThen := false, false
	for _, p := range pairs {
		ppath := join(path, p.key)
		switch p.key {
		case "when":
			hasWhen = true
			node.When = d.cond(p.val, ppath)
		case "then":
			hasThen = true
			node.Then = d.items(p.val, ppath)
		case "else":
			node.Else = d.items(p.val, ppath)
		default:
			d.errf(p.keyNode, ppath, "unknown field %q of if (want when, then or else)", p.key)
		}
	}
	if !hasWhen || !hasThen {
		d.errf(n, path, "if needs when and then")
	}
}

func (d *decoder) switchNode(node *Node, n *yaml.Node, path string) {
	pairs, ok := d.mapping(n, path)
	if !ok {
		return
	}
	hasOn := false
	for _, p := range pairs {
		ppath := join(path, p.key)
		switch p.key {
		case "on":
			hasOn = true
			node.On = d.switchKey(p.val, ppath)
		case "cases":
			cases, ok := d.mapping(p.val, ppath)
			if !ok {
				continue
			}
			for _, c := range cases {
				node.Cases = append(node.Cases, Case{Pos: d.pos(c.keyNode), Key: c.key, Stages: d.items(c.val, join(ppath, c.key))})
			}
			if len(cases) == 0 {
				d.errf(p.val, ppath, "switch has no cases")
			}
		case "default":
			node.Default = d.items(p.val, ppath)
		default:
			d.errf(p.keyNode, ppath, "unknown field %q of switch (want on, cases or default)", p.key)
		}
	}
	if !hasOn {
		d.errf(n, path, "switch needs on")
	}
	if node.On.Buckets > 0 {
		for _, c := range node.Cases {
			if _, _, err := bucketRange(c.Key, node.On.Buckets); err != nil {
				d.ps.add(c.Pos, join(path, "cases."+c.Key), "%v", err)
			}
		}
	}
}

func (d *decoder) switchKey(n *yaml.Node, path string) SwitchKey {
	k := SwitchKey{Pos: d.pos(resolve(n))}
	pairs, ok := d.mapping(n, path)
	if !ok {
		return k
	}
	for _, p := range pairs {
		ppath := join(path, p.key)
		switch p.key {
		case "context":
			k.Feature, _ = d.str(p.val, ppath)
		case "buckets":
			if b, ok := d.int(p.val, ppath); ok {
				if b < 1 || b > 10000 {
					d.errf(p.val, ppath, "buckets must be between 1 and 10000, got %d", b)
				}
				k.Buckets = b
			}
		case "salt":
			k.Salt, _ = d.str(p.val, ppath)
		default:
			d.errf(p.keyNode, ppath, "unknown field %q of switch.on (want context, or buckets with salt)", p.key)
		}
	}
	if (k.Feature == "") == (k.Buckets == 0) {
		d.errf(n, path, "switch.on needs either context or buckets")
	}
	return k
}

// bucketRange parses a case key "lo-hi" or "n" of a bucket switch.
func bucketRange(key string, buckets int) (lo, hi int, err error) {
	a, b, isRange := strings.Cut(key, "-")
	lo, err1 := strconv.Atoi(strings.TrimSpace(a))
	hi = lo
	var err2 error
	if isRange {
		hi, err2 = strconv.Atoi(strings.TrimSpace(b))
	}
	if err1 != nil || err2 != nil || lo < 0 || hi < lo || hi >= buckets {
		return 0, 0, fmt.Errorf("case %q is not a bucket or bucket range such as 0-49 within 0-%d", key, buckets-1)
	}
	return lo, hi, nil
}
