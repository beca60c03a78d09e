// Package cache is a per-process cache in front of any store.Store, for the
// hot keys a ranking service reads thousands of times a second (the posts
// deleted lately, the popular lists of big communities).
//
// Each access pattern has its own Policy: how long an entry lives (TTL) and
// how many entries are kept (MaxEntries). Lists are cached per key, sets per
// key, snapshots per key and features per entity id, so a batch asks the
// backend only for the keys or ids it misses, in one call. Fetches are
// single-flight: however many requests want a cold key at once, this process
// fetches it once per TTL.
//
// What the cache returns is shared between callers and immutable: sets are
// immutable, feature records must be given to entities with
// rank.Entity.BorrowRecord, and ranked lists and snapshots must not be
// modified (their slices are capped, so appending to one copies it). Unknown
// entities and missing keys are cached too, as empty results (a nil
// snapshot); errors are not.
//
// Add writes through to the backend and forgets the cached set in this
// process; other processes see the write when their entry expires.
//
// Snapshots can be revalidated (Policy.Revalidate): past its TTL, a cached
// snapshot whose version the backend reports unchanged is kept, so a short
// TTL serves snapshots as fresh as the store's at the cost of one small
// read per request rather than a fetch and a decode.
package cache

import (
	"context"
	"fmt"
	"slices"
	"sync"
	"sync/atomic"
	"time"

	"golang.org/x/sync/singleflight"

	"github.com/rankflow/rankflow/rank"
	"github.com/rankflow/rankflow/store"
)

// DefaultTTL is how long entries live when a Policy's TTL is zero.
const DefaultTTL = time.Second

// DefaultMaxEntries bounds a table when a Policy's MaxEntries is zero.
const DefaultMaxEntries = 100_000

// DefaultMaxSnapshots bounds the snapshot table when its Policy's
// MaxEntries is zero: each snapshot is a whole list with its features, so
// far fewer fit in the memory that many lists or feature maps take.
const DefaultMaxSnapshots = 1_000

// Policy says how one access pattern is cached.
type Policy struct {
	// TTL is how long an entry is served after it was fetched: 0 means
	// DefaultTTL, and a negative TTL turns caching off for the pattern
	// (calls go straight to the backend).
	TTL time.Duration
	// MaxEntries bounds the number of entries (per namespace for features):
	// 0 means DefaultMaxEntries. A full table drops expired entries, or else
	// an arbitrary one.
	MaxEntries int
	// Revalidate, for snapshots only, keeps a snapshot past its TTL when
	// the backend (a store.SnapshotVersioner) says its version has not
	// changed: one small read for every key that expired instead of
	// fetching and decoding the snapshot again. With a short TTL (say a
	// millisecond) a process serves every snapshot as fresh as the store's
	// for little more than a round trip. Without a SnapshotVersioner
	// backend it does nothing.
	Revalidate bool
}

func (p Policy) withDefaults(maxEntries int) Policy {
	if p.TTL == 0 {
		p.TTL = DefaultTTL
	}
	if p.MaxEntries <= 0 {
		p.MaxEntries = maxEntries
	}
	return p
}

// Options configure a Cache. The zero value caches every pattern with
// DefaultTTL and DefaultMaxEntries (DefaultMaxSnapshots for snapshots).
type Options struct {
	// Lists is the policy for Top, per list key.
	Lists Policy
	// Sets is the policy for Members, per set key.
	Sets Policy
	// Features is the policy for Features, per namespace and id.
	Features Policy
	// Snapshots is the policy for Snapshots, per snapshot key; MaxEntries 0
	// means DefaultMaxSnapshots.
	Snapshots Policy
	// Now is the clock entries expire by; time.Now when nil.
	Now func() time.Time
}

// Cache is a store.Store that serves from memory what its backend returned
// recently. It is safe for concurrent use.
type Cache struct {
	backend store.Store
	// versions revalidates snapshots: the backend, when it can tell their
	// versions and Options.Snapshots.Revalidate asks for it; else nil.
	versions store.SnapshotVersioner
	opts     Options

	lists       *table[topEntry]
	listFlights sync.Map // n → *batchFlight[topEntry]

	sets      *table[*rank.Set]
	setFlight singleflight.Group
	// setWrites counts Adds per stripe of keys, so a Members fetch that
	// overlapped an Add of its key does not cache the set from before it.
	setWrites [256]atomic.Uint64

	features *namespaces

	snapshots      *table[*store.Snapshot]
	snapshotFlight batchFlight[*store.Snapshot]
}

