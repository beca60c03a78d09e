package redis

import (
	"context"
	"encoding/binary"
	"fmt"
	"math"

	goredis "github.com/redis/go-redis/v9"

	"github.com/rankflow/rankflow/rank"
	"github.com/rankflow/rankflow/store"
)

// snapshotV1 is the first byte of an encoded snapshot. It differs from the
// feature encoding's, so a key of one read as the other fails clearly.
const snapshotV1 byte = 0x81

// snapshotKey returns the Redis key of the snapshot published at key.
func (s *Store) snapshotKey(key string) string {
	return s.opts.Prefix + "snapshot:" + key
}

// AppendSnapshot appends the encoding of snap to dst and returns the
// extended buffer, or dst unchanged and an error. Every record must be nil
// or laid out on the schema of the first non-nil one, as store.NewSnapshot
// makes them.
//
// The encoding (snapshot version 1) is a version byte (0x81), a uvarint
// count of members, a uvarint count of feature names and the names
// (uvarint-length-prefixed), then for each member its id
// (uvarint-length-prefixed), its score (8 bytes, IEEE 754 little endian) and
// one value per name: a kind byte, 0 for none, and the value as in
// AppendFeatures. Names are written once, so a snapshot of a thousand posts
// costs little more than their values.
func AppendSnapshot(dst []byte, snap *store.Snapshot) ([]byte, error) {
	start := len(dst)
	var schema *rank.Schema
	for _, r := range snap.Records {
		if r != nil {
			schema = r.Schema()
			break
		}
	}
	var names []string
	if schema != nil {
		names = schema.Names()
	}
	if len(snap.Records) != len(snap.Members) {
		return dst[:start], fmt.Errorf("encode snapshot: %d members but %d records", len(snap.Members), len(snap.Records))
	}
	dst = append(dst, snapshotV1)
	dst = binary.AppendUvarint(dst, uint64(len(snap.Members)))
	dst = binary.AppendUvarint(dst, uint64(len(names)))
	for _, n := range names {
		dst = appendString(dst, n)
	}
	for i, m := range snap.Members {
		dst = appendString(dst, m.ID)
		dst = binary.LittleEndian.AppendUint64(dst, math.Float64bits(m.Score))
		r := snap.Records[i]
		if r != nil && r.Schema() != schema {
			return dst[:start], fmt.Errorf("encode snapshot: member %q has features of another layout", m.ID)
		}
		for j := range names {
			if r == nil || !r.At(j).IsValid() {
				dst = append(dst, 0)
				continue
			}
			dst = appendValue(dst, r.At(j))
		}
	}
	return dst, nil
}

