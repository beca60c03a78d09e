package pipeline

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io/fs"
	"maps"
	"os"
	"path/filepath"
	"slices"
	"strings"
)

// IsConfigFile reports whether name is a pipeline config: a .yaml or .yml
// file that is not a pipeline test (*_test.yaml).
func IsConfigFile(name string) bool {
	ext := filepath.Ext(name)
	if ext != ".yaml" && ext != ".yml" {
		return false
	}
	return !strings.HasSuffix(strings.TrimSuffix(name, ext), "_test")
}

// ReadDir reads the config files in dir and its subdirectories, keyed by
// their path from dir's parent (so problems name "feeds/home.yaml").
func ReadDir(dir string) (map[string][]byte, error) {
	dir = filepath.Clean(dir)
	return ReadFS(os.DirFS(filepath.Dir(dir)), filepath.ToSlash(filepath.Base(dir)))
}

// ReadFS reads the config files under root in fsys, keyed by their path in
// fsys.
func ReadFS(fsys fs.FS, root string) (map[string][]byte, error) {
	files := map[string][]byte{}
	err := fs.WalkDir(fsys, root, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() || !IsConfigFile(d.Name()) {
			return nil
		}
		data, err := fs.ReadFile(fsys, path)
		if err != nil {
			return err
		}
		files[path] = data
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("read pipelines: %w", err)
	}
	if len(files) == 0 {
		return nil, fmt.Errorf("read pipelines: no .yaml files in %s", root)
	}
	return files, nil
}

// Parse decodes config files (name to contents) and builds them. It returns
// every problem in every file as Problems.
func Parse(files map[string][]byte, opts Options) (*Set, error) {
	reg := opts.registry()
	known := func(name string) bool { _, ok := reg.Lookup(name); return ok || structural[name] }
	hintFn := func(name string) string {
		return hint(name, append(reg.Names(), "series", "parallel", "if", "switch", "use"))
	}
	var defs []*Def
	var ps problems
	for _, name := range slices.Sorted(maps.Keys(files)) {
		d, p := Decode(name, files[name], known, hintFn)
		defs = append(defs, d...)
		ps.list = append(ps.list, p...)
	}
	if len(ps.list) == 0 {
		set, err := Build(defs, opts)
		if err != nil {
			return nil, err
		}
		set.digest = digest(files)
		return set, nil
	}
	// Build what decoded too, so one run reports every problem.
	broken := map[string]bool{}
	for _, d := range defs {
		if slices.ContainsFunc(ps.list, func(p Problem) bool {
			return p.Pos.File == d.Pos.File && (p.Path == d.Path || strings.HasPrefix(p.Path, d.Path+"."))
		}) {
			broken[d.Name] = true
		}
	}
	if _, err := build(defs, opts, broken); err != nil {
		if more, ok := err.(Problems); ok {
			ps.list = append(ps.list, more...)
		}
	}
	return nil, ps.err()
}

// Load reads and builds every pipeline config under dir.
func Load(dir string, opts Options) (*Set, error) {
	files, err := ReadDir(dir)
	if err != nil {
		return nil, err
	}
	return Parse(files, opts)
}

// digest identifies a set of config files by their names and contents.
func digest(files map[string][]byte) string {
	h := sha256.New()
	for _, name := range slices.Sorted(maps.Keys(files)) {
		fmt.Fprintf(h, "%d:%s%d:", len(name), name, len(files[name]))
		h.Write(files[name])
	}
	return hex.EncodeToString(h.Sum(nil))
}
