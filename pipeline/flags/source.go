package flags

import (
	"log/slog"
	"sync/atomic"
	"time"

	"github.com/rankflow/rankflow/middleware"
	"github.com/rankflow/rankflow/pipeline/registry"
)

// Params are numeric parameters read by name on every request: Float(name)
// returns a param and whether there is one. Source and Set implement it, for
// registry.Env's Params.
type Params = registry.Params

// Source holds the current Set and answers kill switch and param lookups
// from it without locks: each is one atomic load and a map lookup. File and
// Redis return Sources that replace the Set when their flags change. The
// zero value holds no flags.
type Source struct {
	cur    atomic.Pointer[Set]
	status atomic.Pointer[Status]
	logger *slog.Logger
	name   string // the file or hash, in logs
}

// Status is the outcome of a Source's loads.
type Status struct {
	// At is when the last load was attempted.
	At time.Time
	// Err is its error, nil if it succeeded. The Set loaded before keeps
	// serving.
	Err error
	// LastSuccess is when flags were last loaded; zero if never.
	LastSuccess time.Time
	// Generation counts the different Sets that have served: it grows when
	// a load changes the flags.
	Generation int
}

// Killed reports whether the current Set kills stage in pipeline.
func (s *Source) Killed(pipeline, stage string) bool { return s.cur.Load().Killed(pipeline, stage) }

// Float returns the current Set's param named name.
func (s *Source) Float(name string) (float64, bool) { return s.cur.Load().Float(name) }

// Current returns the Set serving now; nil before the first load.
func (s *Source) Current() *Set { return s.cur.Load() }

// Status returns the outcome of the last load.
func (s *Source) Status() Status {
	if st := s.status.Load(); st != nil {
		return *st
	}
	return Status{}
}

// update records the outcome of a load and, if set is new, swaps it in.
// Callers serialise updates. It returns err.
func (s *Source) update(set *Set, err error) error {
	now := time.Now()
	prev := s.Status()
	next := prev
	next.At, next.Err = now, err
	if err != nil {
		s.status.Store(&next)
		return err
	}
	next.LastSuccess = now
	if old := s.cur.Load(); old == nil || !old.Equal(set) {
		s.cur.Store(set)
		next.Generation++
		s.log().Info("flags changed", "source", s.name, "generation", next.Generation,
			"kill", set.Kills(), "params", set.Params())
	} else if prev.Err != nil {
		s.log().Info("flags load succeeded again; flags unchanged", "source", s.name)
	}
	s.status.Store(&next)
	return nil
}

func (s *Source) log() *slog.Logger {
	if s.logger == nil {
		return slog.Default()
	}
	return s.logger
}

// Option configures File and Redis.
type Option func(*options)

type options struct {
	logger   *slog.Logger
	debounce time.Duration
	interval time.Duration
}

func newOptions(opts []Option) options {
	o := options{logger: slog.Default(), debounce: 100 * time.Millisecond, interval: time.Second}
	for _, opt := range opts {
		opt(&o)
	}
	return o
}

// WithLogger logs changes and failed reloads to l instead of slog.Default.
func WithLogger(l *slog.Logger) Option {
	return func(o *options) {
		if l != nil {
			o.logger = l
		}
	}
}

// WithDebounce sets how long Watch waits for a file to be quiet before it
// reloads it (default 100ms), so an editor's several writes make one reload.
func WithDebounce(d time.Duration) Option { return func(o *options) { o.debounce = max(d, 0) } }

// WithInterval sets how often a Redis source polls its hash (default 1s).
func WithInterval(d time.Duration) Option {
	return func(o *options) {
		if d > 0 {
			o.interval = d
		}
	}
}

var (
	_ middleware.Flags = (*Source)(nil)
	_ registry.Params  = (*Source)(nil)
	_ middleware.Flags = (*Set)(nil)
	_ registry.Params  = (*Set)(nil)
)
