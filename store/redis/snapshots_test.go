package redis_test

import (
	"context"
	"encoding/binary"
	"math"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/rankflow/rankflow/internal/redistest"
	"github.com/rankflow/rankflow/rank"
	"github.com/rankflow/rankflow/store"
	"github.com/rankflow/rankflow/store/redis"
)

// snapshotFixture is a list of posts with features of several kinds, one
// post without features and one with only some of them.
func snapshotFixture() ([]store.Scored, []map[string]rank.Value) {
	members := []store.Scored{sc("p2", 1), sc("p1", 5), sc("p3", 5), sc("p4", -2)}
	features := []map[string]rank.Value{
		sampleFeatures(2),
		sampleFeatures(1),
		nil,
		{"ctr": rank.FloatValue(0.5)},
	}
	return members, features
}

func TestSnapshots(t *testing.T) {
	eachTarget(t, func(t *testing.T, tg *redistest.Target, s *redis.Store) {
		ctx := context.Background()
		members, features := snapshotFixture()
		if err := s.PutSnapshot(ctx, "popular", members, features); err != nil {
			t.Fatal(err)
		}
		got, err := s.Snapshots(ctx, []string{"missing", "popular"})
		if err != nil {
			t.Fatal(err)
		}
		if len(got) != 2 || got[0] != nil {
			t.Fatalf("Snapshots = %v, want nil then the snapshot", got)
		}
		checkSnapshot(t, got[1], members, features)

		// An empty snapshot deletes the key.
		if err := s.PutSnapshot(ctx, "popular", nil, nil); err != nil {
			t.Fatal(err)
		}
		if got, err := s.Snapshots(ctx, []string{"popular"}); err != nil || got[0] != nil {
			t.Fatalf("after deleting: %v, %v; want nil", got, err)
		}
	})
}

func TestSnapshotVersions(t *testing.T) {
	eachTarget(t, func(t *testing.T, tg *redistest.Target, s *redis.Store) {
		ctx := context.Background()
		members, features := snapshotFixture()
		put := func(key string, m []store.Scored, f []map[string]rank.Value) uint64 {
			t.Helper()
			if err := s.PutSnapshot(ctx, key, m, f); err != nil {
				t.Fatal(err)
			}
			got, err := s.Snapshots(ctx, []string{key})
			if err != nil {
				t.Fatal(err)
			}
			if got[0].Version == 0 {
				t.Fatalf("snapshot %q has no version", key)
			}
			return got[0].Version
		}
		a := put("a", members, features)
		b := put("b", members[:2], features[:2])
		if a == b {
			t.Errorf("different snapshots share version %#x", a)
		}
		if again := put("a", members, features); again != a {
			t.Errorf("publishing the same snapshot again changed its version: %#x, was %#x", again, a)
		}
		// A snapshot written without a version (encoding version 1).
		old := []byte{0x81, 1, 0, 1, 'x', 0, 0, 0, 0, 0, 0, 0xf0, 0x3f}
		if err := tg.Client.Set(ctx, tg.Prefix+"snapshot:old", old, 0).Err(); err != nil {
			t.Fatal(err)
		}
		got, err := s.SnapshotVersions(ctx, []string{"a", "none", "b", "old"})
		if err != nil {
			t.Fatal(err)
		}
		if want := []uint64{a, 0, b, 0}; !slices.Equal(got, want) {
			t.Errorf("SnapshotVersions = %#x, want %#x", got, want)
		}
		if snap, err := s.Snapshots(ctx, []string{"old"}); err != nil || snap[0] == nil || snap[0].Version != 0 || snap[0].Members[0].ID != "x" {
			t.Errorf("version 1 snapshot = %+v, %v; want member x without a version", snap, err)
		}
		if got, err := s.SnapshotVersions(ctx, nil); err != nil || len(got) != 0 {
			t.Errorf("SnapshotVersions of no keys = %v, %v", got, err)
		}
	})
}

