package redis

import (
	"context"
	"encoding/json"
	"fmt"
	"strconv"
	"testing"
	"time"

	goredis "github.com/redis/go-redis/v9"
	"google.golang.org/protobuf/proto"

	rankflowv1 "github.com/rankflow/rankflow/api/rankflow/v1"
	"github.com/rankflow/rankflow/rank"
	"github.com/rankflow/rankflow/store"
)

// The encoding benchmarks compare ways to store an entity's features: this
// package's encoding, JSON, protobuf (rankflow.v1 Entity features) and one
// Redis hash field per feature (HGETALL). BenchmarkDecode measures decoding
// alone; BenchmarkFetch reads 1000 entities from the Redis on
// 127.0.0.1:6379, as Features does.

// benchPost is a typical post's features.
func benchPost(i int) map[string]rank.Value {
	emb := make([]float32, 32)
	for j := range emb {
		emb[j] = float32(i*j) / 7
	}
	return map[string]rank.Value{
		"community":   rank.StringValue("community_" + strconv.Itoa(i%500)),
		"author":      rank.StringValue("user_" + strconv.Itoa(i*7919%100000)),
		"media_type":  rank.StringValue("image"),
		"age_seconds": rank.IntValue(int64(i * 37)),
		"upvotes":     rank.IntValue(int64(i * 13 % 5000)),
		"comments":    rank.IntValue(int64(i % 300)),
		"popularity":  rank.FloatValue(float64(i%1000) / 3),
		"ctr":         rank.FloatValue(0.0123),
		"nsfw":        rank.BoolValue(i%17 == 0),
		"spoiler":     rank.BoolValue(false),
		"tags":        rank.StringSetValue("news", "tech", "t"+strconv.Itoa(i%9)),
		"embedding":   rank.FloatVectorValue(emb),
	}
}

// jsonValue is a feature in JSON, one field set.
type jsonValue struct {
	S  *string   `json:"s,omitempty"`
	I  *int64    `json:"i,omitempty"`
	F  *float64  `json:"f,omitempty"`
	B  *bool     `json:"b,omitempty"`
	SS []string  `json:"ss,omitempty"`
	IL []int64   `json:"il,omitempty"`
	FV []float32 `json:"fv,omitempty"`
}

func encodeJSON(m map[string]rank.Value) string {
	j := make(map[string]jsonValue, len(m))
	for k, v := range m {
		var jv jsonValue
		switch v.Kind() {
		case rank.String:
			s, _ := v.AsString()
			jv.S = &s
		case rank.Int:
			i, _ := v.AsInt()
			jv.I = &i
		case rank.Float:
			f, _ := v.AsFloat()
			jv.F = &f
		case rank.Bool:
			b, _ := v.AsBool()
			jv.B = &b
		case rank.StringSet:
			s, _ := v.AsStringSet()
			jv.SS = s.Items()
		case rank.IntList:
			jv.IL, _ = v.AsIntList()
		case rank.FloatVector:
			jv.FV, _ = v.AsFloatVector()
		}
		j[k] = jv
	}
	b, _ := json.Marshal(j)
	return string(b)
}

func decodeJSON(s string) (map[string]rank.Value, error) {
	var j map[string]jsonValue
	if err := json.Unmarshal([]byte(s), &j); err != nil {
		return nil, err
	}
	m := make(map[string]rank.Value, len(j))
	for k, jv := range j {
		switch {
		case jv.S != nil:
			m[k] = rank.StringValue(*jv.S)
		case jv.I != nil:
			m[k] = rank.IntValue(*jv.I)
		case jv.F != nil:
			m[k] = rank.FloatValue(*jv.F)
		case jv.B != nil:
			m[k] = rank.BoolValue(*jv.B)
		case jv.SS != nil:
			m[k] = rank.StringSetValue(jv.SS...)
		case jv.IL != nil:
			m[k] = rank.IntListValue(jv.IL)
		case jv.FV != nil:
			m[k] = rank.FloatVectorValue(jv.FV)
		}
	}
	return m, nil
}

func encodeProto(m map[string]rank.Value) string {
	e := &rankflowv1.Entity{Features: make(map[string]*rankflowv1.Feature, len(m))}
	for k, v := range m {
		e.Features[k] = v.Proto()
	}
	b, _ := proto.Marshal(e)
	return string(b)
}

func decodeProto(s string) (map[string]rank.Value, error) {
	var e rankflowv1.Entity
	if err := proto.Unmarshal([]byte(s), &e); err != nil {
		return nil, err
	}
	m := make(map[string]rank.Value, len(e.Features))
	for k, f := range e.Features {
		v, err := rank.ValueFromProto(f)
		if err != nil {
			return nil, err
		}
		m[k] = v
	}
	return m, nil
}

// encodeHash returns one hash field per feature, valued with this package's
// encoding of the value alone.
func encodeHash(m map[string]rank.Value) map[string]string {
	h := make(map[string]string, len(m))
	for k, v := range m {
		h[k] = string(appendValue(nil, v))
	}
	return h
}

func decodeHash(h map[string]string) (map[string]rank.Value, error) {
	if len(h) == 0 {
		return nil, nil
	}
	m := make(map[string]rank.Value, len(h))
	for k, s := range h {
		d := decoder{s: s, off: 1}
		if len(s) == 0 {
			return nil, errTruncated
		}
		m[k] = d.value(rank.Kind(s[0]))
		if d.err != nil {
			return nil, d.err
		}
	}
	return m, nil
}

func hashSize(h map[string]string) int {
	n := 0
	for k, v := range h {
		n += len(k) + len(v)
	}
	return n
}

