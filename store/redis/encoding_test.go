package redis

import (
	"math"
	"strings"
	"testing"

	"github.com/rankflow/rankflow/rank"
)

func TestEncodingRoundTrip(t *testing.T) {
	tests := []struct {
		name string
		give map[string]rank.Value
	}{
		{name: "every kind", give: map[string]rank.Value{
			"s":    rank.StringValue("héllo"),
			"e":    rank.StringValue(""),
			"i":    rank.IntValue(-1 << 62),
			"f":    rank.FloatValue(math.Inf(-1)),
			"t":    rank.BoolValue(true),
			"b":    rank.BoolValue(false),
			"set":  rank.StringSetValue("b", "a", "b"),
			"none": rank.StringSetValue(),
			"il":   rank.IntListValue([]int64{0, math.MaxInt64, math.MinInt64}),
			"fv":   rank.FloatVectorValue([]float32{1.5, -0, math.MaxFloat32}),
		}},
		{name: "empty", give: map[string]rank.Value{}},
		{name: "long name", give: map[string]rank.Value{strings.Repeat("n", 300): rank.IntValue(1)}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := DecodeFeatures(string(AppendFeatures(nil, tt.give)))
			if err != nil {
				t.Fatal(err)
			}
			if len(got) != len(tt.give) {
				t.Fatalf("decoded %d features, want %d", len(got), len(tt.give))
			}
			for k, v := range tt.give {
				if !got[k].Equal(v) {
					t.Errorf("feature %q = %v, want %v", k, got[k], v)
				}
			}
		})
	}
}

func TestEncodingSkipsInvalidValues(t *testing.T) {
	got, err := DecodeFeatures(string(AppendFeatures(nil, map[string]rank.Value{"x": {}, "y": rank.IntValue(2)})))
	if err != nil || len(got) != 1 || !got["y"].Equal(rank.IntValue(2)) {
		t.Fatalf("decoded %v, %v; want only y", got, err)
	}
}

func TestDecodeErrors(t *testing.T) {
	valid := string(AppendFeatures(nil, map[string]rank.Value{"a": rank.StringSetValue("x", "y"), "b": rank.FloatVectorValue([]float32{1, 2})}))
	tests := []struct {
		name string
		give string
		want string
	}{
		{name: "unknown version", give: "\x02\x00", want: "unknown encoding version 2"},
		{name: "trailing bytes", give: valid + "x", want: "1 trailing bytes"},
		{name: "unknown kind", give: "\x01\x01\x01a\x09", want: `feature "a": unknown kind`},
		{name: "huge count", give: "\x01\xff\xff\xff\xff\x0f", want: "bad count"},
		{name: "huge list", give: "\x01\x01\x01a\x07\xff\xff\xff\x0f", want: "truncated"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := DecodeFeatures(tt.give)
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("DecodeFeatures error = %v, want %q", err, tt.want)
			}
		})
	}
	// Every proper prefix of a valid encoding is an error, never a panic.
	for i := 1; i < len(valid); i++ {
		if _, err := DecodeFeatures(valid[:i]); err == nil {
			t.Fatalf("DecodeFeatures of the first %d of %d bytes succeeded", i, len(valid))
		}
	}
}

func FuzzDecodeFeatures(f *testing.F) {
	f.Add(string(AppendFeatures(nil, map[string]rank.Value{"a": rank.StringValue("x"), "n": rank.IntListValue([]int64{1, -2})})))
	f.Add("\x01\x00")
	f.Fuzz(func(t *testing.T, data string) {
		m, err := DecodeFeatures(data)
		if err != nil {
			return
		}
		// What decodes encodes to something that decodes the same.
		again, err := DecodeFeatures(string(AppendFeatures(nil, m)))
		if err != nil || len(again) != len(m) {
			t.Fatalf("re-decode = %d features, %v; want %d", len(again), err, len(m))
		}
	})
}
