// Package hotkeys finds the most requested keys of a Redis MONITOR log, the
// way a hot-key incident is found: by counting the keys each logged command
// touches.
//
// [Scan] streams a log through a [Parser], takes each command's keys with
// [AppendKeys] and counts them in a [Counter], so memory stays bounded
// however long the log: the read buffer, plus the Counter's fixed number of
// counters, each holding one key. Counts are exact whenever the log has no
// more distinct keys (or command and key pairs) than the Counter's capacity;
// beyond that each count comes with its error bound.
package hotkeys

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"strings"
)

// DefaultMaxLine is the longest line [Scan] parses unless told otherwise;
// longer lines are skipped.
const DefaultMaxLine = 1 << 20

// DefaultCapacity returns the number of counters used for the top n keys
// when none is given: max(1000, 50*n).
func DefaultCapacity(n int) int { return max(1000, 50*n) }

// Options configures [Scan]. The zero value counts every key of every
// command in DefaultCapacity(10) counters.
type Options struct {
	// ByCommand counts command and key pairs ("GET k" apart from "SET k")
	// instead of keys.
	ByCommand bool
	// Commands, if not empty, counts only these commands, in any case.
	Commands []string
	// Capacity is the number of counters; 0 means DefaultCapacity(10).
	Capacity int
	// MaxLine is the longest line parsed, without its line ending; longer
	// lines are skipped. 0 means DefaultMaxLine.
	MaxLine int
}

// Result is what [Scan] read and counted.
type Result struct {
	Lines    uint64 // lines read
	Skipped  uint64 // lines that are not MONITOR lines, too long ones included
	TooLong  uint64 // lines longer than Options.MaxLine
	Commands uint64 // commands counted: MONITOR lines that passed the filter
	Keys     uint64 // keys counted; a command touching three keys counts three

	counter   *Counter
	byCommand bool
}

// Entry is one of the top keys of a [Result]: the key was touched at least
// Count-Err and at most Count times. Command is the command's upper-case name
// when counting by command, empty otherwise.
type Entry struct {
	Command string
	Key     string
	Count   uint64
	Err     uint64
}

// Top returns the n most counted keys, most first. If n is negative it
// returns every key counted.
func (r *Result) Top(n int) []Entry {
	top := r.counter.Top(n)
	out := make([]Entry, len(top))
	for i, c := range top {
		out[i] = Entry{Key: c.Key, Count: c.Count, Err: c.Err}
		if r.byCommand {
			out[i].Command, out[i].Key, _ = strings.Cut(c.Key, "\x00")
		}
	}
	return out
}

// Distinct returns the number of distinct keys counted. If exact is false
// there were more than Capacity of them, Distinct is the capacity, and
// counts may be overestimated by their Err.
func (r *Result) Distinct() (n int, exact bool) { return r.counter.Len(), r.counter.Exact() }

// Capacity returns the number of counters used.
func (r *Result) Capacity() int { return r.counter.Capacity() }

// Unlisted returns the most times any key missing from Top(-1) may have been
// touched: 0 when counts are exact.
func (r *Result) Unlisted() uint64 { return r.counter.Min() }

// Scan reads a MONITOR log from r to its end and counts the keys of its
// commands. Lines that are not MONITOR lines, such as the "OK" redis-cli
// prints first, are counted in Result.Skipped, not errors. Scan returns a
// read error or ctx's error with the Result so far.
func Scan(ctx context.Context, r io.Reader, opts Options) (*Result, error) {
	capacity := opts.Capacity
	if capacity <= 0 {
		capacity = DefaultCapacity(10)
	}
	maxLine := opts.MaxLine
	if maxLine <= 0 {
		maxLine = DefaultMaxLine
	}
	var filter map[string]bool
	if len(opts.Commands) > 0 {
		filter = make(map[string]bool, len(opts.Commands))
		for _, c := range opts.Commands {
			filter[strings.ToUpper(c)] = true
		}
	}
	res := &Result{counter: NewCounter(capacity), byCommand: opts.ByCommand}
	sc := scanner{res: res, filter: filter}
	// The buffer holds a longest line with "\r\n"; bufio fills it with reads
	// as large as the room left.
	br := bufio.NewReaderSize(r, maxLine+2)
	for {
		line, err := br.ReadSlice('\n')
		if errors.Is(err, bufio.ErrBufferFull) {
			for errors.Is(err, bufio.ErrBufferFull) {
				_, err = br.ReadSlice('\n')
			}
			res.Lines++
			res.Skipped++
			res.TooLong++
			line = nil
		}
		if len(line) > 0 {
			res.Lines++
			if len(trimEOL(line)) > maxLine {
				res.Skipped++
				res.TooLong++
			} else {
				sc.line(line)
			}
		}
		if err == io.EOF {
			return res, nil
		}
		if err != nil {
			return res, fmt.Errorf("read: %w", err)
		}
		if res.Lines%(1<<14) == 0 {
			if err := ctx.Err(); err != nil {
				return res, err
			}
		}
	}
}

// scanner counts the keys of lines into res, reusing its buffers.
type scanner struct {
	res    *Result
	filter map[string]bool // upper-case command names; nil counts all
	p      Parser
	keys   [][]byte
	name   [maxName]byte
	pair   []byte // command name, NUL, key
}

// line parses one line and counts its keys.
func (sc *scanner) line(line []byte) {
	r := sc.res
	c, err := sc.p.Parse(line)
	if err != nil {
		r.Skipped++
		return
	}
	name, short := upperName(&sc.name, c.Name())
	if sc.filter != nil && (!short || !sc.filter[string(name)]) {
		return
	}
	if !short {
		name = c.Name()
	}
	r.Commands++
	sc.keys = AppendKeys(sc.keys[:0], c.Args)
	for _, k := range sc.keys {
		r.Keys++
		if !r.byCommand {
			r.counter.Add(k)
			continue
		}
		sc.pair = append(append(append(sc.pair[:0], name...), 0), k...)
		r.counter.Add(sc.pair)
	}
}
