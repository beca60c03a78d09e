package main

import (
	"context"
	"fmt"
	"io"
	"os"
	"path/filepath"

	"github.com/rankflow/rankflow/pipeline"
	"github.com/rankflow/rankflow/stages/builtin"
)

func runDocs(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := newFlagSet("docs", "", stderr)
	out := fs.String("out", "docs", "directory to write stages.md and pipeline.schema.json to")
	if err := parse(fs, args); err != nil {
		return err
	}
	reg := builtin.Registry()
	schema, err := pipeline.JSONSchema(reg)
	if err != nil {
		return err
	}
	if err := os.MkdirAll(*out, 0o755); err != nil {
		return err
	}
	for name, data := range map[string][]byte{
		"stages.md":            []byte(pipeline.Reference(reg)),
		"pipeline.schema.json": append(schema, '\n'),
	} {
		path := filepath.Join(*out, name)
		if err := os.WriteFile(path, data, 0o644); err != nil {
			return err
		}
		fmt.Fprintln(stdout, "wrote", path)
	}
	return nil
}
