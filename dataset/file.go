package dataset

import (
	"bufio"
	"bytes"
	"compress/gzip"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strconv"

	"github.com/rankflow/rankflow/rank"
	"github.com/rankflow/rankflow/store"
)

// Format and Version identify the file format written by Write; Load reads
// versions up to Version.
const (
	Format  = "rankflow-dataset"
	Version = 1
)

// maxLine is the longest record Load accepts.
const maxLine = 64 << 20

// Error is a problem with a dataset file: where it is and what it is.
type Error struct {
	File   string // the file's path, when known
	Line   int    // 1-based line; 0 when the problem is with the file as a whole
	Record string // the record, such as `post "p3"` or `list "popular"`, when known
	Err    error
}

// Error formats e as "dataset data.jsonl.gz:12: post "p3": feature ...".
func (e *Error) Error() string {
	b := []byte("dataset")
	switch {
	case e.File != "" && e.Line > 0:
		b = fmt.Appendf(b, " %s:%d", e.File, e.Line)
	case e.File != "":
		b = fmt.Appendf(b, " %s", e.File)
	case e.Line > 0:
		b = fmt.Appendf(b, " line %d", e.Line)
	}
	if e.Record != "" {
		b = fmt.Appendf(b, ": %s", e.Record)
	}
	return string(fmt.Appendf(b, ": %v", e.Err))
}

// Unwrap returns the underlying error.
func (e *Error) Unwrap() error { return e.Err }

type header struct {
	Format  string                       `json:"format"`
	Version int                          `json:"version"`
	Meta    map[string]string            `json:"meta,omitempty"`
	Counts  counts                       `json:"counts"`
	Schema  map[string]map[string]string `json:"schema"`
}

type counts struct {
	Entities int `json:"entities"`
	Lists    int `json:"lists"`
	Sets     int `json:"sets"`
}

type entityRecord struct {
	Namespace string         `json:"e"`
	ID        string         `json:"id"`
	Features  map[string]any `json:"f"`
}

type listRecord struct {
	Key      string    `json:"l"`
	IDs      []string  `json:"ids"`
	Scores   []float64 `json:"scores"`
	Snapshot string    `json:"snapshot,omitempty"`
}

type setRecord struct {
	Key     string   `json:"s"`
	Members []string `json:"m"`
}

// record is any line after the header, as read.
type record struct {
	Namespace *string                    `json:"e"`
	ID        string                     `json:"id"`
	Features  map[string]json.RawMessage `json:"f"`
	List      *string                    `json:"l"`
	IDs       []string                   `json:"ids"`
	Scores    []float64                  `json:"scores"`
	Snapshot  json.RawMessage            `json:"snapshot"` // checked by list, to name it
	Set       *string                    `json:"s"`
	Members   []string                   `json:"m"`
}

// Write writes d to w in the dataset file format, gzip-compressed. The same
// Dataset always gives the same bytes. Every feature of a name in a
// namespace must have the same kind; the error names the first that does
// not.
func Write(w io.Writer, d *Dataset) error {
	schema := map[string]map[string]string{}
	for _, e := range d.Entities {
		s := schema[e.Namespace]
		if s == nil {
			s = map[string]string{}
			schema[e.Namespace] = s
		}
		for name, v := range e.Features {
			if !v.IsValid() {
				return &Error{Record: describeEntity(e.Namespace, e.ID), Err: fmt.Errorf("feature %q has no value", name)}
			}
			k := v.Kind().String()
			if have, ok := s[name]; ok && have != k {
				return &Error{Record: describeEntity(e.Namespace, e.ID), Err: fmt.Errorf("feature %q is %s, but %s elsewhere in %q", name, k, have, e.Namespace)}
			}
			s[name] = k
		}
	}
	zw := gzip.NewWriter(w)
	bw := bufio.NewWriterSize(zw, 64<<10)
	enc := json.NewEncoder(bw)
	enc.SetEscapeHTML(false)
	h := header{
		Format: Format, Version: Version, Meta: d.Meta, Schema: schema,
		Counts: counts{len(d.Entities), len(d.Lists), len(d.Sets)},
	}
	if err := enc.Encode(h); err != nil {
		return fmt.Errorf("write dataset: header: %w", err)
	}
	for _, e := range d.Entities {
		f := make(map[string]any, len(e.Features))
		for name, v := range e.Features {
			f[name] = plain(v)
		}
		if err := enc.Encode(entityRecord{e.Namespace, e.ID, f}); err != nil {
			return &Error{Record: describeEntity(e.Namespace, e.ID), Err: err}
		}
	}
	for _, l := range d.Lists {
		r := listRecord{Key: l.Key, IDs: make([]string, len(l.Members)), Scores: make([]float64, len(l.Members)), Snapshot: l.Snapshot}
		for i, m := range l.Members {
			r.IDs[i], r.Scores[i] = m.ID, m.Score
		}
		if err := enc.Encode(r); err != nil {
			return &Error{Record: fmt.Sprintf("list %q", l.Key), Err: err}
		}
	}
	for _, s := range d.Sets {
		if err := enc.Encode(setRecord{s.Key, nonNil(s.Members)}); err != nil {
			return &Error{Record: fmt.Sprintf("set %q", s.Key), Err: err}
		}
	}
	if err := bw.Flush(); err != nil {
		return fmt.Errorf("write dataset: %w", err)
	}
	if err := zw.Close(); err != nil {
		return fmt.Errorf("write dataset: %w", err)
	}
	return nil
}

