// Package registry holds what can be built from a pipeline config: a
// Registry of named stage Specs. A Spec declares a stage's fields (name,
// type, default, required, enum, doc, example) and the features it reads and
// writes, and constructs the stage from a validated Config. The same spec
// drives strict decoding, lint, the reference docs and the JSON Schema.
//
// Registries are values: the built-in stages register into the one that
// package stages/builtin returns, and a Go user can clone it and add stages
// of their own. Registering a name twice is an error.
package registry

import (
	"fmt"
	"log/slog"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/rankflow/rankflow/rank"
	"github.com/rankflow/rankflow/stage"

	"github.com/rankflow/rankflow/store"
)

// Kind groups stages in docs and graphs.
type Kind string

// The kinds of built-in stages.
const (
	Source  Kind = "source"  // brings in candidates
	Hydrate Kind = "hydrate" // fetches features
	Filter  Kind = "filter"  // removes candidates
	Score   Kind = "score"   // sets scores
	Order   Kind = "order"   // orders and cuts the list
	Effect  Kind = "effect"  // side effects, such as recording what was served
)

// Type is the type of a config field.
type Type string

// The field types and the Go types Config returns for them.
const (
	String   Type = "string"      // string
	Int      Type = "int"         // int
	Float    Type = "float"       // float64
	Bool     Type = "bool"        // bool
	Duration Type = "duration"    // time.Duration, written as "250ms"
	Strings  Type = "string_list" // []string
	FloatMap Type = "float_map"   // map[string]float64, such as model weights
)

// Target is where a feature lives.
type Target string

// The feature targets.
const (
	OnContext   Target = "context"
	OnCandidate Target = "candidate"
)

// Role says that a field's value names features the stage reads or writes:
// a String field names one feature, a Strings field several, and a FloatMap
// field's keys name them.
type Role uint8

// The roles a field can have.
const (
	NoRole Role = iota
	ReadsContext
	ReadsCandidate
	WritesContext
	WritesCandidate
)

// Field declares one config field of a stage.
type Field struct {
	Name     string
	Type     Type
	Doc      string
	Default  any // of the Go type for Type; nil for none
	Required bool
	Enum     []string // allowed values of a String field
	Example  any
	Role     Role
	// FeatureKind is the kind of the features the field names, when Role is
	// set; rank.Invalid means any kind.
	FeatureKind rank.Kind
}

// FeatureRef is a feature a stage reads or writes regardless of its config.
// Name "*" means features the stage cannot name in advance (such as all the
// features a store holds).
type FeatureRef struct {
	On   Target
	Name string
	Kind rank.Kind // rank.Invalid: any
}

// Env is what stage constructors may use: the stores, a logger and live
// params. Fields a stage needs but the Env lacks make its construction fail
// with a clear error.
type Env struct {
	Lists    store.Lists
	Sets     store.Sets
	Features store.Features
	// Snapshots reads published snapshots (lists with their members'
	// features); nil when the store has none.
	Snapshots store.Snapshots
	Logger    *slog.Logger
	// Now returns the current time; nil means time.Now. Stages that use the
	// time (age windows, decay) read it through the Env so tests are exact.
	Now func() time.Time
	// Dir is the directory relative paths in configs (such as model weight
	// files) are resolved against.
	Dir string
	// Metrics is where stages register metrics of their own (such as
	// record_served's dropped writes); nil means none. Stages built again on
	// a reload reuse the collectors registered before
	// (prometheus.AlreadyRegisteredError).
	Metrics prometheus.Registerer
	// Params are numeric parameters that change while the server runs
	// (package pipeline/flags holds them); stages read them on every
	// request. Nil means none: stages use their configured values.
	Params Params
}

// StoreEnv returns an environment whose stores are all s.
func StoreEnv(s store.Store) *Env {
	return &Env{Lists: s, Sets: s, Features: s, Snapshots: s}
}

// Params are numeric parameters read by name on every request, such as a
// probability an operator turns down live. Implementations must be safe
// for concurrent use and should neither lock nor allocate.
type Params interface {
	// Float returns the param named name, and whether there is one.
	Float(name string) (float64, bool)
}

// Clock returns e.Now, or time.Now when it is nil.
func (e *Env) Clock() func() time.Time {
	if e == nil || e.Now == nil {
		return time.Now
	}
	return e.Now
}

// Spec declares a stage type.
type Spec struct {
	// Name is the stage's name in configs, such as "filter_seen".
	Name    string
	Kind    Kind
	Summary string // one line
	Doc     string // optional paragraphs
	Fields  []Field
	// OneOf lists groups of fields of which a config must give exactly one,
	// such as a single key or a list of keys. Fields in a group are not
	// Required and have no Default.
	OneOf  [][]string
	Reads  []FeatureRef
	Writes []FeatureRef
	// New builds the stage from a validated config.
	New func(c *Config, env *Env) (stage.Stage, error)
}

// Field returns the field named name.
func (s *Spec) Field(name string) (*Field, bool) {
	for i := range s.Fields {
		if s.Fields[i].Name == name {
			return &s.Fields[i], true
		}
	}
	return nil, false
}

func (s *Spec) validate() error {
	if s.Name == "" {
		return fmt.Errorf("spec has no name")
	}
	if s.New == nil {
		return fmt.Errorf("spec %s: no constructor", s.Name)
	}
	seen := map[string]bool{}
	for _, f := range s.Fields {
		if seen[f.Name] {
			return fmt.Errorf("spec %s: field %q declared twice", s.Name, f.Name)
		}
		seen[f.Name] = true
		if f.Default != nil {
			if _, err := convert(f, f.Default); err != nil {
				return fmt.Errorf("spec %s: default of field %q: %w", s.Name, f.Name, err)
			}
		}
		if f.Required && f.Default != nil {
			return fmt.Errorf("spec %s: field %q is required and has a default", s.Name, f.Name)
		}
	}
	for _, group := range s.OneOf {
		if len(group) < 2 {
			return fmt.Errorf("spec %s: a one-of group needs two fields or more, got %q", s.Name, group)
		}
		for _, name := range group {
			f, ok := s.Field(name)
			switch {
			case !ok:
				return fmt.Errorf("spec %s: one-of group %q names unknown field %q", s.Name, group, name)
			case f.Required || f.Default != nil:
				return fmt.Errorf("spec %s: field %q is in a one-of group, so it cannot be required or have a default", s.Name, name)
			}
		}
	}
	return nil
}

// goType returns the Go type name Config holds for t, for errors.
func goType(t Type) string {
	switch t {
	case String:
		return "string"
	case Int:
		return "int"
	case Float:
		return "float64"
	case Bool:
		return "bool"
	case Duration:
		return "time.Duration"
	case Strings:
		return "[]string"
	case FloatMap:
		return "map[string]float64"
	}
	return "unknown"
}
