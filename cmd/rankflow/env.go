package main

import (
	"context"
	"flag"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"strings"

	"github.com/rankflow/rankflow/dataset"
	"github.com/rankflow/rankflow/examples"
	"github.com/rankflow/rankflow/pipeline"
	"github.com/rankflow/rankflow/pipeline/registry"
	"github.com/rankflow/rankflow/store"
	"github.com/rankflow/rankflow/store/cache"
	"github.com/rankflow/rankflow/store/memory"
	"github.com/rankflow/rankflow/store/redis"
	goredis "github.com/redis/go-redis/v9"
)

// backendFlags say where the data and the pipelines come from.
type backendFlags struct {
	config  string // pipeline directory; "" means the embedded examples
	redis   string // comma-separated addresses; "" means the memory store
	prefix  string // Redis key prefix
	cluster bool
	dataset string // dataset file for the memory store; "" means the demo
	noCache bool

	client goredis.UniversalClient // set by openStore when serving from Redis
}

func (b *backendFlags) register(fs *flag.FlagSet) {
	fs.StringVar(&b.config, "config", "", "directory of pipeline configs (default: the embedded example feeds)")
	fs.StringVar(&b.redis, "redis", "", "Redis address(es), comma-separated; several mean a Redis Cluster (default: the in-memory store)")
	fs.StringVar(&b.prefix, "redis-prefix", "", "prefix of every Redis key")
	fs.BoolVar(&b.cluster, "redis-cluster", false, "treat a single --redis address as a cluster seed")
	fs.StringVar(&b.dataset, "dataset", "", "dataset file for the in-memory store (default: the generated demo world)")
	fs.BoolVar(&b.noCache, "no-cache", false, "do not cache Redis reads in the process")
}

// openStore returns the store the flags name and a func that releases it.
func (b *backendFlags) openStore(ctx context.Context) (store.Store, func(), error) {
	if b.redis != "" {
		client := redis.NewClient(redis.ClientOptions{Addrs: splitList(b.redis), Cluster: b.cluster})
		if err := client.Ping(ctx).Err(); err != nil {
			client.Close()
			return nil, nil, fmt.Errorf("redis %s: %w", b.redis, err)
		}
		b.client = client
		var s store.Store = redis.New(client, redis.Options{Prefix: b.prefix})
		if !b.noCache {
			// A snapshot past its TTL is kept when its version has not
			// changed: a small read instead of a fetch and a decode.
			s = cache.New(s, cache.Options{Snapshots: cache.Policy{Revalidate: true}})
		}
		return s, func() { client.Close() }, nil
	}
	var d *dataset.Dataset
	if b.dataset != "" {
		var err error
		if d, err = dataset.ReadFile(b.dataset); err != nil {
			return nil, nil, err
		}
	} else {
		d = dataset.Demo()
	}
	m := memory.New()
	if err := dataset.Apply(ctx, d, m); err != nil {
		return nil, nil, err
	}
	return m, func() {}, nil
}

// configFiles reads the pipeline configs the flags name.
func (b *backendFlags) configFiles() (map[string][]byte, error) {
	if b.config == "" {
		return pipeline.ReadFS(examples.Feeds, examples.FeedsDir)
	}
	return pipeline.ReadDir(b.config)
}

// offline builds the pipelines the flags name without a data store (an
// empty memory store stands in), to check or describe them.
func (b *backendFlags) offline() (*pipeline.Set, error) {
	files, err := b.configFiles()
	if err != nil {
		return nil, err
	}
	return pipeline.Parse(files, pipeline.Options{Env: b.env(memory.New(), nil)})
}

// env returns the stage environment on s.
func (b *backendFlags) env(s store.Store, logger *slog.Logger) *registry.Env {
	dir := b.config
	if dir == "" {
		dir, _ = os.Getwd()
	}
	abs, err := filepath.Abs(dir)
	if err == nil {
		dir = abs
	}
	env := registry.StoreEnv(s)
	env.Logger, env.Dir = logger, dir
	return env
}

func splitList(s string) []string {
	var out []string
	for _, part := range strings.Split(s, ",") {
		if part = strings.TrimSpace(part); part != "" {
			out = append(out, part)
		}
	}
	return out
}
