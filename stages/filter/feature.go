package filter

import (
	"context"
	"fmt"
	"math"
	"slices"
	"strconv"
	"strings"

	"github.com/rankflow/rankflow/pipeline/registry"
	"github.com/rankflow/rankflow/rank"
	"github.com/rankflow/rankflow/stage"
)

func init() {
	specs = append(specs, registry.Spec{
		Name:    "filter_feature",
		Kind:    registry.Filter,
		Summary: "Keeps the candidates whose feature meets a predicate: equals, not_equals, in, not_in, range, exists or not_exists.",
		Doc: "value and values are written as strings and read as the feature's kind: \"true\" matches a bool, \"3\" an int or float. " +
			"On a string_set or int_list feature, equals means contains, and in means contains any. " +
			"range is inclusive and needs min, max or both; ints are compared as floats. " +
			"A candidate without the feature is removed unless missing is keep (exists and not_exists ignore missing).",
		Fields: []registry.Field{
			{
				Name: "feature", Type: registry.String, Required: true,
				Role: registry.ReadsCandidate, FeatureKind: rank.Invalid,
				Doc: "Candidate feature to test.", Example: "media_type",
			},
			{
				Name: "op", Type: registry.String, Default: "equals",
				Enum: []string{"equals", "not_equals", "in", "not_in", "range", "exists", "not_exists"},
				Doc:  "The predicate.",
			},
			{Name: "value", Type: registry.String, Doc: "Operand of equals and not_equals.", Example: "video"},
			{Name: "values", Type: registry.Strings, Doc: "Operands of in and not_in.", Example: []string{"video", "image"}},
			{Name: "min", Type: registry.Float, Doc: "Lowest value range keeps (inclusive)."},
			{Name: "max", Type: registry.Float, Doc: "Highest value range keeps (inclusive)."},
			{
				Name: "missing", Type: registry.String, Default: "drop", Enum: []string{"drop", "keep"},
				Doc: "What to do with a candidate that lacks the feature.",
			},
		},
		New: newFeature,
	})
}

// Op is a predicate of filter_feature.
type Op string

// The predicates.
const (
	Equals    Op = "equals"
	NotEquals Op = "not_equals"
	In        Op = "in"
	NotIn     Op = "not_in"
	Range     Op = "range"
	Exists    Op = "exists"
	NotExists Op = "not_exists"
)

// FeatureOptions configure Feature.
type FeatureOptions struct {
	// Feature is the candidate feature tested.
	Feature string
	Op      Op
	// Value is the operand of Equals and NotEquals; Values of In and NotIn.
	// They are read as the feature's kind.
	Value  string
	Values []string
	// Min and Max bound Range, inclusive; nil is unbounded.
	Min, Max *float64
	// KeepMissing keeps candidates without the feature (except for Exists).
	KeepMissing bool
}

func newFeature(c *registry.Config, _ *registry.Env) (stage.Stage, error) {
	o := FeatureOptions{
		Feature: c.String("feature"), Op: Op(c.String("op")),
		Value: c.String("value"), Values: c.Strings("values"),
		KeepMissing: c.String("missing") == "keep",
	}
	if c.Has("min") {
		m := c.Float("min")
		o.Min = &m
	}
	if c.Has("max") {
		m := c.Float("max")
		o.Max = &m
	}
	uses := map[Op][]string{
		Equals: {"value"}, NotEquals: {"value"}, In: {"values"}, NotIn: {"values"}, Range: {"min", "max"},
	}[o.Op]
	for _, f := range []string{"value", "values", "min", "max"} {
		if c.Has(f) && !slices.Contains(uses, f) {
			return nil, &registry.FieldError{Field: f, Msg: fmt.Sprintf("is not used by op %s", o.Op)}
		}
	}
	switch o.Op {
	case Equals, NotEquals:
		if !c.Has("value") {
			return nil, &registry.FieldError{Field: "value", Msg: fmt.Sprintf("op %s needs a value", o.Op)}
		}
	case In, NotIn:
		if len(o.Values) == 0 {
			return nil, &registry.FieldError{Field: "values", Msg: fmt.Sprintf("op %s needs at least one value", o.Op)}
		}
	case Range:
		if o.Min == nil && o.Max == nil {
			return nil, &registry.FieldError{Field: "min", Msg: "op range needs min, max or both"}
		}
		if o.Min != nil && o.Max != nil && *o.Min > *o.Max {
			return nil, &registry.FieldError{Field: "max", Msg: fmt.Sprintf("%g is below min %g", *o.Max, *o.Min)}
		}
	}
	return Feature(o)
}

