package main

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"os"
	"strings"

	"github.com/rankflow/rankflow/internal/hotkeys"
)

func runHotkeys(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := newFlagSet("hotkeys", "[FILE | -]", stderr)
	n := fs.Int("n", 10, "number of keys to print")
	by := fs.String("by", "key", "count by key, or by command and key (command)")
	cmds := fs.String("cmd", "", "count only these commands, comma-separated (e.g. get,mget)")
	capacity := fs.Int("capacity", 0, "number of counters; counts are exact up to this many distinct keys (default max(1000, 50*n))")
	if err := parse(fs, args); err != nil {
		return err
	}
	if fs.NArg() > 1 {
		return fmt.Errorf("hotkeys takes one file (or - for stdin)")
	}
	if *n < 1 {
		return fmt.Errorf("-n %d: want at least 1", *n)
	}
	opts := hotkeys.Options{Capacity: *capacity}
	if opts.Capacity <= 0 {
		opts.Capacity = hotkeys.DefaultCapacity(*n)
	}
	switch *by {
	case "key":
	case "command":
		opts.ByCommand = true
	default:
		return fmt.Errorf("-by %q: want key or command", *by)
	}
	for c := range strings.SplitSeq(*cmds, ",") {
		if c = strings.TrimSpace(c); c != "" {
			opts.Commands = append(opts.Commands, c)
		}
	}

	var in io.Reader = os.Stdin
	name := "stdin"
	if path := fs.Arg(0); path != "" && path != "-" {
		f, err := os.Open(path)
		if err != nil {
			return err
		}
		defer f.Close()
		in, name = f, path
	}
	res, err := hotkeys.Scan(ctx, in, opts)
	if err != nil {
		return fmt.Errorf("%s: %w", name, err)
	}

	w := bufio.NewWriter(stdout)
	var line []byte
	for _, e := range res.Top(*n) {
		line = fmt.Appendf(line[:0], "%d", e.Count)
		if e.Err > 0 {
			line = fmt.Appendf(line, "±%d", e.Err)
		}
		line = append(line, ' ')
		if opts.ByCommand {
			line = append(append(line, e.Command...), ' ')
		}
		line = append(hotkeys.AppendQuote(line, e.Key), '\n')
		w.Write(line)
	}
	if err := w.Flush(); err != nil {
		return err
	}

	what := "keys"
	if opts.ByCommand {
		what = "command and key pairs"
	}
	fmt.Fprintf(stderr, "%s: %d lines, %d skipped", name, res.Lines, res.Skipped)
	if res.TooLong > 0 {
		fmt.Fprintf(stderr, " (%d longer than %d bytes)", res.TooLong, hotkeys.DefaultMaxLine)
	}
	fmt.Fprintf(stderr, ", %d commands, %d keys counted", res.Commands, res.Keys)
	if distinct, exact := res.Distinct(); exact {
		fmt.Fprintf(stderr, ", %d distinct %s, counts exact\n", distinct, what)
	} else {
		fmt.Fprintf(stderr, ", more than %d distinct %s (the capacity): COUNT±ERR means between COUNT-ERR and COUNT, and any key not listed was seen at most %d times\n",
			res.Capacity(), what, res.Unlisted())
	}
	return nil
}
