package dataset_test

import (
	"bytes"
	"compress/gzip"
	"errors"
	"io"
	"math"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/rankflow/rankflow/dataset"
	"github.com/rankflow/rankflow/rank"
	"github.com/rankflow/rankflow/store"
)

// everyKind is a hand-made dataset with a feature of every kind.
func everyKind() *dataset.Dataset {
	return &dataset.Dataset{
		Meta: map[string]string{"source": "test"},
		Entities: []dataset.Entity{
			{Namespace: "post", ID: "p1", Features: map[string]rank.Value{
				"s": rank.StringValue("quote \" and <html> & ünïcode"), "i": rank.IntValue(-1 << 62),
				"f": rank.FloatValue(0.1), "b": rank.BoolValue(true),
				"ss": rank.StringSetValue("b", "a"), "il": rank.IntListValue([]int64{3, 1}),
				"fv": rank.FloatVectorValue([]float32{0.5, -1e-7}),
			}},
			{Namespace: "post", ID: "p2", Features: map[string]rank.Value{
				"ss": rank.StringSetValue(), "il": rank.IntListValue(nil), "f": rank.FloatValue(3),
			}},
			{Namespace: "user", ID: "u1", Features: map[string]rank.Value{}},
		},
		Lists: []dataset.List{
			{Key: "popular", Members: []store.Scored{{ID: "p2", Score: 1.5}, {ID: "p1", Score: -2}}, Snapshot: "post"},
			{Key: "empty", Members: []store.Scored{}},
		},
		Sets: []dataset.Set{{Key: "user:u1:viewed", Members: []string{"p2", "p1"}}},
	}
}

func TestRoundTrip(t *testing.T) {
	tests := []struct {
		name string
		give *dataset.Dataset
	}{
		{"every kind", everyKind()},
		{"generated", generate(t, small)},
		{"empty", &dataset.Dataset{}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			file := encode(t, tt.give)
			got, err := dataset.Load(bytes.NewReader(file))
			if err != nil {
				t.Fatal(err)
			}
			assertEqual(t, got, tt.give)
			if !bytes.Equal(encode(t, got), file) {
				t.Error("writing what was loaded gave different bytes")
			}
		})
	}
}

func assertEqual(t *testing.T, got, want *dataset.Dataset) {
	t.Helper()
	if got.String() != want.String() {
		t.Fatalf("loaded %v, want %v", got, want)
	}
	for k, v := range want.Meta {
		if got.Meta[k] != v {
			t.Errorf("meta %s = %q, want %q", k, got.Meta[k], v)
		}
	}
	for i, w := range want.Entities {
		g := got.Entities[i]
		if g.Namespace != w.Namespace || g.ID != w.ID || len(g.Features) != len(w.Features) {
			t.Fatalf("entity %d = %v, want %v", i, g, w)
		}
		for name, v := range w.Features {
			if !g.Features[name].Equal(v) {
				t.Fatalf("%s %s feature %s = %v, want %v", w.Namespace, w.ID, name, g.Features[name], v)
			}
		}
	}
	for i, w := range want.Lists {
		g := got.Lists[i]
		if g.Key != w.Key || g.Snapshot != w.Snapshot || len(g.Members) != len(w.Members) {
			t.Fatalf("list %d = %v, want %v", i, g, w)
		}
		for j := range w.Members {
			if g.Members[j] != w.Members[j] {
				t.Fatalf("list %s member %d = %v, want %v", w.Key, j, g.Members[j], w.Members[j])
			}
		}
	}
	for i, w := range want.Sets {
		g := got.Sets[i]
		if g.Key != w.Key || strings.Join(g.Members, ",") != strings.Join(w.Members, ",") {
			t.Fatalf("set %d = %v, want %v", i, g, w)
		}
	}
}

const goodHeader = `{"format":"rankflow-dataset","version":1,"counts":{"entities":1,"lists":0,"sets":0},"schema":{"post":{"upvotes":"int","tags":"string_set"}}}`

