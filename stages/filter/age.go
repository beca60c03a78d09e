package filter

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/rankflow/rankflow/pipeline/registry"
	"github.com/rankflow/rankflow/rank"
	"github.com/rankflow/rankflow/stage"
)

func init() {
	specs = append(specs, registry.Spec{
		Name:    "filter_age",
		Kind:    registry.Filter,
		Summary: "Keeps the candidates created within an age window, from a creation time in unix seconds and the server's clock.",
		Doc: "Age is now minus the creation time; both bounds are inclusive. A candidate without the feature is removed " +
			"unless missing is keep. A creation time in the future is an age below zero.",
		Fields: []registry.Field{
			{
				Name: "feature", Type: registry.String, Default: "created_at",
				Role: registry.ReadsCandidate, FeatureKind: rank.Float,
				Doc: "Candidate feature holding the creation time in unix seconds (int or float).",
			},
			{Name: "max_age", Type: registry.Duration, Doc: "Oldest age kept; unset for no bound.", Example: "48h"},
			{Name: "min_age", Type: registry.Duration, Doc: "Youngest age kept; unset for no bound.", Example: "5m"},
			{
				Name: "missing", Type: registry.String, Default: "drop", Enum: []string{"drop", "keep"},
				Doc: "What to do with a candidate that has no creation time.",
			},
		},
		New: func(c *registry.Config, env *registry.Env) (stage.Stage, error) {
			if !c.Has("max_age") && !c.Has("min_age") {
				return nil, &registry.FieldError{Field: "max_age", Msg: "set max_age, min_age or both"}
			}
			if c.Has("max_age") && c.Duration("max_age") == 0 {
				return nil, &registry.FieldError{Field: "max_age", Msg: "must be above zero"}
			}
			if c.Has("max_age") && c.Has("min_age") && c.Duration("min_age") > c.Duration("max_age") {
				return nil, &registry.FieldError{Field: "min_age", Msg: fmt.Sprintf("%s is above max_age %s", c.Duration("min_age"), c.Duration("max_age"))}
			}
			if c.String("feature") == "" {
				return nil, &registry.FieldError{Field: "feature", Msg: "must not be empty"}
			}
			o := AgeOptions{
				Feature: c.String("feature"), Now: env.Clock(), KeepMissing: c.String("missing") == "keep",
			}
			if c.Has("max_age") {
				o.MaxAge = c.Duration("max_age")
			}
			if c.Has("min_age") {
				o.MinAge = c.Duration("min_age")
			}
			return Age(o), nil
		},
	})
}

// AgeOptions configure Age.
type AgeOptions struct {
	// Feature holds the creation time in unix seconds.
	Feature string
	// MaxAge and MinAge bound the age, inclusive; 0 is no bound.
	MaxAge, MinAge time.Duration
	// Now is the clock; nil is time.Now.
	Now func() time.Time
	// KeepMissing keeps candidates without a creation time.
	KeepMissing bool
}

// Age returns a stage that keeps the candidates whose age, now minus the
// unix-seconds creation time in o.Feature, is within [o.MinAge, o.MaxAge].
func Age(o AgeOptions) stage.Stage {
	if o.Now == nil {
		o.Now = time.Now
	}
	return &age{o: o, missing: "no feature " + o.Feature}
}

type age struct {
	o       AgeOptions
	missing string
}

func (s *age) Rank(_ context.Context, req *rank.Request) (*rank.Request, error) {
	now := float64(s.o.Now().UnixNano()) / 1e9
	maxAge, minAge := s.o.MaxAge.Seconds(), s.o.MinAge.Seconds()
	kept := req.Candidates[:0]
	for _, e := range req.Candidates {
		created, ok := e.GetFloat(s.o.Feature)
		if !ok {
			if s.o.KeepMissing {
				kept = append(kept, e)
			} else {
				req.Reject(e, s.missing)
			}
			continue
		}
		a := now - created
		switch {
		case s.o.MaxAge > 0 && a > maxAge:
			if req.Trace != nil {
				req.Reject(e, fmt.Sprintf("age %s > max %s", shortDuration(a), shortDuration(maxAge)))
			}
		case s.o.MinAge > 0 && a < minAge:
			if req.Trace != nil {
				req.Reject(e, fmt.Sprintf("age %s < min %s", shortDuration(a), shortDuration(minAge)))
			}
		default:
			kept = append(kept, e)
		}
	}
	clear(req.Candidates[len(kept):])
	req.Candidates = kept
	return req, nil
}

// shortDuration formats seconds as a duration rounded to the second, without
// zero trailing units: "52h", "1h30m", "-5s".
func shortDuration(sec float64) string {
	d := time.Duration(sec * float64(time.Second)).Round(time.Second)
	s := d.String()
	if strings.HasSuffix(s, "m0s") {
		s = s[:len(s)-2]
	}
	if strings.HasSuffix(s, "h0m") {
		s = s[:len(s)-2]
	}
	return s
}

func (s *age) Name() string { return "filter_age" }

var _ stage.Stage = (*age)(nil)

// Blocks reports false: the stage only computes.
func (*age) Blocks() bool { return false }
