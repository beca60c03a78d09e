// Package pipetest runs pipeline tests written in YAML next to the
// pipelines they test (files named *_test.yaml): store fixtures, a request,
// and what the response must hold.
//
//	tests:
//	  - name: drops what the user saw
//	    pipeline: popular
//	    fixtures:                       # a fresh memory store holding only these
//	      lists:
//	        popular: {p1: 30, p2: 20, p3: 10}
//	      sets:
//	        "user:u1:viewed": [p2]
//	      features:
//	        post:
//	          p1: {ctr: 0.5, media_type: video}
//	      snapshots:                    # lists also published with their features
//	        popular: post
//	    request:
//	      context: {id: u1, features: {country: US}}
//	      candidates: [{id: p9, features: {ctr: 0.1}}]
//	      limit: 10
//	    expect:
//	      ids: [p1, p3]                 # exactly these, in this order
//	      contains: [p1]
//	      not_contains: [p2]
//	      count: 2
//	      scores: {p1: 1.25}            # within tolerance (default 1e-9)
//	      tolerance: 0.001
//	      reasons: {p2: "in context set"} # the explain reason for removing p2 contains this
//
// Feature values are typed from YAML: strings, ints, floats, bools, and
// lists of strings (a string set), of ints (an int list) or of floats (a
// float vector). A test without fixtures runs against the environment the
// runner was given (such as the demo dataset).
package pipetest

import (
	"context"
	"fmt"
	"maps"
	"math"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"github.com/rankflow/rankflow/pipeline"
	"github.com/rankflow/rankflow/pipeline/registry"
	"github.com/rankflow/rankflow/rank"
	"github.com/rankflow/rankflow/store"
	"github.com/rankflow/rankflow/store/memory"
	"go.yaml.in/yaml/v3"
)

// File is a decoded test file.
type File struct {
	Tests []Test `yaml:"tests"`
}

// Test is one pipeline test.
type Test struct {
	Name     string `yaml:"name"`
	Pipeline string `yaml:"pipeline"`
	// Now is the time the stages see, such as 2025-01-01T00:00:00Z; empty
	// means Options.Now.
	Now      string    `yaml:"now"`
	Fixtures *Fixtures `yaml:"fixtures"`
	Request  Request   `yaml:"request"`
	Expect   Expect    `yaml:"expect"`
	line     int
}

// Fixtures are the contents of the store a test runs against.
type Fixtures struct {
	Lists    map[string]map[string]float64        `yaml:"lists"`
	Sets     map[string][]string                  `yaml:"sets"`
	Features map[string]map[string]map[string]any `yaml:"features"`
	// Snapshots publishes lists as snapshots: list key → the namespace of
	// the features published with it, as a batch job would.
	Snapshots map[string]string `yaml:"snapshots"`
}

// Request is the request a test sends.
type Request struct {
	Context    EntityDef   `yaml:"context"`
	Candidates []EntityDef `yaml:"candidates"`
	Limit      int         `yaml:"limit"`
}

// EntityDef is an entity written in YAML.
type EntityDef struct {
	ID       string         `yaml:"id"`
	Score    float64        `yaml:"score"`
	Features map[string]any `yaml:"features"`
}

// Expect is what a test's response must hold; unset parts are not checked.
type Expect struct {
	IDs         []string           `yaml:"ids"`
	Contains    []string           `yaml:"contains"`
	NotContains []string           `yaml:"not_contains"`
	Count       *int               `yaml:"count"`
	Scores      map[string]float64 `yaml:"scores"`
	Tolerance   float64            `yaml:"tolerance"`
	Reasons     map[string]string  `yaml:"reasons"`
	Error       string             `yaml:"error"` // the pipeline fails with an error containing this
}

// Result is the outcome of one test.
type Result struct {
	File string
	Line int
	Name string
	Err  error // nil if the test passed
}

