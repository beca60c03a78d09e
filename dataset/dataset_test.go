package dataset_test

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"testing"

	"github.com/rankflow/rankflow/dataset"
	"github.com/rankflow/rankflow/rank"
	"github.com/rankflow/rankflow/store"
	"github.com/rankflow/rankflow/store/memory"
)

func TestApplyToMemory(t *testing.T) {
	ctx := context.Background()
	d := generate(t, small)
	s := memory.New()
	if err := dataset.Apply(ctx, d, s); err != nil {
		t.Fatal(err)
	}
	keys := []string{dataset.PopularKey, dataset.MediaKey(dataset.MediaVideo), dataset.CommunityHotKey("c1")}
	tops, err := s.Top(ctx, keys, 0)
	if err != nil {
		t.Fatal(err)
	}
	for i, k := range keys {
		want := d.List(k)
		if len(tops[i]) != len(want) {
			t.Fatalf("%s: store has %d members, dataset %d", k, len(tops[i]), len(want))
		}
		for j := range want {
			if tops[i][j] != want[j] {
				t.Fatalf("%s member %d = %v, want %v", k, j, tops[i][j], want[j])
			}
		}
	}
	ids := []string{"p0", "p1499", "nope"}
	fs, err := s.Features(ctx, dataset.NamespacePost, ids)
	if err != nil {
		t.Fatal(err)
	}
	for i, id := range ids {
		want := d.Features(dataset.NamespacePost, id)
		if fs[i].Len() != len(want) {
			t.Fatalf("post %s: store has %v, dataset %v", id, fs[i], want)
		}
		for name, v := range want {
			if got, _ := fs[i].Get(name); !got.Equal(v) {
				t.Errorf("post %s feature %s = %v, want %v", id, name, got, v)
			}
		}
	}
	viewed, err := s.Members(ctx, dataset.UserViewedKey("u3"))
	if err != nil {
		t.Fatal(err)
	}
	if want := d.Set(dataset.UserViewedKey("u3")); viewed.Len() != len(want) || !viewed.Has(want[0]) {
		t.Errorf("u3 viewed %v in the store, %v in the dataset", viewed.Items(), want)
	}
}

// recorder is a store.Loader that records the order of writes.
type recorder struct {
	calls    []string
	features int
	failOn   string
}

var errBroken = errors.New("broken")

func (r *recorder) do(call string) error {
	if call == r.failOn {
		return errBroken
	}
	if n := len(r.calls); n == 0 || r.calls[n-1] != call {
		r.calls = append(r.calls, call)
	}
	return nil
}

func (r *recorder) PutList(_ context.Context, key string, _ []store.Scored) error {
	return r.do("list " + key)
}

func (r *recorder) PutSet(_ context.Context, key string, _ []string) error {
	return r.do("set")
}

func (r *recorder) PutFeatures(_ context.Context, ns string, ids []string, fs []map[string]rank.Value) error {
	if len(ids) != len(fs) || len(ids) > 512 {
		return errors.New("bad batch")
	}
	r.features++
	return r.do("features " + ns)
}

func (r *recorder) PutSnapshot(_ context.Context, key string, members []store.Scored, fs []map[string]rank.Value) error {
	if len(members) != len(fs) {
		return errors.New("bad snapshot")
	}
	return r.do("snapshot " + key)
}

func TestApplyOrderAndBatches(t *testing.T) {
	d := generate(t, small)
	r := &recorder{}
	if err := dataset.Apply(context.Background(), d, r); err != nil {
		t.Fatal(err)
	}
	// 20 communities, 1500 posts and 200 users in batches of at most 512.
	if r.features != 1+3+1 {
		t.Errorf("PutFeatures called %d times, want 5", r.features)
	}
	want := []string{"features community", "features post", "features user", "set", "list popular"}
	for i, w := range want {
		if r.calls[i] != w {
			t.Fatalf("writes began %q, want %q", r.calls[:len(want)], want)
		}
	}
	// Every list, then a snapshot of each list that has one, in list order.
	var lists, snaps []string
	for _, l := range d.Lists {
		lists = append(lists, "list "+l.Key)
		if l.Snapshot != "" {
			snaps = append(snaps, "snapshot "+l.Key)
		}
	}
	if got, want := r.calls[len(r.calls)-len(lists)-len(snaps):], append(lists, snaps...); !slices.Equal(got, want) {
		t.Errorf("writes ended\n%q\nwant\n%q", got, want)
	}
}

