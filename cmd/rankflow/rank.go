package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"strings"
	"text/tabwriter"
	"time"

	rankflowv1 "github.com/rankflow/rankflow/api/rankflow/v1"
	"github.com/rankflow/rankflow/pipeline"
	"github.com/rankflow/rankflow/rank"
	"google.golang.org/protobuf/encoding/protojson"
)

func runRank(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := newFlagSet("rank", "", stderr)
	var b backendFlags
	b.register(fs)
	name := fs.String("pipeline", "", "pipeline to run (required)")
	reqFile := fs.String("request", "", `request as rankflow.v1.Request JSON; "-" reads stdin (default: the demo user u1)`)
	explain := fs.Bool("explain", false, "print what every stage did")
	asJSON := fs.Bool("json", false, "print the response as JSON")
	limit := fs.Int("limit", 0, "override options.limit")
	if err := parse(fs, args); err != nil {
		return err
	}
	if fs.NArg() > 0 {
		return fmt.Errorf("unexpected argument %q (give the pipeline with --pipeline)", fs.Arg(0))
	}
	if *name == "" {
		return errors.New("--pipeline is required")
	}
	preq, err := readRequest(*reqFile)
	if err != nil {
		return err
	}
	if preq.Options == nil {
		preq.Options = &rankflowv1.Options{}
	}
	preq.Options.Method = *name
	if *limit > 0 {
		preq.Options.Limit = int32(*limit)
	}
	if *explain {
		preq.Options.Debug = true
	}
	req, err := rank.FromProto(preq)
	if err != nil {
		return fmt.Errorf("request: %w", err)
	}

	logger := slog.New(slog.NewTextHandler(stderr, &slog.HandlerOptions{Level: slog.LevelWarn}))
	s, release, err := b.openStore(ctx)
	if err != nil {
		return err
	}
	defer release()
	files, err := b.configFiles()
	if err != nil {
		return err
	}
	set, err := pipeline.Parse(files, pipeline.Options{Env: b.env(s, logger)})
	if err != nil {
		return err
	}
	defer set.Close()
	p, ok := set.Lookup(*name)
	if !ok {
		return fmt.Errorf("no pipeline %q (have %s)", *name, strings.Join(set.Names(), ", "))
	}
	start := time.Now()
	resp, err := p.Rank(ctx, req)
	took := time.Since(start)
	if err != nil {
		return err
	}
	if *asJSON {
		out, err := protojson.MarshalOptions{Multiline: true}.Marshal(resp.Proto())
		if err != nil {
			return err
		}
		fmt.Fprintln(stdout, string(out))
		return nil
	}
	printRanked(stdout, resp)
	fmt.Fprintf(stdout, "\n%d candidates from %s in %v\n", len(resp.Candidates), *name, took.Round(time.Microsecond))
	if *explain && resp.Trace != nil {
		fmt.Fprintln(stdout)
		printExplain(stdout, resp.Trace.Stages())
	}
	return nil
}

func readRequest(path string) (*rankflowv1.Request, error) {
	req := &rankflowv1.Request{}
	if path == "" {
		req.Context = &rankflowv1.Entity{Id: "u1"}
		return req, nil
	}
	var data []byte
	var err error
	if path == "-" {
		data, err = io.ReadAll(os.Stdin)
	} else {
		data, err = os.ReadFile(path)
	}
	if err != nil {
		return nil, fmt.Errorf("read request: %w", err)
	}
	if err := protojson.Unmarshal(data, req); err != nil {
		return nil, fmt.Errorf("request %s: %w", path, err)
	}
	return req, nil
}

func printRanked(w io.Writer, resp *rank.Request) {
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "#\tID\tSCORE\tFEATURES")
	for i, e := range resp.Candidates {
		var feats []string
		for _, name := range e.FeatureNames() {
			if name == "embedding" {
				continue
			}
			v, _ := e.Feature(name)
			feats = append(feats, name+"="+v.String())
			if len(feats) == 5 {
				feats = append(feats, "…")
				break
			}
		}
		fmt.Fprintf(tw, "%d\t%s\t%.4f\t%s\n", i+1, e.ID, e.Score, strings.Join(feats, " "))
	}
	tw.Flush()
}

// printExplain prints the explain trace as a table: one row per stage,
// indented by nesting, with what it removed and why.
func printExplain(w io.Writer, stages []rank.StageTrace) {
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "STAGE\tMS\tIN\tOUT\tREMOVED (REASON)\tADDED")
	for _, st := range stages {
		name := strings.Repeat("  ", st.Depth) + st.Stage
		removed := ""
		switch {
		case st.Skipped != "":
			removed = "skipped: " + st.Skipped
		case st.Error != "":
			removed = "error: " + st.Error
		case len(st.Removed) > 0:
			removed = summarizeRemovals(st.Removed)
		}
		fmt.Fprintf(tw, "%s\t%.3f\t%d\t%d\t%s\t%d\n", name, float64(st.Duration.Microseconds())/1000, st.In, st.Out, removed, len(st.Added))
	}
	tw.Flush()
}

// summarizeRemovals groups removals by reason: "12 (in context set x); 3 (nsfw)".
func summarizeRemovals(rs []rank.Removal) string {
	var order []string
	count := map[string]int{}
	example := map[string]string{}
	for _, r := range rs {
		if _, ok := count[r.Reason]; !ok {
			order = append(order, r.Reason)
			example[r.Reason] = r.ID
		}
		count[r.Reason]++
	}
	var parts []string
	for _, reason := range order {
		if count[reason] == 1 {
			parts = append(parts, fmt.Sprintf("%s (%s)", example[reason], reason))
		} else {
			parts = append(parts, fmt.Sprintf("%d, e.g. %s (%s)", count[reason], example[reason], reason))
		}
	}
	return strings.Join(parts, "; ")
}