func (r Result) String() string {
	if r.Err == nil {
		return fmt.Sprintf("ok   %s:%d %s", r.File, r.Line, r.Name)
	}
	return fmt.Sprintf("FAIL %s:%d %s\n     %v", r.File, r.Line, r.Name, r.Err)
}

// Options configure Run.
type Options struct {
	// Registry holds the stages; nil means the built-in ones.
	Registry *registry.Registry
	// Env is used by tests without fixtures; tests with fixtures get a copy
	// with the stores replaced by a memory store of the fixtures.
	Env *registry.Env
	// Now is the time stages see in tests that set none; zero means the
	// wall clock (right for the demo dataset, which is generated fresh).
	Now time.Time
}

// Run runs every *_test.yaml under dir against the pipelines under dir. A
// test file that cannot be read or decoded is an error; failing tests are
// Results with Err set.
func Run(ctx context.Context, dir string, opts Options) ([]Result, error) {
	configs, err := pipeline.ReadDir(dir)
	if err != nil {
		return nil, err
	}
	base := filepath.Dir(filepath.Clean(dir))
	var testFiles []string
	err = filepath.WalkDir(dir, func(path string, d os.DirEntry, err error) error {
		if err == nil && !d.IsDir() && (strings.HasSuffix(path, "_test.yaml") || strings.HasSuffix(path, "_test.yml")) {
			testFiles = append(testFiles, path)
		}
		return err
	})
	if err != nil {
		return nil, err
	}
	var results []Result
	for _, path := range testFiles {
		rel, _ := filepath.Rel(base, path)
		tests, err := ReadFile(path)
		if err != nil {
			return nil, err
		}
		for _, t := range tests {
			results = append(results, Result{File: filepath.ToSlash(rel), Line: t.line, Name: t.Name, Err: runOne(ctx, configs, t, opts)})
		}
	}
	return results, nil
}

// ReadFile decodes a test file strictly: unknown keys are errors.
func ReadFile(path string) ([]Test, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	var root yaml.Node
	if err := yaml.Unmarshal(data, &root); err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	dec := yaml.NewDecoder(strings.NewReader(string(data)))
	dec.KnownFields(true)
	var f File
	if err := dec.Decode(&f); err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	// Line numbers of each test, for results.
	if len(root.Content) > 0 {
		m := root.Content[0]
		for i := 0; i+1 < len(m.Content); i += 2 {
			if m.Content[i].Value == "tests" && m.Content[i+1].Kind == yaml.SequenceNode {
				for j, item := range m.Content[i+1].Content {
					if j < len(f.Tests) {
						f.Tests[j].line = item.Line
					}
				}
			}
		}
	}
	for i, t := range f.Tests {
		if t.Name == "" || t.Pipeline == "" {
			return nil, fmt.Errorf("%s:%d: tests[%d]: a test needs a name and a pipeline", path, t.line, i)
		}
	}
	return f.Tests, nil
}

func runOne(ctx context.Context, configs map[string][]byte, t Test, opts Options) error {
	env := registry.Env{}
	if opts.Env != nil {
		env = *opts.Env
	}
	now := opts.Now
	if t.Now != "" {
		var err error
		if now, err = time.Parse(time.RFC3339, t.Now); err != nil {
			return fmt.Errorf("now: %q is not an RFC 3339 time such as 2025-01-01T00:00:00Z", t.Now)
		}
	}
	if !now.IsZero() {
		env.Now = func() time.Time { return now }
	}
	if t.Fixtures != nil {
		m, err := t.Fixtures.store(ctx)
		if err != nil {
			return fmt.Errorf("fixtures: %w", err)
		}
		env.Lists, env.Sets, env.Features, env.Snapshots = m, m, m, m
	}
	set, err := pipeline.Parse(configs, pipeline.Options{Registry: opts.Registry, Env: &env})
	if err != nil {
		return fmt.Errorf("pipelines do not build:\n%w", err)
	}
	defer set.Close()
	p, ok := set.Lookup(t.Pipeline)
	if !ok {
		return fmt.Errorf("no pipeline %q (have %s)", t.Pipeline, strings.Join(set.Names(), ", "))
	}
	req, err := t.Request.build()
	if err != nil {
		return fmt.Errorf("request: %w", err)
	}
	resp, err := p.Rank(ctx, req)
	if t.Expect.Error != "" {
		if err == nil || !strings.Contains(err.Error(), t.Expect.Error) {
			return fmt.Errorf("error = %v, want one containing %q", err, t.Expect.Error)
		}
		return nil
	}
	if err != nil {
		return fmt.Errorf("pipeline failed: %w", err)
	}
	return t.Expect.check(resp)
}

