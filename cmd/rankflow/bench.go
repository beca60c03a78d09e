package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strings"
	"time"

	rankflowv1 "github.com/rankflow/rankflow/api/rankflow/v1"
	"github.com/rankflow/rankflow/internal/loadgen"
)

func runBench(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := newFlagSet("bench", "", stderr)
	addr := fs.String("addr", "127.0.0.1:8080", "server address, host:port (cleartext)")
	allowRemote := fs.Bool("allow-remote", false, "allow an address that is not this machine's loopback")
	protocol := fs.String("protocol", string(loadgen.GRPC), "client: grpc (grpc-go, HTTP/2), connect (connect-go, protobuf over HTTP/1.1) or connect-json")
	conc := fs.Int("c", 16, "calls in flight at all times")
	dur := fs.Duration("d", 10*time.Second, "how long to measure, after the warm-up (at most 10m)")
	n := fs.Int64("n", 0, "stop after this many measured calls (0: no limit)")
	warmup := fs.Duration("warmup", time.Second, "call for this long before measuring")
	timeout := fs.Duration("timeout", time.Second, "deadline of each call")
	reqFile := fs.String("request", "", `request as rankflow.v1.Request JSON; "-" reads stdin (default: context u1)`)
	name := fs.String("pipeline", "", "pipeline to call (options.method); required unless the request names one")
	users := fs.Int("users", 0, "rotate the context id over u0..uN-1 (0: keep the request's)")
	limit := fs.Int("limit", 0, "override options.limit")
	asJSON := fs.Bool("json", false, "print the result as JSON")
	if err := parse(fs, args); err != nil {
		return err
	}
	if fs.NArg() > 0 {
		return fmt.Errorf("unexpected argument %q", fs.Arg(0))
	}
	switch {
	case *conc < 1:
		return fmt.Errorf("-c %d: want at least 1", *conc)
	case *dur <= 0 || *dur > loadgen.MaxDuration:
		return fmt.Errorf("-d %v: want more than 0 and at most %v", *dur, loadgen.MaxDuration)
	case *n < 0, *warmup < 0, *users < 0, *limit < 0:
		return errors.New("-n, -warmup, -users and -limit must not be negative")
	case *timeout <= 0:
		return fmt.Errorf("-timeout %v: want more than 0", *timeout)
	case !*allowRemote && !loadgen.IsLoopback(*addr):
		return fmt.Errorf("-addr %s is not a loopback address; load tests stay on this machine unless -allow-remote is given", *addr)
	}
	req, err := readRequest(*reqFile)
	if err != nil {
		return err
	}
	if req.Options == nil {
		req.Options = &rankflowv1.Options{}
	}
	if *name != "" {
		req.Options.Method = *name
	}
	if req.Options.Method == "" {
		return errors.New("-pipeline is required (or a -request with options.method)")
	}
	if *limit > 0 {
		req.Options.Limit = int32(*limit)
	}

	client, err := loadgen.Dial(*addr, loadgen.Protocol(*protocol), *conc)
	if err != nil {
		return err
	}
	defer client.Close()
	opts := loadgen.Options{
		Concurrency: *conc,
		Duration:    *dur,
		Warmup:      *warmup,
		Requests:    *n,
		Timeout:     *timeout,
		Request:     req,
		Users:       *users,
	}
	res, err := loadgen.Run(ctx, client, opts)
	if err != nil {
		return err
	}

	if *asJSON {
		out := benchJSON{
			Addr:            *addr,
			Protocol:        *protocol,
			Pipeline:        req.Options.Method,
			Limit:           req.Options.Limit,
			Users:           *users,
			Concurrency:     *conc,
			DurationSeconds: dur.Seconds(),
			WarmupSeconds:   warmup.Seconds(),
			TimeoutSeconds:  timeout.Seconds(),
			MaxRequests:     *n,
			Summary:         res.Summary(),
		}
		enc := json.NewEncoder(stdout)
		enc.SetIndent("", "  ")
		if err := enc.Encode(out); err != nil {
			return err
		}
	} else {
		var b strings.Builder
		fmt.Fprintf(&b, "target    %s (%s), pipeline %s", *addr, *protocol, req.Options.Method)
		if *users > 0 {
			fmt.Fprintf(&b, ", %d users", *users)
		}
		fmt.Fprintf(&b, "\nload      %d in flight for %v after %v warm-up", *conc, *dur, *warmup)
		if *n > 0 {
			fmt.Fprintf(&b, ", at most %d calls", *n)
		}
		fmt.Fprintln(&b)
		if _, err := io.WriteString(stdout, b.String()); err != nil {
			return err
		}
		if err := res.WriteText(stdout); err != nil {
			return err
		}
	}
	if res.Requests > 0 && res.OK == 0 {
		fmt.Fprintf(stderr, "rankflow bench: every call failed\n")
		return exitError{1}
	}
	return nil
}

// benchJSON is the -json output: the load asked for and what it measured.
type benchJSON struct {
	Addr            string  `json:"addr"`
	Protocol        string  `json:"protocol"`
	Pipeline        string  `json:"pipeline"`
	Limit           int32   `json:"limit,omitempty"`
	Users           int     `json:"users,omitempty"`
	Concurrency     int     `json:"concurrency"`
	DurationSeconds float64 `json:"duration_seconds"`
	WarmupSeconds   float64 `json:"warmup_seconds"`
	TimeoutSeconds  float64 `json:"timeout_seconds"`
	MaxRequests     int64   `json:"max_requests,omitempty"`
	loadgen.Summary
}
