package store_test

import (
	"math"
	"slices"
	"strings"
	"testing"

	"github.com/rankflow/rankflow/rank"
	"github.com/rankflow/rankflow/store"
)

func TestNewSnapshot(t *testing.T) {
	f := func(kv ...any) map[string]rank.Value {
		m := map[string]rank.Value{}
		for i := 0; i < len(kv); i += 2 {
			m[kv[i].(string)] = rank.FloatValue(kv[i+1].(float64))
		}
		return m
	}
	snap, err := store.NewSnapshot(
		[]store.Scored{{"b", 1}, {"a", 1}, {"c", 3}, {"b", 2}, {"d", 0}},
		[]map[string]rank.Value{f("x", 1.0), f("y", 2.0), nil, f("x", 9.0, "z", 3.0), {"bad": rank.Value{}}},
	)
	if err != nil {
		t.Fatal(err)
	}
	// Sorted by score desc, ties by id; "b" keeps its last score and features.
	wantIDs := []string{"c", "b", "a", "d"}
	if got := snapIDs(snap); !slices.Equal(got, wantIDs) {
		t.Fatalf("members = %v, want %v", got, wantIDs)
	}
	if snap.Members[1].Score != 2 {
		t.Errorf("b's score = %v, want its last, 2", snap.Members[1].Score)
	}
	if cap(snap.Members) != len(snap.Members) {
		t.Errorf("members have spare capacity %d > %d: an append would write into the shared list", cap(snap.Members), len(snap.Members))
	}
	if snap.Records[0] != nil || snap.Records[3] != nil {
		t.Errorf("members without valid features have records %v, %v", snap.Records[0], snap.Records[3])
	}
	b, a := snap.Records[1], snap.Records[2]
	if b.Schema() != a.Schema() || !slices.Equal(b.Schema().Names(), []string{"x", "y", "z"}) {
		t.Fatalf("records do not share the union schema: %v, %v", b.Schema().Names(), a.Schema().Names())
	}
	for _, tt := range []struct {
		rec  *rank.Record
		name string
		want float64
		ok   bool
	}{
		{b, "x", 9, true}, {b, "z", 3, true}, {b, "y", 0, false},
		{a, "y", 2, true}, {a, "x", 0, false},
	} {
		v, ok := tt.rec.Get(tt.name)
		got, _ := v.AsFloat()
		if ok != tt.ok || got != tt.want {
			t.Errorf("feature %s = %v, %v; want %v, %v", tt.name, got, ok, tt.want, tt.ok)
		}
	}
}

func TestNewSnapshotErrors(t *testing.T) {
	tests := []struct {
		name     string
		members  []store.Scored
		features []map[string]rank.Value
		want     string
	}{
		{"lengths differ", []store.Scored{{"a", 1}}, nil, "1 members but 0 feature maps"},
		{"NaN score", []store.Scored{{"a", math.NaN()}}, []map[string]rank.Value{nil}, `member "a" has a NaN score`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := store.NewSnapshot(tt.members, tt.features)
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("error = %v, want it to contain %q", err, tt.want)
			}
		})
	}
}

func snapIDs(s *store.Snapshot) []string {
	ids := make([]string, len(s.Members))
	for i, m := range s.Members {
		ids[i] = m.ID
	}
	return ids
}