// topEntry is a cached list: its first members, as many as were asked for.
type topEntry struct {
	members []store.Scored
	n       int // the n asked for; <= 0 when members is the whole list
}

// covers reports whether e answers Top with n.
func (e topEntry) covers(n int) bool {
	return e.n <= 0 || len(e.members) < e.n || (n > 0 && n <= e.n)
}

// first returns the first n members (all when n <= 0), capped so that an
// append copies.
func (e topEntry) first(n int) []store.Scored {
	m := len(e.members)
	if n > 0 && n < m {
		m = n
	}
	return e.members[:m:m]
}

// New returns a cache in front of backend.
func New(backend store.Store, opts Options) *Cache {
	opts.Lists = opts.Lists.withDefaults(DefaultMaxEntries)
	opts.Sets = opts.Sets.withDefaults(DefaultMaxEntries)
	opts.Features = opts.Features.withDefaults(DefaultMaxEntries)
	opts.Snapshots = opts.Snapshots.withDefaults(DefaultMaxSnapshots)
	if opts.Now == nil {
		opts.Now = time.Now
	}
	c := &Cache{
		backend:   backend,
		opts:      opts,
		lists:     newTable[topEntry](opts.Lists),
		sets:      newTable[*rank.Set](opts.Sets),
		features:  newNamespaces(opts.Features),
		snapshots: newTable[*store.Snapshot](opts.Snapshots),
	}
	if v, ok := backend.(store.SnapshotVersioner); ok && opts.Snapshots.Revalidate {
		c.versions = v
	}
	return c
}

// Top returns up to n members of each list in keys, from the cache when an
// entry fetched with at least n members is fresh. The lists it misses are
// fetched in one backend call. The lists are shared and must not be
// modified.
func (c *Cache) Top(ctx context.Context, keys []string, n int) ([][]store.Scored, error) {
	if c.opts.Lists.TTL < 0 {
		return c.backend.Top(ctx, keys, n)
	}
	out := make([][]store.Scored, len(keys))
	now := c.opts.Now()
	var miss []string
	var missAt []int
	var seen map[string]int
	for i, k := range keys {
		if e, ok := c.lists.get(k, now); ok && e.covers(n) {
			out[i] = e.first(n)
			continue
		}
		missAt = append(missAt, i)
		if seen == nil {
			seen = make(map[string]int)
		}
		if _, dup := seen[k]; !dup {
			seen[k] = len(miss)
			miss = append(miss, k)
		}
	}
	if len(miss) == 0 {
		return out, nil
	}
	f, _ := c.listFlights.Load(n)
	if f == nil {
		f, _ = c.listFlights.LoadOrStore(n, new(batchFlight[topEntry]))
	}
	entries, err := f.(*batchFlight[topEntry]).do(ctx, topView{c.lists, n}, c.opts.Now, miss,
		func(ctx context.Context, keys []string) ([]topEntry, error) {
			lists, err := c.backend.Top(ctx, keys, n)
			if err != nil {
				return nil, err
			}
			es := make([]topEntry, len(lists))
			for i, l := range lists {
				es[i] = topEntry{members: l, n: n}
			}
			return es, nil
		})
	if err != nil {
		return nil, fmt.Errorf("cache top: %w", err)
	}
	for _, i := range missAt {
		out[i] = entries[seen[keys[i]]].first(n)
	}
	return out, nil
}

// topView is the list table as seen by Top with n: an entry that does not
// cover n is a miss. Each n has its own flight, so a caller never waits for
// a fetch of fewer members than it wants.
type topView struct {
	t *table[topEntry]
	n int
}

func (v topView) lookup(key string, now time.Time) (topEntry, bool) {
	e, ok := v.t.get(key, now)
	return e, ok && e.covers(v.n)
}

func (v topView) store(keys []string, vals []topEntry, now time.Time) { v.t.store(keys, vals, now) }

