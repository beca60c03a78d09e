package rank_test

import (
	"math"
	"slices"
	"strings"
	"testing"
	"unsafe"

	"github.com/rankflow/rankflow/rank"
)

func TestRecordsShareInternedSchemas(t *testing.T) {
	a := rank.RecordOf(map[string]rank.Value{"ctr": rank.FloatValue(1), "author": rank.StringValue("x")})
	b := rank.RecordOf(map[string]rank.Value{"author": rank.StringValue("y"), "ctr": rank.FloatValue(2)})
	if a.Schema() != b.Schema() {
		t.Fatal("records with the same feature names have different schemas")
	}
	if got := a.Schema().Names(); !slices.Equal(got, []string{"author", "ctr"}) {
		t.Fatalf("schema names = %v, want sorted [author ctr]", got)
	}
	if v, ok := b.Get("ctr"); !ok || !v.Equal(rank.FloatValue(2)) {
		t.Fatalf("Get(ctr) = %v, %v", v, ok)
	}
	if _, ok := b.Get("nope"); ok {
		t.Fatal("Get of a missing feature reported it present")
	}
	var nilRecord *rank.Record
	if _, ok := nilRecord.Get("x"); ok || nilRecord.Len() != 0 {
		t.Fatal("a nil record is not empty")
	}
}

func TestEntityOverBorrowedRecord(t *testing.T) {
	r := rank.RecordOf(map[string]rank.Value{"ctr": rank.FloatValue(0.5), "author": rank.StringValue("a1")})
	e := rank.NewEntity("p1")
	e.BorrowRecord(r)
	if v, ok := e.GetFloat("ctr"); !ok || v != 0.5 {
		t.Fatalf("GetFloat(ctr) = %v, %v", v, ok)
	}
	e.Set("ctr", rank.FloatValue(0.9)) // own value shadows the record's
	e.Delete("author")                 // hides the record's
	e.Set("score_x", rank.IntValue(3))
	if v, _ := e.GetFloat("ctr"); v != 0.9 {
		t.Errorf("own ctr = %v, want 0.9", v)
	}
	if e.Has("author") {
		t.Error("deleted borrowed feature still present")
	}
	if got := e.FeatureNames(); !slices.Equal(got, []string{"ctr", "score_x"}) {
		t.Errorf("FeatureNames = %v, want [ctr score_x]", got)
	}
	if v, _ := r.Get("ctr"); !v.Equal(rank.FloatValue(0.5)) {
		t.Error("writing the entity changed the shared record")
	}
	if v, _ := r.Get("author"); !v.Equal(rank.StringValue("a1")) {
		t.Error("deleting from the entity changed the shared record")
	}
	c := e.Clone()
	c.Set("ctr", rank.FloatValue(0.1))
	if v, _ := e.GetFloat("ctr"); v != 0.9 {
		t.Errorf("writing a clone changed the original: ctr = %v", v)
	}

	// A second record merges under what the entity has.
	e.BorrowRecord(rank.RecordOf(map[string]rank.Value{"ctr": rank.FloatValue(7), "quality": rank.FloatValue(1)}))
	if v, _ := e.GetFloat("ctr"); v != 0.9 {
		t.Errorf("a later record overrode the entity's ctr: %v", v)
	}
	if v, ok := e.GetFloat("quality"); !ok || v != 1 {
		t.Errorf("quality from the second record = %v, %v", v, ok)
	}
}

func TestResolverMatchesGetters(t *testing.T) {
	names := []string{"ctr", "missing", "quality", "count"}
	r := rank.NewResolver(names...)
	var ents []*rank.Entity
	for i, m := range []map[string]rank.Value{
		{"ctr": rank.FloatValue(0.1), "quality": rank.FloatValue(2), "count": rank.IntValue(3)},
		{"quality": rank.FloatValue(5)}, // another schema
		{"ctr": rank.FloatValue(0.3), "quality": rank.FloatValue(1), "count": rank.IntValue(9)}, // the first again
	} {
		e := rank.NewEntity(string(rune('a' + i)))
		e.BorrowRecord(rank.RecordOf(m))
		ents = append(ents, e)
	}
	ents[2].Set("ctr", rank.FloatValue(0.7)) // own value wins
	own := rank.NewEntity("own")
	own.Set("quality", rank.FloatValue(4))
	ents = append(ents, own)
	ents = append(ents, rank.NewEntity("bare"))
	for _, e := range ents {
		for i, n := range names {
			got, gotOK := r.Float(e, i)
			want, wantOK := e.GetFloat(n)
			if got != want || gotOK != wantOK {
				t.Errorf("entity %s feature %s: resolver %v,%v; getter %v,%v", e.ID, n, got, gotOK, want, wantOK)
			}
		}
	}

	// Fields: the record and positions, only for entities whose features
	// all come from their record.
	for _, e := range ents {
		rec, pos, ok := r.Fields(e)
		if wantOK := e.ID == "a" || e.ID == "b"; ok != wantOK {
			t.Errorf("entity %s: Fields ok = %v, want %v", e.ID, ok, wantOK)
		}
		if !ok {
			continue
		}
		for i, n := range names {
			want, wantOK := e.GetFloat(n)
			var got float64
			gotOK := pos[i] >= 0
			if gotOK {
				got, gotOK = rec.At(pos[i]).AsFloat()
			}
			if got != want || gotOK != wantOK {
				t.Errorf("entity %s feature %s: Fields %v,%v; getter %v,%v", e.ID, n, got, gotOK, want, wantOK)
			}
		}
	}
}