// plain returns v as the Go value encoding/json writes for its kind.
func plain(v rank.Value) any {
	switch v.Kind() {
	case rank.String:
		s, _ := v.AsString()
		return s
	case rank.Int:
		i, _ := v.AsInt()
		return i
	case rank.Float:
		f, _ := v.AsFloat()
		return f
	case rank.Bool:
		b, _ := v.AsBool()
		return b
	case rank.StringSet:
		s, _ := v.AsStringSet()
		return nonNil(s.Items())
	case rank.IntList:
		l, _ := v.AsIntList()
		return nonNil(l)
	case rank.FloatVector:
		l, _ := v.AsFloatVector()
		return nonNil(l)
	}
	return nil
}

func nonNil[T any](s []T) []T {
	if s == nil {
		return []T{}
	}
	return s
}

func describeEntity(namespace, id string) string { return fmt.Sprintf("%s %q", namespace, id) }

// Load reads a dataset written by Write, gzip-compressed or not. It stops at
// the first problem and returns it as an *Error with the line and record.
func Load(r io.Reader) (*Dataset, error) {
	br := bufio.NewReaderSize(r, 64<<10)
	var src io.Reader = br
	if magic, _ := br.Peek(2); len(magic) == 2 && magic[0] == 0x1f && magic[1] == 0x8b {
		zr, err := gzip.NewReader(br)
		if err != nil {
			return nil, &Error{Err: fmt.Errorf("gzip: %w", err)}
		}
		defer zr.Close()
		src = zr
	}
	sc := bufio.NewScanner(src)
	sc.Buffer(make([]byte, 0, 64<<10), maxLine)
	l := loader{d: &Dataset{}, seen: map[string]bool{}}
	for sc.Scan() {
		l.line++
		line := bytes.TrimSpace(sc.Bytes())
		if len(line) == 0 {
			continue
		}
		if err := l.add(line); err != nil {
			if rerr := sc.Err(); rerr != nil { // a cut file: say so, not that its last line is bad
				return nil, &Error{Line: l.line, Err: fmt.Errorf("read: %w", rerr)}
			}
			err.Line = l.line
			return nil, err
		}
	}
	if err := sc.Err(); err != nil {
		return nil, &Error{Line: l.line + 1, Err: fmt.Errorf("read: %w", err)}
	}
	if l.schema == nil {
		return nil, &Error{Err: errors.New("empty: no header")}
	}
	got := counts{len(l.d.Entities), len(l.d.Lists), len(l.d.Sets)}
	if got != l.counts {
		return nil, &Error{Line: l.line, Err: fmt.Errorf("file ends after %d entities, %d lists and %d sets; the header promises %d, %d and %d (truncated?)",
			got.Entities, got.Lists, got.Sets, l.counts.Entities, l.counts.Lists, l.counts.Sets)}
	}
	return l.d, nil
}

type loader struct {
	d      *Dataset
	line   int
	schema map[string]map[string]rank.Kind // nil until the header is read
	counts counts
	seen   map[string]bool // entity, list and set identities already read
}

func (l *loader) add(line []byte) *Error {
	if l.schema == nil {
		return l.header(line)
	}
	var r record
	if err := decodeStrict(line, &r); err != nil {
		return &Error{Err: err}
	}
	switch {
	case r.Namespace != nil && r.List == nil && r.Set == nil:
		return l.entity(*r.Namespace, r)
	case r.List != nil && r.Namespace == nil && r.Set == nil:
		return l.list(*r.List, r)
	case r.Set != nil && r.Namespace == nil && r.List == nil:
		return l.set(*r.Set, r)
	}
	return &Error{Err: errors.New(`a record has exactly one of "e" (entity), "l" (list) or "s" (set)`)}
}

