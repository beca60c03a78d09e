package flags

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"sync"
	"time"

	"github.com/fsnotify/fsnotify"
)

// FileSource is a Source whose flags come from a YAML file, reloaded by
// Reload and, while Watch runs, whenever the file changes.
type FileSource struct {
	Source
	path     string
	debounce time.Duration
	mu       sync.Mutex // serialises reloads
}

// File loads the flags file at path, which must decode, and returns a
// Source serving it. Options: WithLogger, WithDebounce.
func File(path string, opts ...Option) (*FileSource, error) {
	o := newOptions(opts)
	f := &FileSource{path: path, debounce: o.debounce}
	f.logger, f.name = o.logger, path
	if err := f.Reload(); err != nil {
		return nil, err
	}
	return f, nil
}

// Reload reads and decodes the file and, if it is valid, serves its flags.
// On failure the previous flags keep serving and the error, returned, is
// kept for Status. The server calls it on SIGHUP or an admin request.
func (f *FileSource) Reload() error {
	f.mu.Lock()
	defer f.mu.Unlock()
	data, err := os.ReadFile(f.path)
	if err != nil {
		return f.update(nil, fmt.Errorf("read flags: %w", err))
	}
	set, err := Parse(f.path, data)
	return f.update(set, err)
}

// Watch reloads the file whenever it changes, once it has been quiet for
// the debounce time, until ctx is done. It watches the file's directory, so
// a file replaced by rename (as editors and Kubernetes config maps do) is
// seen too. A failed reload is logged and kept for Status; the previous
// flags keep serving. Watch returns an error only if it cannot watch.
func (f *FileSource) Watch(ctx context.Context) error {
	w, err := fsnotify.NewWatcher()
	if err != nil {
		return fmt.Errorf("watch flags: %w", err)
	}
	defer w.Close()
	dir := filepath.Dir(f.path)
	if err := w.Add(dir); err != nil {
		return fmt.Errorf("watch flags: %w", err)
	}
	base := filepath.Base(f.path)
	var timer <-chan time.Time
	for {
		select {
		case <-ctx.Done():
			return nil
		case ev, ok := <-w.Events:
			if !ok {
				return errors.New("watch flags: watcher closed")
			}
			if filepath.Base(ev.Name) == base || ev.Has(fsnotify.Create) || ev.Has(fsnotify.Rename) || ev.Has(fsnotify.Remove) {
				timer = time.After(f.debounce)
			}
		case err, ok := <-w.Errors:
			if !ok {
				return errors.New("watch flags: watcher closed")
			}
			f.log().Warn("watching flags file", "file", f.path, "error", err.Error())
		case <-timer:
			timer = nil
			if err := f.Reload(); err != nil {
				f.log().Error("flags reload failed; previous flags keep serving", "file", f.path, "error", err.Error())
			}
		}
	}
}
