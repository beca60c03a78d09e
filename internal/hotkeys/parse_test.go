package hotkeys

import (
	"errors"
	"slices"
	"testing"
)

func TestParse(t *testing.T) {
	tests := []struct {
		name       string
		give       string
		wantTime   string
		wantDB     int
		wantClient string
		wantArgs   []string
	}{
		{
			name:       "talk",
			give:       `1655767305.672853 [0 10.8.144.28:61122] "get" "post:3hg9w"`,
			wantTime:   "1655767305.672853",
			wantClient: "10.8.144.28:61122",
			wantArgs:   []string{"get", "post:3hg9w"},
		},
		{
			name:       "line ending",
			give:       "1655767305.672862 [0 10.8.144.28:61122] \"get\" \"deleted_posts\"\r\n",
			wantTime:   "1655767305.672862",
			wantClient: "10.8.144.28:61122",
			wantArgs:   []string{"get", "deleted_posts"},
		},
		{
			name:       "several keys",
			give:       `1.5 [3 127.0.0.1:1] "MGET" "a" "b" "c"`,
			wantTime:   "1.5",
			wantDB:     3,
			wantClient: "127.0.0.1:1",
			wantArgs:   []string{"MGET", "a", "b", "c"},
		},
		{
			name:       "escapes",
			give:       `1.5 [0 127.0.0.1:1] "set" "say \"hi\"" "back\\slash" "\n\r\t\a\b" "\x00\xff\xAb"`,
			wantTime:   "1.5",
			wantClient: "127.0.0.1:1",
			wantArgs:   []string{"set", `say "hi"`, `back\slash`, "\n\r\t\a\b", "\x00\xff\xab"},
		},
		{
			name:       "backslash before another byte stands for it",
			give:       `1.5 [0 127.0.0.1:1] "get" "\q\x4" "\xzz"`,
			wantTime:   "1.5",
			wantClient: "127.0.0.1:1",
			wantArgs:   []string{"get", "qx4", "xzz"},
		},
		{
			name:       "empty and spaced arguments",
			give:       `1.5 [0 127.0.0.1:1] "set" "" "a b"`,
			wantTime:   "1.5",
			wantClient: "127.0.0.1:1",
			wantArgs:   []string{"set", "", "a b"},
		},
		{
			name:       "lua",
			give:       `1655767305.1 [0 lua] "get" "k"`,
			wantTime:   "1655767305.1",
			wantClient: "lua",
			wantArgs:   []string{"get", "k"},
		},
		{
			name:       "unix socket",
			give:       `1655767305.1 [12 unix:/tmp/redis.sock] "ping"`,
			wantTime:   "1655767305.1",
			wantDB:     12,
			wantClient: "unix:/tmp/redis.sock",
			wantArgs:   []string{"ping"},
		},
		{
			name:     "before Redis 2.6, no database or client",
			give:     `1339518083.107412 "keys" "*"`,
			wantTime: "1339518083.107412",
			wantArgs: []string{"keys", "*"},
		},
		{
			name:       "integer timestamp",
			give:       `1339518083 [0 lua] "get" "k"`,
			wantTime:   "1339518083",
			wantClient: "lua",
			wantArgs:   []string{"get", "k"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var p Parser
			c, err := p.Parse([]byte(tt.give))
			if err != nil {
				t.Fatalf("Parse: %v", err)
			}
			if string(c.Time) != tt.wantTime || c.DB != tt.wantDB || string(c.Client) != tt.wantClient {
				t.Errorf("Time, DB, Client = %q, %d, %q; want %q, %d, %q", c.Time, c.DB, c.Client, tt.wantTime, tt.wantDB, tt.wantClient)
			}
			if got := strs(c.Args); !slices.Equal(got, tt.wantArgs) {
				t.Errorf("Args = %q, want %q", got, tt.wantArgs)
			}
		})
	}
}

