package order

import (
	"context"
	"slices"

	"github.com/rankflow/rankflow/pipeline/registry"
	"github.com/rankflow/rankflow/rank"
	"github.com/rankflow/rankflow/stage"
)

func init() {
	specs = append(specs, registry.Spec{
		Name:    "sort_score",
		Kind:    registry.Order,
		Summary: "Sorts all candidates by score, highest first, ties by id; candidates with the same score and id keep their order.",
		New: func(*registry.Config, *registry.Env) (stage.Stage, error) {
			return Sort(), nil
		},
	})
}

// Sort returns a stage that sorts the candidates in place by score
// descending, then id ascending (see Better), stably. Unlike top_k it keeps
// every candidate.
func Sort() stage.Stage { return sortScore{} }

type sortScore struct{}

func (sortScore) Rank(_ context.Context, req *rank.Request) (*rank.Request, error) {
	slices.SortStableFunc(req.Candidates, compare)
	return req, nil
}

// compare orders by Better.
func compare(a, b *rank.Entity) int {
	switch {
	case Better(a, b):
		return -1
	case Better(b, a):
		return 1
	}
	return 0
}

func (sortScore) Name() string { return "sort_score" }

var _ stage.Stage = sortScore{}

// Blocks reports false: the stage only computes.
func (sortScore) Blocks() bool { return false }
