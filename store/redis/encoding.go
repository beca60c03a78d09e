package redis

import (
	"encoding/binary"
	"errors"
	"fmt"
	"maps"
	"math"
	"slices"
	"sync"

	"github.com/rankflow/rankflow/rank"
)

// encodingV1 is the first byte of every encoded feature map.
const encodingV1 byte = 1

// AppendFeatures appends the encoding of m to dst and returns the extended
// buffer. Invalid values are skipped.
//
// The encoding (version 1) is the store's own format, chosen for decode
// speed: a version byte, then a uvarint count of features, then for each
// feature a uvarint-length-prefixed name, a kind byte (rank.Kind) and the
// value:
//
//	string        uvarint length, bytes
//	int           zigzag varint
//	float         8 bytes, IEEE 754 little endian
//	bool          1 byte, 0 or 1
//	string_set    uvarint count, then each string as above
//	int_list      uvarint count, then zigzag varints
//	float_vector  uvarint count, then 4 bytes each, IEEE 754 little endian
func AppendFeatures(dst []byte, m map[string]rank.Value) []byte {
	n := 0
	for _, v := range m {
		if v.IsValid() {
			n++
		}
	}
	dst = append(dst, encodingV1)
	dst = binary.AppendUvarint(dst, uint64(n))
	// Names in order, so that entities with the same features encode alike
	// and decode to one shared schema.
	for _, name := range slices.Sorted(maps.Keys(m)) {
		v := m[name]
		if !v.IsValid() {
			continue
		}
		dst = appendString(dst, name)
		dst = appendValue(dst, v)
	}
	return dst
}

// appendValue appends v's kind byte and value.
func appendValue(dst []byte, v rank.Value) []byte {
	dst = append(dst, byte(v.Kind()))
	switch v.Kind() {
	case rank.String:
		s, _ := v.AsString()
		dst = appendString(dst, s)
	case rank.Int:
		i, _ := v.AsInt()
		dst = binary.AppendVarint(dst, i)
	case rank.Float:
		f, _ := v.AsFloat()
		dst = binary.LittleEndian.AppendUint64(dst, math.Float64bits(f))
	case rank.Bool:
		b, _ := v.AsBool()
		if b {
			dst = append(dst, 1)
		} else {
			dst = append(dst, 0)
		}
	case rank.StringSet:
		s, _ := v.AsStringSet()
		dst = binary.AppendUvarint(dst, uint64(s.Len()))
		for _, it := range s.Items() {
			dst = appendString(dst, it)
		}
	case rank.IntList:
		l, _ := v.AsIntList()
		dst = binary.AppendUvarint(dst, uint64(len(l)))
		for _, i := range l {
			dst = binary.AppendVarint(dst, i)
		}
	case rank.FloatVector:
		l, _ := v.AsFloatVector()
		dst = binary.AppendUvarint(dst, uint64(len(l)))
		for _, f := range l {
			dst = binary.LittleEndian.AppendUint32(dst, math.Float32bits(f))
		}
	}
	return dst
}

func appendString(dst []byte, s string) []byte {
	dst = binary.AppendUvarint(dst, uint64(len(s)))
	return append(dst, s...)
}

var errTruncated = errors.New("truncated")

// maxFeatures bounds the features of one decoded snapshot, so a corrupt
// count cannot make a decoder build a huge schema.
const maxFeatures = 4096

// duplicate returns a name that appears twice in names: by comparing pairs
// for the few names records usually have, by a map for more, so a hostile
// value cannot make the check quadratic.
func duplicate(names []string) (string, bool) {
	if len(names) <= 16 {
		for i, n := range names {
			if slices.Contains(names[:i], n) {
				return n, true
			}
		}
		return "", false
	}
	seen := make(map[string]struct{}, len(names))
	for _, n := range names {
		if _, dup := seen[n]; dup {
			return n, true
		}
		seen[n] = struct{}{}
	}
	return "", false
}

