package pipeline

import (
	"encoding/json"
	"fmt"
	"maps"
	"slices"
	"strings"

	"github.com/rankflow/rankflow/pipeline/registry"
	"github.com/rankflow/rankflow/rank"
)

// Reference returns the Markdown reference of every stage in reg, grouped
// by kind, generated from the specs.
func Reference(reg *registry.Registry) string {
	var b strings.Builder
	b.WriteString("# Stage reference\n\n")
	b.WriteString("Generated from the stage specs by `rankflow docs`; do not edit.\n\n")
	b.WriteString("A stage item in a pipeline config is a map with one key naming the stage and its fields as the value; ")
	b.WriteString("`as`, `timeout`, `on_timeout` and `optional` may stand beside it. See package pipeline for the meta-stages ")
	b.WriteString("(`series`, `parallel`, `if`, `switch`, `use`).\n\n")
	byKind := map[registry.Kind][]*registry.Spec{}
	for _, s := range reg.Specs() {
		byKind[s.Kind] = append(byKind[s.Kind], s)
	}
	kinds := []registry.Kind{registry.Source, registry.Hydrate, registry.Filter, registry.Score, registry.Order, registry.Effect}
	for _, k := range slices.Sorted(maps.Keys(byKind)) {
		if !slices.Contains(kinds, k) {
			kinds = append(kinds, k)
		}
	}
	for _, k := range kinds {
		specs := byKind[k]
		if len(specs) == 0 {
			continue
		}
		fmt.Fprintf(&b, "## %s\n\n", strings.ToUpper(string(k[:1]))+string(k[1:]))
		for _, s := range specs {
			fmt.Fprintf(&b, "### `%s`\n\n%s\n\n", s.Name, s.Summary)
			if s.Doc != "" {
				fmt.Fprintf(&b, "%s\n\n", s.Doc)
			}
			if len(s.Fields) > 0 {
				b.WriteString("| field | type | default | description |\n| --- | --- | --- | --- |\n")
				for _, f := range s.Fields {
					def := ""
					switch {
					case f.Required:
						def = "required"
					case oneOf(s, f.Name) != nil:
						def = "one of `" + strings.Join(oneOf(s, f.Name), "`, `") + "`"
					case f.Default != nil:
						def = "`" + formatValue(f.Default) + "`"
					}
					desc := f.Doc
					if len(f.Enum) > 0 {
						desc += " One of `" + strings.Join(f.Enum, "`, `") + "`."
					}
					if role := roleText(f); role != "" {
						desc += " " + role
					}
					fmt.Fprintf(&b, "| `%s` | %s | %s | %s |\n", f.Name, f.Type, def, strings.ReplaceAll(desc, "|", "\\|"))
				}
				b.WriteString("\n")
			}
			for _, rw := range []struct {
				verb string
				refs []registry.FeatureRef
			}{{"Reads", s.Reads}, {"Writes", s.Writes}} {
				if len(rw.refs) == 0 {
					continue
				}
				var parts []string
				for _, r := range rw.refs {
					name := "`" + r.Name + "`"
					if r.Name == "*" {
						name = "any features"
					}
					if r.Kind != rank.Invalid {
						name += " (" + r.Kind.String() + ")"
					}
					parts = append(parts, name+" on the "+string(r.On))
				}
				fmt.Fprintf(&b, "%s %s.\n\n", rw.verb, strings.Join(parts, ", "))
			}
			if ex := example(s); ex != "" {
				fmt.Fprintf(&b, "```yaml\n%s```\n\n", ex)
			}
		}
	}
	return b.String()
}

func roleText(f registry.Field) string {
	kind := "features"
	if f.FeatureKind != rank.Invalid {
		kind = f.FeatureKind.String() + " features"
	}
	switch f.Role {
	case registry.ReadsContext:
		return "Names context " + kind + " the stage reads."
	case registry.ReadsCandidate:
		return "Names candidate " + kind + " the stage reads."
	case registry.WritesContext:
		return "Names context " + kind + " the stage writes."
	case registry.WritesCandidate:
		return "Names candidate " + kind + " the stage writes."
	}
	return ""
}

// example returns a YAML stage item using the fields' examples (or required
// fields' placeholders), or "" when no field has one.
func example(s *registry.Spec) string {
	var lines []string
	for _, f := range s.Fields {
		if f.Example == nil {
			continue
		}
		v, err := json.Marshal(f.Example)
		if err != nil {
			continue
		}
		lines = append(lines, fmt.Sprintf("    %s: %s", f.Name, v))
	}
	if len(lines) == 0 {
		return ""
	}
	return fmt.Sprintf("- %s:\n%s\n", s.Name, strings.Join(lines, "\n"))
}

