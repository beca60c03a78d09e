// Package bench holds the platform's benchmarks and the fixtures they share:
// a popular feed written by hand as a performance engineer would, and the
// same feed composed of stages. Results and how to rerun them are in
// RESULTS.md.
package bench

import (
	"context"
	_ "embed"
	"fmt"
	"math/rand/v2"
	"slices"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/rankflow/rankflow/middleware"
	"github.com/rankflow/rankflow/pipeline"
	"github.com/rankflow/rankflow/pipeline/registry"
	"github.com/rankflow/rankflow/rank"
	"github.com/rankflow/rankflow/stage"
	"github.com/rankflow/rankflow/stage/merger"
	"github.com/rankflow/rankflow/stage/strategy"
	"github.com/rankflow/rankflow/stages/builtin"
	"github.com/rankflow/rankflow/stages/filter"
	"github.com/rankflow/rankflow/stages/order"
	"github.com/rankflow/rankflow/stages/score"
)

// The popular feed's model: a bias and eight weighted post features.
var (
	ModelBias    = 0.1
	ModelWeights = map[string]float64{
		"upvotes_log": 0.8, "comments_log": 0.5, "upvote_ratio": 1.2, "ctr": 2.0,
		"quality": 1.5, "freshness": 1.0, "author_karma_log": 0.3, "community_affinity": 0.7,
	}
)

// SeenFeature is the context feature holding the user's recently viewed ids.
const SeenFeature = "recently_viewed"

// Corpus is an in-memory world for the engine benchmark: three candidate
// lists of post ids and each post's features.
type Corpus struct {
	Lists    [3][]string // popular, video, image
	Features map[string]*rank.Record
	Seen     *rank.Set
}

// NewCorpus builds a corpus deterministically from seed: three lists of
// perList ids drawn from a pool so that together they hold about 1000
// distinct posts when perList is 360, and a seen set of 100 of them.
func NewCorpus(seed uint64, perList int) *Corpus {
	r := rand.New(rand.NewPCG(seed, seed^0x9e3779b97f4a7c15))
	pool := perList * 3
	c := &Corpus{Features: make(map[string]*rank.Record, pool)}
	ids := make([]string, pool)
	for i := range ids {
		ids[i] = fmt.Sprintf("t3_%06x", r.Uint32()&0xffffff)
		f := make(map[string]rank.Value, len(ModelWeights)+1)
		for name := range ModelWeights {
			f[name] = rank.FloatValue(r.Float64())
		}
		f["community"] = rank.StringValue(fmt.Sprintf("c%d", r.IntN(50)))
		c.Features[ids[i]] = rank.RecordOf(f)
	}
	for l := range c.Lists {
		// Mostly disjoint slices of the pool with a little overlap.
		start := l * (pool / 3) * 95 / 100
		c.Lists[l] = slices.Clone(ids[start : start+perList])
		r.Shuffle(perList, func(i, j int) { c.Lists[l][i], c.Lists[l][j] = c.Lists[l][j], c.Lists[l][i] })
	}
	var seen []string
	for i := 0; i < 100; i++ {
		seen = append(seen, c.Lists[i%3][r.IntN(perList)])
	}
	c.Seen = rank.NewSet(seen...)
	return c
}

// Request returns a fresh request for the popular feed, limited to limit.
func (c *Corpus) Request(limit int) *rank.Request {
	u := rank.NewEntity("t2_user")
	u.Set(SeenFeature, rank.SetValue(c.Seen))
	return rank.NewRequest(u, rank.Options{Method: "popular", Limit: limit})
}

// HandWritten is the popular feed as one function, written for speed: it
// walks the three lists once, skips duplicates and seen posts, scores each
// post with the linear model (reading features by schema position, as
// rank.Resolver does) and keeps the best Limit in a bounded heap, so it
// creates entities only for the posts it returns.
func HandWritten(c *Corpus, req *rank.Request) *rank.Request {
	type cand struct {
		id    string
		score float64
		f     *rank.Record
	}
	worse := func(a, b cand) bool { // a ranks after b
		if a.score != b.score {
			return a.score < b.score
		}
		return a.id > b.id
	}
	k := req.Limit(25)
	type term struct {
		name string
		w    float64
	}
	terms := make([]term, 0, len(ModelWeights))
	for _, name := range sortedKeys(ModelWeights) {
		terms = append(terms, term{name, ModelWeights[name]})
	}
	var schema *rank.Schema
	idx := make([]int, len(terms))
	seen, _ := req.Context.GetStringSet(SeenFeature)
	dedup := make(map[string]struct{}, len(c.Lists[0])*3)
	heap := make([]cand, 0, k)
	down := func(i int) {
		for {
			w, l, r := i, 2*i+1, 2*i+2
			if l < len(heap) && worse(heap[l], heap[w]) {
				w = l
			}
			if r < len(heap) && worse(heap[r], heap[w]) {
				w = r
			}
			if w == i {
				return
			}
			heap[i], heap[w] = heap[w], heap[i]
			i = w
		}
	}
	for _, list := range c.Lists {
		for _, id := range list {
			if _, dup := dedup[id]; dup {
				continue
			}
			dedup[id] = struct{}{}
			if seen.Has(id) {
				continue
			}
			f := c.Features[id]
			if f.Schema() != schema {
				schema = f.Schema()
				for i, t := range terms {
					j, ok := schema.Index(t.name)
					if !ok {
						j = -1
					}
					idx[i] = j
				}
			}
			s := ModelBias
			for i, t := range terms {
				if idx[i] < 0 {
					continue
				}
				if v, ok := f.At(idx[i]).AsFloat(); ok {
					s += t.w * v
				}
			}
			x := cand{id, s, f}
			switch {
			case len(heap) < k:
				heap = append(heap, x)
				for i := len(heap) - 1; i > 0; { // up
					p := (i - 1) / 2
					if !worse(heap[i], heap[p]) {
						break
					}
					heap[i], heap[p] = heap[p], heap[i]
					i = p
				}
			case worse(heap[0], x):
				heap[0] = x
				down(0)
			}
		}
	}
	slices.SortFunc(heap, func(a, b cand) int {
		if worse(b, a) {
			return -1
		}
		return 1
	})
	req.Grow(len(heap))
	for _, x := range heap {
		e := req.Append(x.id)
		e.Score = x.score
		e.BorrowRecord(x.f)
	}
	return req
}

