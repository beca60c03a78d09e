package redis

import (
	"context"
	"fmt"
	"slices"

	goredis "github.com/redis/go-redis/v9"

	"github.com/rankflow/rankflow/rank"
)

// featureKey returns the key of the features of id in namespace.
func (s *Store) featureKey(namespace, id string) string {
	return s.opts.Prefix + namespace + ":" + id
}

// Features returns the features of each id in namespace, in the order of
// ids; nil for an id with no features. It makes one round trip per node: a
// single MGET on a single node; on a cluster, one MGET per hash slot in one
// pipeline, which go-redis sends to every node at once. A key holding another
// type than a string reads as missing (MGET's nil). As store.Features says,
// callers treat the maps as shared and do not modify them.
func (s *Store) Features(ctx context.Context, namespace string, ids []string) ([]*rank.Record, error) {
	out := make([]*rank.Record, len(ids))
	if len(ids) == 0 {
		return out, nil
	}
	keys := make([]string, len(ids))
	for i, id := range ids {
		keys[i] = s.featureKey(namespace, id)
	}
	ctx, cancel := s.call(ctx)
	defer cancel()
	vals, err := s.mget(ctx, "FEATURES", keys)
	if err != nil {
		return nil, err
	}
	// Each record gets values of its own, so a record a cache keeps does
	// not keep its whole batch alive.
	var names []string
	for i, v := range vals {
		str, ok := v.(string)
		if !ok {
			continue
		}
		r, scratch, err := DecodeRecord(str, &s.schemas, names)
		names = scratch
		if err != nil {
			return nil, &Error{Op: "FEATURES", Key: keys[i], Err: err}
		}
		out[i] = r
	}
	return out, nil
}

// mget returns the values of keys in their order, nil for a missing key, in
// one round trip per node.
func (s *Store) mget(ctx context.Context, op string, keys []string) ([]any, error) {
	switch c := s.client.(type) {
	case *goredis.Client:
		vals, err := c.MGet(ctx, keys...).Result()
		if err != nil {
			return nil, s.fail(ctx, op, keys[0], len(keys)-1, err)
		}
		return vals, nil
	case *goredis.ClusterClient:
		return s.mgetBySlot(ctx, c, op, keys)
	}
	// Another sharding (such as a Ring): one GET per key, pipelined.
	cmds := make([]goredis.Cmder, len(keys))
	_, _ = s.client.Pipelined(ctx, func(p goredis.Pipeliner) error {
		for i, k := range keys {
			cmds[i] = p.Get(ctx, k)
		}
		return nil
	})
	if err := s.failed(ctx, op, cmds, func(i int) string { return keys[i] }); err != nil {
		return nil, err
	}
	vals := make([]any, len(keys))
	for i, c := range cmds {
		if v, err := c.(*goredis.StringCmd).Result(); err == nil {
			vals[i] = v
		}
	}
	return vals, nil
}

// mgetBySlot groups keys by hash slot and sends one MGET per slot in one
// pipeline: a cross-slot MGET fails on a cluster, and go-redis sends a
// pipeline's commands for each node together.
func (s *Store) mgetBySlot(ctx context.Context, c *goredis.ClusterClient, op string, keys []string) ([]any, error) {
	slots := make([]uint16, len(keys))
	order := make([]int32, len(keys))
	for i, k := range keys {
		slots[i] = uint16(slot(k))
		order[i] = int32(i)
	}
	slices.SortFunc(order, func(a, b int32) int { return int(slots[a]) - int(slots[b]) })
	type group struct{ from, to int } // a run of order with one slot
	var groups []group
	var cmds []goredis.Cmder
	_, _ = c.Pipelined(ctx, func(p goredis.Pipeliner) error {
		for from := 0; from < len(order); {
			to := from + 1
			for to < len(order) && slots[order[to]] == slots[order[from]] {
				to++
			}
			args := make([]string, to-from)
			for j, i := range order[from:to] {
				args[j] = keys[i]
			}
			groups = append(groups, group{from, to})
			cmds = append(cmds, p.MGet(ctx, args...))
			from = to
		}
		return nil
	})
	if err := s.failed(ctx, op, cmds, func(g int) string { return keys[order[groups[g].from]] }); err != nil {
		return nil, err
	}
	vals := make([]any, len(keys))
	for g, cmd := range cmds {
		got := cmd.(*goredis.SliceCmd).Val()
		run := order[groups[g].from:groups[g].to]
		if len(got) != len(run) {
			return nil, &Error{Op: op, Key: keys[run[0]], Err: fmt.Errorf("MGET returned %d values for %d keys", len(got), len(run))}
		}
		for j, i := range run {
			vals[i] = got[j]
		}
	}
	return vals, nil
}

// PutFeatures writes the features of each id in namespace, replacing what was
// there; an empty map deletes the id's features. It sends pipelines of
// Options.LoadBatch SET or DEL commands.
func (s *Store) PutFeatures(ctx context.Context, namespace string, ids []string, features []map[string]rank.Value) error {
	if len(ids) != len(features) {
		return &Error{Op: "PUTFEATURES", Key: s.featureKey(namespace, ""), Err: fmt.Errorf("%d ids but %d feature maps", len(ids), len(features))}
	}
	var buf []byte
	for from := 0; from < len(ids); from += s.opts.LoadBatch {
		to := min(from+s.opts.LoadBatch, len(ids))
		if err := func() error {
			ctx, cancel := s.load(ctx)
			defer cancel()
			cmds := make([]goredis.Cmder, 0, to-from)
			_, _ = s.client.Pipelined(ctx, func(p goredis.Pipeliner) error {
				for i := from; i < to; i++ {
					key := s.featureKey(namespace, ids[i])
					if len(features[i]) == 0 {
						cmds = append(cmds, p.Del(ctx, key))
						continue
					}
					buf = AppendFeatures(buf[:0], features[i])
					cmds = append(cmds, p.Set(ctx, key, string(buf), 0))
				}
				return nil
			})
			return s.failed(ctx, "PUTFEATURES", cmds, func(j int) string { return s.featureKey(namespace, ids[from+j]) })
		}(); err != nil {
			return err
		}
	}
	return nil
}
