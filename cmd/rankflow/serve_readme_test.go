package main

// The README's serving examples, run as written against a test server.

import (
	"bytes"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// grpcurlVersion is the grpcurl the README test installs when none is on
// PATH (.ci/run installs the same).
const grpcurlVersion = "v1.9.3"

// installGrpcurl starts looking for grpcurl, on PATH or else installed
// with `go install` into the user's cache directory, where later runs find
// it, and returns a func that waits for the path.
func installGrpcurl() func(*testing.T) string {
	var (
		path string
		err  error
		done = make(chan struct{})
	)
	go func() {
		defer close(done)
		if path, err = exec.LookPath("grpcurl"); err == nil {
			return
		}
		var cache string
		if cache, err = os.UserCacheDir(); err != nil {
			cache = os.TempDir()
		}
		gobin := filepath.Join(cache, "rankflow-test", "grpcurl-"+grpcurlVersion)
		path = filepath.Join(gobin, "grpcurl")
		if _, err = os.Stat(path); err == nil {
			return
		}
		err = nil
		cmd := exec.Command("go", "install", "github.com/fullstorydev/grpcurl/cmd/grpcurl@"+grpcurlVersion)
		cmd.Dir = os.TempDir() // outside this module
		cmd.Env = append(os.Environ(), "GOBIN="+gobin, "GOFLAGS=")
		if out, ierr := cmd.CombinedOutput(); ierr != nil {
			err = fmt.Errorf("go install grpcurl@%s: %v\n%s", grpcurlVersion, ierr, out)
		}
	}()
	return func(t *testing.T) string {
		t.Helper()
		<-done
		if err != nil {
			t.Fatal(err)
		}
		return path
	}
}

// readmeCommands returns the curl and grpcurl lines of the README's
// Serving section, continuation lines joined.
func readmeCommands(t *testing.T) []string {
	t.Helper()
	data, err := os.ReadFile("../../README.md")
	if err != nil {
		t.Fatal(err)
	}
	_, section, ok := strings.Cut(string(data), "\n## Serving\n")
	if !ok {
		t.Fatal("README.md has no ## Serving section")
	}
	if i := strings.Index(section, "\n## "); i >= 0 {
		section = section[:i]
	}
	var cmds []string
	var cur string
	for _, line := range strings.Split(section, "\n") {
		line = strings.TrimSpace(line)
		if cur != "" {
			cur += " " + strings.TrimSuffix(line, "\\")
		} else if strings.HasPrefix(line, "curl ") || strings.HasPrefix(line, "grpcurl ") {
			cur = strings.TrimSuffix(line, "\\")
		}
		if cur != "" && !strings.HasSuffix(line, "\\") {
			cmds = append(cmds, strings.TrimSpace(cur))
			cur = ""
		}
	}
	return cmds
}

// testREADME runs the curl and grpcurl lines of the README's Serving
// section against s, with $TOKEN set to its admin token.
func testREADME(t *testing.T, s *serverProc, grpcurl func(*testing.T) string) {
	cmds := readmeCommands(t)
	// What each kind of command must print; the README must show each kind.
	kinds := []struct {
		name  string
		match []string // in the command
		want  []string // in its output
	}{
		{name: "grpcurl list", match: []string{"grpcurl ", " list"}, want: []string{"rankflow.v1.RankingService"}},
		{name: "grpcurl Rank", match: []string{"grpcurl ", "rankflow.v1.RankingService/Rank"}, want: []string{`"candidates"`, `"score"`}},
		{name: "curl Rank", match: []string{"curl ", rankPath}, want: []string{`"candidates":[`, `"score":`}},
		{name: "curl healthz", match: []string{"curl ", "/healthz"}, want: []string{"ok"}},
		{name: "curl admin", match: []string{"curl ", "/admin/pipelines", `Authorization: Bearer $TOKEN`}, want: []string{`"pipelines": [`, `"name": "popular"`}},
	}
	shown := map[string]bool{}
	for _, cmd := range cmds {
		t.Run(cmd, func(t *testing.T) {
			if !strings.Contains(cmd, "127.0.0.1:8080") {
				t.Fatalf("the command does not call 127.0.0.1:8080, where the README's server listens")
			}
			run := strings.ReplaceAll(cmd, "127.0.0.1:8080", s.addr)
			var want []string
			for _, k := range kinds {
				if containsAll(cmd, k.match) {
					shown[k.name] = true
					want = append(want, k.want...)
				}
			}
			env := append(os.Environ(), "TOKEN="+sharedToken)
			if strings.HasPrefix(cmd, "grpcurl ") {
				if grpcurl == nil {
					t.Skip("grpcurl is not installed in -short mode")
				}
				bin := grpcurl(t)
				env = append(env, "PATH="+filepath.Dir(bin)+string(os.PathListSeparator)+os.Getenv("PATH"))
			}
			sh := exec.Command("sh", "-c", run)
			sh.Env = env
			var stdout, stderr bytes.Buffer
			sh.Stdout, sh.Stderr = &stdout, &stderr
			if err := sh.Run(); err != nil {
				t.Fatalf("%s: %v\nstdout:\n%s\nstderr:\n%s", run, err, &stdout, &stderr)
			}
			out := stdout.String()
			if strings.TrimSpace(out) == "" || !containsAll(out, want) {
				t.Errorf("%s printed:\n%s\nwant %q in it", run, out, want)
			}
			// An error body still exits 0 with curl -sS; it carries a code
			// (Connect) or an error (admin).
			if strings.Contains(out, `"code":`) || strings.Contains(out, `"error":`) {
				t.Errorf("%s printed an error:\n%s", run, out)
			}
		})
	}
	for _, k := range kinds {
		if !shown[k.name] {
			t.Errorf("the README's Serving section shows no %s command", k.name)
		}
	}
}
