package middleware_test

import (
	"errors"
	"slices"
	"strings"
	"testing"

	"github.com/rankflow/rankflow/middleware"
	"github.com/rankflow/rankflow/stage"
)

func TestRecover(t *testing.T) {
	tests := []struct {
		name     string
		give     stage.Stage
		want     []string
		wantErr  string
		wantLogs int
	}{
		{name: "no panic", give: add("ok", "x"), want: []string{"a", "x"}},
		{name: "error passes through", give: fail("bad", errBoom), wantErr: "boom"},
		{name: "panic", give: panics("bomb"), wantErr: "stage bomb: panic: kaboom", wantLogs: 1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			logger, buf := newLogger()
			got, err := middleware.Recover(logger)(tt.give).Rank(t.Context(), newRequest(false, "a"))
			if errText(err) != tt.wantErr || !slices.Equal(ids(got), tt.want) {
				t.Errorf("Rank = %q, %v; want %q, %q", ids(got), err, tt.want, tt.wantErr)
			}
			if n := len(buf.records(t)); n != tt.wantLogs {
				t.Errorf("%d log records, want %d", n, tt.wantLogs)
			}
		})
	}
}

func TestRecoverRecord(t *testing.T) {
	logger, buf := newLogger()
	s := middleware.Recover(logger)(panics("bomb"))
	_, err := s.Rank(t.Context(), newRequest(false))
	var pe *stage.PanicError
	var se *stage.Error
	if !errors.As(err, &pe) || !errors.As(err, &se) || se.Stage != "bomb" || pe.Value != "kaboom" {
		t.Fatalf("error = %#v, want a stage.Error for bomb wrapping a PanicError", err)
	}
	rec := buf.records(t)[0]
	if rec["msg"] != "stage panicked" || rec["stage"] != "bomb" || rec["panic"] != "kaboom" ||
		!strings.Contains(rec["stack"].(string), "TestRecoverRecord") {
		t.Errorf("record = %v", rec)
	}
	if stage.Name(s) != "bomb" {
		t.Errorf("Name = %q", stage.Name(s))
	}
}
