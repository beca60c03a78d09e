package registry

import (
	"errors"
	"fmt"
	"maps"
	"slices"

	"github.com/rankflow/rankflow/stage"
)

// Registry holds the stage specs a pipeline config can name. The zero value
// is empty and ready to use. A Registry is not safe for concurrent
// registration; build it, then share it read-only.
type Registry struct {
	specs map[string]*Spec
}

// New returns an empty registry.
func New() *Registry { return &Registry{specs: map[string]*Spec{}} }

// AlreadyRegisteredError is returned by Register for a name that is taken.
type AlreadyRegisteredError struct {
	Name string
}

func (e *AlreadyRegisteredError) Error() string {
	return fmt.Sprintf("stage %q is already registered", e.Name)
}

// Register adds spec. It fails if the spec is malformed (no name, no
// constructor, a default of the wrong type) or its name is taken.
func (r *Registry) Register(spec Spec) error {
	if err := spec.validate(); err != nil {
		return fmt.Errorf("register: %w", err)
	}
	if r.specs == nil {
		r.specs = map[string]*Spec{}
	}
	if _, dup := r.specs[spec.Name]; dup {
		return &AlreadyRegisteredError{Name: spec.Name}
	}
	s := spec
	r.specs[spec.Name] = &s
	return nil
}

// MustRegister registers each spec and panics on the first error. It is for
// a package's own built-in stages, where an error is a programming mistake.
func (r *Registry) MustRegister(specs ...Spec) {
	for _, s := range specs {
		if err := r.Register(s); err != nil {
			panic(err)
		}
	}
}

// Lookup returns the spec named name.
func (r *Registry) Lookup(name string) (*Spec, bool) {
	s, ok := r.specs[name]
	return s, ok
}

// Specs returns every spec, sorted by name.
func (r *Registry) Specs() []*Spec {
	out := make([]*Spec, 0, len(r.specs))
	for _, name := range slices.Sorted(maps.Keys(r.specs)) {
		out = append(out, r.specs[name])
	}
	return out
}

// Names returns the registered names, sorted.
func (r *Registry) Names() []string { return slices.Sorted(maps.Keys(r.specs)) }

// Clone returns a registry with the same specs that can be extended without
// changing r.
func (r *Registry) Clone() *Registry { return &Registry{specs: maps.Clone(r.specs)} }

// ErrUnknownStage is wrapped by Build for a name no spec has.
var ErrUnknownStage = errors.New("unknown stage")

// Build checks raw against the spec named name and constructs the stage.
// The stage is named after the spec unless it names itself.
func (r *Registry) Build(name string, raw map[string]any, env *Env) (stage.Stage, error) {
	spec, ok := r.Lookup(name)
	if !ok {
		return nil, r.unknown(name)
	}
	c, err := NewConfig(spec, raw)
	if err != nil {
		return nil, err
	}
	if env == nil {
		env = &Env{}
	}
	s, err := spec.New(c, env)
	if err != nil {
		return nil, err
	}
	if _, ok := s.(stage.Namer); !ok {
		s = stage.Named(spec.Name, s)
	}
	return s, nil
}

func (r *Registry) unknown(name string) error {
	if best, ok := Closest(name, r.Names()); ok {
		return fmt.Errorf("%w %q (did you mean %q?)", ErrUnknownStage, name, best)
	}
	return fmt.Errorf("%w %q", ErrUnknownStage, name)
}