func (l *loader) header(line []byte) *Error {
	var h header
	if err := decodeStrict(line, &h); err != nil {
		return &Error{Record: "header", Err: err}
	}
	if h.Format != Format {
		return &Error{Record: "header", Err: fmt.Errorf("format is %q, want %q", h.Format, Format)}
	}
	if h.Version < 1 || h.Version > Version {
		return &Error{Record: "header", Err: fmt.Errorf("version %d is not supported (this build reads 1 to %d)", h.Version, Version)}
	}
	l.schema = make(map[string]map[string]rank.Kind, len(h.Schema))
	for ns, features := range h.Schema {
		kinds := make(map[string]rank.Kind, len(features))
		for name, k := range features {
			kind, err := rank.ParseKind(k)
			if err != nil {
				return &Error{Record: "header", Err: fmt.Errorf("schema %s.%s: %w", ns, name, err)}
			}
			kinds[name] = kind
		}
		l.schema[ns] = kinds
	}
	l.d.Meta, l.counts = h.Meta, h.Counts
	l.d.Entities = make([]Entity, 0, min(h.Counts.Entities, 1<<20))
	return nil
}

func (l *loader) entity(ns string, r record) *Error {
	what := describeEntity(ns, r.ID)
	if ns == "" || r.ID == "" {
		return &Error{Record: what, Err: errors.New("entity needs a namespace and an id")}
	}
	if r.List != nil || r.IDs != nil || r.Scores != nil || r.Snapshot != nil || r.Members != nil {
		return &Error{Record: what, Err: errors.New(`entity has fields of a list or set ("ids", "scores", "snapshot" or "m")`)}
	}
	if l.seen["e\x00"+ns+"\x00"+r.ID] {
		return &Error{Record: what, Err: errors.New("duplicate entity")}
	}
	l.seen["e\x00"+ns+"\x00"+r.ID] = true
	kinds := l.schema[ns]
	f := make(map[string]rank.Value, len(r.Features))
	for name, raw := range r.Features {
		kind, ok := kinds[name]
		if !ok {
			return &Error{Record: what, Err: fmt.Errorf("feature %q is not in the header's schema for %q", name, ns)}
		}
		v, err := decodeValue(kind, raw)
		if err != nil {
			return &Error{Record: what, Err: fmt.Errorf("feature %q (%s): %w", name, kind, err)}
		}
		f[name] = v
	}
	l.d.Entities = append(l.d.Entities, Entity{Namespace: ns, ID: r.ID, Features: f})
	return nil
}

func (l *loader) list(key string, r record) *Error {
	what := fmt.Sprintf("list %q", key)
	switch {
	case key == "":
		return &Error{Record: what, Err: errors.New("list needs a key")}
	case r.ID != "" || r.Features != nil || r.Members != nil:
		return &Error{Record: what, Err: errors.New(`list has fields of an entity or set ("id", "f" or "m")`)}
	case len(r.IDs) != len(r.Scores):
		return &Error{Record: what, Err: fmt.Errorf("%d ids but %d scores", len(r.IDs), len(r.Scores))}
	case l.seen["l\x00"+key]:
		return &Error{Record: what, Err: errors.New("duplicate list")}
	}
	var snapshot string
	if r.Snapshot != nil {
		if err := json.Unmarshal(r.Snapshot, &snapshot); err != nil || snapshot == "" {
			return &Error{Record: what, Err: fmt.Errorf(`"snapshot" is %s; want the namespace of the features published with the list, a non-empty string`, r.Snapshot)}
		}
	}
	l.seen["l\x00"+key] = true
	members := make([]store.Scored, len(r.IDs))
	for i, id := range r.IDs {
		if id == "" {
			return &Error{Record: what, Err: fmt.Errorf("member %d has an empty id", i)}
		}
		members[i] = store.Scored{ID: id, Score: r.Scores[i]}
	}
	l.d.Lists = append(l.d.Lists, List{Key: key, Members: members, Snapshot: snapshot})
	return nil
}