func TestParseMalformed(t *testing.T) {
	tests := []struct {
		name string
		give string
	}{
		{"empty", ""},
		{"redis-cli OK", "OK"},
		{"garbage", "\x00\xff garbage"},
		{"no command", "1655767305.672853 [0 10.8.144.28:61122]"},
		{"no command after space", "1655767305.672853 [0 10.8.144.28:61122] "},
		{"no timestamp", `[0 10.8.144.28:61122] "get" "k"`},
		{"dot without digits", `1655767305. [0 1.2.3.4:5] "get" "k"`},
		{"no space after timestamp", `1655767305.1[0 1.2.3.4:5] "get" "k"`},
		{"no database", `1.1 [ 1.2.3.4:5] "get" "k"`},
		{"database too large", `1.1 [99999999 1.2.3.4:5] "get" "k"`},
		{"unclosed bracket", `1.1 [0 1.2.3.4:5 "get" "k"`},
		{"unquoted argument", `1.1 [0 1.2.3.4:5] "get" k`},
		{"unterminated argument", `1.1 [0 1.2.3.4:5] "get" "k`},
		{"unterminated after escape", `1.1 [0 1.2.3.4:5] "get" "k\"`},
		{"trailing backslash", `1.1 [0 1.2.3.4:5] "get" "k\`},
		{"no space between arguments", `1.1 [0 1.2.3.4:5] "get""k"`},
		{"trailing space", `1.1 [0 1.2.3.4:5] "get" "k" `},
		{"cut in half", `1.1 [0 1.2.3.4:5] "get" "k" "`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var p Parser
			c, err := p.Parse([]byte(tt.give))
			if !errors.Is(err, ErrMalformed) {
				t.Errorf("Parse = %q, %v; want ErrMalformed", strs(c.Args), err)
			}
		})
	}
}

func TestParseReusesBuffers(t *testing.T) {
	var p Parser
	first, err := p.Parse([]byte(`1.1 "set" "a\nb" "c"`))
	if err != nil {
		t.Fatal(err)
	}
	firstArgs := strs(first.Args)
	line := []byte(`1.1 [0 1.2.3.4:5] "set" "a\nb" "c"`)
	allocs := testing.AllocsPerRun(100, func() {
		if _, err := p.Parse(line); err != nil {
			t.Fatal(err)
		}
	})
	if allocs != 0 {
		t.Errorf("Parse allocates %v times per line, want 0", allocs)
	}
	if !slices.Equal(firstArgs, []string{"set", "a\nb", "c"}) {
		t.Errorf("first Args = %q", firstArgs)
	}
}

func TestQuote(t *testing.T) {
	tests := []struct {
		give string
		want string
	}{
		{"deleted_posts", `"deleted_posts"`},
		{"", `""`},
		{`say "hi" \o/`, `"say \"hi\" \\o/"`},
		{"\n\r\t\a\b", `"\n\r\t\a\b"`},
		{"\x00\x1f\x7f\xff", `"\x00\x1f\x7f\xff"`},
		{"caf\u00e9", `"caf\xc3\xa9"`},
	}
	for _, tt := range tests {
		t.Run(tt.give, func(t *testing.T) {
			if got := Quote(tt.give); got != tt.want {
				t.Errorf("Quote = %s, want %s", got, tt.want)
			}
			var p Parser
			c, err := p.Parse([]byte(`1.1 "get" ` + Quote(tt.give)))
			if err != nil || string(c.Args[1]) != tt.give {
				t.Errorf("Parse(Quote) = %q, %v; want %q", strs(c.Args), err, tt.give)
			}
		})
	}
}

// FuzzParse checks that Parse never panics, and that what it parses is
// printed back by Quote into a line that parses the same.
func FuzzParse(f *testing.F) {
	for _, s := range []string{
		`1655767305.672853 [0 10.8.144.28:61122] "get" "post:3hg9w"`,
		`1655767305.672862 [0 10.8.144.28:61122] "get" "deleted_posts"`,
		`1.5 [0 127.0.0.1:1] "set" "say \"hi\"" "back\\slash" "\x00\xff"`,
		`1339518083.107412 "keys" "*"`,
		"OK",
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, line []byte) {
		var p Parser
		c, err := p.Parse(line)
		if err != nil {
			if !errors.Is(err, ErrMalformed) {
				t.Fatalf("error %v does not wrap ErrMalformed", err)
			}
			return
		}
		if len(c.Args) == 0 {
			t.Fatal("no Args without an error")
		}
		args := strs(c.Args)
		_ = AppendKeys(nil, c.Args)
		var again []byte
		again = append(again, "1.1 "...)
		for i, a := range args {
			if i > 0 {
				again = append(again, ' ')
			}
			again = AppendQuote(again, a)
		}
		c2, err := p.Parse(again)
		if err != nil {
			t.Fatalf("Parse(%q) of the quoted args: %v", again, err)
		}
		if got := strs(c2.Args); !slices.Equal(got, args) {
			t.Fatalf("quoted and parsed again = %q, want %q", got, args)
		}
	})
}

func strs(b [][]byte) []string {
	s := make([]string, len(b))
	for i, x := range b {
		s[i] = string(x)
	}
	return s
}
