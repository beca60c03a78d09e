package main

// The harness for the serve tests: it builds the rankflow binary once,
// starts `rankflow serve` on a free loopback port with a config directory of
// its own, and calls it over HTTP and gRPC.

import (
	"bufio"
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"io/fs"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"runtime/debug"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	rankflowv1 "github.com/rankflow/rankflow/api/rankflow/v1"
	"github.com/rankflow/rankflow/examples"
	"google.golang.org/grpc"
	"google.golang.org/grpc/credentials/insecure"
	"google.golang.org/protobuf/encoding/protojson"
)

// How long a server may take to start or to stop. Generous, because the
// binary may be built with the race detector and share two cores with
// other servers; no test asserts a wall-clock bound.
const (
	startTimeout = 60 * time.Second
	stopTimeout  = 30 * time.Second
	waitTimeout  = 20 * time.Second // for a condition polled from outside
)

const rankPath = "/rankflow.v1.RankingService/Rank"

var (
	binDir  string // removed after the tests
	binOnce sync.Once
	binPath string
	binErr  error
)

func TestMain(m *testing.M) {
	dir, err := os.MkdirTemp("", "rankflow-serve-test-")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	binDir = dir
	code := m.Run()
	os.RemoveAll(dir)
	os.Exit(code)
}

// raceEnabled reports whether the test binary runs with the race detector,
// so the server is built with it too.
func raceEnabled() bool {
	bi, ok := debug.ReadBuildInfo()
	if !ok {
		return false
	}
	for _, s := range bi.Settings {
		if s.Key == "-race" {
			return s.Value == "true"
		}
	}
	return false
}

// rankflowBinary builds the rankflow binary once per run of the tests.
func rankflowBinary(t *testing.T) string {
	t.Helper()
	binOnce.Do(func() {
		path := filepath.Join(binDir, "rankflow")
		args := []string{"build", "-o", path}
		if raceEnabled() {
			args = append(args, "-race")
		}
		out, err := exec.Command("go", append(args, ".")...).CombinedOutput()
		if err != nil {
			binErr = fmt.Errorf("go %s .: %v\n%s", strings.Join(args, " "), err, out)
			return
		}
		binPath = path
	})
	if binErr != nil {
		t.Fatal(binErr)
	}
	return binPath
}

// lockedBuffer is a bytes.Buffer safe for a process to write while a test
// reads it.
type lockedBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *lockedBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *lockedBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}

// serverOpts say how to start a server.
type serverOpts struct {
	args []string // flags after `serve --listen 127.0.0.1:0`
	env  []string // KEY=VALUE; no other RANKFLOW_ variables are passed on
}

// serverProc is a running `rankflow serve`.
type serverProc struct {
	addr   string // host:port it listens on
	cmd    *exec.Cmd
	stdout *lockedBuffer
	stderr *lockedBuffer
	exited chan struct{} // closed once the process has exited
}

var servingLine = regexp.MustCompile(`(?m)^rankflow serving (.*) on (\S+)$`)

// startServer starts `rankflow serve --listen 127.0.0.1:0` with o and waits
// until it prints the address it serves on. The server is stopped when the
// test ends; its log is shown if the test failed.
func startServer(t *testing.T, o serverOpts) *serverProc {
	t.Helper()
	bin := rankflowBinary(t)
	args := append([]string{"serve", "--listen", "127.0.0.1:0"}, o.args...)
	cmd := exec.Command(bin, args...)
	for _, kv := range os.Environ() {
		if !strings.HasPrefix(kv, "RANKFLOW_") {
			cmd.Env = append(cmd.Env, kv)
		}
	}
	cmd.Env = append(cmd.Env, o.env...)
	s := &serverProc{cmd: cmd, stdout: new(lockedBuffer), stderr: new(lockedBuffer), exited: make(chan struct{})}
	cmd.Stdout, cmd.Stderr = s.stdout, s.stderr
	if err := cmd.Start(); err != nil {
		t.Fatalf("start %s: %v", bin, err)
	}
	go func() {
		cmd.Wait()
		close(s.exited)
	}()
	t.Cleanup(func() {
		select {
		case <-s.exited:
		default:
			cmd.Process.Signal(syscall.SIGTERM)
			select {
			case <-s.exited:
			case <-time.After(stopTimeout):
				cmd.Process.Kill()
				<-s.exited
			}
		}
		if t.Failed() {
			t.Logf("rankflow %s\nstdout:\n%s\nstderr:\n%s", strings.Join(args, " "), s.stdout, s.stderr)
		}
	})

	deadline := time.After(startTimeout)
	tick := time.NewTicker(10 * time.Millisecond)
	defer tick.Stop()
	for {
		if m := servingLine.FindStringSubmatch(s.stdout.String()); m != nil {
			s.addr = m[2]
			return s
		}
		select {
		case <-s.exited:
			t.Fatalf("rankflow %s exited (%v) before it was serving; stderr:\n%s",
				strings.Join(args, " "), cmd.ProcessState, s.stderr)
		case <-deadline:
			t.Fatalf("rankflow %s printed no %q line within %s; stderr:\n%s",
				strings.Join(args, " "), "rankflow serving ... on ADDR", startTimeout, s.stderr)
		case <-tick.C:
		}
	}
}

