// Package memory is the embedded default store: ranked lists, sets and
// feature hashes held in process memory, filled through store.Loader (for
// example by dataset.Apply) and read by stages through store.Store.
//
// A Store is safe for concurrent use. Reads do not copy per id: Features
// returns the stored feature maps themselves and Members the stored set, both
// immutable; Top copies only the returned members, in one allocation per call.
package memory

import (
	"context"
	"fmt"
	"math"
	"slices"
	"sync"
	"time"

	"github.com/rankflow/rankflow/rank"
	"github.com/rankflow/rankflow/store"
)

// Option configures a Store.
type Option func(*Store)

// WithClock makes the store read the time from now, which decides when sets
// written with a ttl expire. The default is time.Now; tests pass a fake.
func WithClock(now func() time.Time) Option {
	return func(s *Store) { s.now = now }
}

// Store is an in-memory store.Store and store.Loader. The zero value is not
// usable; call New.
type Store struct {
	now func() time.Time

	mu       sync.RWMutex
	lists    map[string][]store.Scored // sorted by score desc, then id
	sets     map[string]*setEntry
	features map[string]map[string]*rank.Record // namespace → id → features
	snaps    map[string]*store.Snapshot
	version  uint64 // the Version of the last snapshot put
}

// setEntry is a set with its insertion order (oldest first) for maxLen, the
// immutable rank.Set handed to readers, and its expiry (zero: never).
type setEntry struct {
	order   []string
	set     *rank.Set
	expires time.Time
}

func (e *setEntry) expired(now time.Time) bool {
	return !e.expires.IsZero() && !now.Before(e.expires)
}

// New returns an empty store.
func New(opts ...Option) *Store {
	s := &Store{
		now:      time.Now,
		lists:    make(map[string][]store.Scored),
		sets:     make(map[string]*setEntry),
		features: make(map[string]map[string]*rank.Record),
		snaps:    make(map[string]*store.Snapshot),
	}
	for _, o := range opts {
		o(s)
	}
	return s
}

// Top returns up to n members of each list in keys, highest score first, ties
// by id; n <= 0 means all. A missing key gives an empty list. The returned
// slices share the store's memory: they must not be modified (their capacity
// is capped, so an append copies).
func (s *Store) Top(ctx context.Context, keys []string, n int) ([][]store.Scored, error) {
	if err := ctx.Err(); err != nil {
		return nil, fmt.Errorf("memory top: %w", err)
	}
	out := make([][]store.Scored, len(keys))
	s.mu.RLock()
	defer s.mu.RUnlock()
	for i, k := range keys {
		l := s.lists[k]
		m := limit(len(l), n)
		out[i] = l[:m:m]
	}
	return out, nil
}

func limit(have, n int) int {
	if n <= 0 || n > have {
		return have
	}
	return n
}

// Members returns the set at key; an empty set when it is missing or has
// expired. The set is shared and immutable.
func (s *Store) Members(ctx context.Context, key string) (*rank.Set, error) {
	if err := ctx.Err(); err != nil {
		return nil, fmt.Errorf("memory members %q: %w", key, err)
	}
	s.mu.RLock()
	e := s.sets[key]
	s.mu.RUnlock()
	if e == nil || e.expired(s.now()) {
		return rank.NewSet(), nil
	}
	return e.set, nil
}

// Add adds members to the set at key. A member added again counts as the most
// recent. When maxLen > 0 only the maxLen most recently added members are
// kept. A ttl > 0 makes the set expire ttl after this write; ttl 0 means
// never. A set that has expired is replaced as if it were missing.
func (s *Store) Add(ctx context.Context, key string, members []string, ttl time.Duration, maxLen int) error {
	if err := ctx.Err(); err != nil {
		return fmt.Errorf("memory add %q: %w", key, err)
	}
	if ttl < 0 || maxLen < 0 {
		return fmt.Errorf("memory add %q: negative ttl %v or maxLen %d", key, ttl, maxLen)
	}
	now := s.now()
	s.mu.Lock()
	defer s.mu.Unlock()
	var order []string
	if old := s.sets[key]; old != nil && !old.expired(now) {
		order = old.order
	}
	// Build a new order slice: readers of the old entry never see a write.
	fresh := lastOccurrences(members)
	added := make(map[string]struct{}, len(fresh))
	for _, m := range fresh {
		added[m] = struct{}{}
	}
	next := make([]string, 0, len(order)+len(fresh))
	for _, m := range order {
		if _, again := added[m]; !again {
			next = append(next, m)
		}
	}
	next = append(next, fresh...)
	if maxLen > 0 && len(next) > maxLen {
		next = slices.Clone(next[len(next)-maxLen:])
	}
	e := &setEntry{order: next, set: rank.NewSet(next...)}
	if ttl > 0 {
		e.expires = now.Add(ttl)
	}
	s.sets[key] = e
	return nil
}

// Features returns the features of each id in namespace, in the order of ids;
// nil for unknown ids. The records are shared and immutable.
func (s *Store) Features(ctx context.Context, namespace string, ids []string) ([]*rank.Record, error) {
	if err := ctx.Err(); err != nil {
		return nil, fmt.Errorf("memory features %q: %w", namespace, err)
	}
	out := make([]*rank.Record, len(ids))
	s.mu.RLock()
	defer s.mu.RUnlock()
	ns := s.features[namespace]
	if ns == nil {
		return out, nil
	}
	for i, id := range ids {
		out[i] = ns[id]
	}
	return out, nil
}

