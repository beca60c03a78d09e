package rank

import (
	"fmt"
	"math"
	"slices"
	"strconv"
	"unsafe"
)

// Kind is the type of a feature Value.
type Kind uint8

// The kinds of feature values. They mirror the Feature oneof on the wire.
const (
	Invalid Kind = iota
	String
	Int
	Float
	Bool
	StringSet
	IntList
	FloatVector
)

var kindNames = [...]string{
	Invalid:     "invalid",
	String:      "string",
	Int:         "int",
	Float:       "float",
	Bool:        "bool",
	StringSet:   "string_set",
	IntList:     "int_list",
	FloatVector: "float_vector",
}

// String returns the kind's name as used in configs and errors, such as
// "float" or "string_set".
func (k Kind) String() string {
	if int(k) < len(kindNames) {
		return kindNames[k]
	}
	return "kind(" + strconv.Itoa(int(k)) + ")"
}

// ParseKind returns the Kind named s, as returned by Kind.String.
func ParseKind(s string) (Kind, error) {
	for k, name := range kindNames {
		if name == s && k != int(Invalid) {
			return Kind(k), nil
		}
	}
	return Invalid, fmt.Errorf("unknown feature kind %q (want one of string, int, float, bool, string_set, int_list, float_vector)", s)
}

// Value is one typed feature value. The zero Value is invalid and reports
// ok=false from every accessor. Values are small (24 bytes) and passed by
// value; the strings and lists they hold are shared and must not be
// modified.
type Value struct {
	// ptr is the data of a string or list, or a *Set; num is an int, the
	// bits of a float, a bool, or the length of a string or list.
	ptr  unsafe.Pointer
	num  uint64
	kind Kind
}

// StringValue returns a string Value.
func StringValue(s string) Value {
	return Value{kind: String, ptr: unsafe.Pointer(unsafe.StringData(s)), num: uint64(len(s))}
}

// IntValue returns an int Value.
func IntValue(i int64) Value { return Value{kind: Int, num: uint64(i)} }

// FloatValue returns a float Value.
func FloatValue(f float64) Value { return Value{kind: Float, num: math.Float64bits(f)} }

// BoolValue returns a bool Value.
func BoolValue(b bool) Value {
	v := Value{kind: Bool}
	if b {
		v.num = 1
	}
	return v
}

// SetValue returns a string-set Value holding s. A nil s is an empty set.
func SetValue(s *Set) Value {
	if s == nil {
		s = emptySet
	}
	return Value{kind: StringSet, ptr: unsafe.Pointer(s)}
}

// StringSetValue returns a string-set Value of items; duplicates are dropped.
func StringSetValue(items ...string) Value { return SetValue(NewSet(items...)) }

// IntListValue returns an int-list Value. The Value keeps l: do not modify it.
func IntListValue(l []int64) Value {
	return Value{kind: IntList, ptr: unsafe.Pointer(unsafe.SliceData(l)), num: uint64(len(l))}
}

// FloatVectorValue returns a float-vector Value. The Value keeps v: do not
// modify it.
func FloatVectorValue(v []float32) Value {
	return Value{kind: FloatVector, ptr: unsafe.Pointer(unsafe.SliceData(v)), num: uint64(len(v))}
}

// Kind returns the value's kind; Invalid for the zero Value.
func (v Value) Kind() Kind { return v.kind }

// IsValid reports whether v holds a value.
func (v Value) IsValid() bool { return v.kind != Invalid }

// AsString returns the string and true if v is a string.
func (v Value) AsString() (string, bool) {
	if v.kind != String {
		return "", false
	}
	return unsafe.String((*byte)(v.ptr), int(v.num)), true
}

// AsInt returns the integer and true if v is an int.
func (v Value) AsInt() (int64, bool) {
	if v.kind != Int {
		return 0, false
	}
	return int64(v.num), true
}

// AsFloat returns the number and true if v is a float. An int is widened to
// a float, so a model can read counts stored as ints.
func (v Value) AsFloat() (float64, bool) {
	switch v.kind {
	case Float:
		return math.Float64frombits(v.num), true
	case Int:
		return float64(int64(v.num)), true
	}
	return 0, false
}

// AsBool returns the boolean and true if v is a bool.
func (v Value) AsBool() (bool, bool) { return v.num != 0 && v.kind == Bool, v.kind == Bool }

// AsStringSet returns the set and true if v is a string set.
func (v Value) AsStringSet() (*Set, bool) {
	if v.kind != StringSet {
		return nil, false
	}
	return (*Set)(v.ptr), true
}

// AsIntList returns the list and true if v is an int list. The caller must
// not modify it.
func (v Value) AsIntList() ([]int64, bool) {
	if v.kind != IntList {
		return nil, false
	}
	return unsafe.Slice((*int64)(v.ptr), int(v.num)), true
}

// AsFloatVector returns the vector and true if v is a float vector. The
// caller must not modify it.
func (v Value) AsFloatVector() ([]float32, bool) {
	if v.kind != FloatVector {
		return nil, false
	}
	return unsafe.Slice((*float32)(v.ptr), int(v.num)), true
}

// Equal reports whether v and w have the same kind and contents.
func (v Value) Equal(w Value) bool {
	if v.kind != w.kind {
		return false
	}
	if v == w { // the same scalar, or the same shared string or list
		return true
	}
	switch v.kind {
	case String:
		a, _ := v.AsString()
		b, _ := w.AsString()
		return a == b
	case StringSet:
		a, _ := v.AsStringSet()
		b, _ := w.AsStringSet()
		return slices.Equal(a.items, b.items)
	case IntList:
		a, _ := v.AsIntList()
		b, _ := w.AsIntList()
		return slices.Equal(a, b)
	case FloatVector:
		a, _ := v.AsFloatVector()
		b, _ := w.AsFloatVector()
		// Bitwise, like Float: a NaN equals the same NaN, and -0 is not 0.
		return slices.EqualFunc(a, b, func(x, y float32) bool { return math.Float32bits(x) == math.Float32bits(y) })
	}
	return v.num == w.num
}

// String formats v for logs and explain output.
func (v Value) String() string {
	switch v.kind {
	case String:
		s, _ := v.AsString()
		return strconv.Quote(s)
	case Int:
		return strconv.FormatInt(int64(v.num), 10)
	case Float:
		return strconv.FormatFloat(math.Float64frombits(v.num), 'g', -1, 64)
	case Bool:
		return strconv.FormatBool(v.num != 0)
	case StringSet:
		s, _ := v.AsStringSet()
		return fmt.Sprintf("%q", s.items)
	case IntList:
		l, _ := v.AsIntList()
		return fmt.Sprint(l)
	case FloatVector:
		l, _ := v.AsFloatVector()
		return fmt.Sprint(l)
	}
	return "<invalid>"
}
