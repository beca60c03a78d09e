// Package store defines how stages read candidates and features, as small
// interfaces shaped by access pattern: ranked lists (sorted sets), sets, and
// entity features fetched in batches. Implementations live in subpackages:
// memory (the embedded default), redis (single node or cluster) and cache (a
// per-process cache in front of any of them).
//
// Every method makes at most one round trip per backend node however many
// keys or ids it is given. A missing key is an empty result, not an error.
// Errors name the operation and the key.
package store

import (
	"context"
	"time"

	"github.com/rankflow/rankflow/rank"
)

// Scored is a member of a ranked list.
type Scored struct {
	ID    string
	Score float64
}

// Lists reads ranked lists, such as the popular posts of a community.
type Lists interface {
	// Top returns up to n members of each list in keys, highest score first
	// (ties by id), in the order of keys: out[i] belongs to keys[i]. n <= 0
	// means all members. The member slices may be shared with the store or
	// a cache: callers must not modify them.
	Top(ctx context.Context, keys []string, n int) ([][]Scored, error)
}

// Sets reads and adds to sets of ids, such as the posts a user recently
// viewed.
type Sets interface {
	// Members returns the members of the set at key.
	Members(ctx context.Context, key string) (*rank.Set, error)
	// Add adds members to the set at key, keeps at most maxLen of the most
	// recently added members (0: no cap), and makes the set expire ttl after
	// this write (0: never).
	Add(ctx context.Context, key string, members []string, ttl time.Duration, maxLen int) error
}

// Features fetches entity features in batches.
type Features interface {
	// Features returns the features of each id in namespace (such as "post"),
	// in the order of ids: out[i] belongs to ids[i] and is nil when the
	// entity is unknown. Records are immutable and shared; give them to
	// entities with rank.Entity.BorrowRecord. Records of one namespace
	// usually share a schema, which lets stages read them fast
	// (rank.Resolver).
	Features(ctx context.Context, namespace string, ids []string) ([]*rank.Record, error)
}

// Snapshot is a ranked list published together with its members'
// features as one value: what a batch job writes for a list it recomputes
// (the popular posts, the popular videos), so that a source reads the
// candidates and their features in one fetch of one key instead of a list
// read and a batch of feature reads. The features are those of when the
// snapshot was published; read features that must be fresh with Features.
type Snapshot struct {
	// Members are the list, highest score first (ties by id).
	Members []Scored
	// Records holds the features of Members[i] at i, nil for a member
	// without features.
	Records []*rank.Record
	// Version identifies the snapshot as the store published it: two reads
	// of one key with the same Version return the same snapshot. 0 means
	// the store does not say (SnapshotVersioner).
	Version uint64
}

// Snapshots reads published snapshots.
type Snapshots interface {
	// Snapshots returns the snapshot at each key, in the order of keys:
	// out[i] belongs to keys[i] and is nil when there is none. Snapshots are
	// shared with the store or a cache: callers must not modify them.
	Snapshots(ctx context.Context, keys []string) ([]*Snapshot, error)
}

// SnapshotVersioner is implemented by stores that can tell the Version of
// a snapshot without reading it, so that a cache holding a snapshot can
// check in one small read that it has not changed instead of fetching it
// again (package cache, Policy.Revalidate).
type SnapshotVersioner interface {
	// SnapshotVersions returns the Version of the snapshot at each key, in
	// the order of keys: out[i] belongs to keys[i] and is 0 when there is
	// no snapshot or its version is not known.
	SnapshotVersions(ctx context.Context, keys []string) ([]uint64, error)
}

// Store is a backend with every access pattern.
type Store interface {
	Lists
	Sets
	Features
	Snapshots
}

// Loader writes a dataset into a store in bulk. It replaces what is at each
// key.
type Loader interface {
	PutList(ctx context.Context, key string, members []Scored) error
	PutSet(ctx context.Context, key string, members []string) error
	PutFeatures(ctx context.Context, namespace string, ids []string, features []map[string]rank.Value) error
	// PutSnapshot publishes the snapshot at key: the list members (in any
	// order) and features[i], the features of members[i] (nil for none).
	PutSnapshot(ctx context.Context, key string, members []Scored, features []map[string]rank.Value) error
}

// Blocks reports whether calls to s may wait, on the network or on another
// process: true unless s has a Blocks method that says otherwise, as the
// memory store does. Stages ask it to tell whether they may wait
// (stage.Blocker).
func Blocks(s any) bool {
	if b, ok := s.(interface{ Blocks() bool }); ok {
		return b.Blocks()
	}
	return true
}
