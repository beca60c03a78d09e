package main

import (
	"context"
	"fmt"
	"io"
	"log/slog"

	"github.com/rankflow/rankflow/pipeline/pipetest"
)

func runTest(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := newFlagSet("test", "DIR", stderr)
	var b backendFlags
	fs.StringVar(&b.dataset, "dataset", "", "dataset file for tests without fixtures (default: the generated demo world)")
	verbose := fs.Bool("v", false, "list passing tests too")
	if err := parse(fs, args); err != nil {
		return err
	}
	if fs.NArg() != 1 {
		return fmt.Errorf("test takes one directory of pipelines and their *_test.yaml files")
	}
	b.config = fs.Arg(0)
	s, release, err := b.openStore(ctx)
	if err != nil {
		return err
	}
	defer release()
	logger := slog.New(slog.NewTextHandler(stderr, &slog.HandlerOptions{Level: slog.LevelWarn}))
	results, err := pipetest.Run(ctx, b.config, pipetest.Options{Env: b.env(s, logger)})
	if err != nil {
		return err
	}
	failed := 0
	for _, r := range results {
		if r.Err != nil {
			failed++
		}
		if r.Err != nil || *verbose {
			fmt.Fprintln(stdout, r)
		}
	}
	fmt.Fprintf(stdout, "%d passed, %d failed\n", len(results)-failed, failed)
	if failed > 0 {
		return exitError{1}
	}
	return nil
}
