// Command rankflow runs, checks and serves ranking pipelines. See
// `rankflow help`.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"syscall"

	goredis "github.com/redis/go-redis/v9"
)

type command struct {
	name    string
	summary string
	run     func(ctx context.Context, args []string, stdout, stderr io.Writer) error
}

var commands = []command{
	{"serve", "serve pipelines over gRPC, gRPC-Web and HTTP/JSON on one port", runServe},
	{"rank", "run a pipeline on a request locally and print the ranked candidates", runRank},
	{"lint", "check pipeline configs and report every problem", runLint},
	{"test", "run the YAML tests next to pipeline configs", runTest},
	{"graph", "print a pipeline as Graphviz DOT, Mermaid or a text tree", runGraph},
	{"docs", "write the stage reference and the config JSON Schema", runDocs},
	{"load", "load a dataset (generated or from a file) into Redis", runLoad},
	{"dataset", "generate a demo dataset file", runDataset},
	{"hotkeys", "print the most requested keys of a Redis MONITOR log", runHotkeys},
	{"bench", "drive a running server with a fixed concurrency and print throughput and latency", runBench},
	{"alerts", "write Prometheus alerting rules for the loaded pipelines", runAlerts},
}

// exitError carries an exit code; problems already printed use it.
type exitError struct{ code int }

func (e exitError) Error() string { return fmt.Sprintf("exit %d", e.code) }

// quietRedis drops go-redis's own log lines (pool dial retries): the
// commands report Redis errors themselves, once, with the address.
type quietRedis struct{}

func (quietRedis) Printf(context.Context, string, ...any) {}

func main() {
	goredis.SetLogger(quietRedis{})
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	code := run(ctx, os.Args[1:], os.Stdout, os.Stderr)
	stop()
	os.Exit(code)
}

func run(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	if len(args) == 0 || args[0] == "help" || args[0] == "-h" || args[0] == "--help" {
		usage(stdout)
		if len(args) == 0 {
			return 2
		}
		return 0
	}
	for _, c := range commands {
		if c.name != args[0] {
			continue
		}
		err := c.run(ctx, args[1:], stdout, stderr)
		var ee exitError
		switch {
		case err == nil:
			return 0
		case errors.Is(err, flag.ErrHelp):
			return 0
		case errors.As(err, &ee):
			return ee.code
		}
		fmt.Fprintf(stderr, "rankflow %s: %v\n", c.name, err)
		return 1
	}
	fmt.Fprintf(stderr, "rankflow: unknown command %q\n\n", args[0])
	usage(stderr)
	return 2
}

func usage(w io.Writer) {
	fmt.Fprintln(w, "rankflow runs, checks and serves ranking pipelines.")
	fmt.Fprintln(w, "\nUsage: rankflow COMMAND [flags]\n\nCommands:")
	for _, c := range commands {
		fmt.Fprintf(w, "  %-8s %s\n", c.name, c.summary)
	}
	fmt.Fprintln(w, "\nRun `rankflow COMMAND -h` for a command's flags.")
}

// newFlagSet returns a flag set that reports errors instead of exiting.
func newFlagSet(name, args string, stderr io.Writer) *flag.FlagSet {
	fs := flag.NewFlagSet("rankflow "+name, flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.Usage = func() {
		fmt.Fprintf(stderr, "Usage: rankflow %s [flags] %s\n\nFlags:\n", name, args)
		fs.PrintDefaults()
	}
	return fs
}

// parse parses args, turning a usage error into exit code 2.
func parse(fs *flag.FlagSet, args []string) error {
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return err
		}
		return exitError{2}
	}
	return nil
}
