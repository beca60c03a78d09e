// Package redis is a store.Store and store.Loader on Redis, through a go-redis
// UniversalClient: one address is a single node, several are a Redis
// Cluster.
//
// # Key layout
//
// Every key starts with Options.Prefix.
//
//	lists      <prefix><key>          sorted set, member = id, score = score
//	sets       <prefix><key>          sorted set, member = id, score = insertion
//	                                  time in microseconds (so Add keeps the most
//	                                  recent members with ZREMRANGEBYRANK)
//	features   <prefix><namespace>:<id>  string, the feature map in the encoding
//	                                  of AppendFeatures
//	snapshots  <prefix>snapshot:<key> string, a list with its members' features
//	                                  in the encoding of AppendSnapshot
//
// The patterns share one key space, as Redis has one: do not name a list or
// set "snapshot:...", nor a feature namespace "snapshot".
//
// # Round trips
//
// Every method makes one round trip per node, however many keys or ids it is
// given: Top pipelines one ZRANGE per key; Features and Snapshots send one
// MGET on a single node and, on a cluster, one MGET per hash slot, all in one
// pipeline that go-redis splits by node and sends to the nodes in parallel;
// Add writes, trims and sets the expiry in one MULTI/EXEC. The only exception
// is Top when members tied on score straddle the n-th place (see Store.Top).
//
// # Errors
//
// A missing key is an empty result, never an error. Every other failure is an
// *Error that names the operation and the key, such as
//
//	redis TOP key "popular:gaming": WRONGTYPE Operation against a key holding the wrong kind of value
//
// and wraps what go-redis returned (errors.Is works with
// context.DeadlineExceeded). Each call is bounded by Options.Timeout.
package redis

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync/atomic"
	"time"

	goredis "github.com/redis/go-redis/v9"

	"github.com/rankflow/rankflow/store"
)

// DefaultTimeout bounds each store call when Options.Timeout is zero.
const DefaultTimeout = 250 * time.Millisecond

// DefaultLoadTimeout bounds each pipeline of a Loader method when
// Options.LoadTimeout is zero.
const DefaultLoadTimeout = 30 * time.Second

// DefaultLoadBatch is the number of commands per pipeline the Loader methods
// send when Options.LoadBatch is zero.
const DefaultLoadBatch = 1000

// Options configure a Store. The zero value is ready to use.
type Options struct {
	// Prefix is put in front of every key, to share a Redis between
	// deployments or tests. It should not contain "{", which would make it a
	// cluster hash tag and put every key in one slot.
	Prefix string
	// Timeout bounds each store call (a batch is one call); 0 means
	// DefaultTimeout and a negative value means only the caller's context.
	// The client must respect context deadlines, as those of NewClient do
	// (go-redis ContextTimeoutEnabled).
	Timeout time.Duration
	// LoadTimeout bounds each pipeline the Loader methods send; 0 means
	// DefaultLoadTimeout and a negative value means only the caller's
	// context.
	LoadTimeout time.Duration
	// LoadBatch is the number of commands the Loader methods send per
	// pipeline; 0 means DefaultLoadBatch.
	LoadBatch int
	// Now returns the time used to stamp set members in Add; time.Now when
	// nil.
	Now func() time.Time
}

// Store reads and writes lists, sets and features in Redis. It is safe for
// concurrent use. Close the client, not the Store, when done.
type Store struct {
	client goredis.UniversalClient
	opts   Options
	last   atomic.Int64 // last set-member stamp handed out, in microseconds
	// schemas interns the layouts of decoded feature records.
	schemas Schemas
}

// New returns a Store on client.
func New(client goredis.UniversalClient, opts Options) *Store {
	if opts.Timeout == 0 {
		opts.Timeout = DefaultTimeout
	}
	if opts.LoadTimeout == 0 {
		opts.LoadTimeout = DefaultLoadTimeout
	}
	if opts.LoadBatch <= 0 {
		opts.LoadBatch = DefaultLoadBatch
	}
	if opts.Now == nil {
		opts.Now = time.Now
	}
	return &Store{client: client, opts: opts}
}