func (l *loader) set(key string, r record) *Error {
	what := fmt.Sprintf("set %q", key)
	switch {
	case key == "":
		return &Error{Record: what, Err: errors.New("set needs a key")}
	case r.ID != "" || r.Features != nil || r.IDs != nil || r.Scores != nil || r.Snapshot != nil:
		return &Error{Record: what, Err: errors.New(`set has fields of an entity or list ("id", "f", "ids", "scores" or "snapshot")`)}
	case l.seen["s\x00"+key]:
		return &Error{Record: what, Err: errors.New("duplicate set")}
	case slices.Contains(r.Members, ""):
		return &Error{Record: what, Err: errors.New("a member is empty")}
	}
	l.seen["s\x00"+key] = true
	l.d.Sets = append(l.d.Sets, Set{Key: key, Members: r.Members})
	return nil
}

// decodeStrict decodes one JSON value from line into v, rejecting unknown
// fields and trailing data, and names the column of a syntax error.
func decodeStrict(line []byte, v any) error {
	dec := json.NewDecoder(bytes.NewReader(line))
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		if se, ok := errors.AsType[*json.SyntaxError](err); ok {
			return fmt.Errorf("column %d: %w", se.Offset, err)
		}
		if errors.Is(err, io.ErrUnexpectedEOF) {
			return fmt.Errorf("unexpected end of line: %w", err)
		}
		return err
	}
	if dec.More() {
		return fmt.Errorf("column %d: more than one JSON value on the line", dec.InputOffset()+1)
	}
	return nil
}

// decodeValue decodes raw as a Value of kind.
func decodeValue(kind rank.Kind, raw json.RawMessage) (rank.Value, error) {
	if string(raw) == "null" {
		return rank.Value{}, errors.New("is null")
	}
	switch kind {
	case rank.String:
		if n := len(raw); n >= 2 && raw[0] == '"' && raw[n-1] == '"' && bytes.IndexByte(raw[1:n-1], '\\') < 0 {
			return rank.StringValue(string(raw[1 : n-1])), nil // no escapes: the common case
		}
		var s string
		err := json.Unmarshal(raw, &s)
		return rank.StringValue(s), err
	case rank.Int:
		i, err := strconv.ParseInt(string(raw), 10, 64)
		if err != nil {
			return rank.Value{}, fmt.Errorf("%s is not an int", raw)
		}
		return rank.IntValue(i), nil
	case rank.Float:
		f, err := strconv.ParseFloat(string(raw), 64)
		if err != nil {
			return rank.Value{}, fmt.Errorf("%s is not a number", raw)
		}
		return rank.FloatValue(f), nil
	case rank.Bool:
		switch string(raw) {
		case "true":
			return rank.BoolValue(true), nil
		case "false":
			return rank.BoolValue(false), nil
		}
		return rank.Value{}, fmt.Errorf("%s is not a bool", raw)
	case rank.StringSet:
		var s []string
		err := json.Unmarshal(raw, &s)
		return rank.StringSetValue(s...), err
	case rank.IntList:
		var l []int64
		err := json.Unmarshal(raw, &l)
		return rank.IntListValue(l), err
	case rank.FloatVector:
		var v []float32
		err := json.Unmarshal(raw, &v)
		return rank.FloatVectorValue(v), err
	}
	return rank.Value{}, fmt.Errorf("kind %s cannot be read", kind)
}

// WriteFile writes d to the file at path, replacing it atomically: readers
// see the old file or the whole new one.
func WriteFile(path string, d *Dataset) (err error) {
	f, err := os.CreateTemp(filepath.Dir(path), filepath.Base(path)+".tmp*")
	if err != nil {
		return fmt.Errorf("write dataset: %w", err)
	}
	defer func() {
		if err != nil {
			f.Close()
			os.Remove(f.Name())
		}
	}()
	if err := Write(f, d); err != nil {
		return fmt.Errorf("write dataset %s: %w", path, err)
	}
	if err := f.Close(); err != nil {
		return fmt.Errorf("write dataset %s: %w", path, err)
	}
	if err := os.Rename(f.Name(), path); err != nil {
		return fmt.Errorf("write dataset: %w", err)
	}
	return nil
}

// ReadFile loads the dataset file at path. A problem with its contents is an
// *Error that names the file and line.
func ReadFile(path string) (*Dataset, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("load dataset: %w", err)
	}
	defer f.Close()
	d, err := Load(f)
	if e, ok := errors.AsType[*Error](err); ok {
		e.File = path
		return nil, e
	}
	if err != nil {
		return nil, fmt.Errorf("load dataset %s: %w", path, err)
	}
	return d, nil
}
