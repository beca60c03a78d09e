package dataset

import (
	"context"
	"fmt"
	"strings"

	"github.com/rankflow/rankflow/rank"
	"github.com/rankflow/rankflow/store"
)

// The feature namespaces of a generated dataset.
const (
	NamespacePost      = "post"
	NamespaceUser      = "user"
	NamespaceCommunity = "community"
)

// PopularKey is the list of popular posts across all communities.
const PopularKey = "popular"

// The media types of a post, as in its "media_type" feature.
const (
	MediaText       = "text"
	MediaImage      = "image"
	MediaVideo      = "video"
	MediaLink       = "link"
	MediaLivestream = "livestream"
)

// MediaKey returns the key of the list of popular posts of a media type,
// "media:{mediaType}". Generate fills it for video, image and livestream.
func MediaKey(mediaType string) string { return "media:" + mediaType }

// CommunityHotKey returns the key of a community's hot list,
// "community:{id}:hot".
func CommunityHotKey(id string) string { return "community:" + id + ":hot" }

// CommunityNewKey returns the key of a community's newest posts,
// "community:{id}:new".
func CommunityNewKey(id string) string { return "community:" + id + ":new" }

// CountryPopularKey returns the key of the popular posts from a country,
// "country:{cc}:popular".
func CountryPopularKey(country string) string { return "country:" + country + ":popular" }

// UserViewedKey returns the key of the set of posts a user viewed recently,
// "user:{id}:viewed".
func UserViewedKey(id string) string { return "user:" + id + ":viewed" }

// Dataset is what a store is loaded with. Its slices keep the order they were
// generated or read in, so writing a Dataset is deterministic. A Dataset
// shares its feature maps and Values with the stores it is applied to that
// keep them, so it must not be modified after Apply.
type Dataset struct {
	// Meta describes where the data came from, such as the generator's seed.
	Meta map[string]string
	// Entities are feature maps, each in a namespace.
	Entities []Entity
	// Lists are ranked lists; members need not be sorted.
	Lists []List
	// Sets are sets of ids, oldest member first.
	Sets []Set
}

// Entity is the features of one id in a namespace.
type Entity struct {
	Namespace string
	ID        string
	Features  map[string]rank.Value
}

// List is a ranked list at a key.
type List struct {
	Key     string
	Members []store.Scored
	// Snapshot is the namespace of the features published with the list as
	// a store snapshot at the same key (see store.Snapshots); "" for none.
	Snapshot string
}

// Set is a set of ids at a key, oldest member first.
type Set struct {
	Key     string
	Members []string
}

// List returns the members of the list at key, or nil when there is none.
func (d *Dataset) List(key string) []store.Scored {
	for _, l := range d.Lists {
		if l.Key == key {
			return l.Members
		}
	}
	return nil
}

// Set returns the members of the set at key, or nil when there is none.
func (d *Dataset) Set(key string) []string {
	for _, s := range d.Sets {
		if s.Key == key {
			return s.Members
		}
	}
	return nil
}

// Features returns the features of id in namespace, or nil when there are
// none.
func (d *Dataset) Features(namespace, id string) map[string]rank.Value {
	for _, e := range d.Entities {
		if e.Namespace == namespace && e.ID == id {
			return e.Features
		}
	}
	return nil
}

// String summarises the dataset for logs, such as
// "100 community, 10000 post, 1000 user entities; 213 lists; 1000 sets".
func (d *Dataset) String() string {
	var b strings.Builder
	var namespaces []string
	counts := map[string]int{}
	for _, e := range d.Entities {
		if counts[e.Namespace] == 0 {
			namespaces = append(namespaces, e.Namespace)
		}
		counts[e.Namespace]++
	}
	for i, ns := range namespaces {
		if i > 0 {
			b.WriteString(", ")
		}
		fmt.Fprintf(&b, "%d %s", counts[ns], ns)
	}
	if len(namespaces) == 0 {
		b.WriteString("no")
	}
	fmt.Fprintf(&b, " entities; %d lists; %d sets", len(d.Lists), len(d.Sets))
	return b.String()
}

