package rank

import (
	"errors"
	"fmt"
	"slices"
	"time"
	"unicode/utf8"

	rankflowv1 "github.com/rankflow/rankflow/api/rankflow/v1"
	"google.golang.org/protobuf/encoding/protojson"
)

// FromProto converts a wire request into a Request. It reports the first
// malformed field by its path, such as `candidates[3].features["age"]: no
// value`.
func FromProto(p *rankflowv1.Request) (*Request, error) {
	o := p.GetOptions()
	if o.GetLimit() < 0 {
		return nil, fmt.Errorf("options.limit: must not be negative, got %d", o.GetLimit())
	}
	r := NewRequest(nil, Options{Method: o.GetMethod(), Limit: int(o.GetLimit()), Debug: o.GetDebug(), Features: o.GetFeatures()})
	if c := p.GetContext(); c != nil {
		if err := entityFromProto(r.Context, c, "context"); err != nil {
			return nil, err
		}
	}
	if n := len(p.GetCandidates()); n > 0 {
		r.Grow(n)
		for i, c := range p.GetCandidates() {
			if c.GetId() == "" {
				return nil, fmt.Errorf("candidates[%d].id: must not be empty", i)
			}
			e := r.NewCandidate("")
			if err := entityFromProto(e, c, fmt.Sprintf("candidates[%d]", i)); err != nil {
				return nil, err
			}
			r.Candidates = append(r.Candidates, e)
		}
	}
	return r, nil
}

func entityFromProto(e *Entity, p *rankflowv1.Entity, path string) error {
	e.ID, e.Score = p.GetId(), p.GetScore()
	if len(p.GetFeatures()) == 0 {
		return nil
	}
	e.own(len(p.GetFeatures()))
	for name, f := range p.GetFeatures() {
		if name == "" {
			return fmt.Errorf("%s.features: feature name must not be empty", path)
		}
		v, err := ValueFromProto(f)
		if err != nil {
			return fmt.Errorf("%s.features[%q]: %w", path, name, err)
		}
		e.features[name] = v
	}
	return nil
}

// ValueFromProto converts a wire feature into a Value.
func ValueFromProto(f *rankflowv1.Feature) (Value, error) {
	switch v := f.GetValue().(type) {
	case *rankflowv1.Feature_AsString:
		return StringValue(v.AsString), nil
	case *rankflowv1.Feature_AsInt:
		return IntValue(v.AsInt), nil
	case *rankflowv1.Feature_AsFloat:
		return FloatValue(v.AsFloat), nil
	case *rankflowv1.Feature_AsBool:
		return BoolValue(v.AsBool), nil
	case *rankflowv1.Feature_AsStringSet:
		return StringSetValue(v.AsStringSet.GetValues()...), nil
	case *rankflowv1.Feature_AsIntList:
		return IntListValue(slices.Clone(v.AsIntList.GetValues())), nil
	case *rankflowv1.Feature_AsFloatVector:
		return FloatVectorValue(slices.Clone(v.AsFloatVector.GetValues())), nil
	}
	return Value{}, errors.New("feature has no value")
}

// Proto converts v into a wire feature; nil for an invalid Value.
func (v Value) Proto() *rankflowv1.Feature {
	switch v.kind {
	case String:
		s, _ := v.AsString()
		return &rankflowv1.Feature{Value: &rankflowv1.Feature_AsString{AsString: s}}
	case Int:
		i, _ := v.AsInt()
		return &rankflowv1.Feature{Value: &rankflowv1.Feature_AsInt{AsInt: i}}
	case Float:
		f, _ := v.AsFloat()
		return &rankflowv1.Feature{Value: &rankflowv1.Feature_AsFloat{AsFloat: f}}
	case Bool:
		b, _ := v.AsBool()
		return &rankflowv1.Feature{Value: &rankflowv1.Feature_AsBool{AsBool: b}}
	case StringSet:
		s, _ := v.AsStringSet()
		return &rankflowv1.Feature{Value: &rankflowv1.Feature_AsStringSet{AsStringSet: &rankflowv1.StringList{Values: slices.Clone(s.Items())}}}
	case IntList:
		l, _ := v.AsIntList()
		return &rankflowv1.Feature{Value: &rankflowv1.Feature_AsIntList{AsIntList: &rankflowv1.IntList{Values: slices.Clone(l)}}}
	case FloatVector:
		l, _ := v.AsFloatVector()
		return &rankflowv1.Feature{Value: &rankflowv1.Feature_AsFloatVector{AsFloatVector: &rankflowv1.FloatVector{Values: slices.Clone(l)}}}
	}
	return nil
}

// Proto converts e into a wire entity.
func (e *Entity) Proto() *rankflowv1.Entity {
	p := &rankflowv1.Entity{Id: e.ID, Score: e.Score}
	for name, v := range e.Features() {
		if p.Features == nil {
			p.Features = make(map[string]*rankflowv1.Feature, len(e.features)+e.base.Len())
		}
		p.Features[name] = v.Proto()
	}
	return p
}

