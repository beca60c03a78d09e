package effect

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"math/bits"
	"sync"
	"sync/atomic"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/rankflow/rankflow/pipeline/registry"
	"github.com/rankflow/rankflow/rank"
	"github.com/rankflow/rankflow/stage"
	"github.com/rankflow/rankflow/stages/internal/keytmpl"
	"github.com/rankflow/rankflow/store"
)

func init() {
	specs = append(specs, registry.Spec{
		Name:    "record_served",
		Kind:    registry.Effect,
		Summary: "Adds the ids of the candidates the request returns to a set in the store, such as the user's recently viewed posts, in the background.",
		Doc: "The stage copies the ids and queues the write; the request never waits for the store. A fixed number of workers " +
			"write from a bounded queue: when it is full the write is dropped and counted (rankflow_record_served_total{result=\"dropped\"}), " +
			"so a slow store costs dropped records, never piled-up goroutines. A request whose key cannot be rendered (an anonymous user) is skipped. " +
			"Workers start with the first request and stop when the pipeline is closed. Put it last, after truncate. " + keytmpl.Doc,
		Fields: []registry.Field{
			{Name: "key", Type: registry.String, Required: true, Doc: "Key template of the set.", Example: "user:{id}:viewed"},
			{Name: "ttl", Type: registry.Duration, Default: "72h", Doc: "The set expires this long after its last write; 0s for never."},
			{Name: "max_len", Type: registry.Int, Default: 1000, Doc: "Most recent members the set keeps; 0 for no cap."},
			{Name: "workers", Type: registry.Int, Default: 2, Doc: "Background writers, at least 1."},
			{Name: "queue", Type: registry.Int, Default: 1024, Doc: "Writes waiting for a worker before new ones are dropped, at least 1."},
			{Name: "timeout", Type: registry.Duration, Default: "1s", Doc: "Deadline of each write."},
		},
		New: func(c *registry.Config, env *registry.Env) (stage.Stage, error) {
			if env.Sets == nil {
				return nil, errors.New("record_served: needs a set store, and the environment has none (Env.Sets is nil)")
			}
			for _, f := range []string{"workers", "queue"} {
				if c.Int(f) < 1 {
					return nil, &registry.FieldError{Field: f, Msg: "must be at least 1"}
				}
			}
			if c.Int("max_len") < 0 {
				return nil, &registry.FieldError{Field: "max_len", Msg: "must not be negative"}
			}
			if c.Duration("timeout") <= 0 {
				return nil, &registry.FieldError{Field: "timeout", Msg: "must be above zero"}
			}
			key, err := keytmpl.Parse(c.String("key"), false)
			if err != nil {
				return nil, &registry.FieldError{Field: "key", Msg: err.Error()}
			}
			counts, err := NewServedMetrics(env.Metrics)
			if err != nil {
				return nil, fmt.Errorf("record_served: %w", err)
			}
			return newRecorder(env.Sets, key, RecorderOptions{
				TTL: c.Duration("ttl"), MaxLen: c.Int("max_len"), Workers: c.Int("workers"),
				Queue: c.Int("queue"), Timeout: c.Duration("timeout"), Logger: env.Logger,
				Metrics: counts,
			}), nil
		},
	})
}

// RecorderOptions configure a Recorder. The zero value of each field takes
// the default in parentheses.
type RecorderOptions struct {
	// Key is the set's key template, such as "user:{id}:viewed".
	Key string
	// TTL makes the set expire after its last write (0: never).
	TTL time.Duration
	// MaxLen caps the set at the most recent members (0: no cap).
	MaxLen int
	// Workers is the number of background writers (2); Queue the writes
	// that may wait for them (1024); Timeout each write's deadline (1s).
	Workers, Queue int
	Timeout        time.Duration
	// Logger, if set, receives failed writes (the 1st, 2nd, 4th, 8th, ...).
	Logger *slog.Logger
	// Metrics, if set, counts the writes in Prometheus as Stats does.
	Metrics *ServedMetrics
}

// ServedMetrics counts what record_served stages do, for all of them in the
// process: rankflow_record_served_total{result} with result written,
// failed, dropped or skipped (as in Stats).
type ServedMetrics struct {
	counts [4]prometheus.Counter // by result
}

// The results record_served counts, in ServedMetrics.counts order.
type result int

const (
	written result = iota
	failed
	dropped
	skipped
)

var resultNames = [...]string{written: "written", failed: "failed", dropped: "dropped", skipped: "skipped"}

// NewServedMetrics registers the counters on reg, or finds them there when
// an earlier build registered them. A nil reg returns nil: no metrics.
func NewServedMetrics(reg prometheus.Registerer) (*ServedMetrics, error) {
	if reg == nil {
		return nil, nil
	}
	vec := prometheus.NewCounterVec(prometheus.CounterOpts{
		Namespace: "rankflow", Name: "record_served_total",
		Help: "What record_served did with the responses it saw, by result: written, failed (the store refused or timed out), dropped (the queue was full or the pipeline closing), skipped (no candidates or no key).",
	}, []string{"result"})
	if err := reg.Register(vec); err != nil {
		are, ok := err.(prometheus.AlreadyRegisteredError)
		if !ok {
			return nil, err
		}
		if vec, ok = are.ExistingCollector.(*prometheus.CounterVec); !ok {
			return nil, fmt.Errorf("metric rankflow_record_served_total is registered as %T", are.ExistingCollector)
		}
	}
	m := &ServedMetrics{}
	for i, name := range resultNames {
		m.counts[i] = vec.WithLabelValues(name)
	}
	return m, nil
}

