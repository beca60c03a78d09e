package source

import (
	"context"
	"errors"
	"fmt"

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
		Summary: "Appends the top members of a published snapshot, a ranked list stored with its members' features, already hydrated: one fetch of one key.",
		Doc: "Use it for lists a batch job recomputes and publishes as snapshots (the popular posts, the popular videos): " +
			"candidates arrive with the features they had when the snapshot was published, shared and not copied, " +
			"so no hydrate_features is needed for them. Each candidate's score is its score in the list. " +
			"A missing snapshot brings no candidates. " + keytmpl.Doc,
		Fields: []registry.Field{
			{
				Name: "key", Type: registry.String, Required: true,
				Doc:     "Key template of the snapshot (the key of the list it was published for).",
				Example: "country:{country}:popular",
			},
			{Name: "n", Type: registry.Int, Default: 100, Doc: "Most members to take from the snapshot; 0 takes all."},
			scoreFeatureField,
			{Name: "drop_missing", Type: registry.Bool, Default: false, Doc: "Leave out members the snapshot has no features for (such as posts deleted before it was published)."},
		},
		Writes: []registry.FeatureRef{{On: registry.OnCandidate, Name: "*"}},
		New: func(c *registry.Config, env *registry.Env) (stage.Stage, error) {
			if env.Snapshots == nil {
				return nil, fmt.Errorf("source_snapshot: %w", errNoSnapshots)
			}
			o := listOptions(c)
			key, err := o.template()
			if err != nil {
				return nil, err
			}
			return &snapshot{snaps: env.Snapshots, key: key, n: o.N, scoreFeature: o.ScoreFeature, dropMissing: c.Bool("drop_missing")}, nil
		},
	})
}

// SnapshotOptions configure Snapshot: those of a list, and what to do with
// members without features.
type SnapshotOptions struct {
	ListOptions
	// DropMissing leaves out members the snapshot has no features for;
	// they still count towards N.
	DropMissing bool
}

// Snapshot returns a stage that appends the top o.N members of the snapshot
// at o.Key, rendered from the request's context, in list order, each scored
// with its list score and carrying the snapshot's features for it. A key
// that cannot be rendered is an error; a missing snapshot brings no
// candidates.
func Snapshot(snaps store.Snapshots, o SnapshotOptions) (stage.Stage, error) {
	if snaps == nil {
		return nil, fmt.Errorf("source snapshot: %w", errNoSnapshots)
	}
	key, err := o.template()
	if err != nil {
		return nil, fmt.Errorf("source snapshot: %w", err)
	}
	return &snapshot{snaps: snaps, key: key, n: o.N, scoreFeature: o.ScoreFeature, dropMissing: o.DropMissing}, nil
}

type snapshot struct {
	snaps        store.Snapshots
	key          *keytmpl.Template
	n            int
	scoreFeature string
	dropMissing  bool
}

func (s *snapshot) Rank(ctx context.Context, req *rank.Request) (*rank.Request, error) {
	key, err := s.key.Render(req.Context, "")
	if err != nil {
		return nil, err
	}
	res, err := s.snaps.Snapshots(ctx, []string{key})
	if err != nil {
		return nil, err
	}
	if len(res) != 1 {
		return nil, fmt.Errorf("source snapshot: store returned %d snapshots for 1 key", len(res))
	}
	snap := res[0]
	if snap == nil {
		return req, nil
	}
	if len(snap.Records) != len(snap.Members) {
		return nil, fmt.Errorf("source snapshot: snapshot %q has %d members but %d records", key, len(snap.Members), len(snap.Records))
	}
	n := len(snap.Members)
	if m := req.Scaled(s.n); m > 0 && m < n {
		n = m
	}
	req.Grow(n)
	for i, m := range snap.Members[:n] {
		r := snap.Records[i]
		if r == nil && s.dropMissing {
			continue
		}
		e := req.Append(m.ID)
		e.Score = m.Score
		e.BorrowRecord(r)
		if s.scoreFeature != "" {
			e.Set(s.scoreFeature, rank.FloatValue(m.Score))
		}
	}
	return req, nil
}

func (s *snapshot) Name() string { return "source_snapshot" }

func (s *snapshot) String() string { return fmt.Sprintf("source_snapshot(%s, n=%d)", s.key, s.n) }

var _ stage.Stage = (*snapshot)(nil)

// Blocks reports whether the store may wait (store.Blocks).
func (s *snapshot) Blocks() bool { return store.Blocks(s.snaps) }
