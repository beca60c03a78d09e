package redis_test

import (
	"context"
	"errors"
	"math"
	"net"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	goredis "github.com/redis/go-redis/v9"

	"github.com/rankflow/rankflow/internal/redistest"
	"github.com/rankflow/rankflow/rank"
	"github.com/rankflow/rankflow/store"
	"github.com/rankflow/rankflow/store/redis"
)

func TestMain(m *testing.M) { redistest.Main(m) }

// targets are the Redis deployments every behaviour test runs against.
var targets = []struct {
	name string
	open func(testing.TB) *redistest.Target
}{
	{name: "single", open: redistest.Single},
	{name: "cluster", open: redistest.Cluster},
}

func eachTarget(t *testing.T, test func(t *testing.T, tg *redistest.Target, s *redis.Store)) {
	for _, tt := range targets {
		t.Run(tt.name, func(t *testing.T) {
			tg := tt.open(t)
			test(t, tg, redis.New(tg.Client, redis.Options{Prefix: tg.Prefix, Timeout: 5 * time.Second}))
		})
	}
}

func TestTop(t *testing.T) {
	eachTarget(t, func(t *testing.T, tg *redistest.Target, s *redis.Store) {
		ctx := context.Background()
		lists := map[string][]store.Scored{
			"plain": {sc("a", 3), sc("b", 2), sc("c", 1)},
			// Redis orders ties by id descending; Top wants ascending.
			"ties": {sc("x", 5), sc("d", 4), sc("c", 4), sc("b", 4), sc("a", 4), sc("z", 1)},
		}
		for k, l := range lists {
			if err := s.PutList(ctx, k, l); err != nil {
				t.Fatal(err)
			}
		}
		tests := []struct {
			name string
			keys []string
			n    int
			want [][]store.Scored
		}{
			{name: "all", keys: []string{"plain"}, n: 0, want: [][]store.Scored{{sc("a", 3), sc("b", 2), sc("c", 1)}}},
			{name: "first two", keys: []string{"plain"}, n: 2, want: [][]store.Scored{{sc("a", 3), sc("b", 2)}}},
			{name: "n past the end", keys: []string{"plain"}, n: 10, want: [][]store.Scored{{sc("a", 3), sc("b", 2), sc("c", 1)}}},
			{name: "missing key is empty", keys: []string{"nope", "plain"}, n: 1, want: [][]store.Scored{{}, {sc("a", 3)}}},
			{name: "ties by id", keys: []string{"ties"}, n: 0, want: [][]store.Scored{{sc("x", 5), sc("a", 4), sc("b", 4), sc("c", 4), sc("d", 4), sc("z", 1)}}},
			{name: "tie straddles n", keys: []string{"ties", "plain"}, n: 3, want: [][]store.Scored{{sc("x", 5), sc("a", 4), sc("b", 4)}, {sc("a", 3), sc("b", 2), sc("c", 1)}}},
			{name: "tie ends at n", keys: []string{"ties"}, n: 5, want: [][]store.Scored{{sc("x", 5), sc("a", 4), sc("b", 4), sc("c", 4), sc("d", 4)}}},
			{name: "no keys", keys: nil, n: 3, want: [][]store.Scored{}},
		}
		for _, tt := range tests {
			t.Run(tt.name, func(t *testing.T) {
				got, err := s.Top(ctx, tt.keys, tt.n)
				if err != nil {
					t.Fatal(err)
				}
				if !equalLists(got, tt.want) {
					t.Fatalf("Top(%v, %d) = %v, want %v", tt.keys, tt.n, got, tt.want)
				}
			})
		}
	})
}

func sc(id string, score float64) store.Scored { return store.Scored{ID: id, Score: score} }

func equalLists(a, b [][]store.Scored) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if len(a[i]) != len(b[i]) {
			return false
		}
		for j := range a[i] {
			if a[i][j] != b[i][j] {
				return false
			}
		}
	}
	return true
}

func TestPutListReplaces(t *testing.T) {
	eachTarget(t, func(t *testing.T, tg *redistest.Target, s *redis.Store) {
		ctx := context.Background()
		steps := []struct {
			give []store.Scored
			want []store.Scored
		}{
			{give: []store.Scored{sc("a", 1), sc("b", 2)}, want: []store.Scored{sc("b", 2), sc("a", 1)}},
			{give: []store.Scored{sc("c", 1)}, want: []store.Scored{sc("c", 1)}},
			{give: nil, want: []store.Scored{}},
		}
		for i, st := range steps {
			if err := s.PutList(ctx, "l", st.give); err != nil {
				t.Fatal(err)
			}
			got, err := s.Top(ctx, []string{"l"}, 0)
			if err != nil {
				t.Fatal(err)
			}
			if !equalLists(got, [][]store.Scored{st.want}) {
				t.Fatalf("step %d: Top = %v, want %v", i, got[0], st.want)
			}
		}
	})
}

