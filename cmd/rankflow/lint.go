package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"strings"

	"github.com/rankflow/rankflow/pipeline"
)

func runLint(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := newFlagSet("lint", "[DIR]", stderr)
	if err := parse(fs, args); err != nil {
		return err
	}
	if fs.NArg() > 1 {
		return fmt.Errorf("lint takes one directory, got %d arguments", fs.NArg())
	}
	b := backendFlags{config: fs.Arg(0)}
	set, err := b.offline()
	var ps pipeline.Problems
	if errors.As(err, &ps) {
		for _, p := range ps {
			fmt.Fprintln(stdout, p.Error())
		}
		fmt.Fprintf(stdout, "%d problem%s\n", len(ps), plural(len(ps)))
		return exitError{1}
	}
	if err != nil {
		return err
	}
	defer set.Close()
	fmt.Fprintf(stdout, "ok: %d pipeline%s (%s)\n", len(set.Names()), plural(len(set.Names())), strings.Join(set.Names(), ", "))
	return nil
}

func plural(n int) string {
	if n == 1 {
		return ""
	}
	return "s"
}
