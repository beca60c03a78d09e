package hotkeys

import (
	"cmp"
	"slices"
	"strings"
)

// Count is a key's count in a [Counter]: the key was seen at least
// Count-Err and at most Count times. Err is 0 when Count is exact.
type Count struct {
	Key   string
	Count uint64
	Err   uint64
}

// A Counter counts keys in bounded memory with the Space-Saving algorithm
// (Metwally, Agrawal and El Abbadi, "Efficient Computation of Frequent and
// Top-k Elements in Data Streams", 2005). It keeps at most capacity
// counters. A key already counted is incremented; a new key takes a free
// counter while there is one, and after that it takes over the counter with
// the smallest count c, starting at c+1 with an error of c.
//
// So:
//   - while no more distinct keys than capacity have been added, every count
//     is exact ([Counter.Exact]);
//   - every count is an overestimate by at most its Err, and Err is at most
//     [Counter.Min], which is at most Total/capacity;
//   - a key seen more than Min times is always among the counted ones, so the
//     keys that are not listed were seen at most Min times each.
//
// Memory is one counter per capacity, plus the keys themselves. Add is
// O(log capacity) in the worst case and O(1) for a key much more frequent
// than the others. The zero value is not usable; call [NewCounter]. A Counter
// is not safe for concurrent use.
type Counter struct {
	capacity int
	slots    []slot
	heap     []int32          // slot indexes, a min-heap on count
	index    map[string]int32 // key -> slot index
	total    uint64
	evicted  uint64
}

type slot struct {
	key        string
	count, err uint64
	pos        int32 // position in heap
}

// NewCounter returns a Counter of capacity counters; a capacity below 1
// counts as 1.
func NewCounter(capacity int) *Counter {
	capacity = max(capacity, 1)
	prealloc := min(capacity, 1<<16)
	return &Counter{
		capacity: capacity,
		slots:    make([]slot, 0, prealloc),
		heap:     make([]int32, 0, prealloc),
		index:    make(map[string]int32, prealloc),
	}
}

// Add counts one occurrence of key. The Counter copies key if it keeps it.
func (c *Counter) Add(key []byte) {
	c.total++
	if i, ok := c.index[string(key)]; ok {
		c.slots[i].count++
		c.down(int(c.slots[i].pos))
		return
	}
	if len(c.slots) < c.capacity {
		i := int32(len(c.slots))
		c.slots = append(c.slots, slot{key: string(key), count: 1, pos: int32(len(c.heap))})
		c.heap = append(c.heap, i)
		c.index[c.slots[i].key] = i
		c.up(len(c.heap) - 1)
		return
	}
	c.evicted++
	i := c.heap[0]
	s := &c.slots[i]
	delete(c.index, s.key)
	s.key = string(key)
	s.err = s.count
	s.count++
	c.index[s.key] = i
	c.down(0)
}

// Total returns the number of keys added.
func (c *Counter) Total() uint64 { return c.total }

// Len returns the number of keys counted, at most the capacity.
func (c *Counter) Len() int { return len(c.slots) }

// Capacity returns the number of counters.
func (c *Counter) Capacity() int { return c.capacity }

// Exact reports whether every count is exact: no more distinct keys than the
// capacity were added, and Len is the number of distinct keys.
func (c *Counter) Exact() bool { return c.evicted == 0 }

// Min returns the most times a key that is not counted may have been added:
// the smallest count once a key has taken over a counter, 0 while counts are
// exact.
func (c *Counter) Min() uint64 {
	if c.evicted == 0 {
		return 0
	}
	return c.slots[c.heap[0]].count
}

// Top returns the n keys with the highest counts, highest first, ties by
// key. If n is negative or more than Len, it returns all of them.
func (c *Counter) Top(n int) []Count {
	all := make([]Count, len(c.slots))
	for i, s := range c.slots {
		all[i] = Count{Key: s.key, Count: s.count, Err: s.err}
	}
	slices.SortFunc(all, func(a, b Count) int {
		if r := cmp.Compare(b.Count, a.Count); r != 0 {
			return r
		}
		return strings.Compare(a.Key, b.Key)
	})
	if n >= 0 && n < len(all) {
		all = all[:n:n]
	}
	return all
}

func (c *Counter) less(a, b int) bool {
	return c.slots[c.heap[a]].count < c.slots[c.heap[b]].count
}

func (c *Counter) swap(a, b int) {
	h := c.heap
	h[a], h[b] = h[b], h[a]
	c.slots[h[a]].pos = int32(a)
	c.slots[h[b]].pos = int32(b)
}

func (c *Counter) up(j int) {
	for j > 0 {
		parent := (j - 1) / 2
		if !c.less(j, parent) {
			return
		}
		c.swap(j, parent)
		j = parent
	}
}

func (c *Counter) down(j int) {
	n := len(c.heap)
	for {
		l := 2*j + 1
		if l >= n {
			return
		}
		small := l
		if r := l + 1; r < n && c.less(r, l) {
			small = r
		}
		if !c.less(small, j) {
			return
		}
		c.swap(j, small)
		j = small
	}
}
