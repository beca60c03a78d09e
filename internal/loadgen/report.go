package loadgen

import (
	"cmp"
	"fmt"
	"io"
	"slices"
	"strings"
	"time"
)

// Summary is a Result in the units of a results file: counts, seconds and
// calls per second. It marshals to flat JSON.
type Summary struct {
	Requests          int64            `json:"requests"`
	OK                int64            `json:"ok"`
	Errors            map[string]int64 `json:"errors,omitempty"`
	ElapsedSeconds    float64          `json:"elapsed_seconds"`
	RequestsPerSecond float64          `json:"requests_per_second"`
	LatencySeconds    Latency          `json:"latency_seconds"`
	Interrupted       bool             `json:"interrupted,omitempty"`
}

// Latency holds percentiles of successful calls, in seconds.
type Latency struct {
	P50  float64 `json:"p50"`
	P90  float64 `json:"p90"`
	P99  float64 `json:"p99"`
	Max  float64 `json:"max"`
	Mean float64 `json:"mean"`
}

// Summary returns r in results-file units.
func (r *Result) Summary() Summary {
	h := &r.Latency
	return Summary{
		Requests:          r.Requests,
		OK:                r.OK,
		Errors:            r.Errors,
		ElapsedSeconds:    r.Elapsed.Seconds(),
		RequestsPerSecond: r.Rate(),
		LatencySeconds: Latency{
			P50:  h.Percentile(50).Seconds(),
			P90:  h.Percentile(90).Seconds(),
			P99:  h.Percentile(99).Seconds(),
			Max:  h.Max().Seconds(),
			Mean: h.Mean().Seconds(),
		},
		Interrupted: r.Interrupted,
	}
}

// WriteText prints r for a person: calls and rate, errors by code (most
// frequent first) and latency percentiles of the successful calls.
func (r *Result) WriteText(w io.Writer) error {
	var b strings.Builder
	fmt.Fprintf(&b, "requests  %d in %v (%.1f/s)", r.Requests, r.Elapsed.Round(time.Millisecond), r.Rate())
	if r.Interrupted {
		b.WriteString(", interrupted")
	}
	b.WriteByte('\n')
	fmt.Fprintf(&b, "errors    %d", r.ErrorCount())
	if r.Requests > 0 && r.ErrorCount() > 0 {
		fmt.Fprintf(&b, " (%.2f%%)", 100*float64(r.ErrorCount())/float64(r.Requests))
		codes := make([]string, 0, len(r.Errors))
		for c := range r.Errors {
			codes = append(codes, c)
		}
		slices.SortFunc(codes, func(a, b string) int {
			return cmp.Or(cmp.Compare(r.Errors[b], r.Errors[a]), strings.Compare(a, b))
		})
		for i, c := range codes {
			sep := ", "
			if i == 0 {
				sep = ": "
			}
			fmt.Fprintf(&b, "%s%s %d", sep, c, r.Errors[c])
		}
	}
	b.WriteByte('\n')
	h := &r.Latency
	fmt.Fprintf(&b, "latency   p50 %v  p90 %v  p99 %v  max %v  (%d ok calls)\n",
		round(h.Percentile(50)), round(h.Percentile(90)), round(h.Percentile(99)), round(h.Max()), r.OK)
	_, err := io.WriteString(w, b.String())
	return err
}

// round keeps three significant digits, enough for a latency.
func round(d time.Duration) time.Duration {
	for _, unit := range []time.Duration{time.Second, time.Millisecond, time.Microsecond} {
		if d >= 100*unit {
			return d.Round(unit)
		}
		if d >= 10*unit {
			return d.Round(unit / 10)
		}
		if d >= unit {
			return d.Round(unit / 100)
		}
	}
	return d
}
