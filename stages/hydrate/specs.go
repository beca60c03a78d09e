// Package hydrate holds stages that fetch features from the store: entity
// features for every candidate (or for the context) in one batch, and sets
// (such as the posts a user recently viewed) into context features.
//
// Fetched feature maps are shared with the store and attached with
// rank.Entity.Borrow, so hydrating does not copy them; a candidate that
// already has features of its own (say a list score a source wrote) gets a
// merged copy instead, and its own features win.
package hydrate

import (
	"errors"
	"slices"

	"github.com/rankflow/rankflow/pipeline/registry"
)

// specs collects the package's stage specs; each stage's file adds its own.
var specs []registry.Spec

// Specs returns the specs of the package's stages, for registering in a
// registry.Registry.
func Specs() []registry.Spec { return slices.Clone(specs) }

var (
	errNoFeatures = errors.New("needs a feature store, and the environment has none (Env.Features is nil)")
	errNoSets     = errors.New("needs a set store, and the environment has none (Env.Sets is nil)")
)