// DecodeFeatures decodes a feature map written by AppendFeatures. Names and
// string values are substrings of data, so decoding allocates only the map
// and the lists. An empty data decodes to a nil map.
func DecodeFeatures(data string) (map[string]rank.Value, error) {
	if len(data) == 0 {
		return nil, nil
	}
	if data[0] != encodingV1 {
		return nil, fmt.Errorf("decode features: unknown encoding version %d", data[0])
	}
	d := decoder{s: data, off: 1}
	n := d.uvarint()
	if d.err != nil || n > uint64(len(data)) {
		return nil, fmt.Errorf("decode features: bad count: %w", errTruncated)
	}
	m := make(map[string]rank.Value, n)
	for range n {
		name := d.str()
		kind := rank.Kind(d.byte())
		if d.err != nil {
			return nil, fmt.Errorf("decode features: %w", d.err)
		}
		if kind == rank.Invalid || kind > rank.FloatVector {
			return nil, fmt.Errorf("decode features: feature %q: unknown kind %d", name, kind)
		}
		v := d.value(kind)
		if d.err != nil {
			return nil, fmt.Errorf("decode features: feature %q: %w", name, d.err)
		}
		m[name] = v
	}
	if d.off != len(data) {
		return nil, fmt.Errorf("decode features: %d trailing bytes", len(data)-d.off)
	}
	return m, nil
}

// DecodeRecord decodes features written by AppendFeatures into a record
// whose schema is shared with every record of the same feature names that
// schemas has seen. names is scratch space, returned for reuse. An empty
// data decodes to a nil record.
func DecodeRecord(data string, schemas *Schemas, names []string) (*rank.Record, []string, error) {
	if len(data) == 0 {
		return nil, names, nil
	}
	if data[0] != encodingV1 {
		return nil, names, fmt.Errorf("decode features: unknown encoding version %d", data[0])
	}
	d := decoder{s: data, off: 1}
	n := d.uvarint()
	if d.err != nil || n > uint64(len(data)) {
		return nil, names, fmt.Errorf("decode features: bad count: %w", errTruncated)
	}
	names = names[:0]
	vals := make([]rank.Value, n)
	for i := range vals {
		name := d.str()
		kind := rank.Kind(d.byte())
		if d.err != nil {
			return nil, names, fmt.Errorf("decode features: %w", d.err)
		}
		if kind == rank.Invalid || kind > rank.FloatVector {
			return nil, names, fmt.Errorf("decode features: feature %q: unknown kind %d", name, kind)
		}
		vals[i] = d.value(kind)
		if d.err != nil {
			return nil, names, fmt.Errorf("decode features: feature %q: %w", name, d.err)
		}
		names = append(names, name)
	}
	if d.off != len(data) {
		return nil, names, fmt.Errorf("decode features: %d trailing bytes", len(data)-d.off)
	}
	if name, dup := duplicate(names); dup {
		return nil, names, fmt.Errorf("decode features: feature %q appears twice", name)
	}
	return rank.NewRecord(schemas.Get(names), vals), names, nil
}

// Schemas interns the schemas of decoded records by a hash of their feature
// names, so that decoding a record does not allocate a schema. It is safe
// for concurrent use; the zero value is ready.
type Schemas struct {
	mu sync.RWMutex
	m  map[uint64]*rank.Schema
}

// maxSchemas bounds Schemas; past it, schemas come from rank.InternSchema
// each time (correct, only slower).
const maxSchemas = 1024

// Get returns the schema of names.
func (c *Schemas) Get(names []string) *rank.Schema {
	// FNV-1a over the names, each followed by a 0 byte.
	key := uint64(14695981039346656037)
	for _, n := range names {
		for i := 0; i < len(n); i++ {
			key = (key ^ uint64(n[i])) * 1099511628211
		}
		key *= 1099511628211
	}
	c.mu.RLock()
	s := c.m[key]
	c.mu.RUnlock()
	if s != nil && slices.Equal(s.Names(), names) {
		return s
	}
	s = rank.InternSchema(names)
	c.mu.Lock()
	if c.m == nil {
		c.m = map[uint64]*rank.Schema{}
	}
	if len(c.m) < maxSchemas {
		c.m[key] = s
	}
	c.mu.Unlock()
	return s
}

