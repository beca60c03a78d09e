package main

import (
	"context"
	"fmt"
	"io"
	"strings"
)

func runGraph(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := newFlagSet("graph", "PIPELINE", stderr)
	var b backendFlags
	fs.StringVar(&b.config, "config", "", "directory of pipeline configs (default: the embedded example feeds)")
	format := fs.String("format", "dot", "dot, mermaid or text")
	if err := parse(fs, args); err != nil {
		return err
	}
	if fs.NArg() != 1 {
		return fmt.Errorf("graph takes one pipeline name")
	}
	set, err := b.offline()
	if err != nil {
		return err
	}
	defer set.Close()
	p, ok := set.Lookup(fs.Arg(0))
	if !ok {
		return fmt.Errorf("no pipeline %q (have %s)", fs.Arg(0), strings.Join(set.Names(), ", "))
	}
	switch *format {
	case "dot":
		fmt.Fprint(stdout, p.Plan.DOT())
	case "mermaid":
		fmt.Fprint(stdout, p.Plan.Mermaid())
	case "text":
		fmt.Fprint(stdout, p.Plan.String())
	default:
		return fmt.Errorf("unknown format %q (want dot, mermaid or text)", *format)
	}
	return nil
}