// applyBatch is how many entities Apply writes in one PutFeatures call, so
// that a remote store gets a few large writes rather than one per entity.
const applyBatch = 512

// Apply writes d into l: features first, then sets, then lists, then the
// snapshot of each list that has one, so a store being loaded while it serves
// never lists a post it has no features for. A snapshot holds the list's
// members and, for each, its features in the list's Snapshot namespace from
// d.Entities (none when d has no such entity). Each key is replaced. Apply
// stops at the first error, which names the namespace or key.
func Apply(ctx context.Context, d *Dataset, l store.Loader) error {
	if err := checkSnapshots(d); err != nil {
		return err
	}
	var (
		ns    string
		ids   []string
		feats []map[string]rank.Value
	)
	flush := func() error {
		if len(ids) == 0 {
			return nil
		}
		if err := l.PutFeatures(ctx, ns, ids, feats); err != nil {
			return fmt.Errorf("apply dataset: features %q: %w", ns, err)
		}
		ids, feats = ids[:0], feats[:0]
		return nil
	}
	for _, e := range d.Entities {
		if e.Namespace != ns || len(ids) == applyBatch {
			if err := flush(); err != nil {
				return err
			}
			ns = e.Namespace
		}
		ids = append(ids, e.ID)
		feats = append(feats, e.Features)
	}
	if err := flush(); err != nil {
		return err
	}
	for _, s := range d.Sets {
		if err := l.PutSet(ctx, s.Key, s.Members); err != nil {
			return fmt.Errorf("apply dataset: set %q: %w", s.Key, err)
		}
	}
	for _, li := range d.Lists {
		if err := l.PutList(ctx, li.Key, li.Members); err != nil {
			return fmt.Errorf("apply dataset: list %q: %w", li.Key, err)
		}
	}
	return applySnapshots(ctx, d, l)
}

// checkSnapshots refuses, before anything is written, a list published with
// the features of a namespace that has no entities: a misspelled namespace
// would publish a snapshot without features.
func checkSnapshots(d *Dataset) error {
	var have map[string]bool
	for _, li := range d.Lists {
		if li.Snapshot == "" || len(li.Members) == 0 {
			continue
		}
		if have == nil {
			have = map[string]bool{}
			for _, e := range d.Entities {
				have[e.Namespace] = true
			}
		}
		if !have[li.Snapshot] {
			return fmt.Errorf("apply dataset: snapshot %q: namespace %q has no entities", li.Key, li.Snapshot)
		}
	}
	return nil
}

// applySnapshots writes the snapshot of each list of d that has one.
func applySnapshots(ctx context.Context, d *Dataset, l store.Loader) error {
	index := map[string]map[string]map[string]rank.Value{} // namespace → id → features
	for _, li := range d.Lists {
		if li.Snapshot != "" {
			index[li.Snapshot] = nil
		}
	}
	if len(index) == 0 {
		return nil
	}
	for _, e := range d.Entities {
		byID, ok := index[e.Namespace]
		if !ok {
			continue
		}
		if byID == nil {
			byID = map[string]map[string]rank.Value{}
			index[e.Namespace] = byID
		}
		byID[e.ID] = e.Features // the last of duplicates, as PutFeatures keeps
	}
	for _, li := range d.Lists {
		if li.Snapshot == "" {
			continue
		}
		byID := index[li.Snapshot]
		feats := make([]map[string]rank.Value, len(li.Members)) // one per list: a store may keep it
		for i, m := range li.Members {
			feats[i] = byID[m.ID]
		}
		if err := l.PutSnapshot(ctx, li.Key, li.Members, feats); err != nil {
			return fmt.Errorf("apply dataset: snapshot %q: %w", li.Key, err)
		}
	}
	return nil
}
