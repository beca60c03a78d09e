package source

import (
	"context"
	"errors"
	"fmt"

	"github.com/rankflow/rankflow/pipeline/registry"
	"github.com/rankflow/rankflow/rank"
	"github.com/rankflow/rankflow/stage"
	"github.com/rankflow/rankflow/stages/internal/counter"
)

func init() {
	specs = append(specs, registry.Spec{
		Name:    "source_request",
		Kind:    registry.Source,
		Summary: "Takes the candidates the caller sent: drops those with an empty or repeated id (the first one wins) and keeps at most n.",
		Doc:     "With strict set, an empty or repeated id fails the request instead. Candidates keep their scores and features.",
		Fields: []registry.Field{
			{Name: "n", Type: registry.Int, Default: 0, Doc: "Most candidates to keep, in the order sent; 0 keeps all."},
			{Name: "strict", Type: registry.Bool, Default: false, Doc: "Fail the request on an empty or repeated id instead of dropping it."},
		},
		New: func(c *registry.Config, _ *registry.Env) (stage.Stage, error) {
			if c.Int("n") < 0 {
				return nil, &registry.FieldError{Field: "n", Msg: "must not be negative"}
			}
			return Request(c.Int("n"), c.Bool("strict")), nil
		},
	})
}

// Request returns a stage that validates the candidates the caller sent: it
// drops those with an empty id or an id seen earlier in the list (or, when
// strict, fails the request), then keeps the first n (n <= 0: all).
func Request(n int, strict bool) stage.Stage { return &request{n: n, strict: strict} }

type request struct {
	n      int
	strict bool
}

const (
	reasonEmptyID   = "empty id"
	reasonDuplicate = "duplicate id"
)

func (s *request) Rank(_ context.Context, req *rank.Request) (*rank.Request, error) {
	seen := counter.Get()
	defer seen.Put()
	kept := req.Candidates[:0]
	for i, e := range req.Candidates {
		if s.n > 0 && len(kept) == s.n {
			if req.Trace != nil {
				reason := fmt.Sprintf("past n=%d", s.n)
				for _, d := range req.Candidates[i:] {
					req.Reject(d, reason)
				}
			}
			break
		}
		switch {
		case e.ID == "":
			if s.strict {
				return nil, fmt.Errorf("candidate %d has an empty id", i)
			}
			req.Reject(e, reasonEmptyID)
		case seen.String(e.ID) > 1:
			if s.strict {
				return nil, fmt.Errorf("candidate %d: %w %q", i, errDuplicate, e.ID)
			}
			req.Reject(e, reasonDuplicate)
		default:
			kept = append(kept, e)
		}
	}
	clear(req.Candidates[len(kept):])
	req.Candidates = kept
	return req, nil
}

var errDuplicate = errors.New("duplicate id")

func (s *request) Name() string { return "source_request" }

var _ stage.Stage = (*request)(nil)

// Blocks reports false: the stage only computes.
func (*request) Blocks() bool { return false }
