package hydrate

import (
	"context"
	"fmt"

	"github.com/rankflow/rankflow/pipeline/registry"
	"github.com/rankflow/rankflow/rank"
	"github.com/rankflow/rankflow/stage"
	"github.com/rankflow/rankflow/store"
)

func init() {
	specs = append(specs, registry.Spec{
		Name:    "hydrate_context",
		Kind:    registry.Hydrate,
		Summary: "Fetches the context entity's features (such as the user's preferences) from a namespace of the store.",
		Doc:     "Features the request already carries win over the store's. A context without an id, or one the store does not know, is left as it is.",
		Fields: []registry.Field{
			{Name: "namespace", Type: registry.String, Required: true, Doc: "Store namespace of the context entity's features.", Example: "user"},
		},
		Writes: []registry.FeatureRef{{On: registry.OnContext, Name: "*"}},
		New: func(c *registry.Config, env *registry.Env) (stage.Stage, error) {
			if env.Features == nil {
				return nil, fmt.Errorf("hydrate_context: %w", errNoFeatures)
			}
			if c.String("namespace") == "" {
				return nil, &registry.FieldError{Field: "namespace", Msg: "must not be empty"}
			}
			return Context(env.Features, c.String("namespace")), nil
		},
	})
}

// Context returns a stage that fetches the context entity's features in
// namespace and attaches them with Borrow; features the request carries
// win. A context without an id is left as it is.
func Context(fs store.Features, namespace string) stage.Stage {
	return &contextFeatures{fs: fs, namespace: namespace}
}

type contextFeatures struct {
	fs        store.Features
	namespace string
}

func (s *contextFeatures) Rank(ctx context.Context, req *rank.Request) (*rank.Request, error) {
	if req.Context == nil || req.Context.ID == "" {
		return req, nil
	}
	got, err := s.fs.Features(ctx, s.namespace, []string{req.Context.ID})
	if err != nil {
		return nil, err
	}
	if len(got) == 1 {
		req.Context.BorrowRecord(got[0])
	}
	return req, nil
}

func (s *contextFeatures) Name() string { return "hydrate_context" }

var _ stage.Stage = (*contextFeatures)(nil)

// Blocks reports whether the store may wait (store.Blocks).
func (s *contextFeatures) Blocks() bool { return store.Blocks(s.fs) }