func (f *Fixtures) store(ctx context.Context) (*memory.Store, error) {
	m := memory.New()
	for _, key := range slices.Sorted(maps.Keys(f.Lists)) {
		var members []store.Scored
		for id, s := range f.Lists[key] {
			members = append(members, store.Scored{ID: id, Score: s})
		}
		if err := m.PutList(ctx, key, members); err != nil {
			return nil, err
		}
	}
	for key, members := range f.Sets {
		if err := m.PutSet(ctx, key, members); err != nil {
			return nil, err
		}
	}
	decoded := map[string]map[string]map[string]rank.Value{} // namespace → id → features
	for ns, byID := range f.Features {
		var ids []string
		var feats []map[string]rank.Value
		decoded[ns] = map[string]map[string]rank.Value{}
		for _, id := range slices.Sorted(maps.Keys(byID)) {
			vals, err := Values(byID[id])
			if err != nil {
				return nil, fmt.Errorf("features.%s.%s: %w", ns, id, err)
			}
			ids = append(ids, id)
			feats = append(feats, vals)
			decoded[ns][id] = vals
		}
		if err := m.PutFeatures(ctx, ns, ids, feats); err != nil {
			return nil, err
		}
	}
	for _, key := range slices.Sorted(maps.Keys(f.Snapshots)) {
		list, ok := f.Lists[key]
		if !ok {
			return nil, fmt.Errorf("snapshots.%s: no list %q in the fixtures' lists", key, key)
		}
		ns := f.Snapshots[key]
		if _, ok := decoded[ns]; !ok {
			return nil, fmt.Errorf("snapshots.%s: namespace %q has no features in the fixtures (have %s)", key, ns, strings.Join(slices.Sorted(maps.Keys(decoded)), ", "))
		}
		var members []store.Scored
		var feats []map[string]rank.Value
		for _, id := range slices.Sorted(maps.Keys(list)) {
			members = append(members, store.Scored{ID: id, Score: list[id]})
			feats = append(feats, decoded[ns][id])
		}
		if err := m.PutSnapshot(ctx, key, members, feats); err != nil {
			return nil, fmt.Errorf("snapshots.%s: %w", key, err)
		}
	}
	return m, nil
}

func (r Request) build() (*rank.Request, error) {
	ctxEntity, err := r.Context.entity("context")
	if err != nil {
		return nil, err
	}
	req := rank.NewRequest(ctxEntity, rank.Options{Limit: r.Limit, Debug: true})
	for i, c := range r.Candidates {
		if c.ID == "" {
			return nil, fmt.Errorf("candidates[%d]: no id", i)
		}
		e, err := c.entity(fmt.Sprintf("candidates[%d]", i))
		if err != nil {
			return nil, err
		}
		req.Candidates = append(req.Candidates, e)
	}
	return req, nil
}

func (d EntityDef) entity(path string) (*rank.Entity, error) {
	e := rank.NewEntity(d.ID)
	e.Score = d.Score
	vals, err := Values(d.Features)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	for k, v := range vals {
		e.Set(k, v)
	}
	return e, nil
}

// Values types YAML feature values: see the package doc.
func Values(m map[string]any) (map[string]rank.Value, error) {
	out := make(map[string]rank.Value, len(m))
	for _, k := range slices.Sorted(maps.Keys(m)) {
		v, err := value(m[k])
		if err != nil {
			return nil, fmt.Errorf("feature %q: %w", k, err)
		}
		out[k] = v
	}
	return out, nil
}