// stop sends SIGTERM and asserts that the server exits 0.
func (s *serverProc) stop(t *testing.T) {
	t.Helper()
	s.cmd.Process.Signal(syscall.SIGTERM)
	s.wait(t)
}

// wait waits for the process to exit and asserts that it exited 0.
func (s *serverProc) wait(t *testing.T) {
	t.Helper()
	select {
	case <-s.exited:
	case <-time.After(stopTimeout):
		t.Fatalf("rankflow did not exit within %s of SIGTERM", stopTimeout)
	}
	if code := s.cmd.ProcessState.ExitCode(); code != 0 {
		t.Fatalf("rankflow exited with %v, want exit status 0", s.cmd.ProcessState)
	}
	if log := s.stderr.String(); !strings.Contains(log, `"msg":"stopped"`) {
		t.Errorf("the log does not end with the stopped message:\n%s", log)
	}
}

func (s *serverProc) url(path string) string { return "http://" + s.addr + path }

var httpClient = &http.Client{Timeout: 30 * time.Second}

// do sends an HTTP request and returns the status and the body.
func (s *serverProc) do(t *testing.T, method, path string, header http.Header, body []byte) (int, string) {
	t.Helper()
	req, err := http.NewRequest(method, s.url(path), bytes.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	for k, v := range header {
		req.Header[k] = v
	}
	resp, err := httpClient.Do(req)
	if err != nil {
		t.Fatalf("%s %s: %v", method, path, err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatalf("%s %s: read body: %v", method, path, err)
	}
	return resp.StatusCode, string(b)
}

func (s *serverProc) get(t *testing.T, path, token string) (int, string) {
	t.Helper()
	h := http.Header{}
	if token != "" {
		h.Set("Authorization", "Bearer "+token)
	}
	return s.do(t, http.MethodGet, path, h, nil)
}

// rankJSON posts body as Connect JSON to the Rank RPC.
func (s *serverProc) rankJSON(t *testing.T, body []byte, header http.Header) (int, string) {
	t.Helper()
	h := http.Header{"Content-Type": {"application/json"}}
	for k, v := range header {
		h[k] = v
	}
	return s.do(t, http.MethodPost, rankPath, h, body)
}

// rankHTTP sends req as Connect JSON and decodes a successful response.
func (s *serverProc) rankHTTP(t *testing.T, req *rankflowv1.Request) *rankflowv1.Request {
	t.Helper()
	body, err := protojson.Marshal(req)
	if err != nil {
		t.Fatal(err)
	}
	code, out := s.rankJSON(t, body, nil)
	if code != http.StatusOK {
		t.Fatalf("POST %s %s: HTTP %d %s", rankPath, body, code, out)
	}
	resp := new(rankflowv1.Request)
	if err := protojson.Unmarshal([]byte(out), resp); err != nil {
		t.Fatalf("decode %s: %v", out, err)
	}
	return resp
}

// grpcConn returns a plaintext (h2c) gRPC connection to the server.
func (s *serverProc) grpcConn(t *testing.T) *grpc.ClientConn {
	t.Helper()
	conn, err := grpc.NewClient("passthrough:///"+s.addr, grpc.WithTransportCredentials(insecure.NewCredentials()))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { conn.Close() })
	return conn
}

func (s *serverProc) rankClient(t *testing.T) rankflowv1.RankingServiceClient {
	return rankflowv1.NewRankingServiceClient(s.grpcConn(t))
}

// metric returns the value of the first sample on /metrics whose line
// starts with name and contains every one of labels, and whether there is
// one.
func (s *serverProc) metric(t *testing.T, name string, labels ...string) (float64, bool) {
	t.Helper()
	code, body := s.get(t, "/metrics", "")
	if code != http.StatusOK {
		t.Fatalf("GET /metrics: HTTP %d %s", code, body)
	}
	sc := bufio.NewScanner(strings.NewReader(body))
	for sc.Scan() {
		line := sc.Text()
		if !strings.HasPrefix(line, name+" ") && !strings.HasPrefix(line, name+"{") {
			continue
		}
		if !containsAll(line, labels) {
			continue
		}
		v, err := strconv.ParseFloat(line[strings.LastIndexByte(line, ' ')+1:], 64)
		if err != nil {
			t.Fatalf("metric line %q: %v", line, err)
		}
		return v, true
	}
	return 0, false
}

// eventually polls cond until it holds, failing with what() after
// waitTimeout.
func eventually(t *testing.T, cond func() bool, what func() string) {
	t.Helper()
	deadline := time.Now().Add(waitTimeout)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("after %s: %s", waitTimeout, what())
		}
		time.Sleep(20 * time.Millisecond)
	}
}

