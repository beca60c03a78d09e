package flags

import (
	"context"
	"fmt"
	"sync"
	"time"

	goredis "github.com/redis/go-redis/v9"
)

// RedisSource is a Source whose flags come from a Redis hash (see the
// package doc for its fields), read with one HGETALL per Reload and polled
// by Run.
type RedisSource struct {
	Source
	client   goredis.UniversalClient
	key      string
	interval time.Duration
	mu       sync.Mutex // serialises reloads
}

// Redis returns a Source for the hash key read through client, which may
// be a single node or a cluster. It does no I/O: until the first load
// succeeds nothing is killed and Status has Generation 0, so a server that
// must honour the flags from its first request calls Reload before
// serving. Options: WithLogger, WithInterval.
func Redis(client goredis.UniversalClient, key string, opts ...Option) *RedisSource {
	o := newOptions(opts)
	r := &RedisSource{client: client, key: key, interval: o.interval}
	r.logger, r.name = o.logger, "redis hash "+key
	return r
}

// Reload reads the hash and, if it decodes, serves its flags. A Redis error
// or a bad field keeps the previous flags serving; the error is returned
// and kept for Status.
func (r *RedisSource) Reload(ctx context.Context) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	fields, err := r.client.HGetAll(ctx, r.key).Result()
	if err != nil {
		return r.update(nil, fmt.Errorf("read flags from redis hash %s: %w", r.key, err))
	}
	set, err := FromHash(r.key, fields)
	return r.update(set, err)
}

// Run polls the hash every interval, starting at once, until ctx is done;
// run it in its own goroutine. Each poll waits at most the interval or one
// second, whichever is longer. A failed poll is logged when its error
// first appears (not on every poll while it lasts) and kept for Status.
func (r *RedisSource) Run(ctx context.Context) {
	t := time.NewTicker(r.interval)
	defer t.Stop()
	var lastErr string
	for {
		pctx, cancel := context.WithTimeout(ctx, max(r.interval, time.Second))
		err := r.Reload(pctx)
		cancel()
		if ctx.Err() != nil {
			return
		}
		switch {
		case err != nil && err.Error() != lastErr:
			r.log().Error("flags poll failed; previous flags keep serving", "source", r.name, "error", err.Error())
			lastErr = err.Error()
		case err == nil:
			lastErr = ""
		}
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
	}
}
