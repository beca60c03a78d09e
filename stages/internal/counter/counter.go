// Package counter holds pooled per-request counters keyed by string or int,
// so stages that de-duplicate or cap per key do not allocate a map per
// request.
package counter

import (
	"sync"

	"github.com/rankflow/rankflow/rank"
)

// maxPooled is the size above which a counter's maps are dropped rather than
// pooled: clearing a map costs as much as its largest size.
const maxPooled = 4096

// Counter counts occurrences of keys. Get one from Get and return it with
// Put; it must not be used after Put.
type Counter struct {
	strs map[string]int
	ints map[int64]int
}

var pool = sync.Pool{New: func() any {
	return &Counter{strs: make(map[string]int, 64), ints: make(map[int64]int)}
}}

// Get returns an empty counter.
func Get() *Counter { return pool.Get().(*Counter) }

// Put empties c and returns it to the pool.
func (c *Counter) Put() {
	if len(c.strs) > maxPooled || len(c.ints) > maxPooled {
		return
	}
	clear(c.strs)
	clear(c.ints)
	pool.Put(c)
}

// String increments the count of k and returns the new count.
func (c *Counter) String(k string) int {
	n := c.strs[k] + 1
	c.strs[k] = n
	return n
}

// Int increments the count of k and returns the new count.
func (c *Counter) Int(k int64) int {
	n := c.ints[k] + 1
	c.ints[k] = n
	return n
}

// Feature increments the count of e's value of the string or int feature
// name and returns the new count, and the value for messages. It returns 0
// when e has no string or int value.
func (c *Counter) Feature(e *rank.Entity, name string) (int, rank.Value) {
	v, _ := e.Feature(name)
	if s, ok := v.AsString(); ok {
		return c.String(s), v
	}
	if i, ok := v.AsInt(); ok {
		return c.Int(i), v
	}
	return 0, v
}
