package source

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"

	"github.com/rankflow/rankflow/pipeline/registry"
	"github.com/rankflow/rankflow/rank"
	"github.com/rankflow/rankflow/stage"
	"github.com/rankflow/rankflow/stages/internal/keytmpl"
	"github.com/rankflow/rankflow/store"
)

// errNoSnapshots is returned when source_snapshot is built without a
// Snapshots store.
var errNoSnapshots = errors.New("needs a store for snapshots, and the environment has none (Env.Snapshots is nil)")

func init() {
	specs = append(specs, registry.Spec{
		Name:    "source_snapshot",
		Kind:    registry.Source,
		Summary: "Appends the top members of a published snapshot, a ranked list stored with its members' features, already hydrated: one fetch for one key or several.",
		Doc: "Use it for lists a batch job recomputes and publishes as snapshots (the popular posts, the popular videos): " +
			"candidates arrive with the features they had when the snapshot was published, shared and not copied, " +
			"so no hydrate_features is needed for them. Each candidate's score is its score in the list. " +
			"A missing snapshot brings no candidates. " + keytmpl.Doc,
		Fields: []registry.Field{
			{
				Name:    "key",
				Type:    registry.String,
				Doc:     "Key template of the snapshot (the key of the list it was published for). Give key or keys.",
				Example: "country:{country}:popular",
			},
			{
				Name: "keys", Type: registry.Strings,
				Doc: "Key templates of several snapshots, fetched together in one round trip: their members are appended in key order, " +
					"and a member already appended from an earlier key is skipped (the first wins). Candidates already in the request are not looked at, " +
					"as with every source, and one snapshot that cannot be read fails the stage (a parallel of one source per key can instead keep the others). Give key or keys.",
			},
			{Name: "n", Type: registry.Int, Default: 100, Doc: "Most members to take from each snapshot; 0 takes all."},
			scoreFeatureField,
			{Name: "drop_missing", Type: registry.Bool, Default: false, Doc: "Leave out members the snapshot has no features for (such as posts deleted before it was published)."},
		},
		OneOf:  [][]string{{"key", "keys"}},
		Writes: []registry.FeatureRef{{On: registry.OnCandidate, Name: "*"}},
		New: func(c *registry.Config, env *registry.Env) (stage.Stage, error) {
			if env.Snapshots == nil {
				return nil, fmt.Errorf("source_snapshot: %w", errNoSnapshots)
			}
			return newSnapshot(env.Snapshots, SnapshotOptions{ListOptions: listOptions(c), Keys: c.Strings("keys"), DropMissing: c.Bool("drop_missing")})
		},
	})
}

// SnapshotOptions configure Snapshot: those of a list, and what to do with
// members without features.
type SnapshotOptions struct {
	// ListOptions give the key template (or use Keys), the most members
	// to take from each snapshot and the score feature.
	ListOptions
	// Keys, instead of Key, are the templates of several snapshots read in
	// one round trip; their members are appended in key order, the first
	// of each id kept.
	Keys []string
	// DropMissing leaves out members the snapshot has no features for;
	// they still count towards N.
	DropMissing bool
}

// Snapshot returns a stage that appends the top o.N members of the snapshot
// at o.Key (or of each of o.Keys, in one round trip), rendered from the
// request's context, in list order, each scored with its list score and
// carrying the snapshot's features for it. With several keys a member
// already appended from an earlier key is skipped; candidates the request
// already had are not looked at. A key that cannot be
// rendered is an error; a missing snapshot brings no candidates.
func Snapshot(snaps store.Snapshots, o SnapshotOptions) (stage.Stage, error) {
	if snaps == nil {
		return nil, fmt.Errorf("source snapshot: %w", errNoSnapshots)
	}
	st, err := newSnapshot(snaps, o)
	if err != nil {
		return nil, fmt.Errorf("source snapshot: %w", err)
	}
	return st, nil
}

