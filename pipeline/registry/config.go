package registry

import (
	"errors"
	"fmt"
	"maps"
	"math"
	"slices"
	"sort"
	"strings"
	"time"
)

// Config is a stage's validated configuration: every field the spec
// declares has a value of the field's Go type (or is absent when it is
// optional without a default). Getters panic on a name the spec does not
// declare, which is a bug in the stage, not in the config.
type Config struct {
	spec   *Spec
	values map[string]any
}

// FieldError is a problem with one field of a stage's config.
type FieldError struct {
	Field string // "" for the config as a whole
	Msg   string
}

func (e *FieldError) Error() string {
	if e.Field == "" {
		return e.Msg
	}
	return e.Field + ": " + e.Msg
}

// NewConfig checks raw, a field-to-value map as decoded from YAML or JSON,
// against spec: unknown fields, wrong types, missing required fields, a
// one-of group (Spec.OneOf) with none or several fields given, and values
// outside an enum are errors, all of them reported (errors.Join of
// *FieldError, in field order). Defaults fill absent fields.
func NewConfig(spec *Spec, raw map[string]any) (*Config, error) {
	c := &Config{spec: spec, values: make(map[string]any, len(spec.Fields))}
	var errs []error
	for _, name := range slices.Sorted(maps.Keys(raw)) {
		if _, ok := spec.Field(name); !ok {
			errs = append(errs, &FieldError{Field: name, Msg: unknownMsg(spec, name)})
		}
	}
	for _, f := range spec.Fields {
		v, ok := raw[f.Name]
		if !ok || v == nil {
			if f.Required {
				errs = append(errs, &FieldError{Field: f.Name, Msg: "required field is missing"})
			} else if f.Default != nil {
				c.values[f.Name], _ = convert(f, f.Default)
			}
			continue
		}
		cv, err := convert(f, v)
		if err != nil {
			errs = append(errs, &FieldError{Field: f.Name, Msg: err.Error()})
			continue
		}
		c.values[f.Name] = cv
	}
	for _, group := range spec.OneOf {
		var given []string
		for _, name := range group {
			if v, ok := raw[name]; ok && v != nil {
				given = append(given, name)
			}
		}
		switch {
		case len(given) == 0:
			errs = append(errs, &FieldError{Field: group[0], Msg: "missing: give one of " + strings.Join(group, ", ")})
		case len(given) > 1:
			errs = append(errs, &FieldError{Field: given[1], Msg: "give only one of " + strings.Join(group, ", ") + " (" + given[0] + " is given too)"})
		}
	}
	if len(errs) > 0 {
		return nil, errors.Join(errs...)
	}
	return c, nil
}

func unknownMsg(spec *Spec, name string) string {
	msg := fmt.Sprintf("unknown field %q", name)
	names := make([]string, len(spec.Fields))
	for i, f := range spec.Fields {
		names[i] = f.Name
	}
	if best, ok := Closest(name, names); ok {
		return msg + fmt.Sprintf(" (did you mean %q?)", best)
	}
	if len(names) == 0 {
		return msg + " (" + spec.Name + " takes no fields)"
	}
	return msg + " (known: " + strings.Join(names, ", ") + ")"
}

// Closest returns the candidate nearest to name, within two edits, for
// "did you mean" hints; of equally near ones, the first in sorted order.
// ok is false when no candidate is that near.
func Closest(name string, candidates []string) (best string, ok bool) {
	bestD := 3
	for _, c := range candidates {
		if d := distance(name, c); d < bestD || (d == bestD && c < best) {
			best, bestD = c, d
		}
	}
	return best, bestD < 3
}

// distance is the Levenshtein distance between a and b.
func distance(a, b string) int {
	prev := make([]int, len(b)+1)
	cur := make([]int, len(b)+1)
	for j := range prev {
		prev[j] = j
	}
	for i := 1; i <= len(a); i++ {
		cur[0] = i
		for j := 1; j <= len(b); j++ {
			cost := 1
			if a[i-1] == b[j-1] {
				cost = 0
			}
			cur[j] = min(prev[j]+1, cur[j-1]+1, prev[j-1]+cost)
		}
		prev, cur = cur, prev
	}
	return prev[len(b)]
}