// Feature returns a stage that keeps the candidates whose feature o.Feature
// meets o's predicate, in order, and removes the others with a reason.
func Feature(o FeatureOptions) (stage.Stage, error) {
	if o.Feature == "" {
		return nil, fmt.Errorf("filter feature: no feature")
	}
	s := &feature{o: o, value: parseOperand(o.Value)}
	for _, v := range o.Values {
		s.values = append(s.values, parseOperand(v))
	}
	s.lo, s.hi = math.Inf(-1), math.Inf(1)
	if o.Min != nil {
		s.lo = *o.Min
	}
	if o.Max != nil {
		s.hi = *o.Max
	}
	switch o.Op {
	case Equals, NotEquals, In, NotIn, Range, Exists, NotExists:
	default:
		return nil, fmt.Errorf("filter feature: unknown op %q", o.Op)
	}
	return s, nil
}

// operand is a config value parsed for each kind it may be compared with.
type operand struct {
	raw      string
	i        int64
	f        float64
	b        bool
	iok, fok bool
	bok      bool
}

func parseOperand(s string) operand {
	o := operand{raw: s}
	o.i, o.iok = parseInt(s)
	if f, err := strconv.ParseFloat(s, 64); err == nil {
		o.f, o.fok = f, true
	}
	if b, err := strconv.ParseBool(s); err == nil {
		o.b, o.bok = b, true
	}
	return o
}

func parseInt(s string) (int64, bool) {
	i, err := strconv.ParseInt(s, 10, 64)
	return i, err == nil
}

// matches reports whether v equals (or, for lists, contains) o.
func (o *operand) matches(v rank.Value) bool {
	switch v.Kind() {
	case rank.String:
		s, _ := v.AsString()
		return s == o.raw
	case rank.Int:
		i, _ := v.AsInt()
		return o.iok && i == o.i
	case rank.Float:
		f, _ := v.AsFloat()
		return o.fok && f == o.f
	case rank.Bool:
		b, _ := v.AsBool()
		return o.bok && b == o.b
	case rank.StringSet:
		set, _ := v.AsStringSet()
		return set.Has(o.raw)
	case rank.IntList:
		l, _ := v.AsIntList()
		return o.iok && slices.Contains(l, o.i)
	}
	return false
}

type feature struct {
	o      FeatureOptions
	value  operand
	values []operand
	lo, hi float64
}

// keep reports whether a candidate with feature value v (ok: present) is
// kept.
func (s *feature) keep(v rank.Value, ok bool) bool {
	switch s.o.Op {
	case Exists:
		return ok
	case NotExists:
		return !ok
	}
	if !ok {
		return s.o.KeepMissing
	}
	switch s.o.Op {
	case Equals:
		return s.value.matches(v)
	case NotEquals:
		return !s.value.matches(v)
	case In, NotIn:
		in := false
		for i := range s.values {
			if s.values[i].matches(v) {
				in = true
				break
			}
		}
		return in == (s.o.Op == In)
	case Range:
		f, isNum := v.AsFloat()
		return isNum && s.lo <= f && f <= s.hi
	}
	return false
}

func (s *feature) Rank(_ context.Context, req *rank.Request) (*rank.Request, error) {
	kept := req.Candidates[:0]
	for _, e := range req.Candidates {
		v, ok := e.Feature(s.o.Feature)
		if s.keep(v, ok) {
			kept = append(kept, e)
			continue
		}
		if req.Trace != nil {
			req.Reject(e, s.reason(v, ok))
		}
	}
	clear(req.Candidates[len(kept):])
	req.Candidates = kept
	return req, nil
}

// reason says why a candidate with feature value v was removed.
func (s *feature) reason(v rank.Value, ok bool) string {
	f := s.o.Feature
	switch {
	case s.o.Op == NotExists:
		return "has feature " + f
	case !ok:
		return "no feature " + f
	}
	quote := func(raw string) string {
		if v.Kind() == rank.String || v.Kind() == rank.StringSet {
			return strconv.Quote(raw)
		}
		return raw
	}
	switch s.o.Op {
	case Equals:
		return fmt.Sprintf("%s is %s, want %s", f, v, quote(s.o.Value))
	case NotEquals:
		return fmt.Sprintf("%s is %s, want anything but %s", f, v, quote(s.o.Value))
	case In, NotIn:
		vals := make([]string, len(s.o.Values))
		for i, x := range s.o.Values {
			vals[i] = quote(x)
		}
		if s.o.Op == In {
			return fmt.Sprintf("%s is %s, want one of [%s]", f, v, strings.Join(vals, ", "))
		}
		return fmt.Sprintf("%s is %s, want none of [%s]", f, v, strings.Join(vals, ", "))
	case Range:
		return fmt.Sprintf("%s is %s, want %s", f, v, rangeString(s.o.Min, s.o.Max))
	}
	return "removed by filter_feature"
}

func rangeString(lo, hi *float64) string {
	g := func(x float64) string { return strconv.FormatFloat(x, 'g', -1, 64) }
	switch {
	case lo == nil:
		return "<= " + g(*hi)
	case hi == nil:
		return ">= " + g(*lo)
	}
	return "in [" + g(*lo) + ", " + g(*hi) + "]"
}

func (s *feature) Name() string { return "filter_feature" }

var _ stage.Stage = (*feature)(nil)

// Blocks reports false: the stage only computes.
func (*feature) Blocks() bool { return false }
