package hotkeys

import (
	"slices"
	"strings"
	"testing"
)

func TestAppendKeys(t *testing.T) {
	tests := []struct {
		give string
		want []string
	}{
		{"get k", []string{"k"}},
		{"GET k", []string{"k"}},
		{"set k v ex 10", []string{"k"}},
		{"hget h f", []string{"h"}},
		{"json.get doc $", []string{"doc"}},
		{"mget a b c", []string{"a", "b", "c"}},
		{"mget a a", []string{"a", "a"}},
		{"del a b", []string{"a", "b"}},
		{"exists a b", []string{"a", "b"}},
		{"unlink a", []string{"a"}},
		{"touch a b", []string{"a", "b"}},
		{"mset a 1 b 2", []string{"a", "b"}},
		{"mset a 1 b", []string{"a", "b"}},
		{"rename a b", []string{"a", "b"}},
		{"blpop a b 0", []string{"a", "b"}},
		{"bitop and dest a b", []string{"dest", "a", "b"}},
		{"object encoding k", []string{"k"}},
		{"memory usage k", []string{"k"}},
		{"memory doctor", nil},
		{"eval return 2 a b c", []string{"a", "b"}},
		{"evalsha sha 0 c", nil},
		{"eval return 9 a", []string{"a"}},
		{"eval return x a", nil},
		{"zunionstore d 2 a b weights 1 2", []string{"d", "a", "b"}},
		{"zunion 2 a b", []string{"a", "b"}},
		{"lmpop 2 a b left", []string{"a", "b"}},
		{"blmpop 0 2 a b left", []string{"a", "b"}},
		{"xread count 2 streams s1 s2 0 0", []string{"s1", "s2"}},
		{"xreadgroup group g c streams s >", []string{"s"}},
		{"ping", nil},
		{"ping hello", nil},
		{"info keyspace", nil},
		{"multi", nil},
		{"exec", nil},
		{"select 2", nil},
		{"auth (redacted)", nil},
		{"client setname x", nil},
		{"cluster slots", nil},
		{"publish channel message", nil},
		{"get", nil},
	}
	for _, tt := range tests {
		t.Run(tt.give, func(t *testing.T) {
			var args [][]byte
			for f := range strings.FieldsSeq(tt.give) {
				args = append(args, []byte(f))
			}
			if got := strs(AppendKeys(nil, args)); !slices.Equal(got, tt.want) && len(got)+len(tt.want) > 0 {
				t.Errorf("AppendKeys = %q, want %q", got, tt.want)
			}
		})
	}
}

func TestKeySpecNamesAreUpperCase(t *testing.T) {
	for name := range keySpecs {
		if name != strings.ToUpper(name) || len(name) > maxName {
			t.Errorf("keySpecs[%q]: want an upper-case name of at most %d bytes", name, maxName)
		}
	}
}
