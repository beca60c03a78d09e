package bench

import (
	"context"
	_ "embed"
	"fmt"
	"maps"
	"slices"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/rankflow/rankflow/middleware"
	"github.com/rankflow/rankflow/pipeline"
	"github.com/rankflow/rankflow/pipeline/registry"
	"github.com/rankflow/rankflow/rank"
	"github.com/rankflow/rankflow/stage"
	"github.com/rankflow/rankflow/store"
)

// PopularYAML is the benchmark's popular feed as pipeline configs, the same
// work as HandWritten with the stages reading a store: "popular" reads the
// lists and then the features of their posts, "popular_snapshot" the lists'
// published snapshots (store.Snapshots).
//
//go:embed testdata/popular.yaml
var PopularYAML []byte

// ListKeys are the store keys of the corpus' three lists.
var ListKeys = [3]string{"popular", "media:video", "media:image"}

// UserID is the id of the benchmark's user; its viewed set is at
// "user:{UserID}:viewed".
const UserID = "t2_user"

// Load writes the corpus into a store: the three lists (scored by position),
// each also published as a snapshot with its posts' features, the post
// features and the user's viewed set.
func (c *Corpus) Load(ctx context.Context, l store.Loader) error {
	for i, key := range ListKeys {
		members := make([]store.Scored, len(c.Lists[i]))
		for j, id := range c.Lists[i] {
			members[j] = store.Scored{ID: id, Score: float64(len(c.Lists[i]) - j)}
		}
		if err := l.PutList(ctx, key, members); err != nil {
			return err
		}
		feats := make([]map[string]rank.Value, len(members))
		for j, m := range members {
			feats[j] = c.Features[m.ID].Map()
		}
		if err := l.PutSnapshot(ctx, key, members, feats); err != nil {
			return err
		}
	}
	ids := slices.Sorted(maps.Keys(c.Features))
	feats := make([]map[string]rank.Value, len(ids))
	for i, id := range ids {
		feats[i] = c.Features[id].Map()
	}
	if err := l.PutFeatures(ctx, "post", ids, feats); err != nil {
		return err
	}
	return l.PutSet(ctx, "user:"+UserID+":viewed", c.Seen.Items())
}

// StoreRequest returns a fresh request for the YAML pipeline: only the user
// id, as a client would send it.
func StoreRequest(limit int) *rank.Request {
	return rank.NewRequest(rank.NewEntity(UserID), rank.Options{Method: "popular", Limit: limit})
}

// Layouts are the pipelines of PopularYAML: how the feed reads the store.
var Layouts = []string{"popular", "popular_snapshot"}

// FromYAML builds the pipeline named layout from PopularYAML on s with the
// default middlewares (metrics on reg, kill switches from flags).
func FromYAML(s store.Store, layout string, reg prometheus.Registerer, flags middleware.Flags) (stage.Stage, error) {
	metrics, err := middleware.NewMetrics(reg)
	if err != nil {
		return nil, err
	}
	set, err := pipeline.Parse(map[string][]byte{"popular.yaml": PopularYAML}, pipeline.Options{
		Env: registry.StoreEnv(s),
		Middleware: func(name string) stage.Middleware {
			return middleware.Default(middleware.Options{Pipeline: name, Metrics: metrics, Flags: flags})
		},
	})
	if err != nil {
		return nil, err
	}
	p, ok := set.Lookup(layout)
	if !ok {
		return nil, fmt.Errorf("no pipeline %q in %v", layout, set.Names())
	}
	return p, nil
}
