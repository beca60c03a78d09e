package redistest

import (
	"context"
	"errors"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"

	goredis "github.com/redis/go-redis/v9"
)

// clusterMasters is the number of masters of the test cluster.
const clusterMasters = 3

// cluster is a Redis Cluster of redis-server processes under a temp dir.
type cluster struct {
	dir   string
	procs []*exec.Cmd
	addrs []string
}

var (
	clusterOnce sync.Once
	clusterMu   sync.Mutex
	running     *cluster
	clusterErr  error
)

func sharedCluster() (*cluster, error) {
	clusterOnce.Do(func() {
		c, err := startCluster()
		clusterMu.Lock()
		running, clusterErr = c, err
		clusterMu.Unlock()
	})
	clusterMu.Lock()
	defer clusterMu.Unlock()
	return running, clusterErr
}

func stopCluster() {
	clusterMu.Lock()
	c := running
	running = nil
	clusterMu.Unlock()
	if c != nil {
		c.stop()
	}
}

// startCluster starts the servers, joins them with redis-cli --cluster create
// and waits until every node reports cluster_state:ok with all slots
// assigned.
func startCluster() (*cluster, error) {
	server, err := exec.LookPath("redis-server")
	if err != nil {
		return nil, fmt.Errorf("redis-server is needed to start the test cluster: %w", err)
	}
	cli, err := exec.LookPath("redis-cli")
	if err != nil {
		return nil, fmt.Errorf("redis-cli is needed to create the test cluster: %w", err)
	}
	dir, err := os.MkdirTemp("", "rankflow-redis-cluster-")
	if err != nil {
		return nil, err
	}
	c := &cluster{dir: dir}
	ports, err := freePorts(2 * clusterMasters)
	if err != nil {
		c.stop()
		return nil, err
	}
	for i := range clusterMasters {
		if err := c.startNode(server, i, ports[2*i], ports[2*i+1]); err != nil {
			c.stop()
			return nil, err
		}
	}
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	for i, addr := range c.addrs {
		if err := waitFor(ctx, addr, func(n *goredis.Client) error { return n.Ping(ctx).Err() }); err != nil {
			err = fmt.Errorf("node %s did not start: %w\n%s", addr, err, c.log(i))
			c.stop()
			return nil, err
		}
	}
	args := append([]string{"--cluster", "create"}, c.addrs...)
	args = append(args, "--cluster-replicas", "0", "--cluster-yes")
	if out, err := exec.CommandContext(ctx, cli, args...).CombinedOutput(); err != nil {
		c.stop()
		return nil, fmt.Errorf("redis-cli --cluster create: %w\n%s", err, out)
	}
	for _, addr := range c.addrs {
		if err := waitFor(ctx, addr, clusterReady); err != nil {
			c.stop()
			return nil, fmt.Errorf("cluster node %s: %w", addr, err)
		}
	}
	return c, nil
}

func (c *cluster) startNode(server string, i, port, busPort int) error {
	dir := filepath.Join(c.dir, strconv.Itoa(port))
	if err := os.Mkdir(dir, 0o755); err != nil {
		return err
	}
	cmd := exec.Command(server,
		"--port", strconv.Itoa(port),
		"--cluster-port", strconv.Itoa(busPort),
		"--bind", "127.0.0.1",
		"--cluster-enabled", "yes",
		"--cluster-config-file", "nodes.conf",
		"--cluster-node-timeout", "5000",
		"--dir", dir,
		"--save", "",
		"--appendonly", "no",
		"--logfile", "redis.log",
	)
	dieWithParent(cmd)
	if err := cmd.Start(); err != nil {
		return fmt.Errorf("start redis-server node %d: %w", i, err)
	}
	c.procs = append(c.procs, cmd)
	c.addrs = append(c.addrs, net.JoinHostPort("127.0.0.1", strconv.Itoa(port)))
	return nil
}

// log returns the end of node i's log, for an error message.
func (c *cluster) log(i int) string {
	b, _ := os.ReadFile(filepath.Join(c.dir, strings.TrimPrefix(c.addrs[i], "127.0.0.1:"), "redis.log"))
	if len(b) > 2000 {
		b = b[len(b)-2000:]
	}
	return string(b)
}

// stop ends the servers and removes their directory.
func (c *cluster) stop() {
	for _, p := range c.procs {
		_ = p.Process.Signal(syscall.SIGTERM)
	}
	for _, p := range c.procs {
		done := make(chan struct{})
		go func() { _ = p.Wait(); close(done) }()
		select {
		case <-done:
		case <-time.After(5 * time.Second):
			_ = p.Process.Kill()
			<-done
		}
	}
	_ = os.RemoveAll(c.dir)
}

// clusterReady reports an error until the node sees a healthy cluster of all
// masters with every slot assigned.
func clusterReady(n *goredis.Client) error {
	info, err := n.ClusterInfo(context.Background()).Result()
	if err != nil {
		return err
	}
	for _, want := range []string{
		"cluster_state:ok",
		"cluster_slots_assigned:16384",
		"cluster_known_nodes:" + strconv.Itoa(clusterMasters),
	} {
		if !strings.Contains(info, want+"\r\n") {
			return fmt.Errorf("cluster info lacks %s:\n%s", want, info)
		}
	}
	return nil
}

// waitFor polls check on the node at addr until it passes or ctx ends.
func waitFor(ctx context.Context, addr string, check func(*goredis.Client) error) error {
	n := goredis.NewClient(&goredis.Options{Addr: addr, MaxRetries: -1, DialTimeout: time.Second})
	defer n.Close()
	for {
		err := check(n)
		if err == nil {
			return nil
		}
		select {
		case <-ctx.Done():
			return errors.Join(ctx.Err(), err)
		case <-time.After(50 * time.Millisecond):
		}
	}
}

// freePorts returns n distinct ports that were free on loopback.
func freePorts(n int) ([]int, error) {
	var ports []int
	var ls []net.Listener
	defer func() {
		for _, l := range ls {
			_ = l.Close()
		}
	}()
	for range n {
		l, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			return nil, fmt.Errorf("find a free port: %w", err)
		}
		ls = append(ls, l)
		ports = append(ports, l.Addr().(*net.TCPAddr).Port)
	}
	return ports, nil
}
