package cache

import (
	"sync"
	"time"
)

// evictSample is how many entries a full table looks at to find expired ones
// before it evicts an arbitrary one, as Redis samples keys.
const evictSample = 32

// table maps keys to values that expire, holding at most max entries.
type table[V any] struct {
	ttl time.Duration
	max int

	mu sync.RWMutex
	m  map[string]entry[V]
}

type entry[V any] struct {
	v       V
	expires time.Time
}

func newTable[V any](p Policy) *table[V] {
	return &table[V]{ttl: p.TTL, max: p.MaxEntries, m: make(map[string]entry[V])}
}

// get returns the value at key if it has not expired by now.
func (t *table[V]) get(key string, now time.Time) (V, bool) {
	t.mu.RLock()
	e, ok := t.m[key]
	t.mu.RUnlock()
	if !ok || !now.Before(e.expires) {
		var zero V
		return zero, false
	}
	return e.v, true
}

// stale returns the value at key whether or not it has expired, and
// whether it has.
func (t *table[V]) stale(key string, now time.Time) (v V, expired, ok bool) {
	t.mu.RLock()
	e, ok := t.m[key]
	t.mu.RUnlock()
	return e.v, !now.Before(e.expires), ok
}

// refresh serves the value at key for another TTL from now, if same says
// it is still the one the caller checked.
func (t *table[V]) refresh(key string, now time.Time, same func(V) bool) {
	t.mu.Lock()
	defer t.mu.Unlock()
	if e, ok := t.m[key]; ok && same(e.v) {
		e.expires = now.Add(t.ttl)
		t.m[key] = e
	}
}

// lookup is get, for a batchFlight.
func (t *table[V]) lookup(key string, now time.Time) (V, bool) { return t.get(key, now) }

// store puts each of keys with its value in vals.
func (t *table[V]) store(keys []string, vals []V, now time.Time) {
	t.mu.Lock()
	defer t.mu.Unlock()
	for i, k := range keys {
		t.putLocked(k, vals[i], now)
	}
}

// put stores v at key until now+ttl, evicting to stay within max.
func (t *table[V]) put(key string, v V, now time.Time) {
	t.mu.Lock()
	defer t.mu.Unlock()
	t.putLocked(key, v, now)
}

func (t *table[V]) putLocked(key string, v V, now time.Time) {
	if _, ok := t.m[key]; !ok && len(t.m) >= t.max {
		t.evictLocked(now)
	}
	t.m[key] = entry[V]{v: v, expires: now.Add(t.ttl)}
}

// evictLocked deletes the expired entries among a sample, or else one
// arbitrary entry of the sample.
func (t *table[V]) evictLocked(now time.Time) {
	seen, freed := 0, 0
	var victim string
	for k, e := range t.m {
		if !now.Before(e.expires) {
			delete(t.m, k)
			freed++
		} else if seen == 0 {
			victim = k
		}
		if seen++; seen == evictSample {
			break
		}
	}
	if freed == 0 {
		delete(t.m, victim)
	}
}

// delete removes key.
func (t *table[V]) delete(key string) {
	t.mu.Lock()
	delete(t.m, key)
	t.mu.Unlock()
}

// len returns the number of entries, expired or not.
func (t *table[V]) len() int {
	t.mu.RLock()
	defer t.mu.RUnlock()
	return len(t.m)
}
