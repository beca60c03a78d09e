package filter_test

import (
	"testing"

	"github.com/rankflow/rankflow/rank"
	"github.com/rankflow/rankflow/stages/internal/stagetest"
)

func TestDedup(t *testing.T) {
	items := map[string]F{
		"a1": {"author_id": rank.StringValue("x"), "cid": rank.IntValue(1)},
		"a2": {"author_id": rank.StringValue("x"), "cid": rank.IntValue(2)},
		"a3": {"author_id": rank.StringValue("x"), "cid": rank.IntValue(1)},
		"b1": {"author_id": rank.StringValue("y"), "cid": rank.IntValue(1)},
		"n1": {},
		"n2": {},
	}
	ids := []string{"a1", "a2", "a1", "a3", "b1", "n1", "n2"}
	tests := []struct {
		name        string
		raw         map[string]any
		wantIDs     []string
		wantRemoved map[string]string
	}{
		{
			name: "by id", raw: map[string]any{},
			// the trace reports a repeated id once; both later copies go.
			wantIDs: []string{"a1", "a2", "a3", "b1", "n1", "n2"},
		},
		{
			name: "one per author", raw: map[string]any{"by": "author_id"},
			wantIDs: []string{"a1", "b1", "n1", "n2"},
			wantRemoved: map[string]string{
				"a2": `more than 1 with author_id "x"`, "a3": `more than 1 with author_id "x"`,
			},
		},
		{
			name: "two per int feature", raw: map[string]any{"by": "cid", "max": 2},
			wantIDs:     []string{"a1", "a2", "a3", "n1", "n2"},
			wantRemoved: map[string]string{"b1": "more than 2 with cid 1"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := stagetest.Build(t, "filter_dedup", tt.raw, nil)
			res := stagetest.Run(t, s, stagetest.Candidates(rank.NewEntity("u"), ids, items))
			stagetest.Check(t, res, tt.wantIDs, tt.wantRemoved)
		})
	}
	tests2 := []struct {
		raw  map[string]any
		want string
	}{
		{map[string]any{"by": "a", "max": 0}, "max: must be at least 1"},
		{map[string]any{"max": 2}, "max: only applies with by"},
	}
	for _, tt := range tests2 {
		if fe := stagetest.FieldErr(t, stagetest.BuildErr(t, "filter_dedup", tt.raw, nil)); fe.Error() != tt.want {
			t.Errorf("error = %q, want %q", fe, tt.want)
		}
	}
}
