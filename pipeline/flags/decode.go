package flags

import (
	"fmt"
	"maps"
	"slices"
	"strconv"
	"strings"

	"go.yaml.in/yaml/v3"
)

// Parse decodes a flags file; file names it in errors. It returns every
// problem found as Problems, each with the file, line and column and the
// bad entry, and no Set if there is any.
func Parse(file string, data []byte) (*Set, error) {
	b := newBuilder(file)
	var doc yaml.Node
	if err := yaml.Unmarshal(data, &doc); err != nil {
		msg := strings.TrimPrefix(err.Error(), "yaml: ")
		p := Problem{}
		if _, after, ok := strings.Cut(msg, "line "); ok {
			if n, err := strconv.Atoi(strings.SplitN(after, ":", 2)[0]); err == nil {
				p.Line, p.Col = n, 1
			}
		}
		if strings.Contains(msg, "unknown anchor") || strings.Contains(msg, "alphabetic or numeric character") {
			msg += ` (quote entries that start with *, such as "*/score_linear")`
		}
		b.add(p, "invalid YAML: %s", msg)
		return b.done()
	}
	if len(doc.Content) == 0 || isNull(doc.Content[0]) {
		// Most likely a file caught half written; say so rather than
		// revive every killed stage.
		b.add(Problem{}, "empty flags file: want kill and params (write kill: [] for none)")
		return b.done()
	}
	root := doc.Content[0]
	if root.Kind != yaml.MappingNode {
		b.add(at(root, ""), "want a map with kill and params, got %s", describe(root))
		return b.done()
	}
	seen := map[string]bool{}
	for i := 0; i+1 < len(root.Content); i += 2 {
		k, v := root.Content[i], root.Content[i+1]
		switch {
		case k.Kind != yaml.ScalarNode:
			b.add(at(k, ""), "keys must be strings")
			continue
		case seen[k.Value]:
			b.add(at(k, k.Value), "duplicate key")
			continue
		}
		seen[k.Value] = true
		switch k.Value {
		case "kill":
			b.killList(v)
		case "params":
			b.paramMap(v)
		default:
			b.add(at(k, k.Value), "unknown key (want kill or params)")
		}
	}
	return b.done()
}

// killList decodes the kill list.
func (b *builder) killList(n *yaml.Node) {
	if isNull(n) {
		return
	}
	if n.Kind != yaml.SequenceNode {
		b.add(at(n, "kill"), "want a list of pipeline/stage entries, got %s", describe(n))
		return
	}
	for i, e := range n.Content {
		if e.Kind != yaml.ScalarNode || e.Tag != "!!str" {
			b.add(at(e, fmt.Sprintf("kill[%d]", i)), "want a pipeline/stage string, got %s", describe(e))
			continue
		}
		b.kill(e.Value, at(e, fmt.Sprintf("kill[%d] %q", i, e.Value)))
	}
}

// paramMap decodes the params map.
func (b *builder) paramMap(n *yaml.Node) {
	if isNull(n) {
		return
	}
	if n.Kind != yaml.MappingNode {
		b.add(at(n, "params"), "want a map of names to numbers, got %s", describe(n))
		return
	}
	seen := map[string]Problem{}
	for i := 0; i+1 < len(n.Content); i += 2 {
		k, v := n.Content[i], n.Content[i+1]
		if k.Kind != yaml.ScalarNode {
			b.add(at(k, "params"), "param names must be strings")
			continue
		}
		where := at(k, "params."+k.Value)
		if msg := checkName(k.Value); msg != "" {
			b.add(where, "param name %s", msg)
			continue
		}
		if first, dup := seen[k.Value]; dup {
			b.add(where, "duplicate param, first given at %s", first.at())
			continue
		}
		where.Source = b.source
		seen[k.Value] = where
		if v.Kind != yaml.ScalarNode || (v.Tag != "!!int" && v.Tag != "!!float") {
			b.add(at(v, "params."+k.Value), "want a number, got %s", describe(v))
			continue
		}
		var f float64
		if err := v.Decode(&f); err != nil {
			b.add(at(v, "params."+k.Value), "want a number, got %q", v.Value)
			continue
		}
		b.param(k.Value, f, at(v, "params."+k.Value))
	}
}

// FromHash decodes the fields of a Redis hash (field to value, as HGETALL
// returns them); key names the hash in errors. A field kill:pipeline/stage
// kills the stage when its value is "1" and is ignored when it is "0"; a
// field param:name holds a number. It returns every bad field as Problems.
func FromHash(key string, fields map[string]string) (*Set, error) {
	b := newBuilder("redis hash " + key)
	for _, f := range slices.Sorted(maps.Keys(fields)) {
		v := fields[f]
		where := Problem{Entry: fmt.Sprintf("field %q", f)}
		switch kind, name, _ := strings.Cut(f, ":"); kind {
		case "kill":
			switch v {
			case "1":
				b.kill(name, where)
			case "0":
				if _, _, msg := parseKill(name); msg != "" {
					b.add(where, "%s", msg)
				}
			default:
				b.add(where, "value %q: want 1 (killed) or 0 (not killed)", v)
			}
		case "param":
			n, err := strconv.ParseFloat(strings.TrimSpace(v), 64)
			if err != nil {
				b.add(where, "value %q: want a number", v)
				continue
			}
			b.param(name, n, where)
		default:
			b.add(where, "unknown field (want kill:pipeline/stage or param:name)")
		}
	}
	return b.done()
}

// at returns a Problem placed at n, about entry.
func at(n *yaml.Node, entry string) Problem {
	return Problem{Line: n.Line, Col: n.Column, Entry: entry}
}

func isNull(n *yaml.Node) bool { return n.Kind == yaml.ScalarNode && n.Tag == "!!null" }

// describe names what a node holds, for errors.
func describe(n *yaml.Node) string {
	switch n.Kind {
	case yaml.MappingNode:
		return "a map"
	case yaml.SequenceNode:
		return "a list"
	case yaml.AliasNode:
		return "an alias"
	}
	if n.Tag == "!!null" {
		return "nothing"
	}
	kind := strings.TrimPrefix(n.Tag, "!!")
	if kind == "str" {
		kind = "string"
	}
	return fmt.Sprintf("%s %q", kind, n.Value)
}
