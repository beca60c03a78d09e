package rank_test

import (
	"slices"
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