func sortedKeys(m map[string]float64) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	return keys
}

// fetchList is the benchmark's candidate source: it appends the posts of one
// list with their features, as a source followed by hydration would.
type fetchList struct {
	name string
	c    *Corpus
	list int
}

func (s *fetchList) Rank(_ context.Context, req *rank.Request) (*rank.Request, error) {
	ids := s.c.Lists[s.list]
	req.Grow(len(ids))
	for _, id := range ids {
		req.Append(id).BorrowRecord(s.c.Features[id])
	}
	return req, nil
}

func (s *fetchList) Name() string { return s.name }

// Blocks reports false: the corpus is in memory.
func (s *fetchList) Blocks() bool { return false }

// Composed returns the popular feed built from stages, every one wrapped in
// the default middlewares (with metrics registered on reg and kill switches
// read from flags): Parallel sources merged by Concat, filter.Seen,
// score.Linear and order.TopK.
func Composed(c *Corpus, reg prometheus.Registerer, flags middleware.Flags) (stage.Stage, error) {
	metrics, err := middleware.NewMetrics(reg)
	if err != nil {
		return nil, err
	}
	mw := middleware.Default(middleware.Options{Pipeline: "popular", Metrics: metrics, Flags: flags})
	linear, err := score.Linear(ModelBias, ModelWeights)
	if err != nil {
		return nil, err
	}
	return mw(stage.Series(
		mw(stage.Parallel(merger.Concat, strategy.FailWhenAllFail,
			mw(&fetchList{"fetch_popular", c, 0}),
			mw(&fetchList{"fetch_video", c, 1}),
			mw(&fetchList{"fetch_image", c, 2}),
		)),
		mw(filter.Seen(SeenFeature)),
		mw(linear),
		mw(order.TopK(25)),
	)), nil
}

// EngineYAML is the engine benchmark's popular feed as a pipeline config:
// the stages of Composed, with the corpus' lists as the corpus_list stage.
//
//go:embed testdata/engine.yaml
var EngineYAML []byte

// FromEngineYAML builds EngineYAML on c with the built-in stages plus
// corpus_list, each wrapped in the default middlewares (metrics on reg, kill
// switches from flags), as Composed is.
func FromEngineYAML(c *Corpus, reg prometheus.Registerer, flags middleware.Flags) (stage.Stage, error) {
	metrics, err := middleware.NewMetrics(reg)
	if err != nil {
		return nil, err
	}
	r := builtin.Registry()
	err = r.Register(registry.Spec{
		Name:    "corpus_list",
		Kind:    registry.Source,
		Summary: "Appends the posts of one of the benchmark corpus' lists with their features.",
		Fields:  []registry.Field{{Name: "list", Type: registry.Int, Required: true, Doc: "Index of the list, 0 to 2."}},
		Writes:  []registry.FeatureRef{{On: registry.OnCandidate, Name: "*"}},
		New: func(cfg *registry.Config, _ *registry.Env) (stage.Stage, error) {
			i := cfg.Int("list")
			if i < 0 || i >= len(c.Lists) {
				return nil, &registry.FieldError{Field: "list", Msg: fmt.Sprintf("want 0 to %d", len(c.Lists)-1)}
			}
			return &fetchList{name: "corpus_list", c: c, list: i}, nil
		},
	})
	if err != nil {
		return nil, err
	}
	set, err := pipeline.Parse(map[string][]byte{"engine.yaml": EngineYAML}, pipeline.Options{
		Registry: r,
		Middleware: func(name string) stage.Middleware {
			return middleware.Default(middleware.Options{Pipeline: name, Metrics: metrics, Flags: flags})
		},
	})
	if err != nil {
		return nil, err
	}
	p, ok := set.Lookup("popular")
	if !ok {
		return nil, fmt.Errorf("no popular pipeline in %v", set.Names())
	}
	return p, nil
}