// Response converts r into the wire response a server sends: the context's
// id, and each candidate's id, score and the features Options.Features
// names. A traced (debug) request carries every feature of the context and
// the candidates, and the explain trace.
func (r *Request) Response() *rankflowv1.Request {
	if r.Options.Debug {
		return r.Proto()
	}
	p := &rankflowv1.Request{Options: &rankflowv1.Options{
		Method: r.Options.Method,
		Limit:  int32(min(r.Options.Limit, 1<<31-1)),
	}}
	if q := r.Options.Quality; q > 0 && q < 1 {
		p.Options.Quality = q
	}
	if r.Context != nil {
		p.Context = &rankflowv1.Entity{Id: r.Context.ID}
	}
	ents := make([]rankflowv1.Entity, len(r.Candidates))
	p.Candidates = make([]*rankflowv1.Entity, len(r.Candidates))
	for i, e := range r.Candidates {
		pe := &ents[i]
		pe.Id, pe.Score = e.ID, e.Score
		for _, name := range r.Options.Features {
			if v, ok := e.Feature(name); ok {
				if pe.Features == nil {
					pe.Features = make(map[string]*rankflowv1.Feature, len(r.Options.Features))
				}
				pe.Features[name] = v.Proto()
			}
		}
		p.Candidates[i] = pe
	}
	return p
}

// Proto converts r into a wire request, with the explain trace when r is
// traced.
func (r *Request) Proto() *rankflowv1.Request { return r.proto(-1) }

// proto converts r keeping at most maxCandidates candidates (all if < 0).
func (r *Request) proto(maxCandidates int) *rankflowv1.Request {
	p := &rankflowv1.Request{Options: &rankflowv1.Options{
		Method:   r.Options.Method,
		Limit:    int32(min(r.Options.Limit, 1<<31-1)),
		Debug:    r.Options.Debug,
		Features: r.Options.Features,
	}}
	if q := r.Options.Quality; q > 0 && q < 1 {
		p.Options.Quality = q
	}
	if r.Context != nil {
		p.Context = r.Context.Proto()
	}
	cands := r.Candidates
	if maxCandidates >= 0 && len(cands) > maxCandidates {
		cands = cands[:maxCandidates]
	}
	p.Candidates = make([]*rankflowv1.Entity, len(cands))
	for i, e := range cands {
		p.Candidates[i] = e.Proto()
	}
	if r.Trace != nil {
		for _, st := range r.Trace.Stages() {
			p.Explain = append(p.Explain, st.Proto())
		}
	}
	return p
}

// Proto converts st into its wire form.
func (st StageTrace) Proto() *rankflowv1.StageTrace {
	p := &rankflowv1.StageTrace{
		Stage:         st.Stage,
		Path:          st.Path,
		Depth:         int32(st.Depth),
		DurationNanos: int64(st.Duration),
		CandidatesIn:  int32(st.In),
		CandidatesOut: int32(st.Out),
		Added:         st.Added,
		Skipped:       st.Skipped,
		Error:         st.Error,
	}
	for _, rm := range st.Removed {
		p.Removed = append(p.Removed, &rankflowv1.Removal{Id: rm.ID, Reason: rm.Reason})
	}
	return p
}

// StageTraceFromProto converts a wire stage trace back, for clients and
// tools that print it.
func StageTraceFromProto(p *rankflowv1.StageTrace) StageTrace {
	st := StageTrace{
		Stage:    p.GetStage(),
		Path:     p.GetPath(),
		Depth:    int(p.GetDepth()),
		Duration: time.Duration(p.GetDurationNanos()),
		In:       int(p.GetCandidatesIn()),
		Out:      int(p.GetCandidatesOut()),
		Added:    p.GetAdded(),
		Skipped:  p.GetSkipped(),
		Error:    p.GetError(),
	}
	for _, rm := range p.GetRemoved() {
		st.Removed = append(st.Removed, Removal{ID: rm.GetId(), Reason: rm.GetReason()})
	}
	return st
}

// JSON returns r as protojson for logs, with at most maxCandidates
// candidates and at most maxBytes bytes; a cut is marked. It never fails: an
// encoding error is returned in place of the JSON.
func (r *Request) JSON(maxCandidates, maxBytes int) string {
	if r == nil {
		return "null"
	}
	b, err := protojson.Marshal(r.proto(maxCandidates))
	if err != nil {
		return fmt.Sprintf("<unencodable request: %v>", err)
	}
	s := string(b)
	if n := len(r.Candidates); maxCandidates >= 0 && n > maxCandidates {
		s = fmt.Sprintf("%s (%d of %d candidates shown)", s, maxCandidates, n)
	}
	if maxBytes > 0 && len(s) > maxBytes {
		cut := maxBytes
		for cut > 0 && !utf8.RuneStart(s[cut]) { // keep the log line valid UTF-8
			cut--
		}
		s = fmt.Sprintf("%s…(truncated, %d bytes in all)", s[:cut], len(s))
	}
	return s
}
