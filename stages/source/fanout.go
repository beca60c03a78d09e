package source

import (
	"context"
	"fmt"
	"strconv"

	"github.com/rankflow/rankflow/pipeline/registry"
	"github.com/rankflow/rankflow/rank"
	"github.com/rankflow/rankflow/stage"
	"github.com/rankflow/rankflow/stages/internal/keytmpl"
	"github.com/rankflow/rankflow/store"
)

func init() {
	specs = append(specs, registry.Spec{
		Name:    "source_fanout",
		Kind:    registry.Source,
		Summary: "Appends the top members of one ranked list per item of a context list, such as the hot posts of each subscribed community, in one store call.",
		Doc: "The key template's {item} is the list item; the other placeholders are as for source_list. " +
			"Lists are fetched in one Lists.Top call and appended in item order (a string set's items are sorted), " +
			"each scored with its list score. A context without the list, or with an empty one, brings no candidates. " +
			keytmpl.Doc,
		Fields: []registry.Field{
			{
				Name: "over", Type: registry.String, Required: true,
				Role: registry.ReadsContext, FeatureKind: rank.Invalid,
				Doc:     "Context feature holding the items: a string set or an int list.",
				Example: "subscriptions",
			},
			{
				Name: "key", Type: registry.String, Required: true,
				Doc:     "Key template of each item's list; {item} is the item.",
				Example: "community:{item}:hot",
			},
			{Name: "n", Type: registry.Int, Default: 25, Doc: "Most members to take from each list; 0 takes all."},
			{Name: "max_lists", Type: registry.Int, Default: 100, Doc: "Most lists to fetch: items past it are ignored; 0 fetches one per item."},
			scoreFeatureField,
			{
				Name: "item_feature", Type: registry.String,
				Role: registry.WritesCandidate, FeatureKind: rank.String,
				Doc:     "Candidate feature that receives the item the candidate came from; empty for none.",
				Example: "community_id",
			},
		},
		New: func(c *registry.Config, env *registry.Env) (stage.Stage, error) {
			if env.Lists == nil {
				return nil, fmt.Errorf("source_fanout: %w", errNoLists)
			}
			for _, f := range []string{"n", "max_lists"} {
				if c.Int(f) < 0 {
					return nil, &registry.FieldError{Field: f, Msg: "must not be negative"}
				}
			}
			key, err := keytmpl.Parse(c.String("key"), true)
			if err != nil {
				return nil, &registry.FieldError{Field: "key", Msg: err.Error()}
			}
			return &fanout{
				lists: env.Lists, over: c.String("over"), key: key, n: c.Int("n"), maxLists: c.Int("max_lists"),
				scoreFeature: c.String("score_feature"), itemFeature: c.String("item_feature"),
			}, nil
		},
	})
}

// FanoutOptions configure Fanout.
type FanoutOptions struct {
	// Over is the context feature holding the items, a string set or an int
	// list.
	Over string
	// Key is the key template of each item's list; {item} is the item.
	Key string
	// N is the most members to take from each list; 0 takes all.
	N int
	// MaxLists is the most lists to fetch; 0 means one per item.
	MaxLists int
	// ScoreFeature and ItemFeature, if set, are candidate features that
	// receive the list score and the item.
	ScoreFeature, ItemFeature string
}

// Fanout returns a stage that fetches one list per item of the context
// feature o.Over, all in one Lists.Top call, and appends their members in
// item order, each scored with its list score. A context without the
// feature brings no candidates; a key that cannot be rendered is an error.
func Fanout(lists store.Lists, o FanoutOptions) (stage.Stage, error) {
	if lists == nil {
		return nil, fmt.Errorf("source fanout: %w", errNoLists)
	}
	if o.N < 0 || o.MaxLists < 0 {
		return nil, fmt.Errorf("source fanout: n %d or max lists %d is negative", o.N, o.MaxLists)
	}
	if o.Over == "" {
		return nil, fmt.Errorf("source fanout: no context feature to fan out over")
	}
	key, err := keytmpl.Parse(o.Key, true)
	if err != nil {
		return nil, fmt.Errorf("source fanout: %w", err)
	}
	return &fanout{
		lists: lists, over: o.Over, key: key, n: o.N, maxLists: o.MaxLists,
		scoreFeature: o.ScoreFeature, itemFeature: o.ItemFeature,
	}, nil
}

type fanout struct {
	lists                     store.Lists
	over                      string
	key                       *keytmpl.Template
	n, maxLists               int
	scoreFeature, itemFeature string
}

func (s *fanout) Rank(ctx context.Context, req *rank.Request) (*rank.Request, error) {
	items, err := s.items(req.Context)
	if err != nil {
		return nil, err
	}
	if len(items) == 0 {
		return req, nil
	}
	keys := make([]string, len(items))
	for i, it := range items {
		if keys[i], err = s.key.Render(req.Context, it); err != nil {
			return nil, err
		}
	}
	res, err := s.lists.Top(ctx, keys, req.Scaled(s.n))
	if err != nil {
		return nil, err
	}
	if len(res) != len(keys) {
		return nil, fmt.Errorf("source fanout: store returned %d lists for %d keys", len(res), len(keys))
	}
	total := 0
	for _, l := range res {
		total += len(l)
	}
	req.Grow(total)
	for i, l := range res {
		appendScored(req, l, s.scoreFeature, s.itemFeature, items[i])
	}
	return req, nil
}

// items returns the items of the context list, capped at maxLists.
func (s *fanout) items(c *rank.Entity) ([]string, error) {
	if c == nil {
		return nil, nil
	}
	v, ok := c.Feature(s.over)
	if !ok {
		return nil, nil
	}
	var items []string
	if set, ok := v.AsStringSet(); ok {
		items = set.Items()
		if s.maxLists > 0 && len(items) > s.maxLists {
			items = items[:s.maxLists]
		}
	} else if l, ok := v.AsIntList(); ok {
		if s.maxLists > 0 && len(l) > s.maxLists {
			l = l[:s.maxLists]
		}
		items = make([]string, len(l))
		for i, n := range l {
			items[i] = strconv.FormatInt(n, 10)
		}
	} else {
		return nil, fmt.Errorf("source fanout: context feature %q is a %s, want a string_set or an int_list", s.over, v.Kind())
	}
	return items, nil
}

func (s *fanout) Name() string { return "source_fanout" }

func (s *fanout) String() string {
	return fmt.Sprintf("source_fanout(over %s, %s, n=%d)", s.over, s.key, s.n)
}

var _ stage.Stage = (*fanout)(nil)

// Blocks reports whether the store may wait (store.Blocks).
func (s *fanout) Blocks() bool { return store.Blocks(s.lists) }