// Members returns the set at key, from the cache when fresh. Concurrent
// misses of one key make one backend call.
func (c *Cache) Members(ctx context.Context, key string) (*rank.Set, error) {
	if c.opts.Sets.TTL < 0 {
		return c.backend.Members(ctx, key)
	}
	if s, ok := c.sets.get(key, c.opts.Now()); ok {
		return s, nil
	}
	ch := c.setFlight.DoChan(key, func() (any, error) {
		// A fetch that just finished stored the set before leaving the
		// group: look again so it is not fetched twice.
		if s, ok := c.sets.get(key, c.opts.Now()); ok {
			return s, nil
		}
		writes := c.stripe(key)
		before := writes.Load()
		s, err := c.backend.Members(context.WithoutCancel(ctx), key)
		if err != nil {
			return nil, err
		}
		if writes.Load() == before {
			c.sets.put(key, s, c.opts.Now())
		}
		return s, nil
	})
	select {
	case r := <-ch:
		if r.Err != nil {
			return nil, fmt.Errorf("cache members: %w", r.Err)
		}
		return r.Val.(*rank.Set), nil
	case <-ctx.Done():
		return nil, fmt.Errorf("cache members %q: %w", key, ctx.Err())
	}
}

// Add adds members to the set at key in the backend and forgets the cached
// set, so this process reads its own write.
func (c *Cache) Add(ctx context.Context, key string, members []string, ttl time.Duration, maxLen int) error {
	err := c.backend.Add(ctx, key, members, ttl, maxLen)
	c.stripe(key).Add(1)
	c.sets.delete(key)
	c.setFlight.Forget(key) // later readers fetch anew rather than join a fetch from before
	return err
}

// stripe returns the Add counter of key's stripe.
func (c *Cache) stripe(key string) *atomic.Uint64 {
	h := uint32(2166136261)
	for i := 0; i < len(key); i++ {
		h = (h ^ uint32(key[i])) * 16777619
	}
	return &c.setWrites[h%uint32(len(c.setWrites))]
}

// Features returns the features of each id in namespace, from the cache for
// the ids it holds fresh and from one backend call for the others. The
// records are shared and must not be modified.
func (c *Cache) Features(ctx context.Context, namespace string, ids []string) ([]*rank.Record, error) {
	if c.opts.Features.TTL < 0 {
		return c.backend.Features(ctx, namespace, ids)
	}
	ns := c.features.get(namespace)
	recs, err := batch(ctx, ns.table, &ns.flight, c.opts.Now, ids,
		func(ctx context.Context, ids []string) ([]*rank.Record, error) {
			return c.backend.Features(ctx, namespace, ids)
		})
	if err != nil {
		return nil, fmt.Errorf("cache features %q: %w", namespace, err)
	}
	return recs, nil
}

// batch returns the value of each key: from t where it is fresh, and for
// the rest from one flight of fetch, which gets each distinct missing key
// once.
func batch[V any](ctx context.Context, t *table[V], f *batchFlight[V], now func() time.Time, keys []string,
	fetch func(ctx context.Context, keys []string) ([]V, error),
) ([]V, error) {
	out := make([]V, len(keys))
	at := now()
	var miss []string
	var missAt []int
	var seen map[string]int
	t.mu.RLock()
	for i, k := range keys {
		if e, ok := t.m[k]; ok && at.Before(e.expires) {
			out[i] = e.v
			continue
		}
		missAt = append(missAt, i)
		if seen == nil {
			seen = make(map[string]int)
		}
		if _, dup := seen[k]; !dup {
			seen[k] = len(miss)
			miss = append(miss, k)
		}
	}
	t.mu.RUnlock()
	if len(miss) == 0 {
		return out, nil
	}
	got, err := f.do(ctx, t, now, miss, fetch)
	if err != nil {
		return nil, err
	}
	for _, i := range missAt {
		out[i] = got[seen[keys[i]]]
	}
	return out, nil
}