// JSONSchema returns a JSON Schema (draft 2020-12) for pipeline config
// files with reg's stages, for editors' completion and checking.
func JSONSchema(reg *registry.Registry) ([]byte, error) {
	stageRef := map[string]any{"$ref": "#/$defs/item"}
	items := map[string]any{"type": "array", "minItems": 1, "items": stageRef}
	meta := map[string]any{
		"as":         map[string]any{"type": "string", "description": "The stage's name in metrics, logs and explain."},
		"timeout":    map[string]any{"type": "string", "pattern": `^[0-9.]+(ns|us|µs|ms|s|m|h)$`, "description": "Latency budget of the stage."},
		"on_timeout": map[string]any{"enum": []string{"fail", "skip", "partial"}},
		"optional":   map[string]any{"type": "boolean", "description": "A parallel branch whose failure is tolerated."},
	}
	var variants []any
	addVariant := func(name string, value any) {
		props := map[string]any{name: value}
		maps.Copy(props, meta)
		variants = append(variants, map[string]any{
			"type": "object", "required": []string{name}, "additionalProperties": false, "properties": props,
		})
	}
	cond := map[string]any{"type": "object", "additionalProperties": false, "required": []string{"context"},
		"properties": map[string]any{"context": map[string]any{"type": "string"}, "equals": map[string]any{}, "in": map[string]any{"type": "array"}, "exists": map[string]any{"type": "boolean"}}}
	addVariant("series", items)
	addVariant("use", map[string]any{"type": "string"})
	addVariant("parallel", map[string]any{"type": "object", "additionalProperties": false, "required": []string{"branches"},
		"properties": map[string]any{
			"merger":   map[string]any{"enum": slices.Sorted(maps.Keys(mergers))},
			"strategy": map[string]any{"enum": slices.Sorted(maps.Keys(strategies))},
			"branches": items,
		}})
	addVariant("if", map[string]any{"type": "object", "additionalProperties": false, "required": []string{"when", "then"},
		"properties": map[string]any{"when": cond, "then": items, "else": items}})
	addVariant("switch", map[string]any{"type": "object", "additionalProperties": false, "required": []string{"on", "cases"},
		"properties": map[string]any{
			"on":      map[string]any{"type": "object", "properties": map[string]any{"context": map[string]any{"type": "string"}, "buckets": map[string]any{"type": "integer", "minimum": 1}, "salt": map[string]any{"type": "string"}}, "additionalProperties": false},
			"cases":   map[string]any{"type": "object", "additionalProperties": items},
			"default": items,
		}})
	for _, s := range reg.Specs() {
		props := map[string]any{}
		var required []string
		for _, f := range s.Fields {
			fs := fieldSchema(f)
			fs["description"] = f.Doc
			if f.Default != nil {
				fs["default"] = f.Default
			}
			props[f.Name] = fs
			if f.Required {
				required = append(required, f.Name)
			}
		}
		obj := map[string]any{"type": "object", "additionalProperties": false, "properties": props, "description": s.Summary}
		if len(required) > 0 {
			obj["required"] = required
		}
		var groups []any
		for _, group := range s.OneOf {
			var each []any
			for _, name := range group {
				each = append(each, map[string]any{"required": []string{name}})
			}
			groups = append(groups, map[string]any{"oneOf": each})
		}
		if len(groups) > 0 {
			obj["allOf"] = groups
		}
		if len(required) == 0 && len(groups) == 0 {
			addVariant(s.Name, map[string]any{"anyOf": []any{obj, map[string]any{"type": "null"}}})
		} else {
			addVariant(s.Name, obj)
		}
	}
	kinds := []string{}
	for k := rank.String; k <= rank.FloatVector; k++ {
		kinds = append(kinds, k.String())
	}
	schemaMap := map[string]any{"type": "object", "additionalProperties": map[string]any{"enum": kinds}}
	def := map[string]any{"type": "object", "additionalProperties": false, "required": []string{"stages"},
		"properties": map[string]any{
			"description": map[string]any{"type": "string"},
			"limit":       map[string]any{"type": "integer", "minimum": 0},
			"budget":      map[string]any{"type": "string"},
			"on_timeout":  map[string]any{"enum": []string{"fail", "skip", "partial"}},
			"context":     schemaMap,
			"candidates":  schemaMap,
			"stages":      items,
		}}
	doc := map[string]any{
		"$schema": "https://json-schema.org/draft/2020-12/schema",
		"title":   "rankflow pipeline config",
		"type":    "object", "additionalProperties": false,
		"properties": map[string]any{
			"pipelines": map[string]any{"type": "object", "additionalProperties": def},
			"fragments": map[string]any{"type": "object", "additionalProperties": def},
		},
		"$defs": map[string]any{"item": map[string]any{"oneOf": variants}},
	}
	return json.MarshalIndent(doc, "", "  ")
}

func fieldSchema(f registry.Field) map[string]any {
	switch f.Type {
	case registry.String:
		if len(f.Enum) > 0 {
			return map[string]any{"enum": f.Enum}
		}
		return map[string]any{"type": "string"}
	case registry.Int:
		return map[string]any{"type": "integer"}
	case registry.Float:
		return map[string]any{"type": "number"}
	case registry.Bool:
		return map[string]any{"type": "boolean"}
	case registry.Duration:
		return map[string]any{"type": "string", "pattern": `^[0-9.]+(ns|us|µs|ms|s|m|h)+$`}
	case registry.Strings:
		return map[string]any{"type": "array", "items": map[string]any{"type": "string"}}
	case registry.FloatMap:
		return map[string]any{"type": "object", "additionalProperties": map[string]any{"type": "number"}}
	}
	return map[string]any{}
}

// oneOf returns the one-of group of spec s that holds the named field, or
// nil.
func oneOf(s *registry.Spec, name string) []string {
	for _, group := range s.OneOf {
		if slices.Contains(group, name) {
			return group
		}
	}
	return nil
}
