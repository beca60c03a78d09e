package score

import (
	"context"
	"fmt"
	"math"
	"time"

	"github.com/rankflow/rankflow/pipeline/registry"
	"github.com/rankflow/rankflow/rank"
	"github.com/rankflow/rankflow/stage"
)

func init() {
	specs = append(specs, registry.Spec{
		Name:    "score_hot",
		Kind:    registry.Score,
		Summary: "Sets each candidate's score to a time-decayed popularity: Reddit's hot formula or a gravity decay.",
		Doc: "With v = ups - downs (or ups alone when downs is empty):\n\n" +
			"reddit: sign(v) * log10(max(|v|, 1)) + (created_at - epoch) / timescale. Every timescale of age " +
			"is worth a factor of 10 in votes; the score does not depend on the clock, so it can be precomputed.\n\n" +
			"gravity: v / (age_hours + offset_hours) ^ gravity, with age from the server's clock (Hacker News style).\n\n" +
			"Missing vote features count as 0. A candidate without created_at sinks: its time term is 0 (reddit) " +
			"or its score is 0 (gravity).",
		Fields: []registry.Field{
			{Name: "formula", Type: registry.String, Default: "reddit", Enum: []string{"reddit", "gravity"}, Doc: "Which decay to use."},
			{
				Name: "ups", Type: registry.String, Default: "ups", Role: registry.ReadsCandidate, FeatureKind: rank.Float,
				Doc: "Candidate feature with the up votes (or the net score when downs is empty).",
			},
			{
				Name: "downs", Type: registry.String, Default: "downs", Role: registry.ReadsCandidate, FeatureKind: rank.Float,
				Doc: "Candidate feature with the down votes; empty to use ups alone.",
			},
			{
				Name: "created_at", Type: registry.String, Default: "created_at", Role: registry.ReadsCandidate, FeatureKind: rank.Float,
				Doc: "Candidate feature with the creation time in unix seconds.",
			},
			{Name: "timescale", Type: registry.Duration, Default: "12h30m", Doc: "reddit: the age worth a factor of 10 in votes (Reddit uses 45000s)."},
			{Name: "epoch", Type: registry.Int, Default: 1134028003, Doc: "reddit: unix time the time term counts from."},
			{Name: "gravity", Type: registry.Float, Default: 1.8, Doc: "gravity: the exponent of the decay."},
			{Name: "offset", Type: registry.Duration, Default: "2h", Doc: "gravity: added to the age, so new candidates do not divide by zero."},
		},
		New: func(c *registry.Config, env *registry.Env) (stage.Stage, error) {
			o := HotOptions{
				Formula: c.String("formula"), Ups: c.String("ups"), Downs: c.String("downs"), CreatedAt: c.String("created_at"),
				Timescale: c.Duration("timescale"), Epoch: int64(c.Int("epoch")),
				Gravity: c.Float("gravity"), Offset: c.Duration("offset"), Now: env.Clock(),
			}
			switch {
			case o.Ups == "":
				return nil, &registry.FieldError{Field: "ups", Msg: "must not be empty"}
			case o.CreatedAt == "":
				return nil, &registry.FieldError{Field: "created_at", Msg: "must not be empty"}
			case o.Timescale <= 0:
				return nil, &registry.FieldError{Field: "timescale", Msg: "must be above zero"}
			case o.Gravity < 0:
				return nil, &registry.FieldError{Field: "gravity", Msg: "must not be negative"}
			case o.Formula == "gravity" && o.Offset <= 0:
				return nil, &registry.FieldError{Field: "offset", Msg: "must be above zero"}
			}
			return Hot(o)
		},
	})
}

// HotOptions configure Hot; see the score_hot stage doc for the formulas.
type HotOptions struct {
	Formula    string // "reddit" or "gravity"
	Ups, Downs string // Downs "" uses Ups alone
	CreatedAt  string
	Timescale  time.Duration // reddit
	Epoch      int64         // reddit
	Gravity    float64       // gravity
	Offset     time.Duration // gravity
	Now        func() time.Time
}

// Hot returns a stage that scores candidates by time-decayed popularity.
func Hot(o HotOptions) (stage.Stage, error) {
	if o.Formula != "reddit" && o.Formula != "gravity" {
		return nil, fmt.Errorf("score hot: unknown formula %q", o.Formula)
	}
	if o.Timescale <= 0 && o.Formula == "reddit" {
		return nil, fmt.Errorf("score hot: timescale %v is not above zero", o.Timescale)
	}
	if o.Now == nil {
		o.Now = time.Now
	}
	return &hot{o: o}, nil
}

type hot struct{ o HotOptions }

func (s *hot) Rank(_ context.Context, req *rank.Request) (*rank.Request, error) {
	gravity := s.o.Formula == "gravity"
	now := float64(s.o.Now().UnixNano()) / 1e9
	scale, epoch := s.o.Timescale.Seconds(), float64(s.o.Epoch)
	offset := s.o.Offset.Hours()
	for _, e := range req.Candidates {
		v, _ := e.GetFloat(s.o.Ups)
		if s.o.Downs != "" {
			d, _ := e.GetFloat(s.o.Downs)
			v -= d
		}
		created, dated := e.GetFloat(s.o.CreatedAt)
		if gravity {
			if !dated {
				e.Score = 0
				continue
			}
			age := max(now-created, 0) / 3600
			e.Score = v / math.Pow(age+offset, s.o.Gravity)
			continue
		}
		order := math.Log10(max(math.Abs(v), 1))
		if v < 0 {
			order = -order
		}
		t := 0.0
		if dated {
			t = (created - epoch) / scale
		}
		e.Score = order + t
	}
	return req, nil
}

func (s *hot) Name() string { return "score_hot" }

var _ stage.Stage = (*hot)(nil)

// Blocks reports false: the stage only computes.
func (*hot) Blocks() bool { return false }
