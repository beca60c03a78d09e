package loadgen

import (
	"math/rand/v2"
	"testing"
	"time"
)

func TestHistogramExactBelow256(t *testing.T) {
	var h Histogram
	for v := range 100 {
		h.Record(time.Duration(v + 1)) // 1ns..100ns
	}
	tests := []struct {
		give float64
		want time.Duration
	}{
		{0, 1},
		{1, 1},
		{50, 50},
		{90, 90},
		{99, 99},
		{99.5, 100},
		{100, 100},
	}
	for _, tt := range tests {
		if got := h.Percentile(tt.give); got != tt.want {
			t.Errorf("p%v = %v, want %v", tt.give, got, tt.want)
		}
	}
	if h.Min() != 1 || h.Max() != 100 || h.Count() != 100 {
		t.Errorf("min %v max %v count %d, want 1ns 100ns 100", h.Min(), h.Max(), h.Count())
	}
	if h.Mean() != 50 { // 50.5 truncated
		t.Errorf("mean %v, want 50ns", h.Mean())
	}
}

// TestHistogramUniform records 1µs..100ms in 1µs steps, shuffled: the true
// p-th percentile is p% of 100ms, and the histogram may report it at most
// 1/128 above, never below.
func TestHistogramUniform(t *testing.T) {
	const n = 100_000
	vals := make([]time.Duration, n)
	for i := range vals {
		vals[i] = time.Duration(i+1) * time.Microsecond
	}
	rand.New(rand.NewPCG(1, 2)).Shuffle(n, func(i, j int) { vals[i], vals[j] = vals[j], vals[i] })
	// Spread the values over four histograms to check Merge too.
	parts := make([]Histogram, 4)
	for i, v := range vals {
		parts[i%4].Record(v)
	}
	var h Histogram
	for i := range parts {
		h.Merge(&parts[i])
	}
	for _, p := range []float64{50, 90, 99, 99.9} {
		exact := time.Duration(p / 100 * n * float64(time.Microsecond))
		got := h.Percentile(p)
		if got < exact || float64(got-exact) > float64(exact)/128 {
			t.Errorf("p%v = %v, want %v within +1/128", p, got, exact)
		}
	}
	if h.Max() != 100*time.Millisecond || h.Min() != time.Microsecond {
		t.Errorf("min %v max %v, want 1µs 100ms", h.Min(), h.Max())
	}
	if h.Percentile(100) != h.Max() {
		t.Errorf("p100 = %v, want max %v", h.Percentile(100), h.Max())
	}
	if h.Count() != n {
		t.Errorf("count %d, want %d", h.Count(), n)
	}
	wantMean := (n + 1) * time.Microsecond / 2
	if d := h.Mean() - wantMean; d < -time.Nanosecond || d > time.Nanosecond {
		t.Errorf("mean %v, want %v", h.Mean(), wantMean)
	}
}

// TestHistogramBimodal: 90 fast calls and 10 slow ones; p90 is fast, p91 slow.
func TestHistogramBimodal(t *testing.T) {
	var h Histogram
	for range 90 {
		h.Record(2 * time.Millisecond)
	}
	for range 10 {
		h.Record(time.Second)
	}
	near := func(got, want time.Duration) bool { return got >= want && got-want <= want/128 }
	if got := h.Percentile(90); !near(got, 2*time.Millisecond) {
		t.Errorf("p90 = %v, want 2ms", got)
	}
	if got := h.Percentile(91); got != time.Second {
		t.Errorf("p91 = %v, want 1s", got)
	}
}

func TestHistogramBuckets(t *testing.T) {
	prev := -1
	for _, v := range []int64{0, 1, 255, 256, 257, 511, 512, 1000, 1 << 20, 1<<40 + 12345, 1<<62 + 1, 1<<63 - 1} {
		i := bucketOf(v)
		if i < prev || i >= nBuckets {
			t.Fatalf("bucketOf(%d) = %d after %d (of %d)", v, i, prev, nBuckets)
		}
		prev = i
		if ub := upperBound(i); ub < v || (v >= subCount && float64(ub-v) > float64(v)/subHalf) {
			t.Errorf("value %d in bucket %d with upper bound %d", v, i, ub)
		}
		if i > 0 && upperBound(i-1) >= v {
			t.Errorf("value %d also fits bucket %d (upper bound %d)", v, i-1, upperBound(i-1))
		}
	}
	var empty Histogram
	if empty.Percentile(50) != 0 || empty.Mean() != 0 || empty.Max() != 0 {
		t.Error("empty histogram reports values")
	}
	empty.Merge(&Histogram{})
	if empty.Count() != 0 {
		t.Error("merging empty histograms recorded values")
	}
}
