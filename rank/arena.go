package rank

import (
	"math/bits"
	"sync"
)

const (
	chunkLen     = 256
	minListShift = 6  // 64 candidates
	maxListShift = 16 // 65536 candidates; larger slices are not pooled
)

var (
	chunkPool = sync.Pool{New: func() any { return new([chunkLen]Entity) }}
	listPools [maxListShift + 1]sync.Pool
)

// arena hands out entities and candidate slices for one request and returns
// them to pools on release.
type arena struct {
	chunks  []*[chunkLen]Entity
	used    int // entities used in the last chunk
	lists   []*[]*Entity
	adopted []*arena
}

func (a *arena) entity() *Entity {
	if len(a.chunks) == 0 || a.used == chunkLen {
		a.chunks = append(a.chunks, chunkPool.Get().(*[chunkLen]Entity))
		a.used = 0
	}
	e := &a.chunks[len(a.chunks)-1][a.used]
	a.used++
	return e
}

func listClass(n int) int {
	if n <= 1<<minListShift {
		return minListShift
	}
	return bits.Len(uint(n - 1))
}

func (a *arena) list(n int) []*Entity {
	c := listClass(n)
	if c > maxListShift {
		return make([]*Entity, 0, n)
	}
	p, _ := listPools[c].Get().(*[]*Entity)
	if p == nil {
		s := make([]*Entity, 0, 1<<c)
		p = &s
	}
	a.lists = append(a.lists, p)
	return (*p)[:0]
}

func (a *arena) release() {
	for _, c := range a.chunks {
		clear(c[:])
		chunkPool.Put(c)
	}
	for _, p := range a.lists {
		s := (*p)[:cap(*p)]
		clear(s)
		*p = s[:0]
		listPools[listClass(cap(s))].Put(p)
	}
	for _, o := range a.adopted {
		o.release()
	}
	*a = arena{}
}