func TestAdd(t *testing.T) {
	type add struct {
		members []string
		ttl     time.Duration
		maxLen  int
	}
	tests := []struct {
		name    string
		adds    []add
		want    []string
		wantTTL bool // the key has an expiry
	}{
		{name: "no cap", adds: []add{{members: []string{"a", "b"}}, {members: []string{"c"}}}, want: []string{"a", "b", "c"}},
		{name: "cap keeps most recent", adds: []add{{members: []string{"a", "b", "c"}, maxLen: 3}, {members: []string{"d", "e"}, maxLen: 3}}, want: []string{"c", "d", "e"}},
		{name: "re-added member is recent", adds: []add{{members: []string{"a", "b", "c"}}, {members: []string{"a"}, maxLen: 2}}, want: []string{"a", "c"}},
		{name: "cap within one add", adds: []add{{members: []string{"a", "b", "c", "d"}, maxLen: 2}}, want: []string{"c", "d"}},
		{name: "ttl", adds: []add{{members: []string{"a"}, ttl: time.Hour}}, want: []string{"a"}, wantTTL: true},
		{name: "ttl 0 persists", adds: []add{{members: []string{"a"}, ttl: time.Hour}, {members: []string{"b"}}}, want: []string{"a", "b"}},
	}
	eachTarget(t, func(t *testing.T, tg *redistest.Target, s *redis.Store) {
		ctx := context.Background()
		for _, tt := range tests {
			t.Run(tt.name, func(t *testing.T) {
				key := "set:" + tt.name
				for _, a := range tt.adds {
					if err := s.Add(ctx, key, a.members, a.ttl, a.maxLen); err != nil {
						t.Fatal(err)
					}
				}
				got, err := s.Members(ctx, key)
				if err != nil {
					t.Fatal(err)
				}
				if strings.Join(got.Items(), ",") != strings.Join(tt.want, ",") {
					t.Fatalf("Members = %v, want %v", got.Items(), tt.want)
				}
				pttl, err := tg.Client.PTTL(ctx, tg.Prefix+key).Result()
				if err != nil {
					t.Fatal(err)
				}
				if gotTTL := pttl > 0; gotTTL != tt.wantTTL || pttl > time.Hour {
					t.Fatalf("PTTL = %v, want an expiry: %v (at most 1h)", pttl, tt.wantTTL)
				}
			})
		}
	})
}

func TestAddExpires(t *testing.T) {
	eachTarget(t, func(t *testing.T, tg *redistest.Target, s *redis.Store) {
		ctx := context.Background()
		if err := s.Add(ctx, "short", []string{"a"}, time.Millisecond, 0); err != nil {
			t.Fatal(err)
		}
		// Wait for Redis to expire the key: only a lower bound on time.
		for {
			n, err := tg.Client.Exists(ctx, tg.Prefix+"short").Result()
			if err != nil {
				t.Fatal(err)
			}
			if n == 0 {
				break
			}
			time.Sleep(5 * time.Millisecond)
		}
		got, err := s.Members(ctx, "short")
		if err != nil || got.Len() != 0 {
			t.Fatalf("Members after expiry = %v, %v; want empty", got.Items(), err)
		}
	})
}

func TestPutSet(t *testing.T) {
	eachTarget(t, func(t *testing.T, tg *redistest.Target, s *redis.Store) {
		ctx := context.Background()
		if err := s.PutSet(ctx, "viewed", []string{"a", "b", "c"}); err != nil {
			t.Fatal(err)
		}
		if err := s.Add(ctx, "viewed", []string{"d"}, 0, 2); err != nil {
			t.Fatal(err)
		}
		got, err := s.Members(ctx, "viewed")
		if err != nil {
			t.Fatal(err)
		}
		if want := "c,d"; strings.Join(got.Items(), ",") != want {
			t.Fatalf("Members = %v, want %s: PutSet's last member is its most recent", got.Items(), want)
		}
	})
}

