package rank

import (
	"errors"
	"fmt"
	"maps"
	"math"
	"slices"
	"strings"
	"sync"
)

// Schema is the layout of a Record: its feature names in order. Records
// with the same feature names share one Schema (see InternSchema), so a
// stage can resolve a name to a position once and reuse it for every
// candidate (Resolver).
type Schema struct {
	names []string
	index map[string]int
}

// maxInterned bounds the schemas InternSchema keeps; past it, schemas are
// made fresh (correct, only slower to resolve).
const maxInterned = 4096

var interned struct {
	sync.RWMutex
	m map[string]*Schema
}

// InternSchema returns the shared Schema of the feature names, which must
// be distinct; the order is kept. It does not keep names.
func InternSchema(names []string) *Schema {
	key := strings.Join(names, "\x00")
	interned.RLock()
	s, ok := interned.m[key]
	interned.RUnlock()
	if ok && slices.Equal(s.names, names) {
		return s
	}
	if ok { // names with a 0 byte in them made the key of other names
		return newSchema(names)
	}
	s = newSchema(names)
	interned.Lock()
	defer interned.Unlock()
	if prev, ok := interned.m[key]; ok && slices.Equal(prev.names, names) {
		return prev
	}
	if interned.m == nil {
		interned.m = map[string]*Schema{}
	}
	if len(interned.m) < maxInterned {
		interned.m[key] = s
	}
	return s
}

func newSchema(names []string) *Schema {
	s := &Schema{names: make([]string, len(names)), index: make(map[string]int, len(names))}
	for i, n := range names {
		s.names[i] = strings.Clone(n) // not a substring of a large reply
		s.index[s.names[i]] = i
	}
	return s
}

// Names returns the feature names in order. The caller must not modify
// them.
func (s *Schema) Names() []string { return s.names }

// Index returns the position of the named feature.
func (s *Schema) Index(name string) (int, bool) {
	i, ok := s.index[name]
	return i, ok
}

// Record is an immutable set of features laid out by a Schema: what stores
// return, shared by every candidate that borrows it. A record holds its
// values either as Values (NewRecord, NewRecords, RecordOf) or packed
// without pointers (NewPackedRecords).
type Record struct {
	schema *Schema
	vals   []Value
	packed *packed // when not nil, the values are packed[row:row+len(names)]
	row    int
}

// packed is the pointer-free storage of records decoded from one buffer:
// the garbage collector does not scan it, and filling it costs no write
// barriers, which is most of what decoding a large batch costs otherwise.
type packed struct {
	text  string   // the strings' bytes
	kinds []Kind   // per value; Invalid for a missing one
	words []uint64 // per value: see NewPackedRecords
}

func (p *packed) at(j int) Value {
	k, w := p.kinds[j], p.words[j]
	if k == String {
		off := int(w >> 32)
		return StringValue(p.text[off : off+int(uint32(w))])
	}
	return Value{kind: k, num: w}
}

// PackString returns the word of a string value for NewPackedRecords: the
// string that is text[off:off+n]. Packed text is at most 4 GiB, so off and
// n must be below 2^32; it panics otherwise.
func PackString(off, n int) uint64 {
	if uint64(off) > math.MaxUint32 || uint64(n) > math.MaxUint32 {
		panic(fmt.Sprintf("rank: PackString(%d, %d): packed text is at most 4 GiB", off, n))
	}
	return uint64(off)<<32 | uint64(n)
}

