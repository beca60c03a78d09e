package flags_test

import (
	"context"
	"path/filepath"
	"slices"
	"strconv"
	"testing"

	"github.com/rankflow/rankflow/pipeline"
	"github.com/rankflow/rankflow/pipeline/flags"
	"github.com/rankflow/rankflow/pipeline/registry"
	"github.com/rankflow/rankflow/rank"
)

// TestParamOverridesShuffle serves a pipeline whose shuffle has probability
// 0 unless the param video.shuffle_probability says otherwise, and changes
// the param in the flags file.
func TestParamOverridesShuffle(t *testing.T) {
	path := filepath.Join(t.TempDir(), "flags.yaml")
	writeFile(t, path, "kill: []\n")
	src, err := flags.File(path, quiet)
	if err != nil {
		t.Fatal(err)
	}
	cfg := []byte(`
pipelines:
  video:
    stages:
      - shuffle: {probability: 0, window: 3, probability_param: video.shuffle_probability}
`)
	set, err := pipeline.Parse(map[string][]byte{"video.yaml": cfg}, pipeline.Options{Env: &registry.Env{Params: src}})
	if err != nil {
		t.Fatal(err)
	}
	video, _ := set.Lookup("video")
	ids := make([]string, 20)
	for i := range ids {
		ids[i] = strconv.Itoa(i)
	}
	rankIDs := func() []string {
		req := rank.NewRequest(rank.NewEntity("alice"), rank.Options{})
		for _, id := range ids {
			req.Append(id)
		}
		resp, err := video.Rank(context.Background(), req)
		if err != nil {
			t.Fatal(err)
		}
		return rank.IDs(resp.Candidates)
	}
	tests := []struct {
		file     string
		shuffled bool
	}{
		{"kill: []\n", false},
		{"params: {video.shuffle_probability: 0.9}\n", true},
		{"params: {video.shuffle_probability: 0}\n", false},
		{"params: {video.shuffle_probability: 1}\n", true},
		{"params: {other: 1}\n", false},
	}
	for _, tt := range tests {
		writeFile(t, path, tt.file)
		if err := src.Reload(); err != nil {
			t.Fatal(err)
		}
		if got := rankIDs(); slices.Equal(got, ids) == tt.shuffled {
			t.Errorf("with %q: order %v, want shuffled %v", tt.file, got, tt.shuffled)
		}
	}
}