// Snapshots returns the snapshot at each key (nil when there is none), from
// the cache for the keys it holds fresh and from one backend call for the
// others. Missing keys are cached as nil. The snapshots are shared and must
// not be modified.
func (c *Cache) Snapshots(ctx context.Context, keys []string) ([]*store.Snapshot, error) {
	if c.opts.Snapshots.TTL < 0 {
		return c.backend.Snapshots(ctx, keys)
	}
	var out []*store.Snapshot
	rest := keys
	if c.versions != nil {
		var err error
		if out, rest, err = c.revalidate(ctx, keys); err != nil {
			return nil, fmt.Errorf("cache snapshots: %w", err)
		}
		if len(rest) == 0 {
			return out, nil
		}
	}
	snaps, err := batch(ctx, c.snapshots, &c.snapshotFlight, c.opts.Now, rest,
		func(ctx context.Context, keys []string) ([]*store.Snapshot, error) {
			snaps, err := c.backend.Snapshots(ctx, keys)
			if err != nil {
				return nil, err
			}
			for i, s := range snaps {
				snaps[i] = capped(s)
			}
			return snaps, nil
		})
	if err != nil {
		return nil, fmt.Errorf("cache snapshots: %w", err)
	}
	if out == nil {
		return snaps, nil
	}
	j := 0
	for i := range out { // rest are the keys at the positions revalidate left empty, in order
		if out[i] == nil {
			out[i] = snaps[j]
			j++
		}
	}
	return out, nil
}

// revalidate serves the snapshots among keys that have expired but whose
// version the backend says has not changed, asking it once for all of
// them, and serves them for another TTL. out holds them at their keys'
// positions (nil elsewhere); rest are the other keys, in order, for the
// caller to look up. Missing snapshots cached as nil, and snapshots
// without a version, are not revalidated but fetched.
func (c *Cache) revalidate(ctx context.Context, keys []string) (out []*store.Snapshot, rest []string, err error) {
	now := c.opts.Now()
	var stale []string
	var held []*store.Snapshot
	for _, k := range keys {
		snap, expired, ok := c.snapshots.stale(k, now)
		if ok && expired && snap != nil && snap.Version != 0 && !slices.Contains(stale, k) {
			stale = append(stale, k)
			held = append(held, snap)
		}
	}
	if len(stale) == 0 {
		return nil, keys, nil
	}
	versions, err := c.versions.SnapshotVersions(ctx, stale)
	if err != nil {
		return nil, nil, err
	}
	if len(versions) != len(stale) {
		return nil, nil, fmt.Errorf("store returned %d versions for %d keys", len(versions), len(stale))
	}
	now = c.opts.Now()
	out = make([]*store.Snapshot, len(keys))
	for i, k := range stale {
		if versions[i] != held[i].Version {
			continue
		}
		c.snapshots.refresh(k, now, func(s *store.Snapshot) bool { return s == held[i] })
		for j, kj := range keys {
			if kj == k {
				out[j] = held[i]
			}
		}
	}
	rest = make([]string, 0, len(keys))
	for i, k := range keys {
		if out[i] == nil {
			rest = append(rest, k)
		}
	}
	return out, rest, nil
}

// Blocks reports whether the backend may wait: a miss calls it, and a call
// may wait on another caller's fetch of the same key.
func (c *Cache) Blocks() bool { return store.Blocks(c.backend) }

// capped returns s with its slices capped, so that a caller appending to
// them copies rather than writes into the shared arrays: s itself when they
// are already, else a shallow copy.
func capped(s *store.Snapshot) *store.Snapshot {
	if s == nil || (cap(s.Members) == len(s.Members) && cap(s.Records) == len(s.Records)) {
		return s
	}
	return &store.Snapshot{
		Members: s.Members[:len(s.Members):len(s.Members)],
		Records: s.Records[:len(s.Records):len(s.Records)],
		Version: s.Version,
	}
}

// Sizes counts a cache's entries, expired ones included until they are
// dropped.
type Sizes struct {
	Lists, Sets, Features, Snapshots int
}

// Len returns the number of entries of each table; Features adds up the
// namespaces.
func (c *Cache) Len() Sizes {
	s := Sizes{Lists: c.lists.len(), Sets: c.sets.len(), Snapshots: c.snapshots.len()}
	c.features.m.Range(func(_, f any) bool {
		s.Features += f.(*featureCache).table.len()
		return true
	})
	return s
}

var _ store.Store = (*Cache)(nil)
