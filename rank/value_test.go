package rank_test

import (
	"math"
	"slices"
	"testing"

	"github.com/rankflow/rankflow/rank"
)

// got is what every accessor of a Value returns, so one table row states
// the whole contract of a kind.
type got struct {
	str    string
	strOK  bool
	i      int64
	iOK    bool
	f      float64
	fOK    bool
	b      bool
	bOK    bool
	set    []string
	setOK  bool
	ints   []int64
	intsOK bool
	vec    []float32
	vecOK  bool
}

func accessors(v rank.Value) got {
	var g got
	g.str, g.strOK = v.AsString()
	g.i, g.iOK = v.AsInt()
	g.f, g.fOK = v.AsFloat()
	g.b, g.bOK = v.AsBool()
	s, ok := v.AsStringSet()
	g.set, g.setOK = s.Items(), ok
	g.ints, g.intsOK = v.AsIntList()
	g.vec, g.vecOK = v.AsFloatVector()
	return g
}

func TestValueAccessors(t *testing.T) {
	tests := []struct {
		name     string
		give     rank.Value
		wantKind rank.Kind
		want     got
		wantStr  string
	}{
		{name: "zero", give: rank.Value{}, wantKind: rank.Invalid, wantStr: "<invalid>"},
		{name: "string", give: rank.StringValue("a b"), wantKind: rank.String, want: got{str: "a b", strOK: true}, wantStr: `"a b"`},
		{name: "empty string", give: rank.StringValue(""), wantKind: rank.String, want: got{strOK: true}, wantStr: `""`},
		{name: "int widens to float", give: rank.IntValue(-7), wantKind: rank.Int, want: got{i: -7, iOK: true, f: -7, fOK: true}, wantStr: "-7"},
		{name: "int zero", give: rank.IntValue(0), wantKind: rank.Int, want: got{iOK: true, fOK: true}, wantStr: "0"},
		{name: "float", give: rank.FloatValue(2.5), wantKind: rank.Float, want: got{f: 2.5, fOK: true}, wantStr: "2.5"},
		{name: "bool true", give: rank.BoolValue(true), wantKind: rank.Bool, want: got{b: true, bOK: true}, wantStr: "true"},
		{name: "bool false", give: rank.BoolValue(false), wantKind: rank.Bool, want: got{bOK: true}, wantStr: "false"},
		{name: "string set sorted and unique", give: rank.StringSetValue("b", "a", "b"), wantKind: rank.StringSet, want: got{set: []string{"a", "b"}, setOK: true}, wantStr: `["a" "b"]`},
		{name: "nil set is empty", give: rank.SetValue(nil), wantKind: rank.StringSet, want: got{setOK: true}, wantStr: `[]`},
		{name: "int list", give: rank.IntListValue([]int64{3, 1}), wantKind: rank.IntList, want: got{ints: []int64{3, 1}, intsOK: true}, wantStr: "[3 1]"},
		{name: "float vector", give: rank.FloatVectorValue([]float32{0.5, 1}), wantKind: rank.FloatVector, want: got{vec: []float32{0.5, 1}, vecOK: true}, wantStr: "[0.5 1]"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if k := tt.give.Kind(); k != tt.wantKind {
				t.Errorf("Kind() = %v, want %v", k, tt.wantKind)
			}
			if ok := tt.give.IsValid(); ok != (tt.wantKind != rank.Invalid) {
				t.Errorf("IsValid() = %v", ok)
			}
			g := accessors(tt.give)
			if g.str != tt.want.str || g.strOK != tt.want.strOK ||
				g.i != tt.want.i || g.iOK != tt.want.iOK ||
				g.f != tt.want.f || g.fOK != tt.want.fOK ||
				g.b != tt.want.b || g.bOK != tt.want.bOK ||
				!slices.Equal(g.set, tt.want.set) || g.setOK != tt.want.setOK ||
				!slices.Equal(g.ints, tt.want.ints) || g.intsOK != tt.want.intsOK ||
				!slices.Equal(g.vec, tt.want.vec) || g.vecOK != tt.want.vecOK {
				t.Errorf("accessors = %+v, want %+v", g, tt.want)
			}
			if s := tt.give.String(); s != tt.wantStr {
				t.Errorf("String() = %q, want %q", s, tt.wantStr)
			}
			if !tt.give.Equal(tt.give) {
				t.Errorf("%v is not Equal to itself", tt.give)
			}
		})
	}
}

