package pipeline

import (
	"time"

	"github.com/rankflow/rankflow/rank"
	"github.com/rankflow/rankflow/stage/budget"
)

// Def is one decoded pipeline or fragment.
type Def struct {
	Name        string
	Pos         Pos
	Path        string // pipelines.NAME or fragments.NAME
	Description string
	// Fragment is set for entries under fragments: usable by other
	// pipelines, not served.
	Fragment bool
	// Limit is the default Options.Limit; 0 leaves the request's.
	Limit int
	// Budget bounds the whole pipeline; 0 means none.
	Budget    time.Duration
	OnTimeout budget.Policy
	// Context and Candidates declare the features requests bring, for the
	// feature checks.
	Context    map[string]rank.Kind
	Candidates map[string]rank.Kind
	// Stages run in series.
	Stages []*Node
}

// NodeKind says what a Node is.
type NodeKind uint8

// The kinds of nodes.
const (
	StageNode NodeKind = iota // a registered stage
	SeriesNode
	ParallelNode
	IfNode
	SwitchNode
	UseNode
)

// Node is one stage item of a pipeline.
type Node struct {
	Kind NodeKind
	Pos  Pos
	Path string

	// Type is the registered stage's name (StageNode); Config its fields
	// and ConfigPos where each was written.
	Type      string
	Config    map[string]any
	ConfigPos map[string]Pos

	// As names the stage; Timeout and OnTimeout give it a latency budget;
	// Optional marks a parallel branch whose failure is tolerated.
	As        string
	Timeout   time.Duration
	OnTimeout budget.Policy
	Optional  bool

	// Children are a series' stages or a parallel's branches.
	Children []*Node
	Merger   string
	Strategy string

	// When, Then and Else make an if; Then and Else run in series.
	When Cond
	Then []*Node
	Else []*Node

	// On, Cases and Default make a switch; each case runs in series.
	On      SwitchKey
	Cases   []Case
	Default []*Node

	// Use names the pipeline or fragment a UseNode runs.
	Use string
}

// Cond is the condition of an if: a context feature compared with a value.
type Cond struct {
	Pos     Pos
	Feature string
	Equals  any   // compare with the feature's value
	In      []any // the feature's value is one of these
	Exists  *bool // the feature is present (or absent)
}

// SwitchKey is what a switch dispatches on: a context feature's value, or
// a bucket of the context id for experiments.
type SwitchKey struct {
	Pos     Pos
	Feature string // dispatch on this context feature's value
	Buckets int    // or hash the context id (with Salt) into this many buckets
	Salt    string
}

// Case is one case of a switch. Key is a feature value or, with buckets, a
// bucket range such as "0-49" or a single bucket "7".
type Case struct {
	Pos    Pos
	Key    string
	Stages []*Node
}

// name returns the stage name a node is known by in metrics and explain.
func (n *Node) name() string {
	if n.As != "" {
		return n.As
	}
	switch n.Kind {
	case StageNode:
		return n.Type
	case SeriesNode:
		return "series"
	case ParallelNode:
		return "parallel"
	case IfNode:
		return "if"
	case SwitchNode:
		return "switch"
	case UseNode:
		return n.Use
	}
	return "?"
}