func value(x any) (rank.Value, error) {
	switch x := x.(type) {
	case string:
		return rank.StringValue(x), nil
	case int:
		return rank.IntValue(int64(x)), nil
	case float64:
		return rank.FloatValue(x), nil
	case bool:
		return rank.BoolValue(x), nil
	case []any:
		if len(x) == 0 {
			return rank.StringSetValue(), nil
		}
		switch x[0].(type) {
		case string:
			s := make([]string, len(x))
			for i, it := range x {
				v, ok := it.(string)
				if !ok {
					return rank.Value{}, fmt.Errorf("item %d: a string list mixes in %T", i, it)
				}
				s[i] = v
			}
			return rank.StringSetValue(s...), nil
		case int:
			l := make([]int64, len(x))
			for i, it := range x {
				v, ok := it.(int)
				if !ok {
					return rank.Value{}, fmt.Errorf("item %d: an int list mixes in %T", i, it)
				}
				l[i] = int64(v)
			}
			return rank.IntListValue(l), nil
		case float64:
			l := make([]float32, len(x))
			for i, it := range x {
				switch v := it.(type) {
				case float64:
					l[i] = float32(v)
				case int:
					l[i] = float32(v)
				default:
					return rank.Value{}, fmt.Errorf("item %d: a float list mixes in %T", i, it)
				}
			}
			return rank.FloatVectorValue(l), nil
		}
	}
	return rank.Value{}, fmt.Errorf("unsupported value %v (%T)", x, x)
}

func (e Expect) check(resp *rank.Request) error {
	ids := rank.IDs(resp.Candidates)
	var problems []string
	if e.IDs != nil && !slices.Equal(ids, e.IDs) {
		problems = append(problems, fmt.Sprintf("ids = %v, want %v", ids, e.IDs))
	}
	for _, id := range e.Contains {
		if !slices.Contains(ids, id) {
			problems = append(problems, fmt.Sprintf("%s missing from %v", id, ids))
		}
	}
	for _, id := range e.NotContains {
		if slices.Contains(ids, id) {
			problems = append(problems, fmt.Sprintf("%s present in %v", id, ids))
		}
	}
	if e.Count != nil && len(ids) != *e.Count {
		problems = append(problems, fmt.Sprintf("%d candidates, want %d", len(ids), *e.Count))
	}
	tol := e.Tolerance
	if tol == 0 {
		tol = 1e-9
	}
	for _, id := range slices.Sorted(maps.Keys(e.Scores)) {
		want := e.Scores[id]
		i := slices.Index(ids, id)
		if i < 0 {
			problems = append(problems, fmt.Sprintf("score of %s: not in the response", id))
			continue
		}
		if got := resp.Candidates[i].Score; math.Abs(got-want) > tol {
			problems = append(problems, fmt.Sprintf("score of %s = %g, want %g ± %g", id, got, want, tol))
		}
	}
	if len(e.Reasons) > 0 {
		reasons := map[string]string{}
		if resp.Trace != nil {
			for _, st := range resp.Trace.Stages() {
				for _, rm := range st.Removed {
					if _, ok := reasons[rm.ID]; !ok || st.Depth > 0 {
						reasons[rm.ID] = rm.Reason
					}
				}
			}
		}
		for _, id := range slices.Sorted(maps.Keys(e.Reasons)) {
			got, ok := reasons[id]
			if !ok {
				problems = append(problems, fmt.Sprintf("%s was not removed by any stage", id))
				continue
			}
			if !strings.Contains(got, e.Reasons[id]) {
				problems = append(problems, fmt.Sprintf("%s removed because %q, want a reason containing %q", id, got, e.Reasons[id]))
			}
		}
	}
	if len(problems) > 0 {
		return fmt.Errorf("%s", strings.Join(problems, "\n     "))
	}
	return nil
}
