package main

import (
	"context"
	"fmt"
	"io"
	"os"

	"github.com/rankflow/rankflow/server"
)

func runAlerts(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := newFlagSet("alerts", "", stderr)
	var b backendFlags
	fs.StringVar(&b.config, "config", "", "directory of pipeline configs (default: the embedded example feeds)")
	var o server.AlertOptions
	fs.DurationVar(&o.Latency, "latency", 0, "p99 latency alert threshold for pipelines without a budget (default 100ms)")
	fs.Float64Var(&o.ErrorRatio, "error-ratio", 0, "share of requests failing for platform reasons that alerts (default 0.01)")
	fs.Float64Var(&o.EmptyRatio, "empty-ratio", 0, "share of empty successful responses that alerts (default 0.05)")
	fs.DurationVar(&o.For, "for", 0, "how long a condition holds before firing (default 5m)")
	out := fs.String("out", "", "file to write (default: stdout)")
	if err := parse(fs, args); err != nil {
		return err
	}
	set, err := b.offline()
	if err != nil {
		return err
	}
	defer set.Close()
	rules, err := server.AlertRules(set, o)
	if err != nil {
		return err
	}
	if *out == "" {
		_, err := stdout.Write(rules)
		return err
	}
	if err := os.WriteFile(*out, rules, 0o644); err != nil {
		return err
	}
	fmt.Fprintf(stdout, "wrote alerting rules for %d pipelines to %s\n", len(set.Names()), *out)
	return nil
}
