package filter_test

import (
	"slices"
	"testing"

	"github.com/rankflow/rankflow/rank"
	"github.com/rankflow/rankflow/stages/filter"
	"github.com/rankflow/rankflow/stages/internal/stagetest"
)

func TestSeen(t *testing.T) {
	const reason = "in context set viewed"
	tests := []struct {
		name        string
		viewed      rank.Value
		give        []string
		want        []string
		wantRemoved map[string]string
	}{
		{name: "no feature", give: []string{"a", "b"}, want: []string{"a", "b"}, wantRemoved: map[string]string{}},
		{name: "empty set", viewed: rank.StringSetValue(), give: []string{"a"}, want: []string{"a"}, wantRemoved: map[string]string{}},
		{name: "wrong kind", viewed: rank.StringValue("a"), give: []string{"a"}, want: []string{"a"}, wantRemoved: map[string]string{}},
		{name: "removes seen, keeps order", viewed: rank.StringSetValue("b", "d", "zz"), give: []string{"a", "b", "c", "d"},
			want: []string{"a", "c"}, wantRemoved: map[string]string{"b": reason, "d": reason}},
		{name: "removes duplicates of a seen id", viewed: rank.StringSetValue("a"), give: []string{"a", "b", "a"},
			want: []string{"b"}, wantRemoved: map[string]string{"a": reason}},
		{name: "removes all", viewed: rank.StringSetValue("a", "b"), give: []string{"a", "b"},
			want: []string{}, wantRemoved: map[string]string{"a": reason, "b": reason}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			user := rank.NewEntity("u")
			user.Set("viewed", tt.viewed)
			req := stagetest.Request(user, tt.give...)
			all := slices.Clone(req.Candidates)
			res := stagetest.Run(t, filter.Seen("viewed"), req)
			if !slices.Equal(res.IDs, tt.want) {
				t.Errorf("ids = %q, want %q", res.IDs, tt.want)
			}
			if len(res.Removed) != len(tt.wantRemoved) {
				t.Errorf("removed = %v, want %v", res.Removed, tt.wantRemoved)
			}
			for id, why := range tt.wantRemoved {
				if res.Removed[id] != why {
					t.Errorf("removed %s because %q, want %q", id, res.Removed[id], why)
				}
			}
			// Slots past the kept candidates do not hold on to entities.
			tail := req.Candidates[len(req.Candidates):len(all)]
			if slices.ContainsFunc(tail, func(e *rank.Entity) bool { return e != nil }) {
				t.Errorf("removed candidates are still referenced: %v", tail)
			}
		})
	}
}

func TestSeenName(t *testing.T) {
	if got := filter.Seen("x").(interface{ Name() string }).Name(); got != "filter_seen" {
		t.Errorf("Name = %q", got)
	}
}