// checkSnapshot compares snap with what store.NewSnapshot makes of members
// and features, record by record.
func checkSnapshot(t *testing.T, snap *store.Snapshot, members []store.Scored, features []map[string]rank.Value) {
	t.Helper()
	want, err := store.NewSnapshot(members, features)
	if err != nil {
		t.Fatal(err)
	}
	if snap == nil {
		t.Fatal("snapshot is nil")
	}
	if !equalScored(snap.Members, want.Members) {
		t.Fatalf("members = %v, want %v", snap.Members, want.Members)
	}
	var schema *rank.Schema
	for i, r := range snap.Records {
		if (r == nil) != (want.Records[i] == nil) {
			t.Fatalf("record %d (%s) = %v, want %v", i, snap.Members[i].ID, r, want.Records[i])
		}
		if r == nil {
			continue
		}
		if schema == nil {
			schema = r.Schema()
		} else if r.Schema() != schema {
			t.Errorf("record %d has a schema of its own; want one shared schema", i)
		}
		if !equalFeatures(recordMap(r), recordMap(want.Records[i])) {
			t.Errorf("record %d (%s) = %v, want %v", i, snap.Members[i].ID, recordMap(r), recordMap(want.Records[i]))
		}
	}
}

func equalScored(a, b []store.Scored) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

func TestSnapshotEncodingRoundTrip(t *testing.T) {
	members, features := snapshotFixture()
	tests := []struct {
		name     string
		members  []store.Scored
		features []map[string]rank.Value
	}{
		{"mixed", members, features},
		{"no features at all", []store.Scored{sc("a", 1), sc("b", 2)}, []map[string]rank.Value{nil, {}}},
		{"empty", nil, nil},
		{"empty id", []store.Scored{sc("", 1)}, []map[string]rank.Value{{"x": rank.IntValue(-3)}}},
		{"a feature of mixed kinds", []store.Scored{sc("a", 3), sc("b", 2), sc("c", 1)},
			[]map[string]rank.Value{{"x": rank.IntValue(7), "b": rank.BoolValue(true)}, {"x": rank.FloatValue(0.5), "b": rank.BoolValue(false)}, {"s": rank.StringValue("z")}}},
		{"members with and without features", manyMembers(21), manyFeatures(21)},
		{"a list after many scalars", manyMembers(21), append(manyFeatures(20), map[string]rank.Value{"l": rank.IntListValue([]int64{4, 2}), "s": rank.StringValue("")})},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			snap, err := store.NewSnapshot(tt.members, tt.features)
			if err != nil {
				t.Fatal(err)
			}
			buf, err := redis.AppendSnapshot(nil, snap)
			if err != nil {
				t.Fatal(err)
			}
			got, err := redis.DecodeSnapshot(string(buf), new(redis.Schemas))
			if err != nil {
				t.Fatal(err)
			}
			checkSnapshot(t, got, tt.members, tt.features)
		})
	}
}

func TestDecodeSnapshotErrors(t *testing.T) {
	members, features := snapshotFixture()
	snap, err := store.NewSnapshot(members, features)
	if err != nil {
		t.Fatal(err)
	}
	good, err := redis.AppendSnapshot(nil, snap)
	if err != nil {
		t.Fatal(err)
	}
	// One name twice: version, 1 member, 2 names "a" "a".
	twice := string([]byte{0x81, 1, 2, 1, 'a', 1, 'a', 1, 'x', 0, 0, 0, 0, 0, 0, 0, 0, 0, 0})
	tests := []struct {
		name, data, want string
	}{
		{"empty", "", "not a snapshot"},
		{"feature map", string(redis.AppendFeatures(nil, map[string]rank.Value{"a": rank.IntValue(1)})), "a feature map, not a snapshot"},
		{"truncated", string(good[:len(good)-3]), "truncated"},
		{"trailing bytes", string(good) + "zz", "2 trailing bytes"},
		{"huge count", string([]byte{0x81, 0xff, 0xff, 0xff, 0xff, 0x0f, 0}), "bad counts"},
		{"name twice", twice, `feature "a" appears twice`},
		{"unknown kind", string([]byte{0x81, 1, 1, 1, 'a', 1, 'x', 0, 0, 0, 0, 0, 0, 0, 0, 99}), "unknown kind 99"},
		{"out of order", snapshotBytes([]store.Scored{{ID: "a", Score: 1}, {ID: "b", Score: 2}}), `member 1 ("b") is out of order`},
		{"NaN score", snapshotBytes([]store.Scored{{ID: "a", Score: math.NaN()}}), `member 0 ("a") is out of order or has a NaN score`},
		{"too many features", string(binary.AppendUvarint([]byte{0x81, 0}, 5000)) + strings.Repeat("\x00", 5000), "5000 features, more than 4096"},
		{"name twice among many", manyNames(100, "f7"), `feature "f7" appears twice`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := redis.DecodeSnapshot(tt.data, new(redis.Schemas))
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("error = %v, want it to contain %q", err, tt.want)
			}
		})
	}
}

