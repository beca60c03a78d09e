package rank_test

import (
	"encoding/json"
	"math"
	"reflect"
	"slices"
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	rankflowv1 "github.com/rankflow/rankflow/api/rankflow/v1"
	"github.com/rankflow/rankflow/rank"
	"google.golang.org/protobuf/proto"
)

func fInt(i int64) *rankflowv1.Feature {
	return &rankflowv1.Feature{Value: &rankflowv1.Feature_AsInt{AsInt: i}}
}

func fullProto() *rankflowv1.Request {
	return &rankflowv1.Request{
		Options: &rankflowv1.Options{Method: "home", Limit: 10, Debug: true},
		Context: &rankflowv1.Entity{Id: "u1", Features: map[string]*rankflowv1.Feature{
			"viewed": {Value: &rankflowv1.Feature_AsStringSet{AsStringSet: &rankflowv1.StringList{Values: []string{"p2", "p1"}}}},
			"emb":    {Value: &rankflowv1.Feature_AsFloatVector{AsFloatVector: &rankflowv1.FloatVector{Values: []float32{0.5, -1}}}},
		}},
		Candidates: []*rankflowv1.Entity{
			{Id: "p1", Score: 1.5, Features: map[string]*rankflowv1.Feature{
				"title": {Value: &rankflowv1.Feature_AsString{AsString: "héllo"}},
				"age":   fInt(3),
				"ctr":   {Value: &rankflowv1.Feature_AsFloat{AsFloat: 0.25}},
				"nsfw":  {Value: &rankflowv1.Feature_AsBool{AsBool: false}},
				"tags":  {Value: &rankflowv1.Feature_AsIntList{AsIntList: &rankflowv1.IntList{Values: []int64{7, 8}}}},
			}},
			{Id: "p2"},
			{Id: "p1"}, // duplicates are the pipeline's business, not the decoder's
		},
	}
}

func TestFromProto(t *testing.T) {
	r, err := rank.FromProto(fullProto())
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(r.Options, rank.Options{Method: "home", Limit: 10, Debug: true}) || r.Trace == nil {
		t.Errorf("options = %+v, trace %v", r.Options, r.Trace)
	}
	if got := strings.Join(rank.IDs(r.Candidates), ","); got != "p1,p2,p1" {
		t.Errorf("ids = %q, want p1,p2,p1", got)
	}
	p1 := r.Candidates[0]
	want := map[string]rank.Value{
		"title": rank.StringValue("héllo"),
		"age":   rank.IntValue(3),
		"ctr":   rank.FloatValue(0.25),
		"nsfw":  rank.BoolValue(false),
		"tags":  rank.IntListValue([]int64{7, 8}),
	}
	if p1.Score != 1.5 || !equalFeatures(featureMap(p1), want) {
		t.Errorf("p1 = score %v features %v, want 1.5 %v", p1.Score, featureMap(p1), want)
	}
	wantCtx := map[string]rank.Value{
		"viewed": rank.StringSetValue("p1", "p2"),
		"emb":    rank.FloatVectorValue([]float32{0.5, -1}),
	}
	if r.Context.ID != "u1" || !equalFeatures(featureMap(r.Context), wantCtx) {
		t.Errorf("context = %q %v, want u1 %v", r.Context.ID, featureMap(r.Context), wantCtx)
	}
}

func TestFromProtoDoesNotKeepWireSlices(t *testing.T) {
	p := fullProto()
	r, err := rank.FromProto(p)
	if err != nil {
		t.Fatal(err)
	}
	p.Candidates[0].Features["tags"].GetAsIntList().Values[0] = 99
	p.Context.Features["emb"].GetAsFloatVector().Values[0] = 99
	if l, _ := r.Candidates[0].GetIntList("tags"); l[0] != 7 {
		t.Errorf("int list follows the wire message: %v", l)
	}
	if v, _ := r.Context.GetFloatVector("emb"); v[0] != 0.5 {
		t.Errorf("vector follows the wire message: %v", v)
	}
}