func TestLoadErrors(t *testing.T) {
	tests := []struct {
		name string
		give string
		want string
	}{
		{"empty", "", "dataset: empty: no header"},
		{"not json", "hello\n", "dataset line 1: header: column 1: invalid character 'h' looking for beginning of value"},
		{"wrong format", `{"format":"csv","version":1,"counts":{},"schema":{}}`, `dataset line 1: header: format is "csv", want "rankflow-dataset"`},
		{"newer version", `{"format":"rankflow-dataset","version":2,"counts":{},"schema":{}}`, "dataset line 1: header: version 2 is not supported (this build reads 1 to 1)"},
		{"unknown kind", `{"format":"rankflow-dataset","version":1,"counts":{},"schema":{"post":{"x":"number"}}}`, `dataset line 1: header: schema post.x: unknown feature kind "number" (want one of string, int, float, bool, string_set, int_list, float_vector)`},
		{"bad line", goodHeader + "\n\n" + `{"e":"post","id":"p1","f":{"upvotes":1}`, "dataset line 3: unexpected end of line: unexpected EOF"},
		{"unknown field", goodHeader + "\n" + `{"e":"post","id":"p1","feat":{}}`, `dataset line 2: json: unknown field "feat"`},
		{"two record types", goodHeader + "\n" + `{"e":"post","l":"x","id":"p1"}`, `dataset line 2: a record has exactly one of "e" (entity), "l" (list) or "s" (set)`},
		{"no id", goodHeader + "\n" + `{"e":"post","f":{}}`, `dataset line 2: post "": entity needs a namespace and an id`},
		{"feature not in schema", goodHeader + "\n" + `{"e":"post","id":"p1","f":{"score":1}}`, `dataset line 2: post "p1": feature "score" is not in the header's schema for "post"`},
		{"wrong kind", goodHeader + "\n" + `{"e":"post","id":"p1","f":{"upvotes":"12"}}`, `dataset line 2: post "p1": feature "upvotes" (int): "12" is not an int`},
		{"float for int", goodHeader + "\n" + `{"e":"post","id":"p1","f":{"upvotes":1.5}}`, `dataset line 2: post "p1": feature "upvotes" (int): 1.5 is not an int`},
		{"null", goodHeader + "\n" + `{"e":"post","id":"p1","f":{"tags":null}}`, `dataset line 2: post "p1": feature "tags" (string_set): is null`},
		{"duplicate entity", goodHeader + "\n" + `{"e":"post","id":"p1","f":{}}` + "\n" + `{"e":"post","id":"p1","f":{}}`, `dataset line 3: post "p1": duplicate entity`},
		{"scores mismatch", goodHeader + "\n" + `{"l":"popular","ids":["a","b"],"scores":[1]}`, `dataset line 2: list "popular": 2 ids but 1 scores`},
		{"empty snapshot", goodHeader + "\n" + `{"l":"popular","ids":[],"scores":[],"snapshot":""}`, `dataset line 2: list "popular": "snapshot" is ""; want the namespace of the features published with the list, a non-empty string`},
		{"null snapshot", goodHeader + "\n" + `{"l":"popular","ids":[],"scores":[],"snapshot":null}`, `dataset line 2: list "popular": "snapshot" is null; want the namespace of the features published with the list, a non-empty string`},
		{"number snapshot", goodHeader + "\n" + `{"l":"popular","ids":[],"scores":[],"snapshot":3}`, `dataset line 2: list "popular": "snapshot" is 3; want the namespace of the features published with the list, a non-empty string`},
		{"snapshot of a set", goodHeader + "\n" + `{"s":"user:u1:viewed","m":[],"snapshot":"post"}`, `dataset line 2: set "user:u1:viewed": set has fields of an entity or list ("id", "f", "ids", "scores" or "snapshot")`},
		{"snapshot of an entity", goodHeader + "\n" + `{"e":"post","id":"p1","f":{},"snapshot":"post"}`, `dataset line 2: post "p1": entity has fields of a list or set ("ids", "scores", "snapshot" or "m")`},
		{"empty set member", goodHeader + "\n" + `{"s":"user:u1:viewed","m":["a",""]}`, `dataset line 2: set "user:u1:viewed": a member is empty`},
		{"truncated", goodHeader + "\n", "dataset line 1: file ends after 0 entities, 0 lists and 0 sets; the header promises 1, 0 and 0 (truncated?)"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := dataset.Load(strings.NewReader(tt.give))
			if err == nil || err.Error() != tt.want {
				t.Errorf("Load error =\n%v\nwant\n%s", err, tt.want)
			}
			if _, ok := errors.AsType[*dataset.Error](err); !ok {
				t.Errorf("error %T is not a *dataset.Error", err)
			}
		})
	}
}

