package hotkeys

import (
	"bytes"
	"context"
	"errors"
	"io"
	"math/rand/v2"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"testing"
)

const talkLog = `OK
1655767305.672853 [0 10.8.144.28:61122] "get" "post:3hg9w"
1655767305.672862 [0 10.8.144.28:61122] "get" "deleted_posts"
1655767305.672870 [0 10.8.144.28:61122] "mget" "deleted_posts" "post:3hg9w"
1655767305.672881 [0 10.8.144.28:61124] "set" "post:3hg9w" "{\"title\":\"hi\"}"
1655767305.672890 [0 10.8.144.28:61124] "ping"
garbage
1655767305.672899 [0 lua] "GET" "deleted_posts"
`

func TestScan(t *testing.T) {
	tests := []struct {
		name string
		give string
		opts Options
		want []Entry
		// Lines, Skipped, TooLong, Commands, Keys
		wantStats [5]uint64
	}{
		{
			name:      "by key",
			give:      talkLog,
			want:      []Entry{{Key: "deleted_posts", Count: 3}, {Key: "post:3hg9w", Count: 3}},
			wantStats: [5]uint64{8, 2, 0, 6, 6},
		},
		{
			name: "by command",
			give: talkLog,
			opts: Options{ByCommand: true},
			want: []Entry{
				{Command: "GET", Key: "deleted_posts", Count: 2},
				{Command: "GET", Key: "post:3hg9w", Count: 1},
				{Command: "MGET", Key: "deleted_posts", Count: 1},
				{Command: "MGET", Key: "post:3hg9w", Count: 1},
				{Command: "SET", Key: "post:3hg9w", Count: 1},
			},
			wantStats: [5]uint64{8, 2, 0, 6, 6},
		},
		{
			name:      "only GET",
			give:      talkLog,
			opts:      Options{Commands: []string{"get"}},
			want:      []Entry{{Key: "deleted_posts", Count: 2}, {Key: "post:3hg9w", Count: 1}},
			wantStats: [5]uint64{8, 2, 0, 3, 3},
		},
		{
			name:      "CRLF and no final line ending",
			give:      "1.1 [0 a:1] \"get\" \"a\"\r\n1.2 [0 a:1] \"get\" \"a\"",
			want:      []Entry{{Key: "a", Count: 2}},
			wantStats: [5]uint64{2, 0, 0, 2, 2},
		},
		{
			name:      "too long lines",
			give:      `1.1 "get" "` + strings.Repeat("x", 200) + "\"\n1.1 \"get\" \"a\"\n1.1 \"get\" \"" + strings.Repeat("y", 100) + "\"",
			opts:      Options{MaxLine: 64},
			want:      []Entry{{Key: "a", Count: 1}},
			wantStats: [5]uint64{3, 2, 2, 1, 1},
		},
		{
			name:      "a line as long as the limit",
			give:      `1.1 "get" "` + strings.Repeat("x", 52) + "\"\r\n",
			opts:      Options{MaxLine: 64},
			want:      []Entry{{Key: strings.Repeat("x", 52), Count: 1}},
			wantStats: [5]uint64{1, 0, 0, 1, 1},
		},
		{
			name:      "empty",
			give:      "",
			want:      []Entry{},
			wantStats: [5]uint64{0, 0, 0, 0, 0},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			res, err := Scan(context.Background(), strings.NewReader(tt.give), tt.opts)
			if err != nil {
				t.Fatal(err)
			}
			if got := res.Top(-1); !slices.Equal(got, tt.want) {
				t.Errorf("Top = %+v, want %+v", got, tt.want)
			}
			if got := [5]uint64{res.Lines, res.Skipped, res.TooLong, res.Commands, res.Keys}; got != tt.wantStats {
				t.Errorf("Lines, Skipped, TooLong, Commands, Keys = %v, want %v", got, tt.wantStats)
			}
			if n, exact := res.Distinct(); !exact || n != len(tt.want) {
				t.Errorf("Distinct = %d, %v; want %d, true", n, exact, len(tt.want))
			}
		})
	}
}

func TestScanCanceled(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	log := strings.Repeat("1.1 \"get\" \"a\"\n", 1<<15)
	if _, err := Scan(ctx, strings.NewReader(log), Options{}); !errors.Is(err, context.Canceled) {
		t.Errorf("Scan = %v, want context.Canceled", err)
	}
}

