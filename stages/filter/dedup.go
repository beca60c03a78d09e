package filter

import (
	"context"
	"fmt"
	"strconv"

	"github.com/rankflow/rankflow/pipeline/registry"
	"github.com/rankflow/rankflow/rank"
	"github.com/rankflow/rankflow/stage"
	"github.com/rankflow/rankflow/stages/internal/counter"
)

func init() {
	specs = append(specs, registry.Spec{
		Name:    "filter_dedup",
		Kind:    registry.Filter,
		Summary: "Removes candidates whose id came earlier in the list and, optionally, those past max per value of a feature, such as one post per author.",
		Doc: "The first candidates win, so put it after the sources are merged and before or after scoring as the order requires. " +
			"by names a string or int feature; candidates without it are only de-duplicated by id. " +
			"To push excess candidates down instead of removing them, use diversify.",
		Fields: []registry.Field{
			{
				Name: "by", Type: registry.String,
				Role: registry.ReadsCandidate, FeatureKind: rank.Invalid,
				Doc: "Candidate string or int feature to also de-duplicate by; empty for ids only.", Example: "author_id",
			},
			{Name: "max", Type: registry.Int, Default: 1, Doc: "Most candidates kept per value of by."},
		},
		New: func(c *registry.Config, _ *registry.Env) (stage.Stage, error) {
			if c.Int("max") < 1 {
				return nil, &registry.FieldError{Field: "max", Msg: "must be at least 1"}
			}
			if c.Int("max") != 1 && c.String("by") == "" {
				return nil, &registry.FieldError{Field: "max", Msg: "only applies with by"}
			}
			return Dedup(c.String("by"), c.Int("max")), nil
		},
	})
}

// Dedup returns a stage that removes the candidates whose id appeared
// earlier and, when by is set, the candidates past the first perValue with the
// same value of the string or int feature by.
func Dedup(by string, perValue int) stage.Stage { return &dedup{by: by, max: perValue} }

type dedup struct {
	by  string
	max int
}

func (s *dedup) Rank(_ context.Context, req *rank.Request) (*rank.Request, error) {
	ids := counter.Get()
	defer ids.Put()
	var vals *counter.Counter
	if s.by != "" {
		vals = counter.Get()
		defer vals.Put()
	}
	kept := req.Candidates[:0]
	for _, e := range req.Candidates {
		if ids.String(e.ID) > 1 {
			req.Reject(e, reasonDuplicate)
			continue
		}
		if vals != nil {
			if n, v := vals.Feature(e, s.by); n > s.max {
				if req.Trace != nil {
					req.Reject(e, fmt.Sprintf("more than %d with %s %s", s.max, s.by, v))
				}
				continue
			}
		}
		kept = append(kept, e)
	}
	clear(req.Candidates[len(kept):])
	req.Candidates = kept
	return req, nil
}

const reasonDuplicate = "duplicate id"

func (s *dedup) Name() string { return "filter_dedup" }

func (s *dedup) String() string {
	if s.by == "" {
		return "filter_dedup"
	}
	return "filter_dedup(by " + s.by + ", max " + strconv.Itoa(s.max) + ")"
}

var _ stage.Stage = (*dedup)(nil)

// Blocks reports false: the stage only computes.
func (*dedup) Blocks() bool { return false }
