package pipetest_test

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/rankflow/rankflow/pipeline/pipetest"
)

const snapshotFeed = `
pipelines:
  trending:
    stages:
      - source_snapshot: {key: trending, n: 0}
      - score_feature: {feature: ctr}
      - top_k: {limit: 2}
`

const snapshotTests = `
tests:
  - name: ranks a published snapshot by its features
    pipeline: trending
    fixtures:
      lists:
        trending: {p1: 3, p2: 2, p3: 1}
      features:
        post:
          p1: {ctr: 0.1}
          p2: {ctr: 0.9}
          p3: {ctr: 0.5}
      snapshots: {trending: post}
    expect:
      ids: [p2, p3]
  - name: names a snapshot namespace without features
    pipeline: trending
    fixtures:
      lists:
        trending: {p1: 3}
      features:
        post:
          p1: {ctr: 0.1}
      snapshots: {trending: posts}
    expect:
      count: 1
`

func TestSnapshotFixtures(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "feeds")
	if err := os.Mkdir(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	for name, body := range map[string]string{"trending.yaml": snapshotFeed, "trending_test.yaml": snapshotTests} {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(body), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	results, err := pipetest.Run(context.Background(), dir, pipetest.Options{})
	if err != nil {
		t.Fatal(err)
	}
	if len(results) != 2 {
		t.Fatalf("%d results, want 2", len(results))
	}
	if results[0].Err != nil {
		t.Errorf("%s: %v", results[0].Name, results[0].Err)
	}
	want := `snapshots.trending: namespace "posts" has no features in the fixtures (have post)`
	if err := results[1].Err; err == nil || !strings.Contains(err.Error(), want) {
		t.Errorf("%s: error %v, want one containing %q", results[1].Name, err, want)
	}
}
