// Package redistest gives tests a real Redis: the single node on
// 127.0.0.1:6379, and a three-master Redis Cluster that it starts from the
// redis-server binary on free ports and stops when the tests end.
//
// Each Target has its own random key prefix and deletes its keys when the
// test ends. A missing redis-server, redis-cli or server at 6379 fails the
// test: these tests never skip.
//
// A package that calls Cluster must run its tests through Main, so the
// cluster is stopped when they end:
//
//	func TestMain(m *testing.M) { redistest.Main(m) }
package redistest

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"os"
	"testing"
	"time"

	goredis "github.com/redis/go-redis/v9"
)

// SingleAddr is the address of the single Redis node the tests use.
const SingleAddr = "127.0.0.1:6379"

// Target is a Redis for one test: a connected client, the addresses of its
// nodes and a key prefix no other test uses.
type Target struct {
	// Client is connected to the target and respects context deadlines. It
	// is closed when the test ends.
	Client goredis.UniversalClient
	// Addrs are the node addresses: one for a single node, the masters for
	// a cluster.
	Addrs []string
	// Prefix starts every key the test writes; keys with it are deleted
	// when the test ends.
	Prefix string
	// Cluster reports whether the target is a Redis Cluster.
	Cluster bool
}

// Single returns the Redis on 127.0.0.1:6379 with a fresh key prefix. It
// fails the test if the server does not answer.
func Single(t testing.TB) *Target {
	t.Helper()
	return open(t, []string{SingleAddr}, false)
}

// Cluster returns the package's three-master Redis Cluster, starting it on
// first use, with a fresh key prefix. It fails the test if the cluster cannot
// be started.
func Cluster(t testing.TB) *Target {
	t.Helper()
	c, err := sharedCluster()
	if err != nil {
		t.Fatalf("redis cluster: %v", err)
	}
	return open(t, c.addrs, true)
}

// Main runs the tests of a package and stops the cluster that Cluster
// started, if any.
func Main(m *testing.M) {
	code := m.Run()
	stopCluster()
	os.Exit(code)
}

func open(t testing.TB, addrs []string, cluster bool) *Target {
	t.Helper()
	tg := &Target{Addrs: addrs, Prefix: "rftest:" + randomHex(6) + ":", Cluster: cluster}
	tg.Client = tg.NewClient(t, nil)
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if err := ping(ctx, tg.Client); err != nil {
		t.Fatalf("redis at %v does not answer: %v", addrs, err)
	}
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		if err := deletePrefix(ctx, tg.Client, tg.Prefix); err != nil {
			t.Errorf("delete test keys %s*: %v", tg.Prefix, err)
		}
	})
	return tg
}

// NewClient returns another client to the target that respects context
// deadlines, closed when the test ends. When perNode is not nil, each node's
// client gets the hook perNode returns for the node's address (for a
// cluster, through OnNewNode), so a test can count what each node is sent.
func (tg *Target) NewClient(t testing.TB, perNode func(addr string) goredis.Hook) goredis.UniversalClient {
	t.Helper()
	var c goredis.UniversalClient
	if tg.Cluster {
		cc := goredis.NewClusterClient(&goredis.ClusterOptions{Addrs: tg.Addrs, ContextTimeoutEnabled: true})
		if perNode != nil {
			cc.OnNewNode(func(n *goredis.Client) { n.AddHook(perNode(n.Options().Addr)) })
		}
		c = cc
	} else {
		sc := goredis.NewClient(&goredis.Options{Addr: tg.Addrs[0], ContextTimeoutEnabled: true})
		if perNode != nil {
			sc.AddHook(perNode(tg.Addrs[0]))
		}
		c = sc
	}
	t.Cleanup(func() { _ = c.Close() })
	return c
}

// ping checks every node of c.
func ping(ctx context.Context, c goredis.UniversalClient) error {
	if cc, ok := c.(*goredis.ClusterClient); ok {
		return cc.ForEachMaster(ctx, func(ctx context.Context, n *goredis.Client) error {
			return n.Ping(ctx).Err()
		})
	}
	return c.Ping(ctx).Err()
}

// deletePrefix deletes every key that starts with prefix, on every master.
func deletePrefix(ctx context.Context, c goredis.UniversalClient, prefix string) error {
	del := func(ctx context.Context, n *goredis.Client) error {
		iter := n.Scan(ctx, 0, prefix+"*", 1000).Iterator()
		for iter.Next(ctx) {
			if err := n.Del(ctx, iter.Val()).Err(); err != nil {
				return err
			}
		}
		return iter.Err()
	}
	switch c := c.(type) {
	case *goredis.ClusterClient:
		return c.ForEachMaster(ctx, del)
	case *goredis.Client:
		return del(ctx, c)
	}
	return nil
}

func randomHex(n int) string {
	b := make([]byte, n)
	_, _ = rand.Read(b)
	return hex.EncodeToString(b)
}