func containsAll(s string, subs []string) bool {
	for _, sub := range subs {
		if !strings.Contains(s, sub) {
			return false
		}
	}
	return true
}

// budgetLine matches a pipeline's latency budget in a config.
var budgetLine = regexp.MustCompile(`(?m)^(\s+budget:).*$`)

// configDir writes the example feeds and extra files (name → YAML) to a new
// directory named "pipelines" and returns its path. The feeds' latency
// budgets (80 to 150ms) are raised to a minute: these tests are about
// serving, and a server built with the race detector on a busy machine
// can take longer than that; budgets have tests of their own.
func configDir(t *testing.T, extra map[string]string) string {
	t.Helper()
	dir := filepath.Join(t.TempDir(), "pipelines")
	if err := os.Mkdir(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	err := fs.WalkDir(examples.Feeds, examples.FeedsDir, func(path string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		data, err := fs.ReadFile(examples.Feeds, path)
		if err != nil {
			return err
		}
		data = budgetLine.ReplaceAll(data, []byte("$1 1m"))
		return os.WriteFile(filepath.Join(dir, d.Name()), data, 0o644)
	})
	if err != nil {
		t.Fatal(err)
	}
	for name, data := range extra {
		writeFile(t, filepath.Join(dir, name), data)
	}
	return dir
}

func writeFile(t *testing.T, path, data string) {
	t.Helper()
	if err := os.WriteFile(path, []byte(data), 0o644); err != nil {
		t.Fatal(err)
	}
}

// slowPipeline is a pipeline named name that takes at least delay: it
// fetches popular posts, waits, and keeps the top ten.
func slowPipeline(name, delay string) string {
	return fmt.Sprintf(`pipelines:
  %s:
    description: Popular posts, slowly.
    limit: 10
    stages:
      - source_list: {key: popular, n: 50}
      - delay: {duration: %s}
      - top_k: {limit: 10}
`, name, delay)
}

// checkRanked checks a response of a feed: some candidates, at most limit,
// no duplicates, and scores that never rise if the feed sorts by score.
func checkRanked(t *testing.T, resp *rankflowv1.Request, limit int, sorted bool) {
	t.Helper()
	cs := resp.GetCandidates()
	if len(cs) == 0 || len(cs) > limit {
		t.Fatalf("got %d candidates, want 1 to %d", len(cs), limit)
	}
	seen := map[string]bool{}
	for i, c := range cs {
		if c.GetId() == "" || seen[c.GetId()] {
			t.Errorf("candidate %d: id %q is empty or repeated", i, c.GetId())
		}
		seen[c.GetId()] = true
		if sorted && i > 0 && c.GetScore() > cs[i-1].GetScore() {
			t.Errorf("candidate %d (%s) scores %v, above candidate %d's %v", i, c.GetId(), c.GetScore(), i-1, cs[i-1].GetScore())
		}
	}
}

// connectError is the body of a Connect error response.
type connectError struct {
	Code    string `json:"code"`
	Message string `json:"message"`
}

func decodeConnectError(t *testing.T, body string) connectError {
	t.Helper()
	var e connectError
	if err := json.Unmarshal([]byte(body), &e); err != nil {
		t.Fatalf("error body %q is not Connect JSON: %v", body, err)
	}
	return e
}

const sharedToken = "shared-admin-token"
