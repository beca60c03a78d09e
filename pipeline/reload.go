package pipeline

import (
	"context"
	"errors"
	"io/fs"
	"log/slog"
	"os"
	"path/filepath"
	"sync"
	"sync/atomic"
	"time"

	"github.com/fsnotify/fsnotify"
	"github.com/prometheus/client_golang/prometheus"
)

// Holder serves the current Set and replaces it on Reload: the new set is
// built and validated in full before one atomic swap, and a set that fails
// leaves the old one serving. A request holds the set it started on until
// it finishes (Acquire), and a replaced set is closed once its last request
// is done.
type Holder struct {
	load   func() (*Set, error)
	logger *slog.Logger

	cur    atomic.Pointer[held]
	closed atomic.Bool
	mu     sync.Mutex // serialises reloads
	status atomic.Pointer[ReloadStatus]

	reloads *prometheus.CounterVec
	lastOK  prometheus.Gauge
}

// ReloadStatus is the outcome of the last reload attempt.
type ReloadStatus struct {
	At         time.Time
	Err        error // nil if it succeeded
	Generation int   // how many sets have served, counting the first
}

type held struct {
	set     *Set
	gen     int
	refs    atomic.Int64
	retired atomic.Bool
	once    sync.Once
}

func (h *held) release() {
	if h.refs.Add(-1) == 0 && h.retired.Load() {
		h.close()
	}
}

func (h *held) close() { h.once.Do(func() { h.set.Close() }) }

// NewHolder loads the first set with load, which must succeed, and
// registers reload metrics on reg (nil: none).
func NewHolder(load func() (*Set, error), logger *slog.Logger, reg prometheus.Registerer) (*Holder, error) {
	if logger == nil {
		logger = slog.Default()
	}
	h := &Holder{
		load:   load,
		logger: logger,
		reloads: prometheus.NewCounterVec(prometheus.CounterOpts{
			Namespace: "rankflow", Name: "pipeline_reloads_total",
			Help: "Pipeline reloads by result (success or failure).",
		}, []string{"result"}),
		lastOK: prometheus.NewGauge(prometheus.GaugeOpts{
			Namespace: "rankflow", Name: "pipeline_last_reload_success_timestamp_seconds",
			Help: "When the pipelines were last loaded successfully.",
		}),
	}
	if reg != nil {
		for _, c := range []prometheus.Collector{h.reloads, h.lastOK} {
			if err := reg.Register(c); err != nil {
				return nil, err
			}
		}
	}
	set, err := load()
	if err != nil {
		return nil, err
	}
	h.cur.Store(&held{set: set, gen: 1})
	now := time.Now()
	h.lastOK.Set(float64(now.Unix()))
	h.status.Store(&ReloadStatus{At: now, Generation: 1})
	return h, nil
}

// Acquire returns the current set and a func to call when the request that
// uses it is done. The set is not closed before then, even if replaced.
func (h *Holder) Acquire() (*Set, func()) {
	for {
		c := h.cur.Load()
		c.refs.Add(1)
		if !c.retired.Load() || h.closed.Load() {
			return c.set, c.release // after Close: the closed set, rather than waiting forever
		}
		c.release()
	}
}

// Reload builds a new set and, if it is valid, swaps it in. On failure the
// old set keeps serving and the error is returned, logged, counted and kept
// for Status.
func (h *Holder) Reload() error {
	h.mu.Lock()
	defer h.mu.Unlock()
	set, err := h.load()
	old := h.cur.Load()
	now := time.Now()
	if err != nil {
		h.reloads.WithLabelValues("failure").Inc()
		h.status.Store(&ReloadStatus{At: now, Err: err, Generation: old.gen})
		h.logger.Error("pipeline reload failed; previous pipelines keep serving", "error", err.Error())
		return err
	}
	next := &held{set: set, gen: old.gen + 1}
	h.cur.Store(next)
	old.retired.Store(true)
	if old.refs.Load() == 0 {
		old.close()
	}
	h.reloads.WithLabelValues("success").Inc()
	h.lastOK.Set(float64(now.Unix()))
	h.status.Store(&ReloadStatus{At: now, Generation: next.gen})
	h.logger.Info("pipelines reloaded", "generation", next.gen, "pipelines", set.Names())
	return nil
}

// Status returns the outcome of the last reload (or of the first load).
func (h *Holder) Status() ReloadStatus { return *h.status.Load() }

// Close closes the current set. The holder must not be used afterwards.
func (h *Holder) Close() error {
	h.closed.Store(true)
	c := h.cur.Load()
	c.retired.Store(true)
	if c.refs.Load() == 0 {
		c.close()
	}
	return nil
}

// Watch reloads whenever a config file or a JSON file (such as a model's
// weights_file) under dir changes, or a file is removed or renamed, waiting
// for quiet (debounce) so an editor's several writes make one reload, until
// ctx is done.
func (h *Holder) Watch(ctx context.Context, dir string, debounce time.Duration) error {
	w, err := fsnotify.NewWatcher()
	if err != nil {
		return err
	}
	defer w.Close()
	if err := addTree(w, dir); err != nil {
		return err
	}
	var timer <-chan time.Time
	if h.changedSinceLoad(dir) {
		// The files changed between the last load and the watch starting;
		// from here on the watcher sees every change.
		timer = time.After(debounce)
	}
	for {
		select {
		case <-ctx.Done():
			return nil
		case ev, ok := <-w.Events:
			if !ok {
				return errors.New("watch: watcher closed")
			}
			newDir := false
			if ev.Has(fsnotify.Create) {
				if info, err := os.Stat(ev.Name); err == nil && info.IsDir() {
					// A new subdirectory: watch it, and reload, since files
					// may have been written into it before the watch began.
					_ = addTree(w, ev.Name)
					newDir = true
				}
			}
			base := filepath.Base(ev.Name)
			if newDir || IsConfigFile(base) || filepath.Ext(base) == ".json" || ev.Has(fsnotify.Remove) || ev.Has(fsnotify.Rename) {
				timer = time.After(debounce)
			}
		case err, ok := <-w.Errors:
			if !ok {
				return errors.New("watch: watcher closed")
			}
			h.logger.Warn("watching pipeline configs", "error", err.Error())
		case <-timer:
			timer = nil
			_ = h.Reload() // logged and kept in Status
		}
	}
}

// changedSinceLoad reports whether the config files under dir differ from
// those the current set was parsed from. File times are not used: their
// granularity is coarser than the clock's, so a write just after a load can
// carry an earlier time.
func (h *Holder) changedSinceLoad(dir string) bool {
	set, done := h.Acquire()
	defer done()
	files, err := ReadDir(dir)
	if err != nil {
		return true // let Reload report it
	}
	return set.digest == "" || set.digest != digest(files)
}

func addTree(w *fsnotify.Watcher, dir string) error {
	return filepath.WalkDir(dir, func(path string, d fs.DirEntry, err error) error {
		if err != nil || !d.IsDir() {
			return nil
		}
		return w.Add(path)
	})
}