// PutList replaces the list at key with members, which the store copies and
// sorts. An empty members deletes the list. Scores must not be NaN; a
// duplicate id keeps its last score.
func (s *Store) PutList(ctx context.Context, key string, members []store.Scored) error {
	if err := ctx.Err(); err != nil {
		return fmt.Errorf("memory put list %q: %w", key, err)
	}
	l := make([]store.Scored, 0, len(members))
	last := make(map[string]int, len(members))
	for _, m := range members {
		if math.IsNaN(m.Score) {
			return fmt.Errorf("memory put list %q: member %q has a NaN score", key, m.ID)
		}
		if i, dup := last[m.ID]; dup {
			l[i].Score = m.Score
			continue
		}
		last[m.ID] = len(l)
		l = append(l, m)
	}
	slices.SortFunc(l, store.CompareScored)
	s.mu.Lock()
	defer s.mu.Unlock()
	if len(l) == 0 {
		delete(s.lists, key)
		return nil
	}
	s.lists[key] = l
	return nil
}

// PutSet replaces the set at key with members, with no expiry; their order
// counts as the order they were added in. An empty members deletes the set.
func (s *Store) PutSet(ctx context.Context, key string, members []string) error {
	if err := ctx.Err(); err != nil {
		return fmt.Errorf("memory put set %q: %w", key, err)
	}
	order := lastOccurrences(members)
	s.mu.Lock()
	defer s.mu.Unlock()
	if len(order) == 0 {
		delete(s.sets, key)
		return nil
	}
	s.sets[key] = &setEntry{order: order, set: rank.NewSet(order...)}
	return nil
}

// PutFeatures replaces the features of each id in namespace: features[i]
// belongs to ids[i], and a nil or empty map deletes the entity. The store
// keeps a copy of each map, so the caller may reuse its maps.
func (s *Store) PutFeatures(ctx context.Context, namespace string, ids []string, features []map[string]rank.Value) error {
	if err := ctx.Err(); err != nil {
		return fmt.Errorf("memory put features %q: %w", namespace, err)
	}
	if len(ids) != len(features) {
		return fmt.Errorf("memory put features %q: %d ids but %d feature maps", namespace, len(ids), len(features))
	}
	copies := make([]*rank.Record, len(features))
	for i, f := range features {
		copies[i] = rank.RecordOf(f)
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	ns := s.features[namespace]
	if ns == nil {
		ns = make(map[string]*rank.Record, len(ids))
		s.features[namespace] = ns
	}
	for i, id := range ids {
		if copies[i] == nil {
			delete(ns, id)
			continue
		}
		ns[id] = copies[i]
	}
	return nil
}

// Snapshots returns the snapshot at each key, nil for a missing key. The
// snapshots are shared and immutable; each carries its Version.
func (s *Store) Snapshots(ctx context.Context, keys []string) ([]*store.Snapshot, error) {
	if err := ctx.Err(); err != nil {
		return nil, fmt.Errorf("memory snapshots: %w", err)
	}
	out := make([]*store.Snapshot, len(keys))
	s.mu.RLock()
	defer s.mu.RUnlock()
	for i, k := range keys {
		out[i] = s.snaps[k]
	}
	return out, nil
}

// PutSnapshot replaces the snapshot at key (see store.NewSnapshot). An
// empty members deletes it. The store keeps copies of the features.
func (s *Store) PutSnapshot(ctx context.Context, key string, members []store.Scored, features []map[string]rank.Value) error {
	if err := ctx.Err(); err != nil {
		return fmt.Errorf("memory put snapshot %q: %w", key, err)
	}
	snap, err := store.NewSnapshot(members, features)
	if err != nil {
		return fmt.Errorf("memory put snapshot %q: %w", key, err)
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if len(snap.Members) == 0 {
		delete(s.snaps, key)
		return nil
	}
	s.version++
	snap.Version = s.version
	s.snaps[key] = snap
	return nil
}

// SnapshotVersions returns the Version of the snapshot at each key, 0 for
// a missing key: each PutSnapshot makes a new version.
func (s *Store) SnapshotVersions(ctx context.Context, keys []string) ([]uint64, error) {
	if err := ctx.Err(); err != nil {
		return nil, fmt.Errorf("memory snapshot versions: %w", err)
	}
	out := make([]uint64, len(keys))
	s.mu.RLock()
	defer s.mu.RUnlock()
	for i, k := range keys {
		if snap := s.snaps[k]; snap != nil {
			out[i] = snap.Version
		}
	}
	return out, nil
}

// lastOccurrences returns members without duplicates, each at the position
// of its last occurrence, so that the order is the order of recency.
func lastOccurrences(members []string) []string {
	seen := make(map[string]struct{}, len(members))
	out := make([]string, 0, len(members))
	for i := len(members) - 1; i >= 0; i-- {
		if _, dup := seen[members[i]]; !dup {
			seen[members[i]] = struct{}{}
			out = append(out, members[i])
		}
	}
	slices.Reverse(out)
	return out
}

// Blocks reports false: every call works on process memory and returns
// without waiting (beyond a lock held only briefly).
func (*Store) Blocks() bool { return false }

var (
	_ store.Store  = (*Store)(nil)
	_ store.Loader = (*Store)(nil)
)
