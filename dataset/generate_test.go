package dataset_test

import (
	"bytes"
	"cmp"
	"fmt"
	"slices"
	"strings"
	"testing"

	"github.com/rankflow/rankflow/dataset"
	"github.com/rankflow/rankflow/rank"
)

// small is a world small enough to generate in every test.
var small = dataset.Options{Seed: 42, Communities: 20, Posts: 1500, Users: 200, PopularLen: 100, MediaLen: 50, HotLen: 30, CountryLen: 20}

func generate(t *testing.T, o dataset.Options) *dataset.Dataset {
	t.Helper()
	d, err := dataset.Generate(o)
	if err != nil {
		t.Fatal(err)
	}
	return d
}

func encode(t *testing.T, d *dataset.Dataset) []byte {
	t.Helper()
	var b bytes.Buffer
	if err := dataset.Write(&b, d); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

func TestGenerateIsDeterministic(t *testing.T) {
	a := encode(t, generate(t, small))
	b := encode(t, generate(t, small))
	if !bytes.Equal(a, b) {
		t.Fatal("the same options gave different files")
	}
	other := small
	other.Seed++
	if bytes.Equal(a, encode(t, generate(t, other))) {
		t.Fatal("different seeds gave the same file")
	}
}

func TestGenerateOptionErrors(t *testing.T) {
	tests := []struct {
		give dataset.Options
		want string
	}{
		{dataset.Options{Posts: -1}, "generate dataset: posts is -1, want >= 0"},
		{dataset.Options{Users: -5}, "generate dataset: users is -5, want >= 0"},
		{dataset.Options{EmbeddingDim: -2}, "generate dataset: embedding dim is -2, want >= 0"},
		{dataset.Options{MaxAge: -1}, "generate dataset: max age is -1ns, want >= 0"},
	}
	for _, tt := range tests {
		t.Run(tt.want, func(t *testing.T) {
			_, err := dataset.Generate(tt.give)
			if err == nil || err.Error() != tt.want {
				t.Errorf("Generate(%+v) error = %v, want %q", tt.give, err, tt.want)
			}
		})
	}
}

// TestHeavyTails checks that popularity is concentrated, as on Reddit: a few
// posts and communities get most of the attention.
func TestHeavyTails(t *testing.T) {
	d := generate(t, dataset.Options{Seed: 1})
	tests := []struct {
		namespace, feature string
		topShare           float64 // share held by the top 1%
		minShare           float64
		minMaxOverMedian   float64
	}{
		{"post", "upvotes", 0.01, 0.25, 100},
		{"post", "comments", 0.01, 0.25, 100},
		{"community", "subscribers", 0.05, 0.25, 20},
	}
	for _, tt := range tests {
		t.Run(tt.namespace+"."+tt.feature, func(t *testing.T) {
			var vs []float64
			var sum float64
			for _, e := range d.Entities {
				if e.Namespace == tt.namespace {
					v, _ := e.Features[tt.feature].AsFloat()
					vs = append(vs, v)
					sum += v
				}
			}
			slices.SortFunc(vs, func(a, b float64) int { return cmp.Compare(b, a) })
			n := max(1, int(float64(len(vs))*tt.topShare))
			var top float64
			for _, v := range vs[:n] {
				top += v
			}
			share := top / sum
			median := max(vs[len(vs)/2], 1)
			t.Logf("top %d of %d hold %.0f%%; max %v, median %v", n, len(vs), 100*share, vs[0], vs[len(vs)/2])
			if share < tt.minShare {
				t.Errorf("top %.0f%% hold %.0f%% of %s, want >= %.0f%%", 100*tt.topShare, 100*share, tt.feature, 100*tt.minShare)
			}
			if vs[0]/median < tt.minMaxOverMedian {
				t.Errorf("max/median of %s = %.0f, want >= %.0f", tt.feature, vs[0]/median, tt.minMaxOverMedian)
			}
		})
	}
}

// TestFeatureKinds checks the features the package doc promises.
func TestFeatureKinds(t *testing.T) {
	d := generate(t, small)
	want := map[string]map[string]rank.Kind{
		"post": {
			"community": rank.String, "author": rank.String, "media_type": rank.String,
			"created_at": rank.Int, "upvotes": rank.Int, "comments": rank.Int,
			"nsfw": rank.Bool, "private": rank.Bool, "country": rank.String,
			"upvote_ratio": rank.Float, "ctr": rank.Float, "quality": rank.Float,
			"embedding": rank.FloatVector,
		},
		"user": {
			"country": rank.String, "subscriptions": rank.StringSet,
			"nsfw_ok": rank.Bool, "embedding": rank.FloatVector,
		},
		"community": {
			"name": rank.String, "subscribers": rank.Int, "nsfw": rank.Bool, "private": rank.Bool,
		},
	}
	count := map[string]int{}
	for _, e := range d.Entities {
		count[e.Namespace]++
		kinds := want[e.Namespace]
		if len(e.Features) != len(kinds) {
			t.Fatalf("%s %s has features %v, want %d", e.Namespace, e.ID, e.Features, len(kinds))
		}
		for name, v := range e.Features {
			if v.Kind() != kinds[name] {
				t.Fatalf("%s %s feature %s is %v, want %v", e.Namespace, e.ID, name, v.Kind(), kinds[name])
			}
		}
	}
	if fmt.Sprint(count) != "map[community:20 post:1500 user:200]" {
		t.Errorf("entities per namespace = %v", count)
	}
}

func TestNoEmbeddings(t *testing.T) {
	o := small
	o.EmbeddingDim = -1
	for _, e := range generate(t, o).Entities {
		if e.Features["embedding"].IsValid() {
			t.Fatalf("%s %s has an embedding with EmbeddingDim -1", e.Namespace, e.ID)
		}
	}
}

// TestListsAndSets checks that every list and set refers to known posts and
// holds what its key says.
func TestListsAndSets(t *testing.T) {
	d := generate(t, small)
	posts := map[string]map[string]rank.Value{}
	communities := map[string]bool{}
	for _, e := range d.Entities {
		switch e.Namespace {
		case "post":
			posts[e.ID] = e.Features
		case "community":
			communities[e.ID] = true
		}
	}
	str := func(id, name string) string { s, _ := posts[id][name].AsString(); return s }
	flag := func(id, name string) bool { b, _ := posts[id][name].AsBool(); return b }
	public := func(id string) bool { return !flag(id, "nsfw") && !flag(id, "private") }
	tests := []struct {
		key    string
		length int
		holds  func(id string) bool
	}{
		{"popular", 100, public},
		{"media:video", 50, func(id string) bool { return public(id) && str(id, "media_type") == "video" }},
		{"media:image", 50, func(id string) bool { return public(id) && str(id, "media_type") == "image" }},
		{"media:livestream", 50, func(id string) bool { return public(id) && str(id, "media_type") == "livestream" }},
		{"country:US:popular", 20, func(id string) bool { return public(id) && str(id, "country") == "US" }},
		{"community:c0:hot", 30, func(id string) bool { return str(id, "community") == "c0" }},
		{"community:c0:new", 30, func(id string) bool { return str(id, "community") == "c0" }},
	}
	for _, tt := range tests {
		t.Run(tt.key, func(t *testing.T) {
			l := d.List(tt.key)
			if len(l) != tt.length {
				t.Errorf("len = %d, want %d", len(l), tt.length)
			}
			for i, m := range l {
				if posts[m.ID] == nil || !tt.holds(m.ID) {
					t.Fatalf("member %d, %s, does not belong: %v", i, m.ID, posts[m.ID])
				}
				if i > 0 && (m.Score > l[i-1].Score || m.Score == l[i-1].Score && m.ID < l[i-1].ID) {
					t.Fatalf("not sorted by score, then id: %v before %v", l[i-1], m)
				}
			}
		})
	}
	for _, l := range d.Lists {
		if strings.HasPrefix(l.Key, "community:") && !communities[strings.Split(l.Key, ":")[1]] {
			t.Errorf("list %s is for an unknown community", l.Key)
		}
	}
	viewed := 0
	for _, s := range d.Sets {
		if !strings.HasPrefix(s.Key, "user:u") || !strings.HasSuffix(s.Key, ":viewed") {
			t.Errorf("unexpected set key %q", s.Key)
		}
		if len(slices.Compact(slices.Sorted(slices.Values(s.Members)))) != len(s.Members) {
			t.Errorf("set %s has duplicates", s.Key)
		}
		for _, id := range s.Members {
			if posts[id] == nil {
				t.Fatalf("set %s has unknown post %s", s.Key, id)
			}
		}
		viewed += len(s.Members)
	}
	if avg := float64(viewed) / 200; avg < 15 || avg > 80 {
		t.Errorf("users viewed %.1f posts on average, want about 30", avg)
	}
	for _, e := range d.Entities {
		subs, _ := e.Features["subscriptions"].AsStringSet()
		for _, c := range subs.Items() {
			if !communities[c] {
				t.Fatalf("user %s subscribes to unknown community %s", e.ID, c)
			}
		}
	}
}

// TestGenerateSnapshots checks that exactly the lists every user shares,
// popular, media:{type} and country:{cc}:popular, are published as snapshots
// of post features, and no per-community list is.
func TestGenerateSnapshots(t *testing.T) {
	d := generate(t, small)
	var got []string
	for _, l := range d.Lists {
		switch l.Snapshot {
		case "":
		case dataset.NamespacePost:
			got = append(got, l.Key)
		default:
			t.Errorf("list %s has snapshot namespace %q, want %q or none", l.Key, l.Snapshot, dataset.NamespacePost)
		}
	}
	want := []string{dataset.PopularKey, "media:video", "media:image", "media:livestream"}
	for _, cc := range []string{"US", "GB", "CA", "IN", "DE", "AU", "FR", "BR", "NL", "SE", "MX", "PH", "JP"} {
		want = append(want, dataset.CountryPopularKey(cc))
	}
	if !slices.Equal(got, want) {
		t.Errorf("lists with snapshots:\n%q\nwant\n%q", got, want)
	}
}

// TestDemoPopularFeedSources checks the three sources the popular feed reads
// give about a thousand candidates, as its benchmarks assume.
func TestDemoPopularFeedSources(t *testing.T) {
	d := dataset.Demo()
	keys := []string{dataset.PopularKey, dataset.MediaKey(dataset.MediaVideo), dataset.MediaKey(dataset.MediaImage)}
	total := 0
	unique := map[string]bool{}
	for _, k := range keys {
		l := d.List(k)
		if len(l) < 333 || len(l) > 400 {
			t.Errorf("%s has %d members, want 333 to 400", k, len(l))
		}
		total += len(l)
		for _, m := range l {
			unique[m.ID] = true
		}
	}
	t.Logf("%d candidates, %d unique", total, len(unique))
	if total < 1000 || total > 1200 {
		t.Errorf("the sources hold %d candidates, want about 1000", total)
	}
	if len(unique) < 800 || len(unique) == total {
		t.Errorf("%d unique of %d candidates, want some overlap but mostly distinct", len(unique), total)
	}
}

func ExampleGenerate() {
	d, err := dataset.Generate(dataset.Options{Seed: 7, Communities: 10, Posts: 500, Users: 50})
	if err != nil {
		panic(err)
	}
	fmt.Println(d)
	fmt.Println(len(d.List(dataset.PopularKey)) > 0, len(d.Set(dataset.UserViewedKey("u0"))) > 0)
	// Output:
	// 10 community, 500 post, 50 user entities; 37 lists; 50 sets
	// true true
}
