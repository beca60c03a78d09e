// Package source holds stages that bring in candidates: from a ranked list in
// the store, from one list per item of a context list (fan-out), or from the
// request's own candidates. Sources append to the request's candidates from
// its arena (rank.Request.Grow and Append); they do not de-duplicate against
// candidates already there: put a filter_dedup after sources that may
// overlap.
package source

import (
	"errors"
	"slices"

	"github.com/rankflow/rankflow/pipeline/registry"
	"github.com/rankflow/rankflow/rank"
)

// specs collects the package's stage specs; each stage's file adds its own.
var specs []registry.Spec

// Specs returns the specs of the package's stages, for registering in a
// registry.Registry.
func Specs() []registry.Spec { return slices.Clone(specs) }

// scoreFeatureField is the score_feature field every list source has.
var scoreFeatureField = registry.Field{
	Name: "score_feature", Type: registry.String,
	Role: registry.WritesCandidate, FeatureKind: rank.Float,
	Doc:     "Candidate feature that also receives the list score; empty for none.",
	Example: "list_score",
}

// errNoLists is returned when a source is built without a Lists store.
var errNoLists = errors.New("needs a store for ranked lists, and the environment has none (Env.Lists is nil)")
