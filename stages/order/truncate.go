package order

import (
	"context"
	"strconv"

	"github.com/rankflow/rankflow/pipeline/registry"
	"github.com/rankflow/rankflow/rank"
	"github.com/rankflow/rankflow/stage"
)

func init() {
	specs = append(specs, registry.Spec{
		Name:    "truncate",
		Kind:    registry.Order,
		Summary: "Keeps the first candidates up to the request's limit, or a default when it sets none, in their current order.",
		Fields: []registry.Field{{
			Name: "limit", Type: registry.Int, Default: 25,
			Doc: "How many to keep when the request sets no limit; 0 keeps all.",
		}},
		New: func(c *registry.Config, _ *registry.Env) (stage.Stage, error) {
			if c.Int("limit") < 0 {
				return nil, &registry.FieldError{Field: "limit", Msg: "must not be negative"}
			}
			return Truncate(c.Int("limit")), nil
		},
	})
}

// Truncate returns a stage that keeps the first Options.Limit candidates of
// the request, or the first def when the request sets no limit (def <= 0:
// all).
func Truncate(def int) stage.Stage { return &truncate{def: def} }

type truncate struct{ def int }

func (s *truncate) Rank(_ context.Context, req *rank.Request) (*rank.Request, error) {
	k := req.Limit(s.def)
	if k <= 0 || k >= len(req.Candidates) {
		return req, nil
	}
	if req.Trace != nil {
		reason := "past limit " + strconv.Itoa(k)
		for _, e := range req.Candidates[k:] {
			req.Reject(e, reason)
		}
	}
	clear(req.Candidates[k:])
	req.Candidates = req.Candidates[:k]
	return req, nil
}

func (s *truncate) Name() string { return "truncate" }

var _ stage.Stage = (*truncate)(nil)

// Blocks reports false: the stage only computes.
func (*truncate) Blocks() bool { return false }
