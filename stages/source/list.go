package source

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
		Name:    "source_list",
		Kind:    registry.Source,
		Summary: "Appends the top members of one ranked list, such as a community's hot posts, with the list score as their score.",
		Doc: "Each candidate's score is its score in the list; score_feature also keeps it as a float feature " +
			"(which gives each candidate its own feature map). " + keytmpl.Doc,
		Fields: []registry.Field{
			{
				Name: "key", Type: registry.String, Required: true,
				Doc:     "Key template of the list.",
				Example: "community:{community_id}:hot",
			},
			{Name: "n", Type: registry.Int, Default: 100, Doc: "Most members to take from the list; 0 takes all."},
			scoreFeatureField,
		},
		New: func(c *registry.Config, env *registry.Env) (stage.Stage, error) {
			if env.Lists == nil {
				return nil, fmt.Errorf("source_list: %w", errNoLists)
			}
			o := listOptions(c)
			key, err := o.template()
			if err != nil {
				return nil, err
			}
			return &list{lists: env.Lists, key: key, n: o.N, scoreFeature: o.ScoreFeature}, nil
		},
	})
}

// ListOptions configure List.
type ListOptions struct {
	// Key is the list's key template (see the package keytmpl syntax in the
	// stage docs: {id}, {feature}, {{ and }}).
	Key string
	// N is the most members to take; 0 takes all.
	N int
	// ScoreFeature, if set, is a candidate feature that also receives the
	// list score.
	ScoreFeature string
}

// listOptions reads the fields source_list and source_snapshot share.
func listOptions(c *registry.Config) ListOptions {
	return ListOptions{Key: c.String("key"), N: c.Int("n"), ScoreFeature: c.String("score_feature")}
}

// template checks o and parses its key, with errors naming the field.
func (o ListOptions) template() (*keytmpl.Template, error) {
	if o.N < 0 {
		return nil, &registry.FieldError{Field: "n", Msg: fmt.Sprintf("must not be negative (got %d)", o.N)}
	}
	key, err := keytmpl.Parse(o.Key, false)
	if err != nil {
		return nil, &registry.FieldError{Field: "key", Msg: err.Error()}
	}
	return key, nil
}

// List returns a stage that appends the top o.N members of the list at
// o.Key, rendered from the request's context, in list order, each scored
// with its list score. A key that cannot be rendered (a missing context
// feature) is an error; a missing list brings no candidates.
func List(lists store.Lists, o ListOptions) (stage.Stage, error) {
	if lists == nil {
		return nil, fmt.Errorf("source list: %w", errNoLists)
	}
	key, err := o.template()
	if err != nil {
		return nil, fmt.Errorf("source list: %w", err)
	}
	return &list{lists: lists, key: key, n: o.N, scoreFeature: o.ScoreFeature}, nil
}

type list struct {
	lists        store.Lists
	key          *keytmpl.Template
	n            int
	scoreFeature string
}

func (s *list) Rank(ctx context.Context, req *rank.Request) (*rank.Request, error) {
	key, err := s.key.Render(req.Context, "")
	if err != nil {
		return nil, err
	}
	res, err := s.lists.Top(ctx, []string{key}, req.Scaled(s.n))
	if err != nil {
		return nil, err
	}
	if len(res) == 1 {
		appendScored(req, res[0], s.scoreFeature, "", "")
	}
	return req, nil
}

// appendScored appends members to req's candidates, scored with their list
// score, optionally kept as scoreFeature, and with itemFeature set to item.
func appendScored(req *rank.Request, members []store.Scored, scoreFeature, itemFeature, item string) {
	req.Grow(len(members))
	for _, m := range members {
		e := req.Append(m.ID)
		e.Score = m.Score
		if scoreFeature != "" {
			e.Set(scoreFeature, rank.FloatValue(m.Score))
		}
		if itemFeature != "" {
			e.Set(itemFeature, rank.StringValue(item))
		}
	}
}

func (s *list) Name() string { return "source_list" }

func (s *list) String() string { return fmt.Sprintf("source_list(%s, n=%d)", s.key, s.n) }

var _ stage.Stage = (*list)(nil)

// Blocks reports whether the store may wait (store.Blocks).
func (s *list) Blocks() bool { return store.Blocks(s.lists) }
