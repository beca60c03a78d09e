package filter_test

import (
	"testing"

	"github.com/rankflow/rankflow/rank"
	"github.com/rankflow/rankflow/stages/internal/stagetest"
)

func TestPrivate(t *testing.T) {
	items := map[string]F{
		"public":  {"community_id": rank.StringValue("c9")},
		"member":  {"private": rank.BoolValue(true), "community_id": rank.StringValue("c1")},
		"outside": {"private": rank.BoolValue(true), "community_id": rank.StringValue("c2"), "author_id": rank.StringValue("u2")},
		"own":     {"private": rank.BoolValue(true), "community_id": rank.StringValue("c3"), "author_id": rank.StringValue("u1")},
	}
	ids := []string{"public", "member", "outside", "own"}
	subs := F{"subscriptions": rank.StringSetValue("c1")}
	tests := []struct {
		name        string
		raw         map[string]any
		ctx         *rank.Entity
		wantIDs     []string
		wantRemoved map[string]string
	}{
		{
			name: "members and owners see", raw: map[string]any{}, ctx: stagetest.Entity("u1", subs),
			wantIDs:     []string{"public", "member", "own"},
			wantRemoved: map[string]string{"outside": `private and community_id "c2" not in context subscriptions`},
		},
		{
			name: "owner ignored", raw: map[string]any{"owner": ""}, ctx: stagetest.Entity("u1", subs),
			wantIDs: []string{"public", "member"},
			wantRemoved: map[string]string{
				"outside": `private and community_id "c2" not in context subscriptions`,
				"own":     `private and community_id "c3" not in context subscriptions`,
			},
		},
		{
			name: "anonymous sees public only", raw: map[string]any{}, ctx: rank.NewEntity(""),
			wantIDs: []string{"public"},
			wantRemoved: map[string]string{
				"member":  `private and community_id "c1" not in context subscriptions`,
				"outside": `private and community_id "c2" not in context subscriptions`,
				"own":     `private and community_id "c3" not in context subscriptions`,
			},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := stagetest.Build(t, "filter_private", tt.raw, nil)
			res := stagetest.Run(t, s, stagetest.Candidates(tt.ctx, ids, items))
			stagetest.Check(t, res, tt.wantIDs, tt.wantRemoved)
		})
	}
	fe := stagetest.FieldErr(t, stagetest.BuildErr(t, "filter_private", map[string]any{"members": ""}, nil))
	if fe.Field != "members" || fe.Msg != "must not be empty" {
		t.Errorf("got %v, want members: must not be empty", fe)
	}
}
