package builtin_test

import (
	"os"
	"testing"

	"github.com/rankflow/rankflow/pipeline"

	"github.com/rankflow/rankflow/pipeline/registry"
	"github.com/rankflow/rankflow/stages/builtin"
)

func TestRegistryHoldsDocumentedStages(t *testing.T) {
	r := builtin.Registry()
	for _, s := range r.Specs() {
		if s.Summary == "" || s.Kind == "" {
			t.Errorf("stage %s: missing summary or kind", s.Name)
		}
		for _, f := range s.Fields {
			if f.Doc == "" {
				t.Errorf("stage %s: field %s has no doc", s.Name, f.Name)
			}
		}
	}
	if err := builtin.Register(r); err == nil {
		t.Fatal("registering the built-ins twice succeeded, want an AlreadyRegisteredError")
	} else if _, ok := err.(*registry.AlreadyRegisteredError); !ok {
		t.Fatalf("registering twice: got %T %v, want *registry.AlreadyRegisteredError", err, err)
	}
}

// TestDocsAreCurrent fails when docs/stages.md or docs/pipeline.schema.json
// no longer match the specs: run `go run ./cmd/rankflow docs`.
func TestDocsAreCurrent(t *testing.T) {
	reg := builtin.Registry()
	schema, err := pipeline.JSONSchema(reg)
	if err != nil {
		t.Fatal(err)
	}
	for path, want := range map[string]string{
		"../../docs/stages.md":            pipeline.Reference(reg),
		"../../docs/pipeline.schema.json": string(schema) + "\n",
	} {
		got, err := os.ReadFile(path)
		if err != nil {
			t.Fatal(err)
		}
		if string(got) != want {
			t.Errorf("%s is stale: run go run ./cmd/rankflow docs", path)
		}
	}
}