// logGen writes a synthetic MONITOR log: GETs of Zipf-distributed keys out of
// a million, some MGETs, escaped keys and redis-cli's OK.
type logGen struct {
	r    *rand.Rand
	zipf *rand.Zipf
	buf  []byte
}

func newLogGen(seed uint64) *logGen {
	r := rand.New(rand.NewPCG(seed, seed))
	return &logGen{r: r, zipf: rand.NewZipf(r, 1.1, 1, 1e6)}
}

// chunk returns about 64 KiB of whole lines.
func (g *logGen) chunk() []byte {
	b := g.buf[:0]
	for len(b) < 64<<10 {
		b = append(b, "1655767305."...)
		b = strconv.AppendUint(b, g.r.Uint64N(1e6), 10)
		b = append(b, ` [0 10.8.144.28:61122] "`...)
		switch g.r.IntN(20) {
		case 0:
			b = append(b, `mget" "post:`...)
			b = strconv.AppendUint(b, g.zipf.Uint64(), 10)
			b = append(b, `" "user:\xff\"`...)
			b = strconv.AppendUint(b, g.zipf.Uint64(), 10)
			b = append(b, `"`...)
		case 1:
			b = append(b, `ping"`...)
		default:
			b = append(b, `get" "post:`...)
			b = strconv.AppendUint(b, g.zipf.Uint64(), 10)
			b = append(b, `"`...)
		}
		b = append(b, '\n')
	}
	g.buf = b
	return b
}

// TestScanBoundedMemory counts a 200 MB log, with a line longer than the
// limit in the middle, through a pipe and checks that the heap in use stays
// small all along.
func TestScanBoundedMemory(t *testing.T) {
	size := 200 << 20
	if testing.Short() {
		size = 20 << 20
	}
	const heapLimit = 48 << 20
	pr, pw := io.Pipe()
	var peak uint64
	go func() {
		g := newLogGen(1)
		var ms runtime.MemStats
		written := 0
		for i := 0; written < size; i++ {
			b := g.chunk()
			if i == 100 {
				b = append(append([]byte(`1.1 "get" "`), bytes.Repeat([]byte("x"), 3<<20)...), "\"\n"...)
			}
			if _, err := pw.Write(b); err != nil {
				return
			}
			written += len(b)
			if i%64 == 0 {
				runtime.ReadMemStats(&ms)
				peak = max(peak, ms.HeapInuse)
			}
		}
		pw.Close()
	}()
	res, err := Scan(context.Background(), pr, Options{Capacity: 1000})
	if err != nil {
		t.Fatal(err)
	}
	var ms runtime.MemStats
	runtime.ReadMemStats(&ms)
	peak = max(peak, ms.HeapInuse)
	t.Logf("%d lines, peak HeapInuse %.1f MiB", res.Lines, float64(peak)/(1<<20))
	if peak > heapLimit {
		t.Errorf("peak HeapInuse %d MiB, want at most %d MiB", peak>>20, heapLimit>>20)
	}
	if res.TooLong != 1 || res.Skipped != 1 || res.Lines < uint64(size/100) {
		t.Errorf("Lines, Skipped, TooLong = %d, %d, %d; want over %d, 1, 1", res.Lines, res.Skipped, res.TooLong, size/100)
	}
	if n, exact := res.Distinct(); exact || n != 1000 {
		t.Errorf("Distinct = %d, %v; want 1000, false", n, exact)
	}
	if top := res.Top(1); top[0].Key != "post:0" {
		t.Errorf("top key %q, want post:0", top[0].Key)
	}
}

// BenchmarkScan reports lines/s and MB/s of Scan over a synthetic log in
// memory.
func BenchmarkScan(b *testing.B) {
	g := newLogGen(2)
	var log []byte
	for len(log) < 32<<20 {
		log = append(log, g.chunk()...)
	}
	lines := bytes.Count(log, []byte("\n"))
	b.SetBytes(int64(len(log)))
	b.ResetTimer()
	for b.Loop() {
		if _, err := Scan(context.Background(), bytes.NewReader(log), Options{}); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(lines)*float64(b.N)/b.Elapsed().Seconds(), "lines/s")
}