// decoder reads the encoding from a string without copying. After the first
// error every read returns zero.
type decoder struct {
	s   string
	off int
	err error
}

// value reads a value of kind; an unknown kind sets d.err.
func (d *decoder) value(kind rank.Kind) rank.Value {
	switch kind {
	case rank.String:
		return rank.StringValue(d.str())
	case rank.Int:
		return rank.IntValue(d.varint())
	case rank.Float:
		return rank.FloatValue(math.Float64frombits(d.uint64()))
	case rank.Bool:
		return rank.BoolValue(d.byte() != 0)
	case rank.StringSet:
		c := d.count(1)
		items := make([]string, c)
		for i := range items {
			items[i] = d.str()
		}
		return rank.StringSetValue(items...)
	case rank.IntList:
		c := d.count(1)
		l := make([]int64, c)
		for i := range l {
			l[i] = d.varint()
		}
		return rank.IntListValue(l)
	case rank.FloatVector:
		c := d.count(4)
		l := make([]float32, c)
		for i := range l {
			l[i] = math.Float32frombits(d.uint32())
		}
		return rank.FloatVectorValue(l)
	default:
		d.err = fmt.Errorf("unknown kind %d", kind)
	}
	return rank.Value{}
}

func (d *decoder) fail() {
	if d.err == nil {
		d.err = errTruncated
	}
	d.off = len(d.s)
}

func (d *decoder) byte() byte {
	if d.off >= len(d.s) {
		d.fail()
		return 0
	}
	b := d.s[d.off]
	d.off++
	return b
}

func (d *decoder) uvarint() uint64 {
	var x uint64
	var shift uint
	for i := 0; i < binary.MaxVarintLen64; i++ {
		if d.off >= len(d.s) {
			break
		}
		b := d.s[d.off]
		d.off++
		if b < 0x80 {
			if i == binary.MaxVarintLen64-1 && b > 1 {
				break
			}
			return x | uint64(b)<<shift
		}
		x |= uint64(b&0x7f) << shift
		shift += 7
	}
	d.fail()
	return 0
}

func (d *decoder) varint() int64 {
	ux := d.uvarint()
	x := int64(ux >> 1)
	if ux&1 != 0 {
		x = ^x
	}
	return x
}

// count reads a list length whose items take at least size bytes each, and
// rejects lengths the remaining data cannot hold.
func (d *decoder) count(size int) int {
	c := d.uvarint()
	if c > uint64((len(d.s)-d.off)/size) {
		d.fail()
		return 0
	}
	return int(c)
}

func (d *decoder) str() string {
	n := d.uvarint()
	if n > uint64(len(d.s)-d.off) {
		d.fail()
		return ""
	}
	s := d.s[d.off : d.off+int(n)]
	d.off += int(n)
	return s
}

func (d *decoder) uint64() uint64 {
	if len(d.s)-d.off < 8 {
		d.fail()
		return 0
	}
	b := d.s[d.off : d.off+8]
	d.off += 8
	return uint64(b[0]) | uint64(b[1])<<8 | uint64(b[2])<<16 | uint64(b[3])<<24 |
		uint64(b[4])<<32 | uint64(b[5])<<40 | uint64(b[6])<<48 | uint64(b[7])<<56
}

func (d *decoder) uint32() uint32 {
	if len(d.s)-d.off < 4 {
		d.fail()
		return 0
	}
	b := d.s[d.off : d.off+4]
	d.off += 4
	return uint32(b[0]) | uint32(b[1])<<8 | uint32(b[2])<<16 | uint32(b[3])<<24
}
