package keytmpl_test

import (
	"slices"
	"testing"

	"github.com/rankflow/rankflow/rank"
	"github.com/rankflow/rankflow/stages/internal/keytmpl"
)

func TestRender(t *testing.T) {
	ctx := rank.NewEntity("u1")
	ctx.Set("c", rank.StringValue("gaming"))
	ctx.Set("n", rank.IntValue(-7))
	ctx.Set("item", rank.StringValue("feature-item"))
	ctx.Set("empty", rank.StringValue(""))
	tests := []struct {
		src       string
		allowItem bool
		want      string
		wantErr   string
	}{
		{src: "popular", want: "popular"},
		{src: "community:{c}:hot", want: "community:gaming:hot"},
		{src: "{id}/{n}/{c}", want: "u1/-7/gaming"},
		{src: "c:{item}", allowItem: true, want: "c:it"},
		{src: "c:{item}", want: "c:feature-item"},
		{src: "user:{{{id}}}:viewed", want: "user:{u1}:viewed"},
		{src: "{missing}", wantErr: `key "{missing}": the context has no feature "missing"`},
		{src: "x{empty}", wantErr: `key "x{empty}": context feature "empty" is empty`},
	}
	for _, tt := range tests {
		t.Run(tt.src, func(t *testing.T) {
			tm, err := keytmpl.Parse(tt.src, tt.allowItem)
			if err != nil {
				t.Fatal(err)
			}
			got, err := tm.Render(ctx, "it")
			if tt.wantErr != "" {
				if err == nil || err.Error() != tt.wantErr {
					t.Fatalf("error = %v, want %q", err, tt.wantErr)
				}
				return
			}
			if err != nil || got != tt.want {
				t.Errorf("Render = %q, %v; want %q", got, err, tt.want)
			}
		})
	}
}

func TestParseErrors(t *testing.T) {
	tests := []struct{ src, want string }{
		{"", "key template is empty"},
		{"a{b", `key template "a{b": unclosed { at offset 1 (write {{ for a literal brace)`},
		{"a}b", `key template "a}b": unmatched } at offset 1 (write }} for a literal brace)`},
		{"a{}b", `key template "a{}b": bad placeholder {} at offset 1`},
		{"a{b c}", `key template "a{b c}": bad placeholder {b c} at offset 1`},
	}
	for _, tt := range tests {
		if _, err := keytmpl.Parse(tt.src, false); err == nil || err.Error() != tt.want {
			t.Errorf("Parse(%q) = %v, want %q", tt.src, err, tt.want)
		}
	}
	tm, _ := keytmpl.Parse("{id}:{a}:{b}:{a}", false)
	if got := tm.Features(); !slices.Equal(got, []string{"a", "b"}) {
		t.Errorf("Features = %v", got)
	}
}