func TestMissingKeysAreEmpty(t *testing.T) {
	eachTarget(t, func(t *testing.T, tg *redistest.Target, s *redis.Store) {
		ctx := context.Background()
		top, err := s.Top(ctx, []string{"none"}, 10)
		if err != nil || len(top) != 1 || len(top[0]) != 0 {
			t.Fatalf("Top(missing) = %v, %v; want one empty list", top, err)
		}
		set, err := s.Members(ctx, "none")
		if err != nil || set.Len() != 0 {
			t.Fatalf("Members(missing) = %v, %v; want empty", set.Items(), err)
		}
		fs, err := s.Features(ctx, "post", []string{"none", "none2"})
		if err != nil || len(fs) != 2 || fs[0] != nil || fs[1] != nil {
			t.Fatalf("Features(missing) = %v, %v; want two nils", fs, err)
		}
	})
}

func sampleFeatures(i int) map[string]rank.Value {
	return map[string]rank.Value{
		"community": rank.StringValue("c" + strconv.Itoa(i%50)),
		"age_hours": rank.IntValue(int64(i)),
		"score":     rank.FloatValue(float64(i) / 3),
		"nsfw":      rank.BoolValue(i%7 == 0),
		"tags":      rank.StringSetValue("go", "redis", "t"+strconv.Itoa(i%3)),
		"votes":     rank.IntListValue([]int64{int64(i), -1, 1 << 40}),
		"embedding": rank.FloatVectorValue([]float32{0.5, float32(i), -2}),
	}
}

func TestFeatures(t *testing.T) {
	eachTarget(t, func(t *testing.T, tg *redistest.Target, s *redis.Store) {
		ctx := context.Background()
		ids := make([]string, 300)
		fs := make([]map[string]rank.Value, len(ids))
		for i := range ids {
			ids[i] = strconv.Itoa(i)
			fs[i] = sampleFeatures(i)
		}
		fs[7] = nil // deletes
		if err := s.PutFeatures(ctx, "post", ids, fs); err != nil {
			t.Fatal(err)
		}
		ask := append([]string{"missing", "5", "5"}, ids...)
		got, err := s.Features(ctx, "post", ask)
		if err != nil {
			t.Fatal(err)
		}
		want := append([]map[string]rank.Value{nil, fs[5], fs[5]}, fs...)
		for i := range ask {
			if !equalFeatures(recordMap(got[i]), want[i]) {
				t.Fatalf("Features[%d] (id %q) = %v, want %v", i, ask[i], got[i], want[i])
			}
		}
		// Another namespace is another key.
		other, err := s.Features(ctx, "user", []string{"5"})
		if err != nil || other[0] != nil {
			t.Fatalf("Features(user, 5) = %v, %v; want nil", other, err)
		}
	})
}

func equalFeatures(a, b map[string]rank.Value) bool {
	if (a == nil) != (b == nil) || len(a) != len(b) {
		return false
	}
	for k, v := range a {
		if !v.Equal(b[k]) {
			return false
		}
	}
	return true
}

// roundTrips counts, per node address, what a client sends: a pipeline is
// one round trip, and so is a command sent alone. What go-redis sends on its
// own (the handshake of a new connection, cluster topology) is not counted.
type roundTrips struct {
	mu     sync.Mutex
	byNode map[string]int
}

func (r *roundTrips) hook(addr string) goredis.Hook { return countHook{r, addr} }

func (r *roundTrips) add(addr string) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.byNode[addr]++
}

func (r *roundTrips) reset() map[string]int {
	r.mu.Lock()
	defer r.mu.Unlock()
	m := r.byNode
	r.byNode = make(map[string]int)
	return m
}

// handshake reports whether go-redis sent cmd on its own, to set up a
// connection or learn the cluster's slots.
func handshake(cmd goredis.Cmder) bool {
	switch cmd.Name() {
	case "hello", "auth", "select", "client", "readonly", "cluster", "ping":
		return true
	}
	return false
}

type countHook struct {
	r    *roundTrips
	addr string
}

func (h countHook) DialHook(next goredis.DialHook) goredis.DialHook { return next }

func (h countHook) ProcessHook(next goredis.ProcessHook) goredis.ProcessHook {
	return func(ctx context.Context, cmd goredis.Cmder) error {
		if !handshake(cmd) {
			h.r.add(h.addr)
		}
		return next(ctx, cmd)
	}
}

