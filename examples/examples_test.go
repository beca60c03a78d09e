package examples_test

import (
	"context"
	"testing"

	"github.com/rankflow/rankflow/dataset"
	"github.com/rankflow/rankflow/pipeline/pipetest"
	"github.com/rankflow/rankflow/pipeline/registry"
	"github.com/rankflow/rankflow/store/memory"
)

// TestFeeds runs the YAML tests of every example pipeline, against the demo
// dataset where a test brings no fixtures.
func TestFeeds(t *testing.T) {
	ctx := context.Background()
	m := memory.New()
	if err := dataset.Apply(ctx, dataset.Demo(), m); err != nil {
		t.Fatal(err)
	}
	results, err := pipetest.Run(ctx, "feeds", pipetest.Options{Env: registry.StoreEnv(m)})
	if err != nil {
		t.Fatal(err)
	}
	if len(results) < 4 {
		t.Fatalf("%d example tests ran, want one per feed at least", len(results))
	}
	for _, r := range results {
		if r.Err != nil {
			t.Errorf("%s", r)
		}
	}
}