func TestValueEqual(t *testing.T) {
	tests := []struct {
		name string
		a, b rank.Value
		want bool
	}{
		{name: "zero values", a: rank.Value{}, b: rank.Value{}, want: true},
		{name: "int and float of same number", a: rank.IntValue(1), b: rank.FloatValue(1), want: false},
		{name: "int and bool", a: rank.IntValue(1), b: rank.BoolValue(true), want: false},
		{name: "strings", a: rank.StringValue("a"), b: rank.StringValue("a"), want: true},
		{name: "different strings", a: rank.StringValue("a"), b: rank.StringValue("b"), want: false},
		{name: "sets ignore order and duplicates", a: rank.StringSetValue("a", "b"), b: rank.StringSetValue("b", "a", "a"), want: true},
		{name: "different sets", a: rank.StringSetValue("a"), b: rank.StringSetValue("a", "b"), want: false},
		{name: "empty and nil set", a: rank.StringSetValue(), b: rank.SetValue(nil), want: true},
		{name: "int lists keep order", a: rank.IntListValue([]int64{1, 2}), b: rank.IntListValue([]int64{2, 1}), want: false},
		{name: "float vectors", a: rank.FloatVectorValue([]float32{1, 2}), b: rank.FloatVectorValue([]float32{1, 2}), want: true},
		{name: "NaN floats with the same bits", a: rank.FloatValue(math.NaN()), b: rank.FloatValue(math.NaN()), want: true},
		{name: "float vectors holding NaN", a: rank.FloatVectorValue([]float32{float32(math.NaN()), -0.5}), b: rank.FloatVectorValue([]float32{float32(math.NaN()), -0.5}), want: true},
		{name: "float vectors with -0 and 0", a: rank.FloatVectorValue([]float32{float32(math.Copysign(0, -1))}), b: rank.FloatVectorValue([]float32{0}), want: false},
		{name: "bools", a: rank.BoolValue(false), b: rank.BoolValue(true), want: false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := tt.a.Equal(tt.b); got != tt.want {
				t.Errorf("%v.Equal(%v) = %v, want %v", tt.a, tt.b, got, tt.want)
			}
			if got := tt.b.Equal(tt.a); got != tt.want {
				t.Errorf("%v.Equal(%v) = %v, want %v", tt.b, tt.a, got, tt.want)
			}
		})
	}
}

func TestKindNames(t *testing.T) {
	tests := []struct {
		give    rank.Kind
		want    string
		wantErr bool
	}{
		{give: rank.String, want: "string"},
		{give: rank.Int, want: "int"},
		{give: rank.Float, want: "float"},
		{give: rank.Bool, want: "bool"},
		{give: rank.StringSet, want: "string_set"},
		{give: rank.IntList, want: "int_list"},
		{give: rank.FloatVector, want: "float_vector"},
		{give: rank.Invalid, want: "invalid", wantErr: true},
		{give: rank.Kind(42), want: "kind(42)", wantErr: true},
	}
	for _, tt := range tests {
		t.Run(tt.want, func(t *testing.T) {
			if got := tt.give.String(); got != tt.want {
				t.Fatalf("String() = %q, want %q", got, tt.want)
			}
			k, err := rank.ParseKind(tt.want)
			if (err != nil) != tt.wantErr {
				t.Fatalf("ParseKind(%q) error = %v, want error %v", tt.want, err, tt.wantErr)
			}
			if err == nil && k != tt.give {
				t.Errorf("ParseKind(%q) = %v, want %v", tt.want, k, tt.give)
			}
		})
	}
}

func TestSet(t *testing.T) {
	many := make([]string, 30) // large enough to be indexed
	for i := range many {
		many[i] = string(rune('A' + i))
	}
	tests := []struct {
		name    string
		give    *rank.Set
		wantLen int
		has     []string
		hasNot  []string
	}{
		{name: "nil", give: nil, hasNot: []string{"", "a"}},
		{name: "empty", give: rank.NewSet(), hasNot: []string{"", "a"}},
		{name: "small with duplicates", give: rank.NewSet("b", "a", "b"), wantLen: 2, has: []string{"a", "b"}, hasNot: []string{"c", ""}},
		{name: "indexed", give: rank.NewSet(many...), wantLen: 30, has: many, hasNot: []string{"a", "AA", ""}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if n := tt.give.Len(); n != tt.wantLen {
				t.Errorf("Len() = %d, want %d", n, tt.wantLen)
			}
			if items := tt.give.Items(); !slices.IsSorted(items) || len(items) != tt.wantLen {
				t.Errorf("Items() = %q, want %d sorted items", items, tt.wantLen)
			}
			for _, id := range tt.has {
				if !tt.give.Has(id) {
					t.Errorf("Has(%q) = false", id)
				}
			}
			for _, id := range tt.hasNot {
				if tt.give.Has(id) {
					t.Errorf("Has(%q) = true", id)
				}
			}
		})
	}
}

func TestNewSetDoesNotKeepItems(t *testing.T) {
	items := []string{"b", "a"}
	s := rank.NewSet(items...)
	items[0] = "z"
	if !s.Has("b") || s.Has("z") {
		t.Errorf("set changed with the slice it was built from: %q", s.Items())
	}
}