func (h countHook) ProcessPipelineHook(next goredis.ProcessPipelineHook) goredis.ProcessPipelineHook {
	return func(ctx context.Context, cmds []goredis.Cmder) error {
		if !handshake(cmds[0]) {
			h.r.add(h.addr)
		}
		return next(ctx, cmds)
	}
}

func TestOneRoundTripPerNode(t *testing.T) {
	const n = 1000
	for _, tt := range targets {
		t.Run(tt.name, func(t *testing.T) {
			tg := tt.open(t)
			ctx := context.Background()
			rt := &roundTrips{byNode: map[string]int{}}
			client := tg.NewClient(t, rt.hook)
			s := redis.New(client, redis.Options{Prefix: tg.Prefix, Timeout: 5 * time.Second})
			ids := make([]string, n)
			fs := make([]map[string]rank.Value, n)
			keys := make([]string, 50)
			for i := range ids {
				ids[i] = "p" + strconv.Itoa(i)
				fs[i] = sampleFeatures(i)
			}
			if err := s.PutFeatures(ctx, "post", ids, fs); err != nil {
				t.Fatal(err)
			}
			for i := range keys {
				keys[i] = "popular:" + strconv.Itoa(i)
				if err := s.PutList(ctx, keys[i], []store.Scored{sc("p1", 1), sc("p2", 2)}); err != nil {
					t.Fatal(err)
				}
				if err := s.PutSnapshot(ctx, keys[i], []store.Scored{sc("p1", 1), sc("p2", 2)}, fs[1:3]); err != nil {
					t.Fatal(err)
				}
			}
			calls := []struct {
				name string
				call func() error
			}{
				{name: "Features of 1000 ids", call: func() error {
					got, err := s.Features(ctx, "post", ids)
					if err == nil && !equalFeatures(recordMap(got[n-1]), fs[n-1]) {
						t.Errorf("Features[%d] = %v, want %v", n-1, got[n-1], fs[n-1])
					}
					return err
				}},
				{name: "Top of 50 lists", call: func() error { _, err := s.Top(ctx, keys, 10); return err }},
				{name: "Snapshots of 50 lists", call: func() error {
					got, err := s.Snapshots(ctx, keys)
					if err == nil && (got[49] == nil || len(got[49].Members) != 2) {
						t.Errorf("Snapshots[49] = %v, want two members", got[49])
					}
					return err
				}},
				{name: "Add", call: func() error { return s.Add(ctx, "viewed", ids[:100], time.Hour, 50) }},
			}
			for _, c := range calls {
				t.Run(c.name, func(t *testing.T) {
					rt.reset()
					if err := c.call(); err != nil {
						t.Fatal(err)
					}
					byNode := rt.reset()
					total := 0
					for addr, trips := range byNode {
						if trips != 1 {
							t.Errorf("node %s: %d round trips, want 1", addr, trips)
						}
						total += trips
					}
					if total == 0 || len(byNode) > len(tg.Addrs) {
						t.Errorf("round trips by node = %v, want at most one on each of %v", byNode, tg.Addrs)
					}
				})
			}
			// 1000 ids spread over every master of a cluster.
			if _, err := s.Features(ctx, "post", ids); err != nil {
				t.Fatal(err)
			}
			if byNode := rt.reset(); len(byNode) != len(tg.Addrs) {
				t.Errorf("Features reached nodes %v, want all of %v", byNode, tg.Addrs)
			}
		})
	}
}

