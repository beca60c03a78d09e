package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"time"

	"github.com/rankflow/rankflow/dataset"
	"github.com/rankflow/rankflow/store/redis"
)

func runLoad(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := newFlagSet("load", "", stderr)
	addrs := fs.String("redis", "127.0.0.1:6379", "Redis address(es), comma-separated; several mean a Redis Cluster")
	cluster := fs.Bool("redis-cluster", false, "treat a single address as a cluster seed")
	prefix := fs.String("redis-prefix", "", "prefix of every key")
	file := fs.String("dataset", "", "dataset file to load (default: generate one with the flags below)")
	var o dataset.Options
	registerGenerate(fs, &o)
	if err := parse(fs, args); err != nil {
		return err
	}
	d, err := datasetFrom(*file, o)
	if err != nil {
		return err
	}
	client := redis.NewClient(redis.ClientOptions{Addrs: splitList(*addrs), Cluster: *cluster})
	defer client.Close()
	if err := client.Ping(ctx).Err(); err != nil {
		return fmt.Errorf("redis %s: %w", *addrs, err)
	}
	start := time.Now()
	if err := dataset.Apply(ctx, d, redis.New(client, redis.Options{Prefix: *prefix})); err != nil {
		return err
	}
	fmt.Fprintf(stdout, "loaded %s into %s in %v\n", d, *addrs, time.Since(start).Round(time.Millisecond))
	return nil
}

func datasetFrom(file string, o dataset.Options) (*dataset.Dataset, error) {
	if file != "" {
		return dataset.ReadFile(file)
	}
	return dataset.Generate(o)
}

func runDataset(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := newFlagSet("dataset", "", stderr)
	out := fs.String("out", "", "file to write (required)")
	var o dataset.Options
	registerGenerate(fs, &o)
	if err := parse(fs, args); err != nil {
		return err
	}
	if *out == "" {
		return errors.New("--out is required")
	}
	d, err := dataset.Generate(o)
	if err != nil {
		return err
	}
	if err := dataset.WriteFile(*out, d); err != nil {
		return err
	}
	fmt.Fprintf(stdout, "wrote %s to %s\n", d, *out)
	return nil
}

// registerGenerate adds the generator's size flags to fs.
func registerGenerate(fs interface {
	Uint64Var(*uint64, string, uint64, string)
	IntVar(*int, string, int, string)
}, o *dataset.Options) {
	fs.Uint64Var(&o.Seed, "seed", 1, "generator seed; the same flags give the same world")
	fs.IntVar(&o.Communities, "communities", 100, "number of communities")
	fs.IntVar(&o.Posts, "posts", 10000, "number of posts")
	fs.IntVar(&o.Users, "users", 1000, "number of users")
}
