// Package effect holds stages with side effects, such as recording what a
// request served so later requests can filter it out. Effects never make
// the request wait: they copy what they need and hand it to a bounded set of
// background workers.
package effect

import (
	"slices"

	"github.com/rankflow/rankflow/pipeline/registry"
)

// specs collects the package's stage specs; each stage's file adds its own.
var specs []registry.Spec

// Specs returns the specs of the package's stages, for registering in a
// registry.Registry.
func Specs() []registry.Spec { return slices.Clone(specs) }
