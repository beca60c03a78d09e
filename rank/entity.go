package rank

import (
	"iter"
	"maps"
	"slices"
	"unsafe"
)

// Entity is a thing ranked or ranked for: an id, typed features and a score.
//
// The getters (GetString, GetFloat, ...) return the zero value and false when
// the feature is missing or has another kind, so a stage never walks the
// value by hand.
//
// An entity's features are a borrowed, immutable Record (what a store
// returned, shared by every entity that borrowed it) under a map of the
// features the entity was given itself, which win. Both are copy-on-write:
// nothing an entity borrowed is ever modified through it.
type Entity struct {
	ID    string
	Score float64

	features map[string]Value // own features; an invalid Value hides the base's
	borrowed bool             // features is shared: clone before writing
	base     *Record
}

// NewEntity returns an entity with the given id and no features.
func NewEntity(id string) *Entity { return &Entity{ID: id} }

// Feature returns the named feature and whether it is present.
func (e *Entity) Feature(name string) (Value, bool) {
	if e.features != nil {
		if v, ok := e.features[name]; ok {
			return v, v.IsValid()
		}
	}
	return e.base.Get(name)
}

// Has reports whether the entity has the named feature.
func (e *Entity) Has(name string) bool {
	_, ok := e.Feature(name)
	return ok
}

func (e *Entity) value(name string) Value {
	v, _ := e.Feature(name)
	return v
}

// GetString returns the named string feature.
func (e *Entity) GetString(name string) (string, bool) { return e.value(name).AsString() }

// GetInt returns the named int feature.
func (e *Entity) GetInt(name string) (int64, bool) { return e.value(name).AsInt() }

// GetFloat returns the named float feature; an int feature is widened.
func (e *Entity) GetFloat(name string) (float64, bool) { return e.value(name).AsFloat() }

// GetBool returns the named bool feature.
func (e *Entity) GetBool(name string) (bool, bool) { return e.value(name).AsBool() }

// GetStringSet returns the named string-set feature. The set is shared and
// immutable.
func (e *Entity) GetStringSet(name string) (*Set, bool) { return e.value(name).AsStringSet() }

// GetIntList returns the named int-list feature. The caller must not modify
// the list.
func (e *Entity) GetIntList(name string) ([]int64, bool) { return e.value(name).AsIntList() }

// GetFloatVector returns the named float-vector feature. The caller must not
// modify the vector.
func (e *Entity) GetFloatVector(name string) ([]float32, bool) {
	return e.value(name).AsFloatVector()
}

// Set sets the named feature. An invalid v deletes it.
func (e *Entity) Set(name string, v Value) {
	if !v.IsValid() {
		e.Delete(name)
		return
	}
	e.own(1)
	e.features[name] = v
}

// Delete removes the named feature.
func (e *Entity) Delete(name string) {
	if !e.Has(name) {
		return
	}
	e.own(0)
	if _, inBase := e.base.Get(name); inBase {
		e.features[name] = Value{} // hide the borrowed one
		return
	}
	delete(e.features, name)
}

// NumFeatures returns the number of features.
func (e *Entity) NumFeatures() int {
	n := 0
	for range e.Features() {
		n++
	}
	return n
}

// Features iterates over the features in no particular order.
func (e *Entity) Features() iter.Seq2[string, Value] {
	return func(yield func(string, Value) bool) {
		for k, v := range e.features {
			if v.IsValid() && !yield(k, v) {
				return
			}
		}
		if e.base == nil {
			return
		}
		for i, k := range e.base.schema.names {
			v := e.base.At(i)
			if _, shadowed := e.features[k]; shadowed || !v.IsValid() {
				continue
			}
			if !yield(k, v) {
				return
			}
		}
	}
}

// FeatureNames returns the feature names, sorted.
func (e *Entity) FeatureNames() []string {
	var names []string
	for k := range e.Features() {
		names = append(names, k)
	}
	slices.Sort(names)
	return names
}

// SharesFeatures reports whether e and o hold the very same features (the
// same map and record), as an entity and its copy (Request.Copy, Clone)
// do until either of them changes. It does not compare values: false says
// only that one of them may have changed.
func (e *Entity) SharesFeatures(o *Entity) bool {
	return e.base == o.base && mapData(e.features) == mapData(o.features)
}

// mapData returns the pointer a map value holds: equal for two variables
// that hold the same map.
func mapData(m map[string]Value) unsafe.Pointer { return *(*unsafe.Pointer)(unsafe.Pointer(&m)) }

// Base returns the record the entity borrowed, or nil.
func (e *Entity) Base() *Record { return e.base }

// Borrow gives the entity the features in m without copying them: m is
// shared, never modified through e, and must not be modified by its owner
// afterwards. Features the entity already has are kept and win over m's.
func (e *Entity) Borrow(m map[string]Value) {
	if len(m) == 0 {
		return
	}
	if len(e.features) == 0 && e.base == nil {
		e.features, e.borrowed = m, true
		return
	}
	e.own(len(m))
	for k, v := range m {
		if !e.Has(k) {
			e.features[k] = v
		}
	}
}

// BorrowRecord gives the entity the features of r without copying them.
// Features the entity already has are kept and win over r's. Stores hand
// out records so that hydrating many candidates costs a pointer each.
func (e *Entity) BorrowRecord(r *Record) {
	if r == nil {
		return
	}
	if e.base == nil {
		e.base = r // without reading r: hydrating touches only the entity
		return
	}
	if r.Len() == 0 {
		return
	}
	e.own(r.Len())
	for i, k := range r.schema.names {
		if v := r.At(i); !e.Has(k) && v.IsValid() {
			e.features[k] = v
		}
	}
}

// own makes e.features a map e may write, with room for extra more entries.
func (e *Entity) own(extra int) {
	if e.features == nil {
		e.features = make(map[string]Value, max(extra, 4))
		e.borrowed = false
		return
	}
	if e.borrowed {
		m := make(map[string]Value, len(e.features)+extra)
		maps.Copy(m, e.features)
		e.features, e.borrowed = m, false
	}
}

// copyTo makes dst a copy of e that shares e's features copy-on-write.
func (e *Entity) copyTo(dst *Entity) {
	dst.ID, dst.Score = e.ID, e.Score
	dst.features, dst.base = e.features, e.base
	if e.features != nil {
		e.borrowed, dst.borrowed = true, true
	}
}

// Clone returns a copy of e that shares its features copy-on-write. Clone
// marks e's features as shared, so it must not race with writes to e.
func (e *Entity) Clone() *Entity {
	var c Entity
	e.copyTo(&c)
	return &c
}