func BenchmarkDecode(b *testing.B) {
	m := benchPost(42)
	own := string(AppendFeatures(nil, m))
	js := encodeJSON(m)
	pb := encodeProto(m)
	h := encodeHash(m)
	tests := []struct {
		name   string
		size   int
		decode func() (map[string]rank.Value, error)
	}{
		{name: "rankflow", size: len(own), decode: func() (map[string]rank.Value, error) { return DecodeFeatures(own) }},
		{name: "protobuf", size: len(pb), decode: func() (map[string]rank.Value, error) { return decodeProto(pb) }},
		{name: "json", size: len(js), decode: func() (map[string]rank.Value, error) { return decodeJSON(js) }},
		{name: "hash-fields", size: hashSize(h), decode: func() (map[string]rank.Value, error) { return decodeHash(h) }},
	}
	for _, tt := range tests {
		b.Run(tt.name, func(b *testing.B) {
			got, err := tt.decode()
			if err != nil || len(got) != len(m) {
				b.Fatalf("decode = %d features, %v", len(got), err)
			}
			b.ReportAllocs()
			for b.Loop() {
				if _, err := tt.decode(); err != nil {
					b.Fatal(err)
				}
			}
			b.ReportMetric(float64(tt.size), "bytes/entity")
		})
	}
}

// BenchmarkFetch reads the features of 1000 entities from the single Redis
// in one round trip and decodes them: MGET of encoded strings, or a pipeline
// of HGETALL for hash fields.
func BenchmarkFetch(b *testing.B) {
	const n = 1000
	ctx := context.Background()
	client := goredis.NewClient(&goredis.Options{Addr: "127.0.0.1:6379"})
	defer client.Close()
	prefix := fmt.Sprintf("rfbench:%d:", time.Now().UnixNano())
	keys := func(enc string) []string {
		ks := make([]string, n)
		for i := range ks {
			ks[i] = prefix + enc + ":" + strconv.Itoa(i)
		}
		return ks
	}
	encoders := []struct {
		name   string
		encode func(map[string]rank.Value) string
		decode func(string) (map[string]rank.Value, error)
	}{
		{name: "rankflow", encode: func(m map[string]rank.Value) string { return string(AppendFeatures(nil, m)) }, decode: DecodeFeatures},
		{name: "protobuf", encode: encodeProto, decode: decodeProto},
		{name: "json", encode: encodeJSON, decode: decodeJSON},
	}
	pipe := client.Pipeline()
	for _, e := range encoders {
		for i, k := range keys(e.name) {
			pipe.Set(ctx, k, e.encode(benchPost(i)), time.Hour)
		}
	}
	for i, k := range keys("hash") {
		pipe.HSet(ctx, k, encodeHash(benchPost(i)))
		pipe.Expire(ctx, k, time.Hour)
	}
	if _, err := pipe.Exec(ctx); err != nil {
		b.Fatalf("load: %v (is Redis running on 127.0.0.1:6379?)", err)
	}
	defer func() {
		for _, e := range []string{"rankflow", "protobuf", "json", "hash"} {
			client.Del(ctx, keys(e)...)
		}
	}()
	for _, e := range encoders {
		b.Run(e.name+"-mget", func(b *testing.B) {
			ks := keys(e.name)
			b.ReportAllocs()
			for b.Loop() {
				vals, err := client.MGet(ctx, ks...).Result()
				if err != nil {
					b.Fatal(err)
				}
				for _, v := range vals {
					if _, err := e.decode(v.(string)); err != nil {
						b.Fatal(err)
					}
				}
			}
		})
	}
	b.Run("hash-fields-hgetall", func(b *testing.B) {
		ks := keys("hash")
		b.ReportAllocs()
		for b.Loop() {
			cmds := make([]*goredis.MapStringStringCmd, n)
			_, err := client.Pipelined(ctx, func(p goredis.Pipeliner) error {
				for i, k := range ks {
					cmds[i] = p.HGetAll(ctx, k)
				}
				return nil
			})
			if err != nil {
				b.Fatal(err)
			}
			for _, c := range cmds {
				if _, err := decodeHash(c.Val()); err != nil {
					b.Fatal(err)
				}
			}
		}
	})
}

// BenchmarkDecodeSnapshot decodes a snapshot of 360 posts of 9 features (8
// floats and a string), the shape of the popular feed benchmark's lists.
func BenchmarkDecodeSnapshot(b *testing.B) {
	const n = 360
	members := make([]store.Scored, n)
	feats := make([]map[string]rank.Value, n)
	for i := range members {
		members[i] = store.Scored{ID: fmt.Sprintf("t3_%06x", i*7919), Score: float64(n - i)}
		f := map[string]rank.Value{"community": rank.StringValue("c" + strconv.Itoa(i%50))}
		for _, name := range []string{"upvotes_log", "comments_log", "upvote_ratio", "ctr", "quality", "freshness", "author_karma_log", "community_affinity"} {
			f[name] = rank.FloatValue(float64(i) / 7)
		}
		feats[i] = f
	}
	snap, err := store.NewSnapshot(members, feats)
	if err != nil {
		b.Fatal(err)
	}
	buf, err := AppendSnapshot(nil, snap)
	if err != nil {
		b.Fatal(err)
	}
	data := string(buf)
	var schemas Schemas
	b.SetBytes(int64(len(data)))
	b.ReportAllocs()
	for b.Loop() {
		if _, err := DecodeSnapshot(data, &schemas); err != nil {
			b.Fatal(err)
		}
	}
}