// TestApplySnapshotsToMemory checks that every list with a snapshot
// namespace is published as a snapshot of the same members, sorted as the
// store sorts its lists, each with its post's features, and that no other
// list is.
func TestApplySnapshotsToMemory(t *testing.T) {
	ctx := context.Background()
	d := generate(t, small)
	s := memory.New()
	if err := dataset.Apply(ctx, d, s); err != nil {
		t.Fatal(err)
	}
	keys := make([]string, len(d.Lists))
	for i, l := range d.Lists {
		keys[i] = l.Key
	}
	snaps, err := s.Snapshots(ctx, keys)
	if err != nil {
		t.Fatal(err)
	}
	tops, err := s.Top(ctx, keys, 0)
	if err != nil {
		t.Fatal(err)
	}
	published := 0
	for i, l := range d.Lists {
		snap := snaps[i]
		if l.Snapshot == "" {
			if snap != nil {
				t.Errorf("%s has no snapshot namespace but a snapshot in the store", l.Key)
			}
			continue
		}
		if snap == nil {
			t.Fatalf("%s: no snapshot in the store", l.Key)
		}
		published++
		want := slices.SortedFunc(slices.Values(l.Members), store.CompareScored)
		if !slices.Equal(snap.Members, want) || !slices.Equal(snap.Members, tops[i]) {
			t.Fatalf("%s: snapshot members\n%v\nwant the list\n%v", l.Key, snap.Members, want)
		}
		if len(snap.Records) != len(snap.Members) {
			t.Fatalf("%s: %d records for %d members", l.Key, len(snap.Records), len(snap.Members))
		}
		for j, m := range snap.Members {
			wantF := d.Features(l.Snapshot, m.ID)
			got := snap.Records[j].Map()
			if len(wantF) == 0 || len(got) != len(wantF) {
				t.Fatalf("%s: %s has features %v in the snapshot, %v in the dataset", l.Key, m.ID, got, wantF)
			}
			for name, v := range wantF {
				if !got[name].Equal(v) {
					t.Fatalf("%s: %s feature %s = %v, want %v", l.Key, m.ID, name, got[name], v)
				}
			}
		}
	}
	if published != 1+3+13 {
		t.Errorf("%d snapshots published, want 17 (popular, 3 media, 13 countries)", published)
	}
}

// TestApplySnapshotOfHandMadeDataset checks a snapshot takes its features
// from the namespace its list names, with none for a member that has none
// there, and that unsorted members come out sorted.
func TestApplySnapshotOfHandMadeDataset(t *testing.T) {
	ctx := context.Background()
	d := &dataset.Dataset{
		Entities: []dataset.Entity{
			{Namespace: "post", ID: "a", Features: map[string]rank.Value{"x": rank.IntValue(1)}},
			{Namespace: "item", ID: "a", Features: map[string]rank.Value{"y": rank.StringValue("item a")}},
			{Namespace: "item", ID: "c", Features: map[string]rank.Value{"y": rank.StringValue("item c")}},
		},
		Lists: []dataset.List{
			{Key: "items", Snapshot: "item", Members: []store.Scored{{ID: "b", Score: 1}, {ID: "c", Score: 3}, {ID: "a", Score: 2}}},
			{Key: "plain", Members: []store.Scored{{ID: "a", Score: 1}}},
		},
	}
	s := memory.New()
	if err := dataset.Apply(ctx, d, s); err != nil {
		t.Fatal(err)
	}
	snaps, err := s.Snapshots(ctx, []string{"items", "plain"})
	if err != nil {
		t.Fatal(err)
	}
	if snaps[1] != nil {
		t.Errorf("plain has a snapshot: %+v", snaps[1])
	}
	snap := snaps[0]
	if snap == nil {
		t.Fatal("items has no snapshot")
	}
	var got []string
	for i, m := range snap.Members {
		got = append(got, fmt.Sprintf("%s:%v", m.ID, snap.Records[i].Map()))
	}
	if want := `c:map[y:"item c"] a:map[y:"item a"] b:map[]`; strings.Join(got, " ") != want {
		t.Errorf("snapshot = %s, want %s", strings.Join(got, " "), want)
	}
	if snap.Records[2] != nil {
		t.Errorf("b has no item features but a record %v", snap.Records[2].Map())
	}
}

func TestApplyErrors(t *testing.T) {
	tests := []struct {
		failOn string
		want   string
	}{
		{"features post", `apply dataset: features "post": broken`},
		{"set", `apply dataset: set "user:u0:viewed": broken`},
		{"list media:video", `apply dataset: list "media:video": broken`},
		{"snapshot country:US:popular", `apply dataset: snapshot "country:US:popular": broken`},
	}
	for _, tt := range tests {
		t.Run(tt.failOn, func(t *testing.T) {
			err := dataset.Apply(context.Background(), generate(t, small), &recorder{failOn: tt.failOn})
			if err == nil || err.Error() != tt.want || !errors.Is(err, errBroken) {
				t.Errorf("Apply error = %v, want %s", err, tt.want)
			}
		})
	}
}

// TestApplyRefusesSnapshotOfUnknownNamespace checks a misspelled snapshot
// namespace fails before anything is written.
func TestApplyRefusesSnapshotOfUnknownNamespace(t *testing.T) {
	d := &dataset.Dataset{
		Entities: []dataset.Entity{{Namespace: "post", ID: "p1", Features: map[string]rank.Value{"ctr": rank.FloatValue(1)}}},
		Lists:    []dataset.List{{Key: "popular", Snapshot: "posts", Members: []store.Scored{{ID: "p1", Score: 1}}}},
	}
	rec := &recorder{}
	err := dataset.Apply(context.Background(), d, rec)
	if want := `apply dataset: snapshot "popular": namespace "posts" has no entities`; err == nil || err.Error() != want {
		t.Fatalf("Apply error = %v, want %s", err, want)
	}
	if len(rec.calls) != 0 {
		t.Errorf("Apply wrote %v before failing", rec.calls)
	}
}
