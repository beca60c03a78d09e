package flags_test

import (
	"errors"
	"maps"
	"slices"
	"testing"

	"github.com/rankflow/rankflow/pipeline/flags"
)

func TestParse(t *testing.T) {
	tests := []struct {
		name       string
		give       string
		wantKills  []string
		wantParams map[string]float64
	}{
		{"no flags", "kill: []\n", nil, map[string]float64{}},
		{"null sections", "kill:\nparams:\n", nil, map[string]float64{}},
		{
			"both",
			"kill:\n  - popular/filter_seen\n  - \"*/score_linear\"\n  - video/*\nparams:\n  video.shuffle_probability: 0.1\n  home.limit: 3\n",
			[]string{"*/score_linear", "popular/filter_seen", "video/*"},
			map[string]float64{"video.shuffle_probability": 0.1, "home.limit": 3},
		},
		{"flow style", `{kill: ["*/*"], params: {a: -2.5e-1}}`, []string{"*/*"}, map[string]float64{"a": -0.25}},
		{"params only", "params: {x: 1_000}\n", nil, map[string]float64{"x": 1000}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			set, err := flags.Parse("flags.yaml", []byte(tt.give))
			if err != nil {
				t.Fatal(err)
			}
			if got := set.Kills(); !slices.Equal(got, tt.wantKills) {
				t.Errorf("kills = %q, want %q", got, tt.wantKills)
			}
			if got := set.Params(); !maps.Equal(got, tt.wantParams) {
				t.Errorf("params = %v, want %v", got, tt.wantParams)
			}
		})
	}
}

func TestParseErrors(t *testing.T) {
	tests := []struct {
		name string
		give string
		want string
	}{
		{"empty file", "", `flags.yaml: empty flags file: want kill and params (write kill: [] for none)`},
		{"only comments", "# nothing\n", `flags.yaml: empty flags file: want kill and params (write kill: [] for none)`},
		{"bad YAML", "kill: [a/b\n", `flags.yaml:1:1: invalid YAML: line 1: did not find expected ',' or ']'`},
		{
			"unquoted star",
			"kill:\n  - */score_linear\n",
			`flags.yaml:2:1: invalid YAML: line 2: did not find expected alphabetic or numeric character (quote entries that start with *, such as "*/score_linear")`,
		},
		{"not a map", "- a/b\n", `flags.yaml:1:1: want a map with kill and params, got a list`},
		{"unknown key", "kill: []\nkills: [a/b]\n", `flags.yaml:2:1: kills: unknown key (want kill or params)`},
		{"duplicate key", "kill: []\nkill: []\n", `flags.yaml:2:1: kill: duplicate key`},
		{"kill not a list", "kill: popular/filter_seen\n", `flags.yaml:1:7: kill: want a list of pipeline/stage entries, got string "popular/filter_seen"`},
		{"no slash", "kill: [popular]\n", `flags.yaml:1:8: kill[0] "popular": want pipeline/stage, such as popular/filter_seen, with * for any`},
		{"two slashes", "kill: [a/b/c]\n", `flags.yaml:1:8: kill[0] "a/b/c": want pipeline/stage, such as popular/filter_seen, with * for any`},
		{"empty stage", "kill: [popular/]\n", `flags.yaml:1:8: kill[0] "popular/": stage is empty; want pipeline/stage, such as popular/filter_seen, with * for any`},
		{"partial wildcard", "kill: [\"pop*/x\"]\n", `flags.yaml:1:8: kill[0] "pop*/x": pipeline "pop*": * must stand alone, for any pipeline`},
		{"space", "kill: [\"a/filter seen\"]\n", `flags.yaml:1:8: kill[0] "a/filter seen": stage "filter seen" has a space or control character`},
		{"not a string", "kill: [a/b, 3]\n", `flags.yaml:1:13: kill[1]: want a pipeline/stage string, got int "3"`},
		{"duplicate entry", "kill:\n  - a/b\n  - a/b\n", `flags.yaml:3:5: kill[1] "a/b": duplicate entry, first given at flags.yaml:2:5`},
		{"params not a map", "params: [a]\n", `flags.yaml:1:9: params: want a map of names to numbers, got a list`},
		{"param a string", "params:\n  p: high\n", `flags.yaml:2:6: params.p: want a number, got string "high"`},
		{"param a quoted number", "params:\n  p: \"0.1\"\n", `flags.yaml:2:6: params.p: want a number, got string "0.1"`},
		{"param missing", "params:\n  p:\n", `flags.yaml:2:5: params.p: want a number, got nothing`},
		{"param NaN", "params:\n  p: .nan\n", `flags.yaml:2:6: params.p: want a finite number, got NaN`},
		{"param name with space", "params:\n  \"a b\": 1\n", `flags.yaml:2:3: params.a b: param name "a b" has a space or control character`},
		{"duplicate param", "params:\n  p: 1\n  p: 2\n", `flags.yaml:3:3: params.p: duplicate param, first given at flags.yaml:2:3`},
		{
			"every problem",
			"kill: [x]\nparams: {p: no}\nother: 1\n",
			"flags.yaml:1:8: kill[0] \"x\": want pipeline/stage, such as popular/filter_seen, with * for any\n" +
				"flags.yaml:2:13: params.p: want a number, got string \"no\"\n" +
				"flags.yaml:3:1: other: unknown key (want kill or params)",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			set, err := flags.Parse("flags.yaml", []byte(tt.give))
			if err == nil {
				t.Fatalf("no error; set %v", set)
			}
			if err.Error() != tt.want {
				t.Errorf("error:\n%s\nwant:\n%s", err, tt.want)
			}
			var ps flags.Problems
			if !errors.As(err, &ps) || len(ps) == 0 {
				t.Errorf("error %T is not Problems", err)
			}
		})
	}
}

