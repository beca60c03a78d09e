package bench

import (
	"context"
	"fmt"
	"slices"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/rankflow/rankflow/internal/redistest"
	"github.com/rankflow/rankflow/middleware"
	"github.com/rankflow/rankflow/rank"
	"github.com/rankflow/rankflow/stage"
	"github.com/rankflow/rankflow/store"
	"github.com/rankflow/rankflow/store/cache"
	"github.com/rankflow/rankflow/store/memory"
	"github.com/rankflow/rankflow/store/redis"
)

func TestMain(m *testing.M) { redistest.Main(m) }

func memoryStore(t testing.TB, c *Corpus) *memory.Store {
	m := memory.New()
	if err := c.Load(context.Background(), m); err != nil {
		t.Fatal(err)
	}
	return m
}

func redisStore(t testing.TB, c *Corpus) *redis.Store {
	s, _ := redisTarget(t, c)
	return s
}

func redisTarget(t testing.TB, c *Corpus) (*redis.Store, *redistest.Target) {
	target := redistest.Single(t)
	s := redis.New(target.Client, redis.Options{Prefix: target.Prefix})
	if err := c.Load(context.Background(), s); err != nil {
		t.Fatal(err)
	}
	return s, target
}

// fetchOnly is the memory store that, before each read of snapshots, reads
// the same snapshots' bytes from Redis with a bare MGET and throws them
// away: the pipeline on the memory store plus the cost of moving the bytes,
// the floor under any cold read of the snapshots from Redis whatever their
// decoding.
type fetchOnly struct {
	*memory.Store
	target *redistest.Target
}

func (f fetchOnly) Snapshots(ctx context.Context, keys []string) ([]*store.Snapshot, error) {
	rkeys := make([]string, len(keys))
	for i, k := range keys {
		rkeys[i] = f.target.Prefix + "snapshot:" + k // the Redis store's layout
	}
	vals, err := f.target.Client.MGet(ctx, rkeys...).Result()
	if err != nil {
		return nil, err
	}
	for i, v := range vals {
		if _, ok := v.(string); !ok {
			return nil, fmt.Errorf("no snapshot at %q: the Redis store's layout changed", rkeys[i])
		}
	}
	return f.Store.Snapshots(ctx, keys)
}

func yamlStage(t testing.TB, s store.Store, layout string) stage.Stage {
	st, err := FromYAML(s, layout, prometheus.NewRegistry(), new(middleware.KillList))
	if err != nil {
		t.Fatal(err)
	}
	return st
}

// TestYAMLMatchesHandWritten proves the YAML pipeline on each store does
// the same work as HandWritten: the same posts, order and scores.
func TestYAMLMatchesHandWritten(t *testing.T) {
	c := NewCorpus(1, perList)
	want := HandWritten(c, c.Request(25))
	tests := []struct {
		name  string
		store store.Store
	}{
		{"memory", memoryStore(t, c)},
		{"redis", redisStore(t, c)},
		{"redis+cache", cache.New(redisStore(t, c), cache.Options{})},
		{"redis+revalidate", cache.New(redisStore(t, c), cache.Options{Snapshots: cache.Policy{TTL: time.Nanosecond, Revalidate: true}})},
	}
	for _, tt := range tests {
		for _, layout := range Layouts {
			t.Run(tt.name+"/"+layout, func(t *testing.T) {
				got, err := yamlStage(t, tt.store, layout).Rank(context.Background(), StoreRequest(25))
				if err != nil {
					t.Fatal(err)
				}
				if !slices.Equal(rank.IDs(got.Candidates), rank.IDs(want.Candidates)) {
					t.Fatalf("ids\n%v\nwant\n%v", rank.IDs(got.Candidates), rank.IDs(want.Candidates))
				}
				for i := range want.Candidates {
					if got.Candidates[i].Score != want.Candidates[i].Score {
						t.Errorf("candidate %d score %v, want %v", i, got.Candidates[i].Score, want.Candidates[i].Score)
					}
				}
			})
		}
	}
}

func benchStage(b *testing.B, s stage.Stage) {
	b.ReportAllocs()
	for b.Loop() {
		resp, err := s.Rank(context.Background(), StoreRequest(25))
		if err != nil {
			b.Fatal(err)
		}
		resp.Release()
	}
}

// BenchmarkPopularFeed runs the popular feed end to end in-process, built
// from YAML, on each store, beside the hand-written function.
func BenchmarkPopularFeed(b *testing.B) {
	c := NewCorpus(1, perList)
	b.Run("impl=hand", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			HandWritten(c, c.Request(25)).Release()
		}
	})
	mem := memoryStore(b, c)
	red, target := redisTarget(b, c)
	for _, layout := range Layouts {
		name := "layout=lists"
		if layout == "popular_snapshot" {
			name = "layout=snapshot"
		}
		b.Run(name+"/store=memory", func(b *testing.B) { benchStage(b, yamlStage(b, mem, layout)) })
		if layout == "popular_snapshot" {
			b.Run(name+"/store=memory+mget", func(b *testing.B) { benchStage(b, yamlStage(b, fetchOnly{mem, target}, layout)) })
		}
		b.Run(name+"/store=redis", func(b *testing.B) { benchStage(b, yamlStage(b, red, layout)) })
		if layout == "popular_snapshot" {
			// Every request checks the snapshots' versions (TTL 1ns) and
			// reads the viewed set from Redis: as fresh as the store, with
			// the snapshots decoded only after a publish.
			b.Run(name+"/store=redis+revalidate", func(b *testing.B) {
				s := yamlStage(b, cache.New(red, cache.Options{
					Snapshots: cache.Policy{TTL: time.Nanosecond, Revalidate: true},
					Sets:      cache.Policy{TTL: -1},
				}), layout)
				if _, err := s.Rank(context.Background(), StoreRequest(25)); err != nil { // fetch the snapshots once
					b.Fatal(err)
				}
				benchStage(b, s)
			})
		}
		b.Run(name+"/store=redis+cache", func(b *testing.B) {
			s := yamlStage(b, cache.New(red, cache.Options{}), layout)
			if _, err := s.Rank(context.Background(), StoreRequest(25)); err != nil { // warm the cache
				b.Fatal(err)
			}
			benchStage(b, s)
		})
	}
}
