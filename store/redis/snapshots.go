package redis

import (
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"hash/fnv"
	"math"
	"slices"

	goredis "github.com/redis/go-redis/v9"

	"github.com/rankflow/rankflow/rank"
	"github.com/rankflow/rankflow/store"
)

// The first byte of an encoded snapshot. They differ from the feature
// encoding's, so a key of one read as the other fails clearly. Version 2
// is version 1 with the snapshot's Version after the first byte; the store
// writes version 2 and reads both.
const (
	snapshotV1 byte = 0x81
	snapshotV2 byte = 0x82
)

// snapshotKey returns the Redis key of the snapshot published at key.
func (s *Store) snapshotKey(key string) string {
	return s.opts.Prefix + "snapshot:" + key
}

// snapshotKeys returns the Redis keys of the snapshots published at keys.
func (s *Store) snapshotKeys(keys []string) []string {
	rkeys := make([]string, len(keys))
	for i, k := range keys {
		rkeys[i] = s.snapshotKey(k)
	}
	return rkeys
}

// AppendSnapshot appends the encoding of snap to dst and returns the
// extended buffer, or dst unchanged and an error. Every record must be nil
// or laid out on the schema of the first non-nil one, as store.NewSnapshot
// makes them.
//
// The encoding (snapshot version 2) is a version byte (0x82), the
// snapshot's Version (8 bytes, little endian: a 64-bit FNV-1a hash of the
// rest, never 0, so publishing the same snapshot again keeps its
// version), a uvarint count of members, a uvarint count of feature names
// and the names (uvarint-length-prefixed), then for each member its id
// (uvarint-length-prefixed), its score (8 bytes, IEEE 754 little endian)
// and one value per name: a kind byte, 0 for none, and the value as in
// AppendFeatures. Names are written once, so a snapshot of a thousand posts
// costs little more than their values. Version 1 (0x81) is the same
// without the Version. snap.Version is not read.
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
	dst = append(dst, snapshotV2, 0, 0, 0, 0, 0, 0, 0, 0)
	body := len(dst)
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
	h := fnv.New64a()
	h.Write(dst[body:])
	binary.LittleEndian.PutUint64(dst[start+1:body], max(h.Sum64(), 1))
	return dst, nil
}

// DecodeSnapshot decodes a snapshot written by AppendSnapshot. Ids and
// string values are substrings of data, and the records share one schema
// (interned by schemas). When every value is an int, float, bool or string
// (as in most snapshots) the records are packed (rank.NewPackedRecords):
// one word per value, which the garbage collector need not scan; otherwise
// they hold a rank.Value each. Either way decoding a snapshot of any size
// allocates a handful of times. It checks what store.Snapshot promises that
// can be checked in one pass (members in order, no NaN score, feature names
// distinct and at most maxFeatures); it does not look for an id given
// twice.
func DecodeSnapshot(data string, schemas *Schemas) (*store.Snapshot, error) {
	if len(data) == 0 || data[0] != snapshotV1 && data[0] != snapshotV2 {
		if len(data) > 0 && data[0] == encodingV1 {
			return nil, fmt.Errorf("decode snapshot: the value is a feature map, not a snapshot")
		}
		return nil, fmt.Errorf("decode snapshot: not a snapshot (unknown encoding)")
	}
	d := decoder{s: data, off: 1}
	var version uint64
	if data[0] == snapshotV2 {
		version = d.uint64()
	}
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
	snap := &store.Snapshot{Members: make([]store.Scored, n), Records: make([]*rank.Record, n), Version: version}
	if k == 0 {
		err := decodeMembers(&d, snap, func(int) error { return nil })
		return finish(&d, snap, err)
	}
	schema := schemas.Get(names)
	if uint64(len(data)) <= math.MaxUint32 { // string offsets fit a packed word
		members := d.off
		err := decodePacked(&d, snap, schema, names)
		if !errors.Is(err, errUnpackable) {
			return finish(&d, snap, err)
		}
		d = decoder{s: data, off: members}
		clear(snap.Records)
	}
	vals := make([]rank.Value, n*k)
	recs := rank.NewRecords(schema, vals)
	err := decodeMembers(&d, snap, func(i int) error {
		for j := range k {
			kind := rank.Kind(d.byte())
			if kind == rank.Invalid {
				continue
			}
			if kind > rank.FloatVector {
				return fmt.Errorf("feature %q: unknown kind %d", names[j], kind)
			}
			vals[i*k+j] = d.value(kind)
			snap.Records[i] = &recs[i]
		}
		return nil
	})
	return finish(&d, snap, err)
}

