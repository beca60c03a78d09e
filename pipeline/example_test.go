package pipeline_test

import (
	"context"
	"fmt"

	"github.com/rankflow/rankflow/pipeline"
	"github.com/rankflow/rankflow/pipeline/registry"
	"github.com/rankflow/rankflow/rank"
	"github.com/rankflow/rankflow/store"
	"github.com/rankflow/rankflow/store/memory"
)

// ExampleParse builds a pipeline from YAML on a memory store and ranks a
// request with it.
func ExampleParse() {
	ctx := context.Background()
	m := memory.New()
	m.PutList(ctx, "popular", []store.Scored{{ID: "p1", Score: 3}, {ID: "p2", Score: 2}, {ID: "p3", Score: 1}})
	m.PutSet(ctx, "user:u1:viewed", []string{"p2"})

	config := []byte(`
pipelines:
  popular:
    limit: 2
    stages:
      - source_list: {key: popular, n: 10}
      - hydrate_set: {key: "user:{id}:viewed", feature: recently_viewed}
      - filter_seen: {feature: recently_viewed}
      - top_k: {}
`)
	set, err := pipeline.Parse(map[string][]byte{"feeds.yaml": config}, pipeline.Options{
		Env: registry.StoreEnv(m),
	})
	if err != nil {
		fmt.Println(err)
		return
	}
	defer set.Close()
	p, _ := set.Lookup("popular")
	resp, err := p.Rank(ctx, rank.NewRequest(rank.NewEntity("u1"), rank.Options{}))
	if err != nil {
		fmt.Println(err)
		return
	}
	for _, e := range resp.Candidates {
		fmt.Println(e.ID, e.Score)
	}
	// Output:
	// p1 3
	// p3 1
}

// ExampleParse_problems shows how a broken config is reported: every
// problem, with its file, line, column and YAML path.
func ExampleParse_problems() {
	config := []byte(`
pipelines:
  home:
    stages:
      - filter_seen: {feture: recently_viewed}
      - top_kk: {limit: 5}
`)
	_, err := pipeline.Parse(map[string][]byte{"feeds/home.yaml": config}, pipeline.Options{})
	fmt.Println(err)
	// Output:
	// feeds/home.yaml:5:9: pipelines.home.stages[0].filter_seen.feature: required field is missing
	// feeds/home.yaml:5:23: pipelines.home.stages[0].filter_seen.feture: unknown field "feture" (did you mean "feature"?)
	// feeds/home.yaml:6:9: pipelines.home.stages[1].top_kk: unknown stage "top_kk" (did you mean "top_k"?)
}
