package store

import (
	"cmp"
	"fmt"
	"maps"
	"math"
	"slices"

	"github.com/rankflow/rankflow/rank"
)

// NewSnapshot builds the snapshot of a list and its members' features:
// features[i] belongs to members[i] (nil: none). Members are sorted highest
// score first, ties by id; an id given twice keeps its last score and
// features. Every record is laid out on one schema, the union of the
// features' names, so stages read them all by position. A NaN score or
// lengths that differ is an error.
func NewSnapshot(members []Scored, features []map[string]rank.Value) (*Snapshot, error) {
	if len(members) != len(features) {
		return nil, fmt.Errorf("snapshot: %d members but %d feature maps", len(members), len(features))
	}
	last := make(map[string]int, len(members)) // id → index of its last occurrence
	for i, m := range members {
		if math.IsNaN(m.Score) {
			return nil, fmt.Errorf("snapshot: member %q has a NaN score", m.ID)
		}
		last[m.ID] = i
	}
	names := map[string]struct{}{}
	for _, f := range features {
		for n, v := range f {
			if v.IsValid() {
				names[n] = struct{}{}
			}
		}
	}
	sorted := slices.Sorted(maps.Keys(names))
	s := &Snapshot{Members: make([]Scored, 0, len(last)), Records: make([]*rank.Record, len(last))}
	for i, m := range members {
		if last[m.ID] == i {
			s.Members = append(s.Members, m)
		}
	}
	s.Members = slices.Clip(s.Members) // appending copies, never writes into the shared list
	slices.SortFunc(s.Members, CompareScored)
	if len(sorted) == 0 {
		return s, nil
	}
	schema := rank.InternSchema(sorted)
	vals := make([]rank.Value, len(s.Members)*len(sorted))
	for j, m := range s.Members {
		f := features[last[m.ID]]
		if len(f) == 0 {
			continue
		}
		row := vals[j*len(sorted) : (j+1)*len(sorted) : (j+1)*len(sorted)]
		valid := false
		for c, n := range sorted {
			if v, ok := f[n]; ok && v.IsValid() {
				row[c] = v
				valid = true
			}
		}
		if valid {
			s.Records[j] = rank.NewRecord(schema, row)
		}
	}
	return s, nil
}

// CompareScored orders list members as stores return them: score
// descending, then id ascending.
func CompareScored(a, b Scored) int {
	if c := cmp.Compare(b.Score, a.Score); c != 0 {
		return c
	}
	return cmp.Compare(a.ID, b.ID)
}
