package hotkeys

import (
	"fmt"
	"maps"
	"math/rand/v2"
	"slices"
	"testing"
)

func TestCounterExactBelowCapacity(t *testing.T) {
	tests := []struct {
		name     string
		capacity int
		distinct int
	}{
		{"one key", 1, 1},
		{"fewer keys", 100, 37},
		{"as many keys", 100, 100},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := rand.New(rand.NewPCG(1, 2))
			c := NewCounter(tt.capacity)
			want := map[string]uint64{}
			for range 20000 {
				k := fmt.Sprint("k", r.IntN(tt.distinct))
				want[k]++
				c.Add([]byte(k))
			}
			if !c.Exact() || c.Len() != len(want) || c.Min() != 0 {
				t.Fatalf("Exact, Len, Min = %v, %d, %d; want true, %d, 0", c.Exact(), c.Len(), c.Min(), len(want))
			}
			got := map[string]uint64{}
			for _, e := range c.Top(-1) {
				if e.Err != 0 {
					t.Errorf("%s: Err = %d, want 0", e.Key, e.Err)
				}
				got[e.Key] = e.Count
			}
			if !maps.Equal(got, want) {
				t.Errorf("counts = %v, want %v", got, want)
			}
		})
	}
}

// TestCounterBoundAboveCapacity checks Space-Saving's guarantees on a Zipf
// stream of many more distinct keys than counters.
func TestCounterBoundAboveCapacity(t *testing.T) {
	const (
		capacity = 200
		distinct = 100000
		total    = 500000
	)
	r := rand.New(rand.NewPCG(3, 4))
	zipf := rand.NewZipf(r, 1.2, 1, distinct-1)
	c := NewCounter(capacity)
	truth := map[string]uint64{}
	for range total {
		k := fmt.Sprint("post:", zipf.Uint64())
		truth[k]++
		c.Add([]byte(k))
	}
	if c.Exact() || c.Len() != capacity || c.Total() != total {
		t.Fatalf("Exact, Len, Total = %v, %d, %d; want false, %d, %d", c.Exact(), c.Len(), c.Total(), capacity, total)
	}
	minCount := c.Min()
	if minCount > total/capacity {
		t.Errorf("Min = %d, more than Total/capacity = %d", minCount, total/capacity)
	}
	top := c.Top(-1)
	counted := map[string]bool{}
	for _, e := range top {
		counted[e.Key] = true
		if n := truth[e.Key]; n > e.Count || n < e.Count-e.Err {
			t.Errorf("%s: true count %d not within [%d, %d]", e.Key, n, e.Count-e.Err, e.Count)
		}
		if e.Err > minCount {
			t.Errorf("%s: Err %d more than Min %d", e.Key, e.Err, minCount)
		}
	}
	for k, n := range truth {
		if n > minCount && !counted[k] {
			t.Errorf("%s seen %d times, more than Min %d, but not counted", k, n, minCount)
		}
	}
	// The Zipf stream's top keys are 0, 1, 2, in that order.
	if got := []string{top[0].Key, top[1].Key, top[2].Key}; !slices.Equal(got, []string{"post:0", "post:1", "post:2"}) {
		t.Errorf("top 3 = %q, want post:0, post:1, post:2", got)
	}
}

func TestCounterTopOrder(t *testing.T) {
	c := NewCounter(10)
	for _, k := range []string{"b", "a", "c", "c", "d", "d"} {
		c.Add([]byte(k))
	}
	want := []Count{{Key: "c", Count: 2}, {Key: "d", Count: 2}, {Key: "a", Count: 1}}
	if got := c.Top(3); !slices.Equal(got, want) {
		t.Errorf("Top(3) = %v, want %v", got, want)
	}
	if got := c.Top(-1); len(got) != 4 {
		t.Errorf("Top(-1) has %d keys, want 4", len(got))
	}
}

func TestCounterAddDoesNotAllocateForCountedKeys(t *testing.T) {
	c := NewCounter(10)
	k := []byte("deleted_posts")
	c.Add(k)
	if allocs := testing.AllocsPerRun(100, func() { c.Add(k) }); allocs != 0 {
		t.Errorf("Add allocates %v times, want 0", allocs)
	}
}
