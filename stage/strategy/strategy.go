// Package strategy holds the ways Parallel decides, from the outcomes of its
// branches, whether it fails. Each function is a stage.Strategy. Branches
// wrapped in stage.Optional never make Parallel fail.
package strategy

import (
	"errors"

	"github.com/rankflow/rankflow/stage"
)

// FailWhenAnyFails fails when any branch that is not optional failed.
func FailWhenAnyFails(outcomes []stage.Outcome) error {
	return stage.JoinFailures(outcomes, false)
}

// FailWhenAllFail fails only when every branch that is not optional failed,
// so the others' partial results are served. With only optional branches it
// fails when all of them failed.
func FailWhenAllFail(outcomes []stage.Outcome) error {
	required, failed := 0, 0
	for _, o := range outcomes {
		if !o.Optional {
			required++
			if o.Err != nil {
				failed++
			}
		}
	}
	if required > 0 {
		if failed < required {
			return nil
		}
		return errors.Join(errAllFailed, stage.JoinFailures(outcomes, false))
	}
	for _, o := range outcomes {
		if o.Err == nil {
			return nil
		}
	}
	if len(outcomes) == 0 {
		return nil
	}
	return errors.Join(errAllFailed, stage.JoinFailures(outcomes, true))
}

var errAllFailed = errors.New("all branches failed")

// Lookup returns the strategy with the given config name: "fail_when_any_fails"
// or "fail_when_all_fail".
func Lookup(name string) (stage.Strategy, bool) {
	switch name {
	case "fail_when_any_fails":
		return FailWhenAnyFails, true
	case "fail_when_all_fail":
		return FailWhenAllFail, true
	}
	return nil, false
}
