package hydrate

import (
	"context"
	"fmt"

	"github.com/rankflow/rankflow/pipeline/registry"
	"github.com/rankflow/rankflow/rank"
	"github.com/rankflow/rankflow/stage"
	"github.com/rankflow/rankflow/stages/internal/keytmpl"
	"github.com/rankflow/rankflow/store"
)

func init() {
	specs = append(specs, registry.Spec{
		Name:    "hydrate_set",
		Kind:    registry.Hydrate,
		Summary: "Reads a set from the store, such as the posts a user recently viewed, into a string-set context feature.",
		Doc:     "A missing set gives an empty one. " + keytmpl.Doc,
		Fields: []registry.Field{
			{Name: "key", Type: registry.String, Required: true, Doc: "Key template of the set.", Example: "user:{id}:viewed"},
			{
				Name: "feature", Type: registry.String, Required: true,
				Role: registry.WritesContext, FeatureKind: rank.StringSet,
				Doc: "Context feature that receives the set.", Example: "recently_viewed",
			},
		},
		New: func(c *registry.Config, env *registry.Env) (stage.Stage, error) {
			if env.Sets == nil {
				return nil, fmt.Errorf("hydrate_set: %w", errNoSets)
			}
			key, err := keytmpl.Parse(c.String("key"), false)
			if err != nil {
				return nil, &registry.FieldError{Field: "key", Msg: err.Error()}
			}
			if c.String("feature") == "" {
				return nil, &registry.FieldError{Field: "feature", Msg: "must not be empty"}
			}
			return &set{sets: env.Sets, key: key, feature: c.String("feature")}, nil
		},
	})
}

// Set returns a stage that reads the set at key, rendered from the context
// (see the key template syntax in the stage docs), into the context's
// string-set feature. A key that cannot be rendered is an error.
func Set(sets store.Sets, key, feature string) (stage.Stage, error) {
	if sets == nil {
		return nil, fmt.Errorf("hydrate set: %w", errNoSets)
	}
	t, err := keytmpl.Parse(key, false)
	if err != nil {
		return nil, fmt.Errorf("hydrate set: %w", err)
	}
	return &set{sets: sets, key: t, feature: feature}, nil
}

type set struct {
	sets    store.Sets
	key     *keytmpl.Template
	feature string
}

func (s *set) Rank(ctx context.Context, req *rank.Request) (*rank.Request, error) {
	key, err := s.key.Render(req.Context, "")
	if err != nil {
		return nil, err
	}
	members, err := s.sets.Members(ctx, key)
	if err != nil {
		return nil, err
	}
	if req.Context == nil {
		req.Context = rank.NewEntity("")
	}
	req.Context.Set(s.feature, rank.SetValue(members))
	return req, nil
}

func (s *set) Name() string { return "hydrate_set" }

func (s *set) String() string { return fmt.Sprintf("hydrate_set(%s → %s)", s.key, s.feature) }

var _ stage.Stage = (*set)(nil)

// Blocks reports whether the store may wait (store.Blocks).
func (s *set) Blocks() bool { return store.Blocks(s.sets) }
