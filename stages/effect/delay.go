package effect

import (
	"context"
	"time"

	"github.com/rankflow/rankflow/pipeline/registry"
	"github.com/rankflow/rankflow/rank"
	"github.com/rankflow/rankflow/stage"
)

func init() {
	specs = append(specs, registry.Spec{
		Name:    "delay",
		Kind:    registry.Effect,
		Summary: "Waits before passing the request on, to rehearse latency budgets, deadlines and load shedding.",
		Doc:     "The wait ends early, with the context's error, when the request's context is done.",
		Fields: []registry.Field{{
			Name: "duration", Type: registry.Duration, Required: true,
			Doc: "How long to wait.", Example: "20ms",
		}},
		New: func(c *registry.Config, _ *registry.Env) (stage.Stage, error) {
			return Delay(c.Duration("duration")), nil
		},
	})
}

// Delay returns a stage that waits d, or until ctx is done, and then passes
// the request through unchanged.
func Delay(d time.Duration) stage.Stage { return &delay{d: d} }

type delay struct{ d time.Duration }

func (s *delay) Rank(ctx context.Context, req *rank.Request) (*rank.Request, error) {
	t := time.NewTimer(s.d)
	defer t.Stop()
	select {
	case <-t.C:
		return req, nil
	case <-ctx.Done():
		return nil, ctx.Err()
	}
}

func (s *delay) Name() string { return "delay" }

var _ stage.Stage = (*delay)(nil)
