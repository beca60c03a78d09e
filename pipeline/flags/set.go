package flags

import (
	"fmt"
	"maps"
	"math"
	"slices"
	"strings"
	"unicode"
)

// Set is one immutable snapshot of the flags: killed stages and numeric
// params. A nil *Set has no flags. A Set is safe for concurrent use.
type Set struct {
	exact     map[stageKey]struct{} // pipeline/stage
	stages    map[string]struct{}   // */stage
	pipelines map[string]struct{}   // pipeline/*
	all       bool                  // */*
	kills     []string              // every entry, sorted
	params    map[string]float64
}

type stageKey struct{ pipeline, stage string }

// Any is the wildcard of a kill entry.
const Any = "*"

// New returns the Set that kills the stages matched by kill entries (such as
// "popular/filter_seen", "*/score_linear", "video/*") and holds params. It
// reports every bad entry and param as Problems.
func New(kill []string, params map[string]float64) (*Set, error) {
	b := newBuilder("flags")
	for i, e := range kill {
		b.kill(e, Problem{Entry: fmt.Sprintf("kill[%d] %q", i, e)})
	}
	for _, name := range slices.Sorted(maps.Keys(params)) {
		b.param(name, params[name], Problem{Entry: "params." + name})
	}
	return b.done()
}

// Killed reports whether the stage named stage in pipeline is killed by an
// entry for it, for the stage in every pipeline, or for the whole pipeline.
func (s *Set) Killed(pipeline, stage string) bool {
	if s == nil {
		return false
	}
	if s.all {
		return true
	}
	if len(s.exact) > 0 {
		if _, ok := s.exact[stageKey{pipeline, stage}]; ok {
			return true
		}
	}
	if len(s.stages) > 0 {
		if _, ok := s.stages[stage]; ok {
			return true
		}
	}
	if len(s.pipelines) > 0 {
		if _, ok := s.pipelines[pipeline]; ok {
			return true
		}
	}
	return false
}

// Float returns the param named name, and whether the Set has it.
func (s *Set) Float(name string) (float64, bool) {
	if s == nil {
		return 0, false
	}
	v, ok := s.params[name]
	return v, ok
}

// Kills returns the kill entries, sorted.
func (s *Set) Kills() []string {
	if s == nil {
		return nil
	}
	return slices.Clone(s.kills)
}

// Params returns a copy of the params.
func (s *Set) Params() map[string]float64 {
	if s == nil {
		return map[string]float64{}
	}
	return maps.Clone(s.params)
}

// Equal reports whether s and o hold the same flags.
func (s *Set) Equal(o *Set) bool {
	return slices.Equal(s.Kills(), o.Kills()) && maps.Equal(s.Params(), o.Params())
}

func (s *Set) String() string {
	return fmt.Sprintf("kill %v, params %v", s.Kills(), s.Params())
}

// builder collects a Set's entries and the problems with them.
type builder struct {
	source string
	set    *Set
	seen   map[string]Problem // kill entry → where it was first given
	ps     Problems
}

func newBuilder(source string) *builder {
	return &builder{
		source: source,
		set: &Set{
			exact:     map[stageKey]struct{}{},
			stages:    map[string]struct{}{},
			pipelines: map[string]struct{}{},
			params:    map[string]float64{},
		},
		seen: map[string]Problem{},
	}
}

// add records a problem at where.
func (b *builder) add(where Problem, format string, args ...any) {
	where.Source = b.source
	where.Msg = fmt.Sprintf(format, args...)
	b.ps = append(b.ps, where)
}

// kill adds the kill entry e, given at where.
func (b *builder) kill(e string, where Problem) {
	pipeline, stage, err := parseKill(e)
	if err != "" {
		b.add(where, "%s", err)
		return
	}
	if first, dup := b.seen[e]; dup {
		b.add(where, "duplicate entry, first given at %s", first.at())
		return
	}
	where.Source = b.source
	b.seen[e] = where
	b.set.kills = append(b.set.kills, e)
	switch {
	case pipeline == Any && stage == Any:
		b.set.all = true
	case pipeline == Any:
		b.set.stages[stage] = struct{}{}
	case stage == Any:
		b.set.pipelines[pipeline] = struct{}{}
	default:
		b.set.exact[stageKey{pipeline, stage}] = struct{}{}
	}
}

// param adds the param name with value v, given at where.
func (b *builder) param(name string, v float64, where Problem) {
	if msg := checkName(name); msg != "" {
		b.add(where, "param name %s", msg)
		return
	}
	if math.IsNaN(v) || math.IsInf(v, 0) {
		b.add(where, "want a finite number, got %g", v)
		return
	}
	b.set.params[name] = v
}

// done returns the Set, or every problem found.
func (b *builder) done() (*Set, error) {
	if len(b.ps) > 0 {
		return nil, b.ps
	}
	slices.Sort(b.set.kills)
	return b.set, nil
}

// parseKill splits a kill entry into its pipeline and stage, or says what is
// wrong with it.
func parseKill(e string) (pipeline, stage, problem string) {
	const want = "want pipeline/stage, such as popular/filter_seen, with * for any"
	pipeline, stage, ok := strings.Cut(e, "/")
	if !ok || strings.Contains(stage, "/") {
		return "", "", want
	}
	for _, part := range []struct{ what, v string }{{"pipeline", pipeline}, {"stage", stage}} {
		if part.v == Any {
			continue
		}
		if part.v == "" {
			return "", "", fmt.Sprintf("%s is empty; %s", part.what, want)
		}
		if strings.Contains(part.v, Any) {
			return "", "", fmt.Sprintf("%s %q: * must stand alone, for any %s", part.what, part.v, part.what)
		}
		if msg := checkName(part.v); msg != "" {
			return "", "", fmt.Sprintf("%s %s", part.what, msg)
		}
	}
	return pipeline, stage, ""
}

// checkName says what is wrong with a pipeline, stage or param name, if
// anything.
func checkName(name string) string {
	if name == "" {
		return "is empty"
	}
	if i := strings.IndexFunc(name, func(r rune) bool { return unicode.IsSpace(r) || unicode.IsControl(r) }); i >= 0 {
		return fmt.Sprintf("%q has a space or control character", name)
	}
	return ""
}

// Problem is one bad entry in a flags file or hash.
type Problem struct {
	Source    string // the file, or "redis hash KEY"
	Line, Col int    // 0 when the source has no lines
	Entry     string // the bad entry, such as kill[1] "popular" or params.video.x
	Msg       string
}

// at says where the problem is: file:line:col, or the source.
func (p Problem) at() string {
	if p.Line == 0 {
		return p.Source
	}
	return fmt.Sprintf("%s:%d:%d", p.Source, p.Line, p.Col)
}

func (p Problem) Error() string {
	if p.Entry == "" {
		return fmt.Sprintf("%s: %s", p.at(), p.Msg)
	}
	return fmt.Sprintf("%s: %s: %s", p.at(), p.Entry, p.Msg)
}

// Problems is every problem found in one flags file or hash, in order. It is
// the error decoding returns.
type Problems []Problem

func (ps Problems) Error() string {
	lines := make([]string, len(ps))
	for i, p := range ps {
		lines[i] = p.Error()
	}
	return strings.Join(lines, "\n")
}
