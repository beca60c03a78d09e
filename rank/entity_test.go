package rank_test

import (
	"maps"
	"slices"
	"testing"

	"github.com/rankflow/rankflow/rank"
)

func entityWith(id string, features map[string]rank.Value) *rank.Entity {
	e := rank.NewEntity(id)
	for k, v := range features {
		e.Set(k, v)
	}
	return e
}

func featureMap(e *rank.Entity) map[string]rank.Value {
	return maps.Collect(e.Features())
}

func equalFeatures(a, b map[string]rank.Value) bool {
	return maps.EqualFunc(a, b, rank.Value.Equal)
}

func TestEntityGetters(t *testing.T) {
	e := entityWith("e", map[string]rank.Value{
		"s":   rank.StringValue("x"),
		"i":   rank.IntValue(3),
		"f":   rank.FloatValue(0.25),
		"b":   rank.BoolValue(true),
		"set": rank.StringSetValue("a"),
		"il":  rank.IntListValue([]int64{1}),
		"vec": rank.FloatVectorValue([]float32{1}),
	})
	tests := []struct {
		name string
		give string // feature name
		want got
	}{
		{name: "missing", give: "nope"},
		{name: "string", give: "s", want: got{str: "x", strOK: true}},
		{name: "int read as float", give: "i", want: got{i: 3, iOK: true, f: 3, fOK: true}},
		{name: "float", give: "f", want: got{f: 0.25, fOK: true}},
		{name: "bool", give: "b", want: got{b: true, bOK: true}},
		{name: "set", give: "set", want: got{set: []string{"a"}, setOK: true}},
		{name: "int list", give: "il", want: got{ints: []int64{1}, intsOK: true}},
		{name: "vector", give: "vec", want: got{vec: []float32{1}, vecOK: true}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var g got
			g.str, g.strOK = e.GetString(tt.give)
			g.i, g.iOK = e.GetInt(tt.give)
			g.f, g.fOK = e.GetFloat(tt.give)
			g.b, g.bOK = e.GetBool(tt.give)
			s, ok := e.GetStringSet(tt.give)
			g.set, g.setOK = s.Items(), ok
			g.ints, g.intsOK = e.GetIntList(tt.give)
			g.vec, g.vecOK = e.GetFloatVector(tt.give)
			if g.str != tt.want.str || g.strOK != tt.want.strOK ||
				g.i != tt.want.i || g.iOK != tt.want.iOK ||
				g.f != tt.want.f || g.fOK != tt.want.fOK ||
				g.b != tt.want.b || g.bOK != tt.want.bOK ||
				!slices.Equal(g.set, tt.want.set) || g.setOK != tt.want.setOK ||
				!slices.Equal(g.ints, tt.want.ints) || g.intsOK != tt.want.intsOK ||
				!slices.Equal(g.vec, tt.want.vec) || g.vecOK != tt.want.vecOK {
				t.Errorf("getters = %+v, want %+v", g, tt.want)
			}
			_, has := e.Feature(tt.give)
			if has != e.Has(tt.give) || has == (tt.give == "nope") {
				t.Errorf("Feature/Has(%q) = %v, %v", tt.give, has, e.Has(tt.give))
			}
		})
	}
}

func TestEntitySetAndDelete(t *testing.T) {
	e := rank.NewEntity("e")
	e.Delete("missing") // no map yet: must not panic
	e.Set("b", rank.IntValue(1))
	e.Set("a", rank.StringValue("x"))
	e.Set("c", rank.BoolValue(false))
	if got, want := e.FeatureNames(), []string{"a", "b", "c"}; !slices.Equal(got, want) {
		t.Fatalf("FeatureNames() = %q, want %q", got, want)
	}
	e.Set("a", rank.Value{}) // an invalid value deletes
	e.Delete("c")
	if got, want := e.FeatureNames(), []string{"b"}; !slices.Equal(got, want) || e.NumFeatures() != 1 {
		t.Fatalf("after deletes FeatureNames() = %q, want %q", got, want)
	}
}

