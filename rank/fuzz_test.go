package rank_test

import (
	"math"
	"testing"

	rankflowv1 "github.com/rankflow/rankflow/api/rankflow/v1"
	"github.com/rankflow/rankflow/rank"
	"google.golang.org/protobuf/proto"
)

// FuzzFromProto decodes arbitrary wire requests. FromProto must never panic,
// and a request it accepts must survive Proto and FromProto again unchanged.
// The seed corpus is in testdata/fuzz/FuzzFromProto.
func FuzzFromProto(f *testing.F) {
	seed, err := proto.Marshal(fullProto())
	if err != nil {
		f.Fatal(err)
	}
	f.Add(seed)
	f.Fuzz(func(t *testing.T, data []byte) {
		var p rankflowv1.Request
		if proto.Unmarshal(data, &p) != nil {
			return
		}
		r, err := rank.FromProto(&p)
		if err != nil {
			return
		}
		if len(r.Candidates) != len(p.GetCandidates()) || r.Options.Limit != int(p.GetOptions().GetLimit()) ||
			r.Options.Method != p.GetOptions().GetMethod() || r.Options.Debug != p.GetOptions().GetDebug() {
			t.Fatalf("decoded %d candidates with %+v from %v", len(r.Candidates), r.Options, &p)
		}
		for i, c := range p.GetCandidates() {
			assertDecoded(t, r.Candidates[i], c)
		}
		if p.GetContext() != nil {
			assertDecoded(t, r.Context, p.GetContext())
		}

		wire := r.Proto()
		again, err := rank.FromProto(wire)
		if err != nil {
			t.Fatalf("FromProto of its own output: %v\n%v", err, wire)
		}
		if back := again.Proto(); !proto.Equal(back, wire) {
			t.Fatalf("round trip changed the request:\n%v\nwant\n%v", back, wire)
		}
		_ = r.JSON(20, 1<<10)
		r.Release()
	})
}

func assertDecoded(t *testing.T, e *rank.Entity, p *rankflowv1.Entity) {
	t.Helper()
	if e.ID != p.GetId() || math.Float64bits(e.Score) != math.Float64bits(p.GetScore()) || e.NumFeatures() != len(p.GetFeatures()) {
		t.Fatalf("entity %q score %v with %d features decoded from %v", e.ID, e.Score, e.NumFeatures(), p)
	}
	for name, f := range p.GetFeatures() {
		want, err := rank.ValueFromProto(f)
		if err != nil {
			t.Fatalf("accepted feature %q that ValueFromProto rejects: %v", name, err)
		}
		if got, _ := e.Feature(name); !got.Equal(want) {
			t.Fatalf("feature %q = %v, want %v", name, got, want)
		}
	}
}