// errUnpackable stops a packed decode at the first value that needs a
// rank.Value (a set or a list). The decode then starts again on the
// []Value path, so a snapshot with lists pays for the packed attempt up to
// its first list: publishers that use lists should put them early, or
// expect up to twice the decode time.
var errUnpackable = errors.New("a value cannot be packed")

// decodePacked decodes the members and their values into snap as packed
// records. It returns errUnpackable, having read part of d, at a set or
// list value.
func decodePacked(d *decoder, snap *store.Snapshot, schema *rank.Schema, names []string) error {
	k := len(names)
	kinds := make([]rank.Kind, len(snap.Members)*k)
	words := make([]uint64, len(kinds))
	err := decodeMembers(d, snap, func(i int) error {
		row := i * k
		for j := range k {
			kind := rank.Kind(d.byte())
			switch kind {
			case rank.Invalid:
				continue
			case rank.Float:
				words[row+j] = d.uint64()
			case rank.Int:
				words[row+j] = uint64(d.varint())
			case rank.Bool:
				if d.byte() != 0 {
					words[row+j] = 1
				}
			case rank.String:
				n := d.uvarint()
				if n > uint64(len(d.s)-d.off) {
					d.fail()
					return nil
				}
				words[row+j] = rank.PackString(d.off, int(n))
				d.off += int(n)
			case rank.StringSet, rank.IntList, rank.FloatVector:
				return errUnpackable
			default:
				return fmt.Errorf("feature %q: unknown kind %d", names[j], kind)
			}
			kinds[row+j] = kind
		}
		return nil
	})
	if err != nil || d.err != nil {
		return err
	}
	recs, err := rank.NewPackedRecords(schema, d.s, kinds, words)
	if err != nil {
		return err
	}
	for i := range snap.Records {
		if slices.ContainsFunc(kinds[i*k:(i+1)*k], func(k rank.Kind) bool { return k != rank.Invalid }) {
			snap.Records[i] = &recs[i]
		}
	}
	return nil
}

// decodeMembers reads each member's id and score, checks their order, and
// calls values to read the member's values.
func decodeMembers(d *decoder, snap *store.Snapshot, values func(i int) error) error {
	for i := range snap.Members {
		m := &snap.Members[i]
		m.ID = d.str()
		m.Score = math.Float64frombits(d.uint64())
		if d.err == nil && (math.IsNaN(m.Score) || i > 0 && store.CompareScored(snap.Members[i-1], *m) > 0) {
			return fmt.Errorf("member %d (%q) is out of order or has a NaN score", i, m.ID)
		}
		if err := values(i); err != nil {
			return fmt.Errorf("member %d %w", i, err)
		}
		if d.err != nil {
			return fmt.Errorf("member %d: %w", i, d.err)
		}
	}
	return nil
}

// finish checks that d read all of its data and wraps err.
func finish(d *decoder, snap *store.Snapshot, err error) (*store.Snapshot, error) {
	if err != nil {
		return nil, fmt.Errorf("decode snapshot: %w", err)
	}
	if d.off != len(d.s) {
		return nil, fmt.Errorf("decode snapshot: %d trailing bytes", len(d.s)-d.off)
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
	rkeys := s.snapshotKeys(keys)
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

// SnapshotVersions returns the Version of the snapshot at each key, 0 for
// a missing key or a snapshot written without one (version 1 of the
// encoding), reading only the first bytes of each value: a GETRANGE per
// key, pipelined, so one round trip per node.
func (s *Store) SnapshotVersions(ctx context.Context, keys []string) ([]uint64, error) {
	out := make([]uint64, len(keys))
	if len(keys) == 0 {
		return out, nil
	}
	rkeys := s.snapshotKeys(keys)
	ctx, cancel := s.call(ctx)
	defer cancel()
	cmds := make([]goredis.Cmder, len(keys))
	_, _ = s.client.Pipelined(ctx, func(p goredis.Pipeliner) error {
		for i, k := range rkeys {
			cmds[i] = p.GetRange(ctx, k, 0, 8)
		}
		return nil
	})
	if err := s.failed(ctx, "SNAPSHOTVERSIONS", cmds, func(i int) string { return rkeys[i] }); err != nil {
		return nil, err
	}
	for i, c := range cmds {
		head := c.(*goredis.StringCmd).Val()
		if len(head) == 9 && head[0] == snapshotV2 {
			out[i] = binary.LittleEndian.Uint64([]byte(head[1:]))
		}
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
