// Package builtin assembles the platform's built-in stages into a registry.
package builtin

import (
	"github.com/rankflow/rankflow/pipeline/registry"
	"github.com/rankflow/rankflow/stages/effect"
	"github.com/rankflow/rankflow/stages/filter"
	"github.com/rankflow/rankflow/stages/hydrate"
	"github.com/rankflow/rankflow/stages/order"
	"github.com/rankflow/rankflow/stages/score"
	"github.com/rankflow/rankflow/stages/source"
)

// Register adds every built-in stage to r. It fails if r already holds a
// stage of the same name.
func Register(r *registry.Registry) error {
	for _, specs := range [][]registry.Spec{
		source.Specs(),
		hydrate.Specs(),
		filter.Specs(),
		score.Specs(),
		order.Specs(),
		effect.Specs(),
	} {
		for _, s := range specs {
			if err := r.Register(s); err != nil {
				return err
			}
		}
	}
	return nil
}

// Registry returns a new registry holding the built-in stages.
func Registry() *registry.Registry {
	r := registry.New()
	if err := Register(r); err != nil {
		panic(err) // two built-ins share a name: a bug caught by the package's tests
	}
	return r
}