func TestFromHash(t *testing.T) {
	set, err := flags.FromHash("rankflow:flags", map[string]string{
		"kill:popular/filter_seen":        "1",
		"kill:*/score_linear":             "0",
		"param:video.shuffle_probability": "0.1",
	})
	if err != nil {
		t.Fatal(err)
	}
	if got, want := set.Kills(), []string{"popular/filter_seen"}; !slices.Equal(got, want) {
		t.Errorf("kills = %q, want %q", got, want)
	}
	if got, want := set.Params(), map[string]float64{"video.shuffle_probability": 0.1}; !maps.Equal(got, want) {
		t.Errorf("params = %v, want %v", got, want)
	}

	_, err = flags.FromHash("rankflow:flags", map[string]string{
		"kill:a/b":   "yes",
		"kill:x":     "0",
		"param:p":    "abc",
		"param:q":    "Inf",
		"param:":     "1",
		"other":      "1",
		"kill:a/*":   "1",
		"param:fine": "2",
	})
	want := `redis hash rankflow:flags: field "kill:a/b": value "yes": want 1 (killed) or 0 (not killed)
redis hash rankflow:flags: field "kill:x": want pipeline/stage, such as popular/filter_seen, with * for any
redis hash rankflow:flags: field "other": unknown field (want kill:pipeline/stage or param:name)
redis hash rankflow:flags: field "param:": param name is empty
redis hash rankflow:flags: field "param:p": value "abc": want a number
redis hash rankflow:flags: field "param:q": want a finite number, got +Inf`
	if err == nil || err.Error() != want {
		t.Errorf("error:\n%v\nwant:\n%s", err, want)
	}
}

func TestKilled(t *testing.T) {
	type q struct{ pipeline, stage string }
	tests := []struct {
		name       string
		kill       []string
		wantKilled []q
		wantAlive  []q
	}{
		{"none", nil, nil, []q{{"popular", "filter_seen"}}},
		{
			"exact",
			[]string{"popular/filter_seen"},
			[]q{{"popular", "filter_seen"}},
			[]q{{"video", "filter_seen"}, {"popular", "score_linear"}, {"popular", "popular"}},
		},
		{
			"stage in every pipeline",
			[]string{"*/score_linear"},
			[]q{{"popular", "score_linear"}, {"video", "score_linear"}},
			[]q{{"popular", "filter_seen"}, {"*", "filter_seen"}},
		},
		{
			"whole pipeline, its root stage included",
			[]string{"video/*"},
			[]q{{"video", "video"}, {"video", "shuffle"}},
			[]q{{"popular", "shuffle"}, {"videos", "shuffle"}},
		},
		{"everything", []string{"*/*"}, []q{{"popular", "filter_seen"}, {"video", "video"}}, nil},
		{
			"several",
			[]string{"popular/filter_seen", "*/score_linear", "video/*"},
			[]q{{"popular", "filter_seen"}, {"home", "score_linear"}, {"video", "filter_seen"}},
			[]q{{"home", "filter_seen"}, {"popular", "shuffle"}},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			set, err := flags.New(tt.kill, nil)
			if err != nil {
				t.Fatal(err)
			}
			for _, k := range tt.wantKilled {
				if !set.Killed(k.pipeline, k.stage) {
					t.Errorf("%s/%s is not killed", k.pipeline, k.stage)
				}
			}
			for _, k := range tt.wantAlive {
				if set.Killed(k.pipeline, k.stage) {
					t.Errorf("%s/%s is killed", k.pipeline, k.stage)
				}
			}
		})
	}
}

func TestNilSetHasNoFlags(t *testing.T) {
	var set *flags.Set
	if set.Killed("a", "b") {
		t.Error("nil set kills")
	}
	if _, ok := set.Float("p"); ok {
		t.Error("nil set has a param")
	}
	var src flags.Source
	if src.Killed("a", "b") {
		t.Error("zero source kills")
	}
	if st := src.Status(); st.Generation != 0 || st.Err != nil {
		t.Errorf("zero source status = %+v", st)
	}
}

func TestNewReportsEveryProblem(t *testing.T) {
	_, err := flags.New([]string{"a", "b/c", "b/c"}, map[string]float64{"": 1})
	want := `flags: kill[0] "a": want pipeline/stage, such as popular/filter_seen, with * for any
flags: kill[2] "b/c": duplicate entry, first given at flags
flags: params.: param name is empty`
	if err == nil || err.Error() != want {
		t.Errorf("error:\n%v\nwant:\n%s", err, want)
	}
}
