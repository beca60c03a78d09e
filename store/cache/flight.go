package cache

import (
	"context"
	"fmt"
	"sync"
	"time"
)

// batchFlight is single-flight for batches: each key is fetched by at most
// one call at a time, and a caller fetches all the keys no call is fetching
// in one backend call. golang.org/x/sync/singleflight coalesces only calls
// for the same key, and a batch has many.
type batchFlight[V any] struct {
	mu    sync.Mutex
	calls map[string]*flightCall[V]
}

// view is where a batchFlight looks for and stores fetched values.
type view[V any] interface {
	// lookup returns the fresh value at key.
	lookup(key string, now time.Time) (V, bool)
	// store keeps the fetched vals of keys.
	store(keys []string, vals []V, now time.Time)
}

// flightCall is a key being fetched; done is closed when v and err are set.
type flightCall[V any] struct {
	done chan struct{}
	v    V
	err  error
}

// do returns the values of keys: from t when fresh, else from one call of
// fetch for the keys no other caller is fetching, else from those callers.
// fetch gets the keys it must fetch and returns their values in order; the
// values are stored in t. keys must be distinct. Fetches run detached from
// ctx's cancellation, so a caller giving up does not fail the others that
// wait on its fetch; the caller itself stops waiting when ctx is done.
func (f *batchFlight[V]) do(ctx context.Context, t view[V], now func() time.Time, keys []string,
	fetch func(ctx context.Context, keys []string) ([]V, error),
) ([]V, error) {
	out := make([]V, len(keys))
	var waits []int // indexes of keys another caller is fetching
	var own []int   // indexes of keys this caller fetches
	var calls []*flightCall[V]
	f.mu.Lock()
	if f.calls == nil {
		f.calls = make(map[string]*flightCall[V])
	}
	at := now()
	for i, k := range keys {
		// Check t again under f.mu: a fetch stores in t before it leaves
		// f.calls, so a key is either cached or in flight or ours to fetch.
		if v, ok := t.lookup(k, at); ok {
			out[i] = v
			continue
		}
		if c, ok := f.calls[k]; ok {
			waits = append(waits, i)
			calls = append(calls, c)
			continue
		}
		f.calls[k] = &flightCall[V]{done: make(chan struct{})}
		own = append(own, i)
	}
	f.mu.Unlock()

	if len(own) > 0 {
		ownKeys := make([]string, len(own))
		for j, i := range own {
			ownKeys[j] = keys[i]
		}
		vals, err := f.fetchOwned(ctx, t, ownKeys, fetch, now)
		f.mu.Lock()
		for j, k := range ownKeys {
			c := f.calls[k]
			delete(f.calls, k)
			if err != nil {
				c.err = err
			} else {
				c.v = vals[j]
				out[own[j]] = vals[j]
			}
			close(c.done)
		}
		f.mu.Unlock()
		if err != nil {
			return nil, err
		}
	}

	for j, i := range waits {
		c := calls[j]
		select {
		case <-c.done:
		case <-ctx.Done():
			return nil, ctx.Err()
		}
		if c.err != nil {
			return nil, c.err
		}
		out[i] = c.v
	}
	return out, nil
}

// fetchOwned calls fetch for keys and stores what it returns in t. A panic
// in fetch, or a result of the wrong length, is an error rather than a
// wedged flight: the callers waiting on these keys must always be released.
func (f *batchFlight[V]) fetchOwned(ctx context.Context, t view[V], keys []string,
	fetch func(ctx context.Context, keys []string) ([]V, error), now func() time.Time,
) (vals []V, err error) {
	defer func() {
		if v := recover(); v != nil {
			vals, err = nil, fmt.Errorf("cache: backend fetch panicked: %v", v)
		}
	}()
	vals, err = fetch(context.WithoutCancel(ctx), keys)
	if err != nil {
		return nil, err
	}
	if len(vals) != len(keys) {
		return nil, fmt.Errorf("cache: backend returned %d values for %d keys", len(vals), len(keys))
	}
	t.store(keys, vals, now())
	return vals, nil
}
