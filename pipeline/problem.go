package pipeline

import (
	"cmp"
	"fmt"
	"slices"
	"strings"
)

// Pos is a place in a config file.
type Pos struct {
	File      string
	Line, Col int
}

func (p Pos) String() string {
	if p.Line == 0 {
		return p.File
	}
	return fmt.Sprintf("%s:%d:%d", p.File, p.Line, p.Col)
}

// Problem is one thing wrong with a config: where, at which YAML path, and
// what.
type Problem struct {
	Pos  Pos
	Path string // such as pipelines.home.stages[2].filter_seen
	Msg  string
}

func (p Problem) Error() string {
	if p.Path == "" {
		return fmt.Sprintf("%s: %s", p.Pos, p.Msg)
	}
	return fmt.Sprintf("%s: %s: %s", p.Pos, p.Path, p.Msg)
}

// Problems is every problem found in a set of configs, in file and line
// order. It is the error Lint and Load return.
type Problems []Problem

func (ps Problems) Error() string {
	lines := make([]string, len(ps))
	for i, p := range ps {
		lines[i] = p.Error()
	}
	return strings.Join(lines, "\n")
}

func (ps Problems) sorted() Problems {
	slices.SortStableFunc(ps, func(a, b Problem) int {
		return cmp.Or(
			cmp.Compare(a.Pos.File, b.Pos.File),
			cmp.Compare(a.Pos.Line, b.Pos.Line),
			cmp.Compare(a.Pos.Col, b.Pos.Col),
		)
	})
	return slices.CompactFunc(ps, func(a, b Problem) bool { return a == b })
}

// problems collects Problems while a config is checked.
type problems struct{ list Problems }

func (ps *problems) add(pos Pos, path, format string, args ...any) {
	ps.list = append(ps.list, Problem{Pos: pos, Path: path, Msg: fmt.Sprintf(format, args...)})
}

func (ps *problems) err() error {
	if len(ps.list) == 0 {
		return nil
	}
	return ps.list.sorted()
}