// TestSnapshotFieldIsOptional checks that a list record carries "snapshot"
// only when the list has one, so files without snapshots read and write as
// before.
func TestSnapshotFieldIsOptional(t *testing.T) {
	zr, err := gzip.NewReader(bytes.NewReader(encode(t, everyKind())))
	if err != nil {
		t.Fatal(err)
	}
	text, err := io.ReadAll(zr)
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{
		`{"l":"popular","ids":["p2","p1"],"scores":[1.5,-2],"snapshot":"post"}` + "\n",
		`{"l":"empty","ids":[],"scores":[]}` + "\n",
	} {
		if !strings.Contains(string(text), want) {
			t.Errorf("file has no line %s:\n%s", want, text)
		}
	}
	old := `{"format":"rankflow-dataset","version":1,"counts":{"entities":0,"lists":1,"sets":0},"schema":{}}` + "\n" +
		`{"l":"popular","ids":["p1"],"scores":[1]}` + "\n"
	d, err := dataset.Load(strings.NewReader(old))
	if err != nil {
		t.Fatal(err)
	}
	if l := d.Lists[0]; l.Key != "popular" || l.Snapshot != "" {
		t.Errorf("list without a snapshot field read as %+v", l)
	}
}

func TestLoadCutGzip(t *testing.T) {
	file := encode(t, generate(t, small))
	tests := []struct {
		name string
		give []byte
		want string
	}{
		{"cut in half", file[:len(file)/2], "read: unexpected EOF"},
		{"checksum", append(file[:len(file)-8:len(file)-8], 1, 2, 3, 4, 5, 6, 7, 8), "read: gzip: invalid checksum"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := dataset.Load(bytes.NewReader(tt.give))
			e, ok := errors.AsType[*dataset.Error](err)
			if !ok || e.Line == 0 || !strings.HasSuffix(err.Error(), tt.want) {
				t.Errorf("Load error = %v, want a line and %q", err, tt.want)
			}
		})
	}
}

func TestFiles(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "world.jsonl.gz")
	want := generate(t, small)
	if err := dataset.WriteFile(path, want); err != nil {
		t.Fatal(err)
	}
	got, err := dataset.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	assertEqual(t, got, want)

	bad := filepath.Join(dir, "bad.jsonl")
	if err := os.WriteFile(bad, []byte(goodHeader+"\n"+`{"e":"post","id":"p9","f":{"upvotes":true}}`+"\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	_, err = dataset.ReadFile(bad)
	if want := "dataset " + bad + `:2: post "p9": feature "upvotes" (int): true is not an int`; err == nil || err.Error() != want {
		t.Errorf("ReadFile error = %v, want %s", err, want)
	}
	if _, err := dataset.ReadFile(filepath.Join(dir, "missing")); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("ReadFile(missing) error = %v, want not exist", err)
	}
}

func TestWriteErrors(t *testing.T) {
	tests := []struct {
		name string
		give []dataset.Entity
		want string
	}{
		{"kinds differ", []dataset.Entity{
			{Namespace: "post", ID: "p1", Features: map[string]rank.Value{"x": rank.IntValue(1)}},
			{Namespace: "post", ID: "p2", Features: map[string]rank.Value{"x": rank.FloatValue(1)}},
		}, `dataset: post "p2": feature "x" is float, but int elsewhere in "post"`},
		{"invalid value", []dataset.Entity{
			{Namespace: "post", ID: "p1", Features: map[string]rank.Value{"x": {}}},
		}, `dataset: post "p1": feature "x" has no value`},
		{"NaN", []dataset.Entity{
			{Namespace: "post", ID: "p1", Features: map[string]rank.Value{"x": rank.FloatValue(math.NaN())}},
		}, `dataset: post "p1": json: unsupported value: NaN`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := dataset.Write(new(bytes.Buffer), &dataset.Dataset{Entities: tt.give})
			if err == nil || err.Error() != tt.want {
				t.Errorf("Write error = %v, want %s", err, tt.want)
			}
		})
	}
}