func newSnapshot(snaps store.Snapshots, o SnapshotOptions) (*snapshot, error) {
	srcs := o.Keys
	switch {
	case o.Key != "" && len(o.Keys) > 0:
		return nil, &registry.FieldError{Field: "keys", Msg: "give key or keys, not both"}
	case o.Key == "" && len(o.Keys) == 0:
		return nil, &registry.FieldError{Field: "key", Msg: "missing: give key (one snapshot) or keys (several)"}
	case o.Key != "":
		srcs = []string{o.Key}
	}
	if o.N < 0 {
		return nil, &registry.FieldError{Field: "n", Msg: fmt.Sprintf("must not be negative (got %d)", o.N)}
	}
	s := &snapshot{snaps: snaps, n: o.N, scoreFeature: o.ScoreFeature, dropMissing: o.DropMissing}
	for i, src := range srcs {
		lo := o.ListOptions
		lo.Key = src
		key, err := lo.template()
		var fe *registry.FieldError
		if err != nil && len(o.Keys) > 0 && errors.As(err, &fe) {
			return nil, &registry.FieldError{Field: fmt.Sprintf("keys[%d]", i), Msg: fe.Msg}
		}
		if err != nil {
			return nil, err
		}
		s.keys = append(s.keys, key)
	}
	return s, nil
}

type snapshot struct {
	snaps        store.Snapshots
	keys         []*keytmpl.Template
	n            int
	scoreFeature string
	dropMissing  bool
}

// seenPool holds the maps that de-duplicate members across several
// snapshots; a map keeps its buckets through clear.
var seenPool = sync.Pool{New: func() any { return make(map[string]struct{}) }}

func (s *snapshot) Rank(ctx context.Context, req *rank.Request) (*rank.Request, error) {
	keys := make([]string, len(s.keys))
	for i, t := range s.keys {
		key, err := t.Render(req.Context, "")
		if err != nil {
			return nil, err
		}
		keys[i] = key
	}
	res, err := s.snaps.Snapshots(ctx, keys)
	if err != nil {
		return nil, err
	}
	if len(res) != len(keys) {
		return nil, fmt.Errorf("source snapshot: store returned %d snapshots for %d keys", len(res), len(keys))
	}
	total := 0
	for i, snap := range res {
		if snap == nil {
			continue
		}
		if len(snap.Records) != len(snap.Members) {
			return nil, fmt.Errorf("source snapshot: snapshot %q has %d members but %d records", keys[i], len(snap.Members), len(snap.Records))
		}
		total += s.take(req, len(snap.Members))
	}
	req.Grow(total)
	var seen map[string]struct{}
	if len(res) > 1 {
		seen = seenPool.Get().(map[string]struct{})
		defer func() { clear(seen); seenPool.Put(seen) }()
	}
	for _, snap := range res {
		if snap == nil {
			continue
		}
		for i, m := range snap.Members[:s.take(req, len(snap.Members))] {
			r := snap.Records[i]
			if r == nil && s.dropMissing {
				continue
			}
			if seen != nil {
				if _, dup := seen[m.ID]; dup {
					continue
				}
				seen[m.ID] = struct{}{}
			}
			e := req.Append(m.ID)
			e.Score = m.Score
			e.BorrowRecord(r)
			if s.scoreFeature != "" {
				e.Set(s.scoreFeature, rank.FloatValue(m.Score))
			}
		}
	}
	return req, nil
}

// take returns how many of a snapshot's n members the request takes.
func (s *snapshot) take(req *rank.Request, n int) int {
	if m := req.Scaled(s.n); m > 0 && m < n {
		return m
	}
	return n
}

func (s *snapshot) Name() string { return "source_snapshot" }

func (s *snapshot) String() string {
	keys := make([]string, len(s.keys))
	for i, k := range s.keys {
		keys[i] = k.String()
	}
	return fmt.Sprintf("source_snapshot(%s, n=%d)", strings.Join(keys, ", "), s.n)
}

var _ stage.Stage = (*snapshot)(nil)

// Blocks reports whether the store may wait (store.Blocks).
func (s *snapshot) Blocks() bool { return store.Blocks(s.snaps) }
