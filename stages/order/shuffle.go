package order

import (
	"context"
	"fmt"
	"math/bits"
	"math/rand/v2"

	"github.com/rankflow/rankflow/pipeline/registry"
	"github.com/rankflow/rankflow/rank"
	"github.com/rankflow/rankflow/stage"
)

func init() {
	specs = append(specs, registry.Spec{
		Name:    "shuffle",
		Kind:    registry.Order,
		Summary: "Lightly shuffles the order, reproducibly per context: with probability p each candidate swaps with a random one at most window places below.",
		Doc: "The random sequence is seeded from the salt and the context entity's id, so the same user sees the same order " +
			"for the same candidates, another user another order, and changing the salt (say daily) reshuffles everyone. " +
			"Contexts without an id all share one order. Scores are not changed.",
		Fields: []registry.Field{
			{Name: "probability", Type: registry.Float, Default: 0.2, Doc: "Chance that each candidate is swapped, from 0 to 1."},
			{Name: "window", Type: registry.Int, Default: 5, Doc: "How far below a candidate its swap partner may be, at least 1."},
			{Name: "top", Type: registry.Int, Default: 0, Doc: "Only positions before top move; 0 for the whole list."},
			{Name: "salt", Type: registry.String, Default: "", Doc: "Mixed into the seed, to vary the shuffle between pipelines or over time.", Example: "2024-06-01"},
			{Name: "probability_param", Type: registry.String, Default: "", Doc: "Names a live param (from the flags file or hash) that, while it is set to a value from 0 to 1, overrides probability on each request; absent or out of range, probability applies.", Example: "video.shuffle_probability"},
		},
		New: func(c *registry.Config, env *registry.Env) (stage.Stage, error) {
			p := c.Float("probability")
			switch {
			case p < 0 || p > 1:
				return nil, &registry.FieldError{Field: "probability", Msg: fmt.Sprintf("%g is not between 0 and 1", p)}
			case c.Int("window") < 1:
				return nil, &registry.FieldError{Field: "window", Msg: "must be at least 1"}
			case c.Int("top") < 0:
				return nil, &registry.FieldError{Field: "top", Msg: "must not be negative"}
			}
			o := ShuffleOptions{Probability: p, Window: c.Int("window"), Top: c.Int("top"), Salt: c.String("salt"),
				ProbabilityParam: c.String("probability_param")}
			if env != nil {
				o.Params = env.Params
			}
			return Shuffle(o), nil
		},
	})
}

// ShuffleOptions configure Shuffle.
type ShuffleOptions struct {
	// Probability is the chance that each candidate swaps.
	Probability float64
	// Window is how far below its partner may be (at least 1).
	Window int
	// Top limits the shuffle to the first Top positions; 0 for all.
	Top int
	// Salt is mixed into the per-context seed.
	Salt string
	// ProbabilityParam, if set, names the param in Params that overrides
	// Probability on each request while it holds a value from 0 to 1.
	ProbabilityParam string
	// Params are read on each request for ProbabilityParam; nil means
	// Probability always applies.
	Params registry.Params
}

// Shuffle returns a stage that walks the candidates from the top and, with
// probability o.Probability, swaps each with one chosen uniformly among the
// next o.Window. Its randomness is seeded from o.Salt and the context id,
// so a request is shuffled the same way every time.
func Shuffle(o ShuffleOptions) stage.Stage {
	o.Window = max(o.Window, 1)
	return &shuffle{o: o, salt: fnv(fnvOffset, o.Salt)}
}

type shuffle struct {
	o    ShuffleOptions
	salt uint64
}

const (
	fnvOffset = 14695981039346656037
	fnvPrime  = 1099511628211
)

// fnv continues an FNV-1a hash h with s.
func fnv(h uint64, s string) uint64 {
	for i := 0; i < len(s); i++ {
		h ^= uint64(s[i])
		h *= fnvPrime
	}
	return h
}

// probability returns the live param's value if there is a valid one, else
// the configured probability.
func (s *shuffle) probability() float64 {
	if s.o.ProbabilityParam != "" && s.o.Params != nil {
		if p, ok := s.o.Params.Float(s.o.ProbabilityParam); ok && p >= 0 && p <= 1 {
			return p
		}
	}
	return s.o.Probability
}

func (s *shuffle) Rank(_ context.Context, req *rank.Request) (*rank.Request, error) {
	c := req.Candidates
	n := len(c)
	if s.o.Top > 0 && s.o.Top < n {
		n = s.o.Top
	}
	p := s.probability()
	if p == 0 || n < 2 {
		return req, nil
	}
	var id string
	if req.Context != nil {
		id = req.Context.ID
	}
	var src rand.PCG
	src.Seed(fnv(s.salt^0xff, id), s.salt)
	// threshold compares 53 random bits with the probability.
	threshold := uint64(p * (1 << 53))
	for i := 0; i < n-1; i++ {
		if src.Uint64()>>11 >= threshold {
			continue
		}
		span := uint64(min(s.o.Window, n-1-i))
		hi, _ := bits.Mul64(src.Uint64(), span)
		j := i + 1 + int(hi)
		c[i], c[j] = c[j], c[i]
	}
	return req, nil
}

func (s *shuffle) Name() string { return "shuffle" }

func (s *shuffle) String() string {
	if s.o.ProbabilityParam != "" {
		return fmt.Sprintf("shuffle(p=%g or param %s, window=%d)", s.o.Probability, s.o.ProbabilityParam, s.o.Window)
	}
	return fmt.Sprintf("shuffle(p=%g, window=%d)", s.o.Probability, s.o.Window)
}

var _ stage.Stage = (*shuffle)(nil)

// Blocks reports false: the stage only computes.
func (*shuffle) Blocks() bool { return false }
