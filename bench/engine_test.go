package bench

import (
	"context"
	"slices"
	"testing"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/rankflow/rankflow/middleware"
	"github.com/rankflow/rankflow/rank"
)

const perList = 360

func composed(t testing.TB, c *Corpus) func(*rank.Request) (*rank.Request, error) {
	s, err := Composed(c, prometheus.NewRegistry(), new(middleware.KillList))
	if err != nil {
		t.Fatal(err)
	}
	return func(req *rank.Request) (*rank.Request, error) { return s.Rank(context.Background(), req) }
}

// TestComposedMatchesHandWritten proves both sides of BenchmarkEngineOverhead
// do the same work: the same 25 posts in the same order with the same scores.
func TestComposedMatchesHandWritten(t *testing.T) {
	c := NewCorpus(1, perList)
	distinct := map[string]bool{}
	for _, l := range c.Lists {
		for _, id := range l {
			distinct[id] = true
		}
	}
	if n := len(distinct); n < 950 || n > 1080 {
		t.Fatalf("corpus has %d distinct candidates, want about 1000", n)
	}
	want := HandWritten(c, c.Request(25))
	got, err := composed(t, c)(c.Request(25))
	if err != nil {
		t.Fatal(err)
	}
	fromYAML, err := FromEngineYAML(c, prometheus.NewRegistry(), new(middleware.KillList))
	if err != nil {
		t.Fatal(err)
	}
	gotYAML, err := fromYAML.Rank(context.Background(), c.Request(25))
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(rank.IDs(gotYAML.Candidates), rank.IDs(got.Candidates)) {
		t.Fatalf("YAML-built ids\n%v\nwant the composed ones\n%v", rank.IDs(gotYAML.Candidates), rank.IDs(got.Candidates))
	}
	if len(want.Candidates) != 25 {
		t.Fatalf("hand-written returned %d candidates, want 25", len(want.Candidates))
	}
	if !slices.Equal(rank.IDs(got.Candidates), rank.IDs(want.Candidates)) {
		t.Fatalf("composed ids\n%v\nwant\n%v", rank.IDs(got.Candidates), rank.IDs(want.Candidates))
	}
	for i := range want.Candidates {
		if got.Candidates[i].Score != want.Candidates[i].Score {
			t.Errorf("candidate %d score %v, want %v", i, got.Candidates[i].Score, want.Candidates[i].Score)
		}
		if c.Seen.Has(got.Candidates[i].ID) {
			t.Errorf("candidate %s was seen", got.Candidates[i].ID)
		}
	}
}

// BenchmarkEngineOverhead compares the popular feed written by hand with the
// same work composed of stages wrapped in the default middlewares.
func BenchmarkEngineOverhead(b *testing.B) {
	c := NewCorpus(1, perList)
	b.Run("impl=hand", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			HandWritten(c, c.Request(25)).Release()
		}
	})
	b.Run("impl=yaml", func(b *testing.B) {
		s, err := FromEngineYAML(c, prometheus.NewRegistry(), new(middleware.KillList))
		if err != nil {
			b.Fatal(err)
		}
		b.ReportAllocs()
		for b.Loop() {
			resp, err := s.Rank(context.Background(), c.Request(25))
			if err != nil {
				b.Fatal(err)
			}
			resp.Release()
		}
	})
	b.Run("impl=composed", func(b *testing.B) {
		run := composed(b, c)
		b.ReportAllocs()
		for b.Loop() {
			resp, err := run(c.Request(25))
			if err != nil {
				b.Fatal(err)
			}
			resp.Release()
		}
	})
}
