// Package pipelinetest holds helpers for the pipeline packages' tests.
package pipelinetest

import (
	"context"
	"slices"
	"testing"

	"github.com/rankflow/rankflow/pipeline/registry"
	"github.com/rankflow/rankflow/rank"
	"github.com/rankflow/rankflow/stage"
	"github.com/rankflow/rankflow/stages/builtin"
)

// StampRegistry is the built-in registry plus "stamp", a stage that
// appends its value to the context's int list "stamps", so a response shows
// which stages ran, and from which config.
func StampRegistry(t testing.TB) *registry.Registry {
	t.Helper()
	r := builtin.Registry()
	err := r.Register(registry.Spec{
		Name: "stamp", Kind: registry.Score, Summary: "Appends a value to the context's stamps.",
		Fields: []registry.Field{{Name: "value", Type: registry.Int, Required: true, Doc: "The stamp."}},
		Writes: []registry.FeatureRef{{On: registry.OnContext, Name: "stamps", Kind: rank.IntList}},
		New: func(c *registry.Config, _ *registry.Env) (stage.Stage, error) {
			v := int64(c.Int("value"))
			return stage.RankFunc(func(_ context.Context, req *rank.Request) (*rank.Request, error) {
				l, _ := req.Context.GetIntList("stamps")
				req.Context.Set("stamps", rank.IntListValue(append(slices.Clone(l), v)))
				return req, nil
			}), nil
		},
	})
	if err != nil {
		t.Fatal(err)
	}
	return r
}