// NewPackedRecords returns the records of a batch laid out by s whose
// values are all ints, floats, bools or strings, in one allocation and
// without a Value per feature: how a store decodes a large batch, such as a
// snapshot, cheaply. For k names, value j of record i is kinds[i*k+j] with
// words[i*k+j]: the int, the float's IEEE 754 bits, 1 or 0 for a bool, or
// PackString of the string's place in text; Invalid marks a missing value.
// The records keep text, kinds and words: do not modify them. A length that
// is not a multiple of k, another kind, or a string outside text is an
// error.
func NewPackedRecords(s *Schema, text string, kinds []Kind, words []uint64) ([]Record, error) {
	k := len(s.names)
	switch {
	case k == 0:
		return nil, errors.New("rank: packed records need a schema with names")
	case len(kinds) != len(words) || len(kinds)%k != 0:
		return nil, fmt.Errorf("rank: %d kinds and %d words do not make records of %d values", len(kinds), len(words), k)
	case uint64(len(text)) > math.MaxUint32:
		return nil, fmt.Errorf("rank: packed text of %d bytes, more than 4 GiB", len(text))
	}
	for i, kind := range kinds {
		switch kind {
		case Invalid, Int, Float, Bool:
		case String:
			w := words[i]
			if off, n := w>>32, uint64(uint32(w)); off > uint64(len(text)) || n > uint64(len(text))-off {
				return nil, fmt.Errorf("rank: packed record %d, feature %q: string at %d+%d is outside the text (%d bytes)", i/k, s.names[i%k], off, n, len(text))
			}
		default:
			return nil, fmt.Errorf("rank: packed record %d, feature %q: cannot pack a %s", i/k, s.names[i%k], kind)
		}
	}
	p := &packed{text: text, kinds: kinds, words: words}
	recs := make([]Record, len(kinds)/k)
	for i := range recs {
		recs[i] = Record{schema: s, packed: p, row: i * k}
	}
	return recs, nil
}

// NewRecord returns the record of vals laid out by s; len(vals) must be the
// number of names in s. The record keeps vals: do not modify them.
func NewRecord(s *Schema, vals []Value) *Record {
	if len(vals) != len(s.names) {
		panic("rank: NewRecord: values do not match the schema")
	}
	return &Record{schema: s, vals: vals}
}

// NewRecords returns len(vals)/len(names of s) records laid out by s in
// one allocation, record i holding vals[i*k:(i+1)*k] for k names: how a
// store decodes a batch whose records share a schema. len(vals) must be a
// multiple of k, and k must not be zero. The records keep vals: do not
// modify them.
func NewRecords(s *Schema, vals []Value) []Record {
	k := len(s.names)
	if k == 0 || len(vals)%k != 0 {
		panic("rank: NewRecords: values do not match the schema")
	}
	recs := make([]Record, len(vals)/k)
	for i := range recs {
		recs[i] = Record{schema: s, vals: vals[i*k : (i+1)*k : (i+1)*k]}
	}
	return recs
}

// RecordOf returns the record of the features in m, laid out in name order.
// It does not keep m.
func RecordOf(m map[string]Value) *Record {
	if len(m) == 0 {
		return nil
	}
	names := slices.Sorted(maps.Keys(m))
	vals := make([]Value, len(names))
	for i, n := range names {
		vals[i] = m[n]
	}
	return &Record{schema: InternSchema(names), vals: vals}
}

// Schema returns the record's layout.
func (r *Record) Schema() *Schema { return r.schema }

// Len returns the number of features.
func (r *Record) Len() int {
	if r == nil {
		return 0
	}
	if r.packed != nil {
		return len(r.schema.names)
	}
	return len(r.vals)
}

// At returns the feature at position i of the schema. It panics if i is
// out of range, as indexing a slice does.
func (r *Record) At(i int) Value {
	if r.packed == nil {
		return r.vals[i]
	}
	return r.packedAt(i)
}

func (r *Record) packedAt(i int) Value {
	if uint(i) >= uint(len(r.schema.names)) {
		panic(fmt.Sprintf("rank: Record.At(%d) of a record of %d features", i, len(r.schema.names)))
	}
	return r.packed.at(r.row + i)
}

// Get returns the named feature. A nil Record has none.
func (r *Record) Get(name string) (Value, bool) {
	if r == nil {
		return Value{}, false
	}
	i, ok := r.schema.index[name]
	if !ok {
		return Value{}, false
	}
	v := r.At(i)
	return v, v.IsValid()
}

