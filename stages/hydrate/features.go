package hydrate

import (
	"context"
	"fmt"
	"sync"

	"github.com/rankflow/rankflow/pipeline/registry"
	"github.com/rankflow/rankflow/rank"
	"github.com/rankflow/rankflow/stage"
	"github.com/rankflow/rankflow/store"
)

func init() {
	specs = append(specs, registry.Spec{
		Name:    "hydrate_features",
		Kind:    registry.Hydrate,
		Summary: "Fetches the features of every candidate from a namespace of the store in one batch and attaches them without copying.",
		Doc:     "Features a candidate already has win over the store's. With drop_missing, candidates the store does not know are removed.",
		Fields: []registry.Field{
			{Name: "namespace", Type: registry.String, Required: true, Doc: "Store namespace of the candidates' features.", Example: "post"},
			{Name: "drop_missing", Type: registry.Bool, Default: false, Doc: "Remove candidates the namespace has no features for (such as deleted posts)."},
		},
		Writes: []registry.FeatureRef{{On: registry.OnCandidate, Name: "*"}},
		New: func(c *registry.Config, env *registry.Env) (stage.Stage, error) {
			if env.Features == nil {
				return nil, fmt.Errorf("hydrate_features: %w", errNoFeatures)
			}
			if c.String("namespace") == "" {
				return nil, &registry.FieldError{Field: "namespace", Msg: "must not be empty"}
			}
			return Features(env.Features, c.String("namespace"), c.Bool("drop_missing")), nil
		},
	})
}

// Features returns a stage that fetches the features of every candidate in
// namespace with one Features call and attaches them with Borrow. When
// dropMissing is set it removes the candidates the store does not know.
func Features(fs store.Features, namespace string, dropMissing bool) stage.Stage {
	return &features{
		fs: fs, namespace: namespace, dropMissing: dropMissing,
		reason: "no features in namespace " + namespace,
	}
}

// idsPool recycles the id slices handed to the store.
var idsPool = sync.Pool{New: func() any { s := make([]string, 0, 1024); return &s }}

type features struct {
	fs          store.Features
	namespace   string
	dropMissing bool
	reason      string
}

func (s *features) Rank(ctx context.Context, req *rank.Request) (*rank.Request, error) {
	if len(req.Candidates) == 0 {
		return req, nil
	}
	buf := idsPool.Get().(*[]string)
	ids := (*buf)[:0]
	for _, e := range req.Candidates {
		ids = append(ids, e.ID)
	}
	defer func() { clear(ids); *buf = ids[:0]; idsPool.Put(buf) }()
	got, err := s.fs.Features(ctx, s.namespace, ids)
	if err != nil {
		return nil, err
	}
	if len(got) != len(ids) {
		return nil, fmt.Errorf("hydrate features: store returned %d feature maps for %d ids", len(got), len(ids))
	}
	kept := req.Candidates[:0]
	for i, e := range req.Candidates {
		if got[i] == nil && s.dropMissing {
			req.Reject(e, s.reason)
			continue
		}
		e.BorrowRecord(got[i])
		kept = append(kept, e)
	}
	clear(req.Candidates[len(kept):])
	req.Candidates = kept
	return req, nil
}

func (s *features) Name() string { return "hydrate_features" }

func (s *features) String() string { return "hydrate_features(" + s.namespace + ")" }

var _ stage.Stage = (*features)(nil)

// Blocks reports whether the store may wait (store.Blocks).
func (s *features) Blocks() bool { return store.Blocks(s.fs) }