// TestCopyOnWrite checks that an entity sharing a feature map, whichever way
// it came to share it, never changes the map through a write.
func TestCopyOnWrite(t *testing.T) {
	base := map[string]rank.Value{"a": rank.IntValue(1), "b": rank.StringValue("x")}
	tests := []struct {
		name  string
		share func(orig map[string]rank.Value) (original, shared *rank.Entity)
		write func(e *rank.Entity)
	}{
		{
			name: "set after Clone",
			share: func(m map[string]rank.Value) (*rank.Entity, *rank.Entity) {
				o := entityWith("o", m)
				return o, o.Clone()
			},
			write: func(e *rank.Entity) { e.Set("a", rank.IntValue(2)) },
		},
		{
			name: "delete after Clone",
			share: func(m map[string]rank.Value) (*rank.Entity, *rank.Entity) {
				o := entityWith("o", m)
				return o, o.Clone()
			},
			write: func(e *rank.Entity) { e.Delete("a") },
		},
		{
			name: "original written after Clone",
			share: func(m map[string]rank.Value) (*rank.Entity, *rank.Entity) {
				o := entityWith("o", m)
				return o.Clone(), o
			},
			write: func(e *rank.Entity) { e.Set("new", rank.BoolValue(true)) },
		},
		{
			name: "set after Request.Copy",
			share: func(m map[string]rank.Value) (*rank.Entity, *rank.Entity) {
				r := rank.NewRequest(nil, rank.Options{})
				o := r.Append("o")
				for k, v := range m {
					o.Set(k, v)
				}
				return o, r.Copy().Candidates[0]
			},
			write: func(e *rank.Entity) { e.Set("b", rank.StringValue("y")) },
		},
		{
			name: "context written after Request.Copy",
			share: func(m map[string]rank.Value) (*rank.Entity, *rank.Entity) {
				r := rank.NewRequest(entityWith("user", m), rank.Options{})
				return r.Context, r.Copy().Context
			},
			write: func(e *rank.Entity) { e.Delete("b") },
		},
		{
			name: "Set after Borrow",
			share: func(m map[string]rank.Value) (*rank.Entity, *rank.Entity) {
				e := rank.NewEntity("borrower")
				e.Borrow(m)
				return entityWith("store", m), e
			},
			write: func(e *rank.Entity) { e.Set("a", rank.IntValue(9)) },
		},
		{
			name: "Clone of a borrower",
			share: func(m map[string]rank.Value) (*rank.Entity, *rank.Entity) {
				e := rank.NewEntity("borrower")
				e.Borrow(m)
				c := e.Clone()
				e.Set("a", rank.IntValue(8))
				return entityWith("store", m), c
			},
			write: func(e *rank.Entity) { e.Delete("b") },
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			m := maps.Clone(base)
			original, shared := tt.share(m)
			want := featureMap(original)
			tt.write(shared)
			if !equalFeatures(featureMap(original), want) {
				t.Errorf("original features changed to %v, want %v", featureMap(original), want)
			}
			if !equalFeatures(m, base) {
				t.Errorf("shared map changed to %v, want %v", m, base)
			}
			if equalFeatures(featureMap(shared), want) {
				t.Errorf("the write did not take effect: %v", featureMap(shared))
			}
		})
	}
}

func TestBorrowKeepsOwnFeatures(t *testing.T) {
	store := map[string]rank.Value{"a": rank.IntValue(1), "b": rank.IntValue(2)}
	e := entityWith("e", map[string]rank.Value{"a": rank.IntValue(10)})
	e.Borrow(store)
	e.Borrow(nil)
	want := map[string]rank.Value{"a": rank.IntValue(10), "b": rank.IntValue(2)}
	if got := featureMap(e); !equalFeatures(got, want) {
		t.Errorf("features = %v, want %v", got, want)
	}
	if v := store["a"]; !v.Equal(rank.IntValue(1)) {
		t.Errorf("Borrow changed the store's map: a = %v", v)
	}
}

func TestSharesFeatures(t *testing.T) {
	rec := rank.RecordOf(map[string]rank.Value{"country": rank.StringValue("DE")})
	tests := []struct {
		name   string
		change func(*rank.Entity)
		want   bool
	}{
		{"untouched copy", func(*rank.Entity) {}, true},
		{"a feature set", func(e *rank.Entity) { e.Set("lang", rank.StringValue("de")) }, false},
		{"a feature deleted", func(e *rank.Entity) { e.Delete("seen") }, false},
		{"another record borrowed", func(e *rank.Entity) { e.BorrowRecord(rec) }, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			for _, withMap := range []bool{false, true} {
				e := rank.NewEntity("u1")
				if withMap {
					e.Set("seen", rank.StringSetValue("p1"))
				}
				c := e.Clone()
				tt.change(c)
				want := tt.want
				if !withMap && tt.name == "a feature deleted" {
					want = true // nothing to delete
				}
				if got := c.SharesFeatures(e); got != want {
					t.Errorf("with a feature map %v: SharesFeatures = %v, want %v", withMap, got, want)
				}
			}
		})
	}
}