func TestFromProtoErrors(t *testing.T) {
	tests := []struct {
		name string
		give *rankflowv1.Request
		want string
	}{
		{
			name: "negative limit",
			give: &rankflowv1.Request{Options: &rankflowv1.Options{Limit: -1}},
			want: "options.limit: must not be negative, got -1",
		},
		{
			name: "empty candidate id",
			give: &rankflowv1.Request{Candidates: []*rankflowv1.Entity{{Id: "a"}, {Id: "b"}, {Id: ""}}},
			want: "candidates[2].id: must not be empty",
		},
		{
			name: "nil candidate",
			give: &rankflowv1.Request{Candidates: []*rankflowv1.Entity{{Id: "a"}, nil}},
			want: "candidates[1].id: must not be empty",
		},
		{
			name: "candidate feature without value",
			give: &rankflowv1.Request{Candidates: []*rankflowv1.Entity{{Id: "a"}, {Id: "b"}, {Id: "c"}, {Id: "d", Features: map[string]*rankflowv1.Feature{"age": {}}}}},
			want: `candidates[3].features["age"]: feature has no value`,
		},
		{
			name: "nil candidate feature",
			give: &rankflowv1.Request{Candidates: []*rankflowv1.Entity{{Id: "a", Features: map[string]*rankflowv1.Feature{"x": nil}}}},
			want: `candidates[0].features["x"]: feature has no value`,
		},
		{
			name: "empty candidate feature name",
			give: &rankflowv1.Request{Candidates: []*rankflowv1.Entity{{Id: "a", Features: map[string]*rankflowv1.Feature{"": fInt(1)}}}},
			want: "candidates[0].features: feature name must not be empty",
		},
		{
			name: "context feature without value",
			give: &rankflowv1.Request{Context: &rankflowv1.Entity{Id: "u", Features: map[string]*rankflowv1.Feature{"seen": {}}}},
			want: `context.features["seen"]: feature has no value`,
		},
		{
			name: "empty context feature name",
			give: &rankflowv1.Request{Context: &rankflowv1.Entity{Features: map[string]*rankflowv1.Feature{"": fInt(1)}}},
			want: "context.features: feature name must not be empty",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r, err := rank.FromProto(tt.give)
			if err == nil {
				t.Fatalf("FromProto = %+v, want error %q", r, tt.want)
			}
			if err.Error() != tt.want {
				t.Errorf("error = %q, want %q", err, tt.want)
			}
		})
	}
}

func TestProtoRoundTrip(t *testing.T) {
	tests := []struct {
		name string
		give *rankflowv1.Request
	}{
		{name: "full", give: fullProto()},
		{name: "empty context", give: &rankflowv1.Request{Options: &rankflowv1.Options{}, Context: &rankflowv1.Entity{}}},
		{name: "special floats", give: &rankflowv1.Request{
			Options: &rankflowv1.Options{Method: "m"},
			Context: &rankflowv1.Entity{},
			Candidates: []*rankflowv1.Entity{
				{Id: "nan", Score: math.NaN(), Features: map[string]*rankflowv1.Feature{"f": {Value: &rankflowv1.Feature_AsFloat{AsFloat: math.Inf(-1)}}}},
				{Id: "empties", Features: map[string]*rankflowv1.Feature{
					"set": {Value: &rankflowv1.Feature_AsStringSet{AsStringSet: &rankflowv1.StringList{}}},
					"il":  {Value: &rankflowv1.Feature_AsIntList{AsIntList: &rankflowv1.IntList{}}},
					"vec": {Value: &rankflowv1.Feature_AsFloatVector{AsFloatVector: &rankflowv1.FloatVector{}}},
				}},
			},
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r, err := rank.FromProto(tt.give)
			if err != nil {
				t.Fatal(err)
			}
			got := r.Proto()
			want := proto.Clone(tt.give).(*rankflowv1.Request)
			// A string set comes back sorted and unique.
			if f := want.GetContext().GetFeatures()["viewed"]; f != nil {
				f.GetAsStringSet().Values = []string{"p1", "p2"}
			}
			if !proto.Equal(got, want) {
				t.Errorf("round trip =\n%v\nwant\n%v", got, want)
			}
		})
	}
}

