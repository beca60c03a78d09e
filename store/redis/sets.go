package redis

import (
	"context"
	"fmt"
	"time"

	goredis "github.com/redis/go-redis/v9"

	"github.com/rankflow/rankflow/rank"
)

// Members returns the set at key (ZRANGE 0 -1); an empty set when the key is
// missing. The set is immutable.
func (s *Store) Members(ctx context.Context, key string) (*rank.Set, error) {
	ctx, cancel := s.call(ctx)
	defer cancel()
	full := s.opts.Prefix + key
	items, err := s.client.ZRange(ctx, full, 0, -1).Result()
	if err != nil {
		return nil, s.fail(ctx, "MEMBERS", full, 0, err)
	}
	return rank.NewSet(items...), nil
}

// Add adds members to the set at key, later members counting as more recent,
// keeps the maxLen most recent (0: all) and makes the set expire ttl after
// this write (0: never), in one MULTI/EXEC: ZADD, ZREMRANGEBYRANK, then
// PEXPIRE or PERSIST. A negative ttl or maxLen is an error.
func (s *Store) Add(ctx context.Context, key string, members []string, ttl time.Duration, maxLen int) error {
	full := s.opts.Prefix + key
	if ttl < 0 || maxLen < 0 {
		return &Error{Op: "ADD", Key: full, Err: fmt.Errorf("negative ttl %v or maxLen %d", ttl, maxLen)}
	}
	ctx, cancel := s.call(ctx)
	defer cancel()
	zs := s.stamped(members)
	var cmds []goredis.Cmder
	_, _ = s.client.TxPipelined(ctx, func(p goredis.Pipeliner) error {
		if len(zs) > 0 {
			cmds = append(cmds, p.ZAdd(ctx, full, zs...))
		}
		if maxLen > 0 {
			cmds = append(cmds, p.ZRemRangeByRank(ctx, full, 0, -int64(maxLen)-1))
		}
		if ttl > 0 {
			cmds = append(cmds, p.PExpire(ctx, full, ttl))
		} else {
			cmds = append(cmds, p.Persist(ctx, full))
		}
		return nil
	})
	return s.failed(ctx, "ADD", cmds, func(int) string { return full })
}

// PutSet replaces the set at key with members, the last the most recent, in
// one MULTI/EXEC; an empty members deletes it. The set does not expire.
func (s *Store) PutSet(ctx context.Context, key string, members []string) error {
	return s.replace(ctx, "PUTSET", s.opts.Prefix+key, s.stamped(members))
}

// stamped returns members scored with increasing insertion stamps.
func (s *Store) stamped(members []string) []goredis.Z {
	if len(members) == 0 {
		return nil
	}
	start := s.stamps(len(members))
	zs := make([]goredis.Z, len(members))
	for i, m := range members {
		zs[i] = goredis.Z{Score: float64(start + int64(i)), Member: m}
	}
	return zs
}