// convert checks v against f's type and returns it as the Go type Config
// holds. It accepts what YAML and JSON decoders produce: ints for floats,
// []any for lists, map[string]any for maps, strings for durations.
func convert(f Field, v any) (any, error) {
	switch f.Type {
	case String:
		s, ok := v.(string)
		if !ok {
			return nil, typeErr(f, v)
		}
		if len(f.Enum) > 0 && !slices.Contains(f.Enum, s) {
			return nil, fmt.Errorf("%q is not one of %s", s, strings.Join(f.Enum, ", "))
		}
		return s, nil
	case Int:
		switch n := v.(type) {
		case int:
			return n, nil
		case int64:
			return int(n), nil
		case uint64:
			if n > math.MaxInt {
				return nil, fmt.Errorf("%d is too large", n)
			}
			return int(n), nil
		case float64:
			if n == math.Trunc(n) && math.Abs(n) < 1<<53 {
				return int(n), nil
			}
		}
		return nil, typeErr(f, v)
	case Float:
		n, ok := toFloat(v)
		if !ok {
			return nil, typeErr(f, v)
		}
		return n, nil
	case Bool:
		b, ok := v.(bool)
		if !ok {
			return nil, typeErr(f, v)
		}
		return b, nil
	case Duration:
		switch d := v.(type) {
		case time.Duration:
			return d, nil
		case string:
			pd, err := time.ParseDuration(d)
			if err != nil {
				return nil, fmt.Errorf("%q is not a duration such as 250ms or 2s", d)
			}
			if pd < 0 {
				return nil, fmt.Errorf("duration %s must not be negative", d)
			}
			return pd, nil
		}
		return nil, typeErr(f, v)
	case Strings:
		switch l := v.(type) {
		case []string:
			return slices.Clone(l), nil
		case []any:
			out := make([]string, len(l))
			for i, x := range l {
				s, ok := x.(string)
				if !ok {
					return nil, fmt.Errorf("item %d: want a string, got %s", i, describe(x))
				}
				out[i] = s
			}
			return out, nil
		}
		return nil, typeErr(f, v)
	case FloatMap:
		switch m := v.(type) {
		case map[string]float64:
			return maps.Clone(m), nil
		case map[string]any:
			out := make(map[string]float64, len(m))
			keys := make([]string, 0, len(m))
			for k := range m {
				keys = append(keys, k)
			}
			sort.Strings(keys)
			for _, k := range keys {
				n, ok := toFloat(m[k])
				if !ok {
					return nil, fmt.Errorf("key %q: want a number, got %s", k, describe(m[k]))
				}
				out[k] = n
			}
			return out, nil
		}
		return nil, typeErr(f, v)
	}
	return nil, fmt.Errorf("field type %q is not supported", f.Type)
}

func toFloat(v any) (float64, bool) {
	switch n := v.(type) {
	case float64:
		return n, !math.IsNaN(n) && !math.IsInf(n, 0)
	case int:
		return float64(n), true
	case int64:
		return float64(n), true
	case uint64:
		return float64(n), true
	}
	return 0, false
}

func typeErr(f Field, v any) error {
	return fmt.Errorf("want %s, got %s", f.Type, describe(v))
}

func describe(v any) string {
	switch x := v.(type) {
	case string:
		return fmt.Sprintf("string %q", x)
	case bool:
		return fmt.Sprintf("bool %v", x)
	case int, int64, uint64:
		return fmt.Sprintf("int %v", x)
	case float64:
		return fmt.Sprintf("float %v", x)
	case []any:
		return "a list"
	case map[string]any:
		return "a map"
	case nil:
		return "null"
	}
	return fmt.Sprintf("%T", v)
}

func (c *Config) get(name string, t Type) (any, bool) {
	f, ok := c.spec.Field(name)
	if !ok || f.Type != t {
		panic(fmt.Sprintf("registry: stage %s reads field %q as %s, but its spec declares no such field", c.spec.Name, name, goType(t)))
	}
	v, ok := c.values[name]
	return v, ok
}

// Has reports whether the field has a value (set or defaulted).
func (c *Config) Has(name string) bool {
	_, ok := c.values[name]
	return ok
}

// String returns a String field, "" when absent.
func (c *Config) String(name string) string {
	v, _ := c.get(name, String)
	s, _ := v.(string)
	return s
}

// Int returns an Int field, 0 when absent.
func (c *Config) Int(name string) int { v, _ := c.get(name, Int); n, _ := v.(int); return n }

// Float returns a Float field, 0 when absent.
func (c *Config) Float(name string) float64 {
	v, _ := c.get(name, Float)
	n, _ := v.(float64)
	return n
}

// Bool returns a Bool field, false when absent.
func (c *Config) Bool(name string) bool { v, _ := c.get(name, Bool); b, _ := v.(bool); return b }

// Duration returns a Duration field, 0 when absent.
func (c *Config) Duration(name string) time.Duration {
	v, _ := c.get(name, Duration)
	d, _ := v.(time.Duration)
	return d
}

// Strings returns a Strings field, nil when absent.
func (c *Config) Strings(name string) []string {
	v, _ := c.get(name, Strings)
	l, _ := v.([]string)
	return l
}

// FloatMap returns a FloatMap field, nil when absent.
func (c *Config) FloatMap(name string) map[string]float64 {
	v, _ := c.get(name, FloatMap)
	m, _ := v.(map[string]float64)
	return m
}

// Spec returns the spec the config was checked against.
func (c *Config) Spec() *Spec { return c.spec }
