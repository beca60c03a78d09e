package registry_test

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/rankflow/rankflow/pipeline/registry"
	"github.com/rankflow/rankflow/rank"
	"github.com/rankflow/rankflow/stage"
)

var spec = registry.Spec{
	Name: "probe", Kind: registry.Filter, Summary: "A stage for tests.",
	Fields: []registry.Field{
		{Name: "feature", Type: registry.String, Required: true, Doc: "A feature."},
		{Name: "mode", Type: registry.String, Default: "keep", Enum: []string{"keep", "drop"}, Doc: "A mode."},
		{Name: "n", Type: registry.Int, Default: 3, Doc: "A count."},
		{Name: "p", Type: registry.Float, Doc: "A fraction."},
		{Name: "on", Type: registry.Bool, Doc: "A switch."},
		{Name: "wait", Type: registry.Duration, Default: "10ms", Doc: "A wait."},
		{Name: "ids", Type: registry.Strings, Doc: "Some ids."},
		{Name: "weights", Type: registry.FloatMap, Doc: "Some weights."},
	},
	New: func(c *registry.Config, _ *registry.Env) (stage.Stage, error) {
		return stage.RankFunc(func(_ context.Context, req *rank.Request) (*rank.Request, error) { return req, nil }), nil
	},
}

func TestNewConfigConvertsAndDefaults(t *testing.T) {
	c, err := registry.NewConfig(&spec, map[string]any{
		"feature": "ctr", "p": 1, "on": true, "ids": []any{"a", "b"},
		"weights": map[string]any{"x": 2, "y": 0.5},
	})
	if err != nil {
		t.Fatal(err)
	}
	if c.String("feature") != "ctr" || c.String("mode") != "keep" || c.Int("n") != 3 || c.Float("p") != 1 ||
		!c.Bool("on") || c.Duration("wait") != 10*time.Millisecond || len(c.Strings("ids")) != 2 || c.FloatMap("weights")["y"] != 0.5 {
		t.Fatalf("config values wrong: %+v", c)
	}
}

func TestNewConfigReportsEveryProblem(t *testing.T) {
	_, err := registry.NewConfig(&spec, map[string]any{
		"featur": "x", "mode": "maybe", "n": "three", "p": "high", "wait": "soon", "ids": []any{1}, "weights": map[string]any{"x": "heavy"},
	})
	want := []string{
		`featur: unknown field "featur" (did you mean "feature"?)`,
		"feature: required field is missing",
		`mode: "maybe" is not one of keep, drop`,
		`n: want int, got string "three"`,
		`p: want float, got string "high"`,
		`wait: "soon" is not a duration such as 250ms or 2s`,
		"ids: item 0: want a string, got int 1",
		`weights: key "x": want a number, got string "heavy"`,
	}
	if err == nil {
		t.Fatal("bad config accepted")
	}
	for _, w := range want {
		if !strings.Contains(err.Error(), w) {
			t.Errorf("error lacks %q:\n%v", w, err)
		}
	}
	var fe *registry.FieldError
	if !errors.As(err, &fe) {
		t.Errorf("error %T holds no *registry.FieldError", err)
	}
}

func TestRegistry(t *testing.T) {
	r := registry.New()
	if err := r.Register(spec); err != nil {
		t.Fatal(err)
	}
	var dup *registry.AlreadyRegisteredError
	if err := r.Register(spec); !errors.As(err, &dup) || dup.Name != "probe" {
		t.Fatalf("second Register = %v, want *AlreadyRegisteredError for probe", err)
	}
	bad := spec
	bad.Name = "bad"
	bad.Fields = []registry.Field{{Name: "n", Type: registry.Int, Default: "x", Doc: "d"}}
	if err := r.Register(bad); err == nil || !strings.Contains(err.Error(), `default of field "n"`) {
		t.Fatalf("Register with a default of the wrong type = %v", err)
	}
	clone := r.Clone()
	extra := spec
	extra.Name = "extra"
	if err := clone.Register(extra); err != nil {
		t.Fatal(err)
	}
	if _, ok := r.Lookup("extra"); ok {
		t.Fatal("registering in a clone changed the original")
	}
	if _, err := r.Build("prob", nil, nil); !errors.Is(err, registry.ErrUnknownStage) || !strings.Contains(err.Error(), `did you mean "probe"`) {
		t.Fatalf("Build of a misspelt stage = %v", err)
	}
	s, err := r.Build("probe", map[string]any{"feature": "ctr"}, nil)
	if err != nil {
		t.Fatal(err)
	}
	if stage.Name(s) != "probe" {
		t.Fatalf("built stage is named %q, want probe", stage.Name(s))
	}
}

func TestOneOf(t *testing.T) {
	one := registry.Spec{
		Name: "one", Kind: registry.Source, Summary: "A stage with a key or keys.",
		Fields: []registry.Field{
			{Name: "key", Type: registry.String, Doc: "One key."},
			{Name: "keys", Type: registry.Strings, Doc: "Several keys."},
		},
		OneOf: [][]string{{"key", "keys"}},
		New:   spec.New,
	}
	tests := []struct {
		name string
		raw  map[string]any
		want string // "" for accepted
	}{
		{"key", map[string]any{"key": "a"}, ""},
		{"keys", map[string]any{"keys": []any{"a", "b"}}, ""},
		{"neither", map[string]any{}, "key: missing: give one of key, keys"},
		{"a null counts as absent", map[string]any{"key": nil}, "key: missing: give one of key, keys"},
		{"both", map[string]any{"key": "a", "keys": []any{"b"}}, "keys: give only one of key, keys (key is given too)"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := registry.NewConfig(&one, tt.raw)
			if got := errText(err); got != tt.want {
				t.Errorf("error = %q, want %q", got, tt.want)
			}
		})
	}

	r := registry.New()
	for _, bad := range []struct {
		groups [][]string
		fields []registry.Field
		want   string
	}{
		{[][]string{{"key"}}, one.Fields, "needs two fields or more"},
		{[][]string{{"key", "nope"}}, one.Fields, `names unknown field "nope"`},
		{[][]string{{"key", "keys"}}, []registry.Field{{Name: "key", Type: registry.String, Required: true}, {Name: "keys", Type: registry.Strings}}, `field "key" is in a one-of group, so it cannot be required or have a default`},
	} {
		s := one
		s.OneOf, s.Fields = bad.groups, bad.fields
		if err := r.Register(s); err == nil || !strings.Contains(err.Error(), bad.want) {
			t.Errorf("Register with one-of %q = %v, want an error containing %q", bad.groups, err, bad.want)
		}
	}
}

func errText(err error) string {
	if err == nil {
		return ""
	}
	return err.Error()
}
