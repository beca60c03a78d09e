package strategy_test

import (
	"errors"
	"strings"
	"testing"

	"github.com/rankflow/rankflow/stage"
	"github.com/rankflow/rankflow/stage/strategy"
)

var errBoom = errors.New("boom")

var (
	ok     = stage.Outcome{Stage: "ok"}
	bad    = stage.Outcome{Stage: "bad", Err: errBoom}
	bad2   = stage.Outcome{Stage: "bad2", Err: errBoom}
	optOK  = stage.Outcome{Stage: "opt_ok", Optional: true}
	optBad = stage.Outcome{Stage: "opt_bad", Err: errBoom, Optional: true}
)

func TestStrategies(t *testing.T) {
	tests := []struct {
		name     string
		strategy stage.Strategy
		give     []stage.Outcome
		want     string // the error; "" for none
	}{
		{name: "any: none", strategy: strategy.FailWhenAnyFails, give: nil},
		{name: "any: all ok", strategy: strategy.FailWhenAnyFails, give: []stage.Outcome{ok, ok}},
		{name: "any: one fails", strategy: strategy.FailWhenAnyFails, give: []stage.Outcome{ok, bad}, want: "branch bad: boom"},
		{name: "any: both fail", strategy: strategy.FailWhenAnyFails, give: []stage.Outcome{bad, bad2}, want: "branch bad: boom\nbranch bad2: boom"},
		{name: "any: optional failure ignored", strategy: strategy.FailWhenAnyFails, give: []stage.Outcome{ok, optBad}},
		{name: "any: only optional failures", strategy: strategy.FailWhenAnyFails, give: []stage.Outcome{optBad}},

		{name: "all: none", strategy: strategy.FailWhenAllFail, give: nil},
		{name: "all: some fail", strategy: strategy.FailWhenAllFail, give: []stage.Outcome{bad, ok}},
		{name: "all: all fail", strategy: strategy.FailWhenAllFail, give: []stage.Outcome{bad, bad2}, want: "all branches failed\nbranch bad: boom\nbranch bad2: boom"},
		{name: "all: required fail, optional succeeds", strategy: strategy.FailWhenAllFail, give: []stage.Outcome{bad, optOK}, want: "all branches failed\nbranch bad: boom"},
		{name: "all: required ok, optional fails", strategy: strategy.FailWhenAllFail, give: []stage.Outcome{ok, optBad}},
		{name: "all: only optional, one ok", strategy: strategy.FailWhenAllFail, give: []stage.Outcome{optBad, optOK}},
		{name: "all: only optional, all fail", strategy: strategy.FailWhenAllFail, give: []stage.Outcome{optBad, optBad}, want: "all branches failed\nbranch opt_bad: boom\nbranch opt_bad: boom"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := tt.strategy(tt.give)
			got := ""
			if err != nil {
				got = err.Error()
			}
			if got != tt.want {
				t.Errorf("error = %q, want %q", got, tt.want)
			}
			if errors.Is(err, errBoom) != (tt.want != "") {
				t.Errorf("error %v: wraps the branch's error = %v", err, errors.Is(err, errBoom))
			}
		})
	}
}

func TestLookup(t *testing.T) {
	tests := []struct {
		give   string
		wantOK bool
		probe  []stage.Outcome // fails under any, not under all
		want   string
	}{
		{give: "fail_when_any_fails", wantOK: true, probe: []stage.Outcome{ok, bad}, want: "branch bad"},
		{give: "fail_when_all_fail", wantOK: true, probe: []stage.Outcome{ok, bad}, want: ""},
	}
	for _, tt := range tests {
		t.Run(tt.give, func(t *testing.T) {
			s, found := strategy.Lookup(tt.give)
			if found != tt.wantOK {
				t.Fatalf("Lookup(%q) found = %v", tt.give, found)
			}
			err := s(tt.probe)
			if got := errString(err); !strings.Contains(got, tt.want) || (tt.want == "") != (err == nil) {
				t.Errorf("%s(probe) = %v, want %q", tt.give, err, tt.want)
			}
		})
	}
	if s, found := strategy.Lookup("nope"); found || s != nil {
		t.Errorf("Lookup(nope) = %v, %v", s, found)
	}
}

func errString(err error) string {
	if err == nil {
		return ""
	}
	return err.Error()
}