// inc counts one r, unless the metrics are off (m is nil).
func (m *ServedMetrics) inc(r result) {
	if m != nil {
		m.counts[r].Inc()
	}
}

// Stats counts what a Recorder did with the requests it saw.
type Stats struct {
	Written uint64 // writes the store accepted
	Failed  uint64 // writes the store refused or that timed out
	Dropped uint64 // writes dropped because the queue was full or the recorder closed
	Skipped uint64 // requests whose key could not be rendered (no id) or with no candidates
}

// Recorder is the record_served stage: it adds the returned candidates' ids
// to a set in the background. It is safe for concurrent use. Close stops its
// workers.
type Recorder struct {
	sets    store.Sets
	key     *keytmpl.Template
	o       RecorderOptions
	queue   chan job
	base    context.Context
	cancel  context.CancelFunc
	done    chan struct{}
	start   sync.Once
	wg      sync.WaitGroup
	mu      sync.RWMutex // guards closed against sends
	closed  bool
	written atomic.Uint64
	failed  atomic.Uint64
	dropped atomic.Uint64
	skipped atomic.Uint64
}

type job struct {
	key string
	ids []string
}

// NewRecorder returns a Recorder writing to sets. Its workers start with the
// first request.
func NewRecorder(sets store.Sets, o RecorderOptions) (*Recorder, error) {
	if sets == nil {
		return nil, errors.New("recorder: no set store")
	}
	if o.Workers < 0 || o.Queue < 0 || o.MaxLen < 0 || o.TTL < 0 || o.Timeout < 0 {
		return nil, fmt.Errorf("recorder: negative option in %+v", o)
	}
	key, err := keytmpl.Parse(o.Key, false)
	if err != nil {
		return nil, fmt.Errorf("recorder: %w", err)
	}
	return newRecorder(sets, key, o), nil
}

func newRecorder(sets store.Sets, key *keytmpl.Template, o RecorderOptions) *Recorder {
	if o.Workers == 0 {
		o.Workers = 2
	}
	if o.Queue == 0 {
		o.Queue = 1024
	}
	if o.Timeout == 0 {
		o.Timeout = time.Second
	}
	base, cancel := context.WithCancel(context.Background())
	return &Recorder{
		sets: sets, key: key, o: o,
		queue: make(chan job, o.Queue), base: base, cancel: cancel, done: make(chan struct{}),
	}
}

// Rank queues a write of the ids of req's candidates and returns req
// unchanged, without waiting. A full queue drops the write.
func (r *Recorder) Rank(_ context.Context, req *rank.Request) (*rank.Request, error) {
	if len(req.Candidates) == 0 {
		r.skip()
		return req, nil
	}
	key, err := r.key.Render(req.Context, "")
	if err != nil {
		r.skip()
		return req, nil
	}
	// The candidates go back to a pool after the request; keep the ids only.
	j := job{key: key, ids: rank.IDs(req.Candidates)}
	r.mu.RLock()
	defer r.mu.RUnlock()
	if r.closed {
		r.drop()
		return req, nil
	}
	r.start.Do(r.startWorkers)
	select {
	case r.queue <- j:
	default:
		r.drop()
	}
	return req, nil
}

func (r *Recorder) startWorkers() {
	r.wg.Add(r.o.Workers)
	for range r.o.Workers {
		go r.work()
	}
}

func (r *Recorder) work() {
	defer r.wg.Done()
	for {
		select { // stopping wins over queued writes
		case <-r.done:
			return
		default:
		}
		select {
		case <-r.done:
			return
		case j := <-r.queue:
			r.write(j)
		}
	}
}

func (r *Recorder) write(j job) {
	ctx, cancel := context.WithTimeout(r.base, r.o.Timeout)
	err := r.sets.Add(ctx, j.key, j.ids, r.o.TTL, r.o.MaxLen)
	cancel()
	if err == nil {
		r.written.Add(1)
		r.o.Metrics.inc(written)
		return
	}
	n := r.failed.Add(1)
	r.o.Metrics.inc(failed)
	if r.o.Logger != nil && bits.OnesCount64(n) == 1 {
		r.o.Logger.Warn("record served: write failed", "key", j.key, "err", err, "failed_total", n)
	}
}

// Close stops the workers: writes in flight are cancelled, and queued ones
// and any that arrive later are dropped. It waits for the workers to return
// and always returns nil. Close may be called more than once.
func (r *Recorder) Close() error {
	r.mu.Lock()
	if r.closed {
		r.mu.Unlock()
		return nil
	}
	r.closed = true
	r.mu.Unlock()
	close(r.done) // before cancelling, so a worker whose write fails sees it
	r.cancel()
	r.wg.Wait()
	for {
		select {
		case <-r.queue:
			r.drop()
		default:
			return nil
		}
	}
}

func (r *Recorder) skip() {
	r.skipped.Add(1)
	r.o.Metrics.inc(skipped)
}

func (r *Recorder) drop() {
	r.dropped.Add(1)
	r.o.Metrics.inc(dropped)
}

// Stats returns the counts so far.
func (r *Recorder) Stats() Stats {
	return Stats{
		Written: r.written.Load(), Failed: r.failed.Load(),
		Dropped: r.dropped.Load(), Skipped: r.skipped.Load(),
	}
}

// Name returns "record_served".
func (r *Recorder) Name() string { return "record_served" }

var (
	_ stage.Stage = (*Recorder)(nil)
	_ io.Closer   = (*Recorder)(nil)
)

// Blocks reports false: the write is queued, never waited for.
func (*Recorder) Blocks() bool { return false }