func FuzzDecodeSnapshot(f *testing.F) {
	members, features := snapshotFixture()
	snap, _ := store.NewSnapshot(members, features)
	good, _ := redis.AppendSnapshot(nil, snap)
	f.Add(good)
	f.Add([]byte{0x81, 0, 0})
	// Scalars and strings only: the packed path.
	packable, _ := store.NewSnapshot(manyMembers(5), []map[string]rank.Value{
		{"s": rank.StringValue("ab"), "f": rank.FloatValue(0.5)}, nil, {"i": rank.IntValue(-4), "b": rank.BoolValue(true)}, {"s": rank.StringValue("")}, {"f": rank.FloatValue(-1)},
	})
	packed, _ := redis.AppendSnapshot(nil, packable)
	f.Add(packed)
	f.Fuzz(func(t *testing.T, data []byte) {
		snap, err := redis.DecodeSnapshot(string(data), new(redis.Schemas))
		if err != nil {
			return
		}
		// What decodes encodes again, and that decodes to the same.
		again, err := redis.AppendSnapshot(nil, snap)
		if err != nil {
			t.Fatalf("re-encoding a decoded snapshot: %v", err)
		}
		back, err := redis.DecodeSnapshot(string(again), new(redis.Schemas))
		if err != nil {
			t.Fatalf("decoding the re-encoded snapshot: %v", err)
		}
		if !equalScored(back.Members, snap.Members) || len(back.Records) != len(snap.Records) {
			t.Fatalf("members changed in a round trip: %v, want %v", back.Members, snap.Members)
		}
		for i, r := range snap.Records {
			got, want := back.Records[i].Map(), r.Map()
			if (r == nil) != (back.Records[i] == nil) || len(got) != len(want) {
				t.Fatalf("member %d: features %v, want %v", i, got, want)
			}
			for k, v := range want {
				if !got[k].Equal(v) {
					t.Fatalf("member %d: feature %q = %v, want %v", i, k, got[k], v)
				}
			}
		}
	})
}

// snapshotBytes encodes members without features as they are, unsorted,
// as another writer might.
func snapshotBytes(members []store.Scored) string {
	b := []byte{0x81}
	b = binary.AppendUvarint(b, uint64(len(members)))
	b = binary.AppendUvarint(b, 0)
	for _, m := range members {
		b = binary.AppendUvarint(b, uint64(len(m.ID)))
		b = append(b, m.ID...)
		b = binary.LittleEndian.AppendUint64(b, math.Float64bits(m.Score))
	}
	return string(b)
}

// manyNames encodes a snapshot header of n feature names f0, f1, ... with
// dup added again at the end, and no members.
func manyNames(n int, dup string) string {
	b := []byte{0x81, 0}
	b = binary.AppendUvarint(b, uint64(n+1))
	for i := range n {
		name := "f" + strconv.Itoa(i)
		b = binary.AppendUvarint(b, uint64(len(name)))
		b = append(b, name...)
	}
	b = binary.AppendUvarint(b, uint64(len(dup)))
	return string(append(b, dup...))
}

func manyMembers(n int) []store.Scored {
	m := make([]store.Scored, n)
	for i := range m {
		m[i] = sc("m"+strconv.Itoa(i), float64(n-i))
	}
	return m
}

// manyFeatures gives every third member no features and the others a
// float, an int and a negative int.
func manyFeatures(n int) []map[string]rank.Value {
	f := make([]map[string]rank.Value, n)
	for i := range f {
		if i%3 == 0 {
			continue
		}
		f[i] = map[string]rank.Value{"f": rank.FloatValue(float64(i) / 3), "i": rank.IntValue(int64(i)), "neg": rank.IntValue(-int64(i))}
	}
	return f
}