// ClientOptions configure NewClient.
type ClientOptions struct {
	// Addrs are host:port addresses: one is a single node, several are seed
	// nodes of a Redis Cluster.
	Addrs []string
	// Cluster makes a single address a cluster seed (a configuration
	// endpoint) rather than a single node.
	Cluster bool
	// Username and Password authenticate with ACL or requirepass.
	Username, Password string
	// PoolSize is the number of connections per node; 0 is go-redis's
	// default (10 per CPU).
	PoolSize int
}

// NewClient returns a go-redis client for opts: a *goredis.Client for one
// address, a *goredis.ClusterClient for several or when opts.Cluster is set.
// The client respects context deadlines, so Options.Timeout applies to it.
// The caller closes it.
func NewClient(opts ClientOptions) goredis.UniversalClient {
	return goredis.NewUniversalClient(&goredis.UniversalOptions{
		Addrs:                 opts.Addrs,
		IsClusterMode:         opts.Cluster,
		Username:              opts.Username,
		Password:              opts.Password,
		PoolSize:              opts.PoolSize,
		ContextTimeoutEnabled: true,
	})
}

// Error is a failed Redis operation. Key is the full Redis key (with the
// prefix); More counts the other keys of a batch that failed too.
type Error struct {
	Op      string        // TOP, MEMBERS, ADD, FEATURES, SNAPSHOTS, PUTLIST, PUTSET, PUTFEATURES, PUTSNAPSHOT
	Key     string        // the first failing key
	More    int           // other keys of the batch that failed
	Timeout time.Duration // the call's timeout, when it expired
	Err     error
}

// Error formats e as `redis OP key "k": cause`.
func (e *Error) Error() string {
	s := fmt.Sprintf("redis %s key %q", e.Op, e.Key)
	if e.More > 0 {
		s += fmt.Sprintf(" (and %d more)", e.More)
	}
	if e.Timeout > 0 {
		s += fmt.Sprintf(": timed out after %v", e.Timeout)
	}
	return s + ": " + e.Err.Error()
}

// Unwrap returns the cause.
func (e *Error) Unwrap() error { return e.Err }

// call returns the context for one store call, bounded by the timeout.
func (s *Store) call(ctx context.Context) (context.Context, context.CancelFunc) {
	if s.opts.Timeout < 0 {
		return ctx, func() {}
	}
	return context.WithTimeout(ctx, s.opts.Timeout)
}

// load returns the context for one pipeline of a Loader method.
func (s *Store) load(ctx context.Context) (context.Context, context.CancelFunc) {
	if s.opts.LoadTimeout < 0 {
		return ctx, func() {}
	}
	return context.WithTimeout(ctx, s.opts.LoadTimeout)
}

// fail wraps err from op on key; ctx is the call's context, to tell a timeout.
func (s *Store) fail(ctx context.Context, op, key string, more int, err error) error {
	e := &Error{Op: op, Key: key, More: more, Err: err}
	if errors.Is(ctx.Err(), context.DeadlineExceeded) || isTimeout(err) {
		e.Timeout = s.opts.Timeout
		if strings.HasPrefix(op, "PUT") {
			e.Timeout = s.opts.LoadTimeout
		}
		e.Timeout = max(e.Timeout, 0)
	}
	return e
}

func isTimeout(err error) bool {
	var t interface{ Timeout() bool }
	return errors.As(err, &t) && t.Timeout()
}

// failed returns nil when no command failed (a missing key is not a
// failure), or an *Error naming the first failing command's key.
func (s *Store) failed(ctx context.Context, op string, cmds []goredis.Cmder, key func(i int) string) error {
	first, n := -1, 0
	var err error
	for i, c := range cmds {
		if e := c.Err(); e != nil && !errors.Is(e, goredis.Nil) {
			if first < 0 {
				first, err = i, e
			}
			n++
		}
	}
	if first < 0 {
		return nil
	}
	return s.fail(ctx, op, key(first), n-1, err)
}

// stamps reserves n strictly increasing insertion stamps and returns the
// first. Stamps are wall-clock microseconds, nudged forward so that members
// added by this process never tie.
func (s *Store) stamps(n int) int64 {
	now := s.opts.Now().UnixMicro()
	for {
		last := s.last.Load()
		start := max(now, last+1)
		if s.last.CompareAndSwap(last, start+int64(n)-1) {
			return start
		}
	}
}

var (
	_ store.Store  = (*Store)(nil)
	_ store.Loader = (*Store)(nil)
)
