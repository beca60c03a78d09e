package filter_test

import (
	"testing"

	"github.com/rankflow/rankflow/rank"
	"github.com/rankflow/rankflow/stages/internal/stagetest"
)

func TestNSFW(t *testing.T) {
	items := map[string]F{
		"safe":  {"nsfw": rank.BoolValue(false)},
		"adult": {"nsfw": rank.BoolValue(true), "spoiler": rank.BoolValue(true)},
		"plain": {},
	}
	ids := []string{"safe", "adult", "plain"}
	tests := []struct {
		name        string
		raw         map[string]any
		ctx         F
		wantIDs     []string
		wantRemoved map[string]string
	}{
		{
			name: "context does not allow", raw: map[string]any{}, ctx: F{"nsfw_ok": rank.BoolValue(false)},
			wantIDs: []string{"safe", "plain"}, wantRemoved: map[string]string{"adult": "nsfw and context nsfw_ok is false"},
		},
		{
			name: "context says nothing", raw: map[string]any{}, ctx: F{},
			wantIDs: []string{"safe", "plain"}, wantRemoved: map[string]string{"adult": "nsfw and context has no nsfw_ok"},
		},
		{
			name: "context allows", raw: map[string]any{}, ctx: F{"nsfw_ok": rank.BoolValue(true)},
			wantIDs: []string{"safe", "adult", "plain"},
		},
		{
			name: "other flag", raw: map[string]any{"flag": "spoiler", "allow": "spoilers_ok"}, ctx: F{"nsfw_ok": rank.BoolValue(true)},
			wantIDs: []string{"safe", "plain"}, wantRemoved: map[string]string{"adult": "spoiler and context has no spoilers_ok"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := stagetest.Build(t, "filter_nsfw", tt.raw, nil)
			res := stagetest.Run(t, s, stagetest.Candidates(stagetest.Entity("u", tt.ctx), ids, items))
			stagetest.Check(t, res, tt.wantIDs, tt.wantRemoved)
		})
	}
	fe := stagetest.FieldErr(t, stagetest.BuildErr(t, "filter_nsfw", map[string]any{"allow": ""}, nil))
	if fe.Field != "allow" || fe.Msg != "must not be empty" {
		t.Errorf("got %v, want allow: must not be empty", fe)
	}
}
