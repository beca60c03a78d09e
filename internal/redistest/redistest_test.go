package redistest_test

import (
	"context"
	"strconv"
	"strings"
	"sync"
	"testing"

	goredis "github.com/redis/go-redis/v9"

	"github.com/rankflow/rankflow/internal/redistest"
)

func TestMain(m *testing.M) { redistest.Main(m) }

func TestTargets(t *testing.T) {
	tests := []struct {
		name        string
		open        func(testing.TB) *redistest.Target
		wantMasters int
	}{
		{name: "single", open: redistest.Single, wantMasters: 1},
		{name: "cluster", open: redistest.Cluster, wantMasters: 3},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ctx := context.Background()
			var key string
			t.Run("write", func(t *testing.T) {
				tg := tt.open(t)
				if len(tg.Addrs) != tt.wantMasters {
					t.Fatalf("Addrs = %v, want %d", tg.Addrs, tt.wantMasters)
				}
				if !strings.HasPrefix(tg.Prefix, "rftest:") {
					t.Fatalf("Prefix = %q", tg.Prefix)
				}
				key = tg.Prefix + "k"
				if err := tg.Client.Set(ctx, key, "v", 0).Err(); err != nil {
					t.Fatal(err)
				}
			})
			// The write's cleanup deleted its key.
			tg := tt.open(t)
			n, err := tg.Client.Exists(ctx, key).Result()
			if err != nil || n != 0 {
				t.Fatalf("EXISTS %s after cleanup = %d, %v; want 0", key, n, err)
			}
		})
	}
}

func TestClusterSpreadsSlotsOverMasters(t *testing.T) {
	tg := redistest.Cluster(t)
	var nodes nodeSet
	c := tg.NewClient(t, func(addr string) goredis.Hook { return nodes.hook(addr) })
	ctx := context.Background()
	for i := range 100 {
		if err := c.Set(ctx, tg.Prefix+strconv.Itoa(i), "v", 0).Err(); err != nil {
			t.Fatal(err)
		}
	}
	if got := nodes.count(); got != 3 {
		t.Fatalf("SETs reached %d nodes, want 3", got)
	}
}

// nodeSet records which node addresses were sent a SET.
type nodeSet struct {
	mu   sync.Mutex
	seen map[string]bool
}

func (s *nodeSet) count() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return len(s.seen)
}

func (s *nodeSet) hook(addr string) goredis.Hook {
	return hook{func(name string) {
		if name != "set" {
			return
		}
		s.mu.Lock()
		defer s.mu.Unlock()
		if s.seen == nil {
			s.seen = make(map[string]bool)
		}
		s.seen[addr] = true
	}}
}

type hook struct{ sent func(name string) }

func (h hook) DialHook(next goredis.DialHook) goredis.DialHook { return next }

func (h hook) ProcessHook(next goredis.ProcessHook) goredis.ProcessHook {
	return func(ctx context.Context, cmd goredis.Cmder) error {
		h.sent(cmd.Name())
		return next(ctx, cmd)
	}
}

func (h hook) ProcessPipelineHook(next goredis.ProcessPipelineHook) goredis.ProcessPipelineHook {
	return next
}