func TestErrorsNameOperationAndKey(t *testing.T) {
	eachTarget(t, func(t *testing.T, tg *redistest.Target, s *redis.Store) {
		ctx := context.Background()
		for _, k := range []string{"str", "post:corrupt", "snapshot:corrupt"} {
			if err := tg.Client.Set(ctx, tg.Prefix+k, "not a sorted set", 0).Err(); err != nil {
				t.Fatal(err)
			}
		}
		if err := tg.Client.SAdd(ctx, tg.Prefix+"snapshot:aset", "x").Err(); err != nil {
			t.Fatal(err)
		}
		tests := []struct {
			name string
			call func() error
			want string
		}{
			{name: "top", call: func() error { _, err := s.Top(ctx, []string{"ok", "str"}, 3); return err },
				want: `redis TOP key "` + tg.Prefix + `str": WRONGTYPE`},
			{name: "members", call: func() error { _, err := s.Members(ctx, "str"); return err },
				want: `redis MEMBERS key "` + tg.Prefix + `str": WRONGTYPE`},
			{name: "add", call: func() error { return s.Add(ctx, "str", []string{"a"}, 0, 0) },
				want: `redis ADD key "` + tg.Prefix + `str": WRONGTYPE`},
			{name: "features of a value in another encoding", call: func() error { _, err := s.Features(ctx, "post", []string{"1", "corrupt"}); return err },
				want: `redis FEATURES key "` + tg.Prefix + `post:corrupt": decode features: unknown encoding version`},
			{name: "snapshot of a value in another encoding", call: func() error { _, err := s.Snapshots(ctx, []string{"none", "corrupt"}); return err },
				want: `redis SNAPSHOTS key "` + tg.Prefix + `snapshot:corrupt": decode snapshot: not a snapshot`},
			{name: "snapshot versions of a set", call: func() error { _, err := s.SnapshotVersions(ctx, []string{"none", "aset"}); return err },
				want: `redis SNAPSHOTVERSIONS key "` + tg.Prefix + `snapshot:aset": WRONGTYPE`},
			{name: "snapshot with a NaN score", call: func() error {
				return s.PutSnapshot(ctx, "nan", []store.Scored{sc("a", math.NaN())}, []map[string]rank.Value{nil})
			}, want: `redis PUTSNAPSHOT key "` + tg.Prefix + `snapshot:nan": snapshot: member "a" has a NaN score`},
			{name: "negative ttl", call: func() error { return s.Add(ctx, "x", []string{"a"}, -time.Second, 0) },
				want: `redis ADD key "` + tg.Prefix + `x": negative ttl`},
		}
		for _, tt := range tests {
			t.Run(tt.name, func(t *testing.T) {
				err := tt.call()
				if err == nil || !strings.HasPrefix(err.Error(), tt.want) {
					t.Fatalf("error = %v, want it to start with %s", err, tt.want)
				}
				var re *redis.Error
				if !errors.As(err, &re) {
					t.Fatalf("error %T is not a *redis.Error", err)
				}
			})
		}
	})
}

// closedAddr returns a loopback address nothing listens on.
func closedAddr(t *testing.T) string {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := l.Addr().String()
	l.Close()
	return addr
}

// silentAddr returns the address of a server that accepts connections and
// never answers.
func silentAddr(t *testing.T) string {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	var mu sync.Mutex
	var conns []net.Conn
	go func() {
		for {
			c, err := l.Accept()
			if err != nil {
				return
			}
			mu.Lock()
			conns = append(conns, c)
			mu.Unlock()
		}
	}()
	t.Cleanup(func() {
		l.Close()
		mu.Lock()
		defer mu.Unlock()
		for _, c := range conns {
			c.Close()
		}
	})
	return l.Addr().String()
}

func TestConnectionErrors(t *testing.T) {
	tests := []struct {
		name    string
		addr    func(*testing.T) string
		timeout time.Duration
		want    []string
		is      error
	}{
		{name: "connection refused", addr: closedAddr, timeout: 5 * time.Second,
			want: []string{`redis TOP key "popular"`, "connection refused"}, is: syscall.ECONNREFUSED},
		{name: "timeout", addr: silentAddr, timeout: 50 * time.Millisecond,
			want: []string{`redis TOP key "popular"`, "timed out after 50ms"}, is: context.DeadlineExceeded},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			client := redis.NewClient(redis.ClientOptions{Addrs: []string{tt.addr(t)}})
			defer client.Close()
			s := redis.New(client, redis.Options{Timeout: tt.timeout})
			_, err := s.Top(context.Background(), []string{"popular"}, 10)
			if err == nil {
				t.Fatal("Top succeeded, want an error")
			}
			if !errors.Is(err, tt.is) {
				t.Errorf("error %q is not %v", err, tt.is)
			}
			for _, w := range tt.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error %q does not contain %q", err, w)
				}
			}
		})
	}
}

func TestSlotsMatchRedis(t *testing.T) {
	tg := redistest.Cluster(t)
	ctx := context.Background()
	for _, key := range []string{"foo", "post:1", "post:12345", "{user1000}.following", "a{}b", "x{y", "{}{z}", ""} {
		want, err := tg.Client.ClusterKeySlot(ctx, key).Result()
		if err != nil {
			t.Fatal(err)
		}
		if got := redis.Slot(key); int64(got) != want {
			t.Errorf("Slot(%q) = %d, Redis says %d", key, got, want)
		}
	}
}

// recordMap returns a record's features as a map, nil for a nil record.
func recordMap(r *rank.Record) map[string]rank.Value {
	if r == nil {
		return nil
	}
	return r.Map()
}
