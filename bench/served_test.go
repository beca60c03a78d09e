package bench

import (
	"context"
	"fmt"
	"testing"

	"github.com/rankflow/rankflow/dataset"
	"github.com/rankflow/rankflow/examples"
	"github.com/rankflow/rankflow/pipeline"
	"github.com/rankflow/rankflow/pipeline/registry"
	"github.com/rankflow/rankflow/rank"
	"github.com/rankflow/rankflow/store/memory"
)

// BenchmarkServedPopular runs the example popular feed that `rankflow serve`
// serves by default (examples/feeds, demo dataset, memory store) in-process,
// rotating over 1000 users as bench/load.sh's load generator does, so the
// server's CPU per request can be compared with it.
func BenchmarkServedPopular(b *testing.B) {
	ctx := context.Background()
	m := memory.New()
	if err := dataset.Apply(ctx, dataset.Demo(), m); err != nil {
		b.Fatal(err)
	}
	files, err := pipeline.ReadFS(examples.Feeds, examples.FeedsDir)
	if err != nil {
		b.Fatal(err)
	}
	set, err := pipeline.Parse(files, pipeline.Options{Env: registry.StoreEnv(m)})
	if err != nil {
		b.Fatal(err)
	}
	defer set.Close()
	p, _ := set.Lookup("popular")
	users := make([]string, 1000)
	for i := range users {
		users[i] = fmt.Sprintf("u%d", i)
	}
	b.ReportAllocs()
	i := 0
	for b.Loop() {
		req := rank.NewRequest(rank.NewEntity(users[i%len(users)]), rank.Options{Method: "popular", Limit: 25})
		i++
		resp, err := p.Rank(ctx, req)
		if err != nil {
			b.Fatal(err)
		}
		_ = resp.Response()
		resp.Release()
	}
}
