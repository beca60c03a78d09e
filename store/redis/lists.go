package redis

import (
	"context"
	"fmt"
	"math"
	"slices"

	goredis "github.com/redis/go-redis/v9"

	"github.com/rankflow/rankflow/store"
)

// Top returns up to n members of each list in keys, highest score first and
// ties by id ascending; an empty list for a missing key. The lists are read
// with one pipeline of ZRANGE ... REV WITHSCORES (one round trip per node),
// each asking for n+1 members to see whether a tie straddles the n-th place.
// Redis orders such ties by id descending, so only then a second round trip
// fetches the lowest ids of the tied score (ZRANGE BYSCORE) for the lists
// that need it.
func (s *Store) Top(ctx context.Context, keys []string, n int) ([][]store.Scored, error) {
	out := make([][]store.Scored, len(keys))
	if len(keys) == 0 {
		return out, nil
	}
	ctx, cancel := s.call(ctx)
	defer cancel()
	stop := int64(-1)
	if n > 0 {
		stop = int64(n)
	}
	cmds := make([]goredis.Cmder, len(keys))
	_, _ = s.client.Pipelined(ctx, func(p goredis.Pipeliner) error {
		for i, k := range keys {
			cmds[i] = p.ZRevRangeWithScores(ctx, s.opts.Prefix+k, 0, stop)
		}
		return nil
	})
	if err := s.failed(ctx, "TOP", cmds, func(i int) string { return s.opts.Prefix + keys[i] }); err != nil {
		return nil, err
	}
	var straddle []int // lists whose n-th member ties with the next
	for i, c := range cmds {
		zs := c.(*goredis.ZSliceCmd).Val()
		if n > 0 && len(zs) > n {
			if zs[n].Score == zs[n-1].Score {
				straddle = append(straddle, i)
			}
			zs = zs[:n]
		}
		l := make([]store.Scored, len(zs))
		for j, z := range zs {
			id, _ := z.Member.(string)
			l[j] = store.Scored{ID: id, Score: z.Score}
		}
		reverseTies(l)
		out[i] = l
	}
	if len(straddle) > 0 {
		if err := s.fixStraddles(ctx, keys, out, straddle); err != nil {
			return nil, err
		}
	}
	return out, nil
}

// reverseTies reverses each run of equal scores in l, turning Redis's
// descending order of tied members into ascending.
func reverseTies(l []store.Scored) {
	for i := 0; i < len(l); {
		j := i + 1
		for j < len(l) && l[j].Score == l[i].Score {
			j++
		}
		slices.Reverse(l[i:j])
		i = j
	}
}

// fixStraddles replaces the last run of tied members of each out[i] in
// straddle with the lowest ids of that score, in one pipeline.
func (s *Store) fixStraddles(ctx context.Context, keys []string, out [][]store.Scored, straddle []int) error {
	cmds := make([]goredis.Cmder, len(straddle))
	_, _ = s.client.Pipelined(ctx, func(p goredis.Pipeliner) error {
		for j, i := range straddle {
			l := out[i]
			score := l[len(l)-1].Score
			run := len(l) - tieStart(l)
			cmds[j] = p.ZRangeArgsWithScores(ctx, goredis.ZRangeArgs{
				Key: s.opts.Prefix + keys[i], Start: score, Stop: score, ByScore: true, Count: int64(run),
			})
		}
		return nil
	})
	if err := s.failed(ctx, "TOP", cmds, func(j int) string { return s.opts.Prefix + keys[straddle[j]] }); err != nil {
		return err
	}
	for j, i := range straddle {
		l := out[i][:tieStart(out[i])]
		for _, z := range cmds[j].(*goredis.ZSliceCmd).Val() {
			id, _ := z.Member.(string)
			l = append(l, store.Scored{ID: id, Score: z.Score})
		}
		out[i] = l
	}
	return nil
}

// tieStart returns the index where the last run of equal scores in l starts.
func tieStart(l []store.Scored) int {
	i := len(l) - 1
	for i > 0 && l[i-1].Score == l[len(l)-1].Score {
		i--
	}
	return i
}

// PutList replaces the list at key with members in one MULTI/EXEC; an empty
// members deletes it. A duplicate id keeps its last score; a NaN score is an
// error.
func (s *Store) PutList(ctx context.Context, key string, members []store.Scored) error {
	full := s.opts.Prefix + key
	zs := make([]goredis.Z, len(members))
	for i, m := range members {
		if math.IsNaN(m.Score) {
			return &Error{Op: "PUTLIST", Key: full, Err: fmt.Errorf("member %q has a NaN score", m.ID)}
		}
		zs[i] = goredis.Z{Score: m.Score, Member: m.ID}
	}
	return s.replace(ctx, "PUTLIST", full, zs)
}

// replace deletes the sorted set at key and adds zs, atomically.
func (s *Store) replace(ctx context.Context, op, key string, zs []goredis.Z) error {
	ctx, cancel := s.load(ctx)
	defer cancel()
	var cmds []goredis.Cmder
	_, _ = s.client.TxPipelined(ctx, func(p goredis.Pipeliner) error {
		cmds = append(cmds, p.Del(ctx, key))
		for chunk := range slices.Chunk(zs, s.opts.LoadBatch) {
			cmds = append(cmds, p.ZAdd(ctx, key, chunk...))
		}
		return nil
	})
	return s.failed(ctx, op, cmds, func(int) string { return key })
}