// Map returns the features as a new map.
func (r *Record) Map() map[string]Value {
	m := make(map[string]Value, r.Len())
	if r == nil {
		return m
	}
	for i, n := range r.schema.names {
		if v := r.At(i); v.IsValid() {
			m[n] = v
		}
	}
	return m
}

// Resolver reads features by name from many entities fast: it remembers
// where each name sits in the last Schema it saw, so entities that share a
// schema (as a store's records do) cost a slice index per feature instead
// of a map lookup. A Resolver is not safe for concurrent use: a stage makes
// one per request (or pools them).
type Resolver struct {
	names  []string
	schema *Schema
	idx    []int
}

// NewResolver returns a resolver for the named features; Float(e, i) reads
// names[i].
func NewResolver(names ...string) *Resolver {
	return &Resolver{names: slices.Clone(names), idx: make([]int, len(names))}
}

// Reset forgets the schema, keeping the names, so a pooled resolver starts
// afresh.
func (r *Resolver) Reset() { r.schema = nil }

// Value returns feature names[i] of e: a feature the entity set itself
// wins over its borrowed record, as for Entity.Feature.
func (r *Resolver) Value(e *Entity, i int) (Value, bool) {
	if e.features != nil {
		if v, ok := e.features[r.names[i]]; ok {
			return v, v.IsValid()
		}
	}
	b := e.base
	if b == nil {
		return Value{}, false
	}
	if b.schema != r.schema {
		r.resolve(b.schema)
	}
	j := r.idx[i]
	if j < 0 {
		return Value{}, false
	}
	v := b.At(j)
	return v, v.IsValid()
}

// Fields serves loops over many candidates: for an entity whose features
// all come from its borrowed record (as candidates hydrated from a store
// do), it returns that record and the positions of the resolver's names in
// it (-1 for a name the record lacks), so feature names[i] is
// rec.At(pos[i]). ok is false for an entity with features of its own or no
// record; read those through Value. pos belongs to the resolver: it is
// valid until the next call and must not be modified.
func (r *Resolver) Fields(e *Entity) (rec *Record, pos []int, ok bool) {
	b := e.base
	if e.features != nil || b == nil {
		return nil, nil, false
	}
	if b.schema != r.schema {
		r.resolve(b.schema)
	}
	return b, r.idx, true
}

func (r *Resolver) resolve(s *Schema) {
	r.schema = s
	for k, n := range r.names {
		j, ok := s.index[n]
		if !ok {
			j = -1
		}
		r.idx[k] = j
	}
}

// Float returns feature names[i] of e as a float (ints widen).
func (r *Resolver) Float(e *Entity, i int) (float64, bool) {
	v, ok := r.Value(e, i)
	if !ok {
		return 0, false
	}
	return v.AsFloat()
}

// Bool returns feature names[i] of e as a bool.
func (r *Resolver) Bool(e *Entity, i int) (bool, bool) {
	v, ok := r.Value(e, i)
	if !ok {
		return false, false
	}
	return v.AsBool()
}

// String returns feature names[i] of e as a string.
func (r *Resolver) String(e *Entity, i int) (string, bool) {
	v, ok := r.Value(e, i)
	if !ok {
		return "", false
	}
	return v.AsString()
}

// ResolverPool hands out Resolvers for one list of names, so a stage shared
// by concurrent requests gets one per request without allocating.
type ResolverPool struct {
	names []string
	pool  sync.Pool
}

// NewResolverPool returns a pool of resolvers for names.
func NewResolverPool(names ...string) *ResolverPool {
	return &ResolverPool{names: slices.Clone(names)}
}

// Get returns a resolver; give it back with Put when the request is done.
func (p *ResolverPool) Get() *Resolver {
	if r, ok := p.pool.Get().(*Resolver); ok {
		return r
	}
	return NewResolver(p.names...)
}

// Put returns r to the pool.
func (p *ResolverPool) Put(r *Resolver) { p.pool.Put(r) }