// DecodeSnapshot decodes a snapshot written by AppendSnapshot. Ids and
// string values are substrings of data, and the records share one schema
// (interned by schemas) and one allocation of values, so decoding a
// snapshot of any size allocates a handful of times. It checks what
// store.Snapshot promises that can be checked in one pass (members in
// order, no NaN score, feature names distinct and at most maxFeatures); it
// does not look for an id given twice.
func DecodeSnapshot(data string, schemas *Schemas) (*store.Snapshot, error) {
	if len(data) == 0 || data[0] != snapshotV1 {
		if len(data) > 0 && data[0] == encodingV1 {
			return nil, fmt.Errorf("decode snapshot: the value is a feature map, not a snapshot")
		}
		return nil, fmt.Errorf("decode snapshot: not a snapshot (unknown encoding)")
	}
	d := decoder{s: data, off: 1}
	n := d.count(9) // each member has at least an id length and a score
	k := d.count(1)
	if d.err != nil {
		return nil, fmt.Errorf("decode snapshot: bad counts: %w", d.err)
	}
	if k > maxFeatures {
		return nil, fmt.Errorf("decode snapshot: %d features, more than %d", k, maxFeatures)
	}
	names := make([]string, k)
	for j := range names {
		names[j] = d.str()
		if d.err != nil {
			return nil, fmt.Errorf("decode snapshot: names: %w", d.err)
		}
	}
	if name, dup := duplicate(names); dup {
		return nil, fmt.Errorf("decode snapshot: feature %q appears twice", name)
	}
	if k > 0 && n > (len(data)-d.off)/k {
		return nil, fmt.Errorf("decode snapshot: %d members cannot fit: %w", n, errTruncated)
	}
	snap := &store.Snapshot{Members: make([]store.Scored, n), Records: make([]*rank.Record, n)}
	var (
		vals []rank.Value
		recs []rank.Record
	)
	if k > 0 {
		vals = make([]rank.Value, n*k)
		recs = rank.NewRecords(schemas.Get(names), vals)
	}
	for i := range snap.Members {
		m := &snap.Members[i]
		m.ID = d.str()
		m.Score = math.Float64frombits(d.uint64())
		if d.err == nil && (math.IsNaN(m.Score) || i > 0 && store.CompareScored(snap.Members[i-1], *m) > 0) {
			return nil, fmt.Errorf("decode snapshot: member %d (%q) is out of order or has a NaN score", i, m.ID)
		}
		has := false
		for j := range k {
			kind := rank.Kind(d.byte())
			if kind == rank.Invalid {
				continue
			}
			if kind > rank.FloatVector {
				return nil, fmt.Errorf("decode snapshot: member %d feature %q: unknown kind %d", i, names[j], kind)
			}
			vals[i*k+j] = d.value(kind)
			has = true
		}
		if d.err != nil {
			return nil, fmt.Errorf("decode snapshot: member %d: %w", i, d.err)
		}
		if has {
			snap.Records[i] = &recs[i]
		}
	}
	if d.off != len(data) {
		return nil, fmt.Errorf("decode snapshot: %d trailing bytes", len(data)-d.off)
	}
	return snap, nil
}

// Snapshots returns the snapshot published at each key, nil for a missing
// key, with one MGET (per hash slot on a cluster) in one round trip per node.
func (s *Store) Snapshots(ctx context.Context, keys []string) ([]*store.Snapshot, error) {
	out := make([]*store.Snapshot, len(keys))
	if len(keys) == 0 {
		return out, nil
	}
	rkeys := make([]string, len(keys))
	for i, k := range keys {
		rkeys[i] = s.snapshotKey(k)
	}
	ctx, cancel := s.call(ctx)
	defer cancel()
	vals, err := s.mget(ctx, "SNAPSHOTS", rkeys)
	if err != nil {
		return nil, err
	}
	for i, v := range vals {
		str, ok := v.(string)
		if !ok {
			continue
		}
		snap, err := DecodeSnapshot(str, &s.schemas)
		if err != nil {
			return nil, &Error{Op: "SNAPSHOTS", Key: rkeys[i], Err: err}
		}
		out[i] = snap
	}
	return out, nil
}

// PutSnapshot publishes the snapshot at key (see store.NewSnapshot),
// replacing what was there; an empty members deletes it.
func (s *Store) PutSnapshot(ctx context.Context, key string, members []store.Scored, features []map[string]rank.Value) error {
	rkey := s.snapshotKey(key)
	snap, err := store.NewSnapshot(members, features)
	if err != nil {
		return &Error{Op: "PUTSNAPSHOT", Key: rkey, Err: err}
	}
	ctx, cancel := s.load(ctx)
	defer cancel()
	var cmd goredis.Cmder
	if len(snap.Members) == 0 {
		cmd = s.client.Del(ctx, rkey)
	} else {
		buf, err := AppendSnapshot(nil, snap)
		if err != nil {
			return &Error{Op: "PUTSNAPSHOT", Key: rkey, Err: err}
		}
		cmd = s.client.Set(ctx, rkey, buf, 0)
	}
	if err := cmd.Err(); err != nil {
		return s.fail(ctx, "PUTSNAPSHOT", rkey, 0, err)
	}
	return nil
}
