package main

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

const hotkeysLog = `OK
1655767305.672853 [0 10.8.144.28:61122] "get" "post:3hg9w"
1655767305.672862 [0 10.8.144.28:61122] "get" "deleted_posts"
1655767305.672870 [0 10.8.144.28:61122] "mget" "deleted_posts" "post:\xff"
1655767305.672881 [0 10.8.144.28:61124] "set" "post:3hg9w" "x"
1655767305.672890 [0 10.8.144.28:61124] "get" "deleted_posts"
`

func TestHotkeys(t *testing.T) {
	file := filepath.Join(t.TempDir(), "monitor.log")
	if err := os.WriteFile(file, []byte(hotkeysLog), 0o644); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name       string
		give       []string
		wantCode   int
		wantStdout string
		wantStderr string
	}{
		{
			name:       "file",
			give:       []string{"hotkeys", file},
			wantStdout: "3 \"deleted_posts\"\n2 \"post:3hg9w\"\n1 \"post:\\xff\"\n",
			wantStderr: file + ": 6 lines, 1 skipped, 5 commands, 6 keys counted, 3 distinct keys, counts exact\n",
		},
		{
			name:       "top 1",
			give:       []string{"hotkeys", "-n", "1", file},
			wantStdout: "3 \"deleted_posts\"\n",
		},
		{
			name:       "by command, only GET and SET",
			give:       []string{"hotkeys", "-by", "command", "-cmd", "get,SET", file},
			wantStdout: "2 GET \"deleted_posts\"\n1 GET \"post:3hg9w\"\n1 SET \"post:3hg9w\"\n",
			wantStderr: file + ": 6 lines, 1 skipped, 4 commands, 4 keys counted, 3 distinct command and key pairs, counts exact\n",
		},
		{
			// post:3hg9w, seen twice, took over a counter at 2 and reads 3±2.
			name:       "approximate",
			give:       []string{"hotkeys", "-n", "2", "-capacity", "2", file},
			wantStdout: "3 \"deleted_posts\"\n3±2 \"post:3hg9w\"\n",
			wantStderr: file + ": 6 lines, 1 skipped, 5 commands, 6 keys counted, more than 2 distinct keys (the capacity): COUNT±ERR means between COUNT-ERR and COUNT, and any key not listed was seen at most 3 times\n",
		},
		{
			name:     "bad -by",
			give:     []string{"hotkeys", "-by", "client", file},
			wantCode: 1,
		},
		{
			name:     "unknown flag",
			give:     []string{"hotkeys", "-top", "3", file},
			wantCode: 2,
		},
		{
			name:     "missing file",
			give:     []string{"hotkeys", filepath.Join(t.TempDir(), "nope.log")},
			wantCode: 1,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var stdout, stderr bytes.Buffer
			code := run(context.Background(), tt.give, &stdout, &stderr)
			if code != tt.wantCode {
				t.Fatalf("exit %d, want %d; stderr:\n%s", code, tt.wantCode, stderr.String())
			}
			if tt.wantCode != 0 {
				return
			}
			if got := stdout.String(); got != tt.wantStdout {
				t.Errorf("stdout:\n%s\nwant:\n%s", got, tt.wantStdout)
			}
			if got := stderr.String(); tt.wantStderr != "" && got != tt.wantStderr {
				t.Errorf("stderr:\n%s\nwant:\n%s", got, tt.wantStderr)
			}
		})
	}
}

func TestHotkeysStdin(t *testing.T) {
	for _, args := range [][]string{{"hotkeys"}, {"hotkeys", "-"}} {
		t.Run(strings.Join(args, " "), func(t *testing.T) {
			r, w, err := os.Pipe()
			if err != nil {
				t.Fatal(err)
			}
			stdin := os.Stdin
			os.Stdin = r
			t.Cleanup(func() { os.Stdin = stdin; r.Close() })
			go func() {
				fmt.Fprint(w, hotkeysLog)
				w.Close()
			}()
			var stdout, stderr bytes.Buffer
			if code := run(context.Background(), args, &stdout, &stderr); code != 0 {
				t.Fatalf("exit %d: %s", code, stderr.String())
			}
			if want := "3 \"deleted_posts\"\n2 \"post:3hg9w\"\n1 \"post:\\xff\"\n"; stdout.String() != want {
				t.Errorf("stdout:\n%s\nwant:\n%s", stdout.String(), want)
			}
			if !strings.HasPrefix(stderr.String(), "stdin: 6 lines") {
				t.Errorf("stderr = %q, want a summary of stdin", stderr.String())
			}
		})
	}
}