func TestProtoWithTrace(t *testing.T) {
	r := rank.NewRequest(nil, rank.Options{Debug: true})
	st := rank.StageTrace{
		Stage: "filter_seen", Path: "home/filter_seen", Depth: 1, Duration: 3 * time.Millisecond,
		In: 3, Out: 1, Removed: []rank.Removal{{ID: "a", Reason: "seen"}, {ID: "b", Reason: "removed by x"}},
		Added: []string{"z"}, Skipped: "", Error: "boom",
	}
	if back := rank.StageTraceFromProto(st.Proto()); !stageTraceEqual(back, st) {
		t.Errorf("stage trace round trip = %+v, want %+v", back, st)
	}
	_, i := r.Trace.Begin(t.Context(), "s")
	r.Trace.End(i, time.Second, []string{"a"}, rank.NewRequest(nil, rank.Options{}), nil)
	p := r.Proto()
	if len(p.GetExplain()) != 1 || p.GetExplain()[0].GetStage() != "s" || p.GetExplain()[0].GetRemoved()[0].GetId() != "a" {
		t.Errorf("explain = %v", p.GetExplain())
	}
}

func stageTraceEqual(a, b rank.StageTrace) bool {
	return a.Stage == b.Stage && a.Path == b.Path && a.Depth == b.Depth && a.Duration == b.Duration &&
		a.In == b.In && a.Out == b.Out && a.Skipped == b.Skipped && a.Error == b.Error &&
		slices.Equal(a.Added, b.Added) && slices.Equal(a.Removed, b.Removed)
}

func TestJSON(t *testing.T) {
	r := rank.NewRequest(rank.NewEntity("ü"), rank.Options{Method: "m"})
	for range 50 {
		r.Append("日本語-candidate").Set("title", rank.StringValue(strings.Repeat("é", 40)))
	}
	tests := []struct {
		name          string
		give          *rank.Request
		maxCandidates int
		maxBytes      int
		wantPrefix    string
		wantContains  string
		wantMaxLen    int
		wantValidJSON bool
	}{
		{name: "nil", give: nil, maxCandidates: 1, maxBytes: 10, wantPrefix: "null", wantMaxLen: 4, wantValidJSON: true},
		{name: "all", give: r, maxCandidates: -1, maxBytes: 0, wantPrefix: `{`, wantMaxLen: 1 << 20, wantValidJSON: true},
		{name: "candidates cut", give: r, maxCandidates: 2, maxBytes: 0, wantPrefix: `{`, wantContains: "(2 of 50 candidates shown)", wantMaxLen: 1 << 20},
		{name: "bytes cut", give: r, maxCandidates: -1, maxBytes: 1001, wantPrefix: `{`, wantContains: "…(truncated, ", wantMaxLen: 1001 + len("…(truncated, 100000 bytes in all)")},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := tt.give.JSON(tt.maxCandidates, tt.maxBytes)
			if !strings.HasPrefix(s, tt.wantPrefix) || !strings.Contains(s, tt.wantContains) {
				t.Errorf("JSON = %.200q, want prefix %q containing %q", s, tt.wantPrefix, tt.wantContains)
			}
			if len(s) > tt.wantMaxLen {
				t.Errorf("len(JSON) = %d, want at most %d", len(s), tt.wantMaxLen)
			}
			if !utf8.ValidString(s) {
				t.Errorf("JSON is not valid UTF-8: %.200q", s)
			}
			if tt.wantValidJSON && !json.Valid([]byte(s)) {
				t.Errorf("JSON is not valid JSON: %.200q", s)
			}
		})
	}
}
