package rank

import "slices"

// setIndexMin is the size from which a Set builds a hash index; below it a
// linear scan of the sorted items is faster.
const setIndexMin = 12

var emptySet = &Set{}

// Set is an immutable set of strings, such as a user's recently viewed post
// ids. Membership is O(1) for large sets.
type Set struct {
	items []string // sorted, unique
	index map[string]struct{}
}

// NewSet returns the set of items; duplicates are dropped. NewSet does not
// keep items.
func NewSet(items ...string) *Set {
	if len(items) == 0 {
		return emptySet
	}
	s := &Set{items: slices.Clone(items)}
	slices.Sort(s.items)
	s.items = slices.Compact(s.items)
	if len(s.items) >= setIndexMin {
		s.index = make(map[string]struct{}, len(s.items))
		for _, it := range s.items {
			s.index[it] = struct{}{}
		}
	}
	return s
}

// Has reports whether id is in the set. A nil Set is empty.
func (s *Set) Has(id string) bool {
	if s == nil {
		return false
	}
	if s.index != nil {
		_, ok := s.index[id]
		return ok
	}
	for _, it := range s.items {
		if it == id {
			return true
		}
	}
	return false
}

// Len returns the number of members.
func (s *Set) Len() int {
	if s == nil {
		return 0
	}
	return len(s.items)
}

// Items returns the members in sorted order. The caller must not modify the
// returned slice.
func (s *Set) Items() []string {
	if s == nil {
		return nil
	}
	return s.items
}