// TestValueStaysCompact guards the size of a Value: records hold one per
// feature and stages read them per candidate, so the size is the cost.
func TestValueStaysCompact(t *testing.T) {
	if n := unsafe.Sizeof(rank.Value{}); n != 24 {
		t.Fatalf("rank.Value is %d bytes, want 24", n)
	}
}

func TestInternSchemaKeepsNamesWithZeroBytesApart(t *testing.T) {
	a := rank.InternSchema([]string{"a\x00b"})
	b := rank.InternSchema([]string{"a", "b"})
	if a == b || len(b.Names()) != 2 || len(a.Names()) != 1 {
		t.Fatalf("schemas of [a\\x00b] and [a b] are mixed up: %q, %q", a.Names(), b.Names())
	}
	r := rank.NewRecord(b, []rank.Value{rank.IntValue(1), rank.IntValue(2)})
	if v, _ := r.Get("b"); !v.Equal(rank.IntValue(2)) {
		t.Fatalf("Get(b) = %v", v)
	}
}

func TestPackedRecords(t *testing.T) {
	s := rank.InternSchema([]string{"author", "ctr", "nsfw", "upvotes"})
	text := "alicebob"
	kinds := []rank.Kind{
		rank.String, rank.Float, rank.Bool, rank.Int,
		rank.String, rank.Invalid, rank.Bool, rank.Int,
	}
	words := []uint64{
		rank.PackString(0, 5), math.Float64bits(0.25), 1, uint64(0xffffffffffffffff), // upvotes -1
		rank.PackString(5, 3), 0, 0, 7,
	}
	recs, err := rank.NewPackedRecords(s, text, kinds, words)
	if err != nil {
		t.Fatal(err)
	}
	want := []map[string]rank.Value{
		{"author": rank.StringValue("alice"), "ctr": rank.FloatValue(0.25), "nsfw": rank.BoolValue(true), "upvotes": rank.IntValue(-1)},
		{"author": rank.StringValue("bob"), "nsfw": rank.BoolValue(false), "upvotes": rank.IntValue(7)},
	}
	if len(recs) != len(want) {
		t.Fatalf("%d records, want %d", len(recs), len(want))
	}
	for i := range recs {
		r := &recs[i]
		if r.Len() != 4 || r.Schema() != s {
			t.Errorf("record %d: %d features of schema %v", i, r.Len(), r.Schema().Names())
		}
		got := r.Map()
		if len(got) != len(want[i]) {
			t.Errorf("record %d = %v, want %v", i, got, want[i])
		}
		for n, v := range want[i] {
			if g, ok := r.Get(n); !ok || !g.Equal(v) {
				t.Errorf("record %d: %s = %v, %v; want %v", i, n, g, ok, v)
			}
		}
		e := rank.NewEntity("p")
		e.BorrowRecord(r)
		res := rank.NewResolver("upvotes", "ctr")
		wantUp, _ := want[i]["upvotes"].AsInt()
		if v, ok := res.Float(e, 0); !ok || v != float64(wantUp) {
			t.Errorf("record %d: resolver upvotes = %v, %v", i, v, ok)
		}
		if _, ok := res.Float(e, 1); ok != (i == 0) {
			t.Errorf("record %d: resolver found ctr = %v", i, ok)
		}
	}
	if _, ok := recs[1].Get("ctr"); ok {
		t.Error("an Invalid packed value reads as present")
	}
	defer func() {
		if recover() == nil {
			t.Error("At past the schema did not panic")
		}
	}()
	recs[0].At(4) // would read the next record's first value
}

func TestPackStringBounds(t *testing.T) {
	if w := rank.PackString(1<<32-1, 7); w != (1<<32-1)<<32|7 {
		t.Errorf("PackString(2^32-1, 7) = %#x", w)
	}
	defer func() {
		if recover() == nil {
			t.Error("PackString of an offset of 2^32 did not panic")
		}
	}()
	rank.PackString(1<<32, 0)
}

func TestPackedRecordsErrors(t *testing.T) {
	s := rank.InternSchema([]string{"a", "b"})
	tests := []struct {
		name   string
		schema *rank.Schema
		kinds  []rank.Kind
		words  []uint64
		want   string
	}{
		{"no names", rank.InternSchema(nil), nil, nil, "need a schema with names"},
		{"not whole records", s, []rank.Kind{rank.Int, rank.Int, rank.Int}, []uint64{1, 2, 3}, "3 kinds and 3 words do not make records of 2 values"},
		{"lengths differ", s, []rank.Kind{rank.Int, rank.Int}, []uint64{1}, "2 kinds and 1 words"},
		{"a list", s, []rank.Kind{rank.Int, rank.IntList}, []uint64{1, 0}, `packed record 0, feature "b": cannot pack a int_list`},
		{"unknown kind", s, []rank.Kind{rank.Int, rank.Int, rank.Kind(42), rank.Int}, []uint64{1, 0, 1, 0}, `packed record 1, feature "a": cannot pack a kind(42)`},
		{"string past the text", s, []rank.Kind{rank.String, rank.Int}, []uint64{rank.PackString(2, 3), 0}, `packed record 0, feature "a": string at 2+3 is outside the text (4 bytes)`},
		{"string offset past the text", s, []rank.Kind{rank.Int, rank.String}, []uint64{0, rank.PackString(9, 0)}, `packed record 0, feature "b": string at 9+0 is outside the text`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := rank.NewPackedRecords(tt.schema, "abcd", tt.kinds, tt.words)
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("error = %v, want one containing %q", err, tt.want)
			}
		})
	}
}
