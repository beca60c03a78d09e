package filter

import (
	"slices"

	"github.com/rankflow/rankflow/pipeline/registry"
)

// specs collects the package's stage specs; each stage's file adds its own.
var specs []registry.Spec

// Specs returns the specs of the package's stages, for registering in a
// registry.Registry.
func Specs() []registry.Spec { return slices.Clone(specs) }
