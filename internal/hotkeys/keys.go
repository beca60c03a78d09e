package hotkeys

// keySpec says where a command's keys are, the way Redis's command table
// does: positions first to last (negative counts from the end, -1 being the
// last argument) every step, in Args where Args[0] is the command name. A
// zero first means none. If numkeys is set, Args[numkeys] is a count of keys
// that follow it, as in EVAL and ZUNIONSTORE; they are keys too. If streams
// is set, the keys are the first half of the arguments after STREAMS.
type keySpec struct {
	first, last, step int
	numkeys           int
	streams           bool
}

var (
	firstKey   = keySpec{first: 1, last: 1, step: 1}
	noKeys     = keySpec{}
	allKeys    = keySpec{first: 1, last: -1, step: 1}
	twoKeys    = keySpec{first: 1, last: 2, step: 1}
	pairKeys   = keySpec{first: 1, last: -1, step: 2}
	blockKeys  = keySpec{first: 1, last: -2, step: 1} // the last argument is a timeout
	subKey     = keySpec{first: 2, last: 2, step: 1}  // OBJECT ENCODING key
	numKeysAt1 = keySpec{numkeys: 1}
	numKeysAt2 = keySpec{numkeys: 2}
	storeKeys  = keySpec{first: 1, last: 1, step: 1, numkeys: 2} // ZUNIONSTORE dest numkeys key...
	streamKeys = keySpec{streams: true}
)

// keySpecs lists the commands whose keys are not just their first argument.
// Names are upper case; commands not listed, including module commands such
// as JSON.GET, take their first argument as their key.
var keySpecs = map[string]keySpec{
	// Several keys.
	"MGET": allKeys, "DEL": allKeys, "UNLINK": allKeys, "EXISTS": allKeys,
	"TOUCH": allKeys, "WATCH": allKeys, "SINTER": allKeys, "SUNION": allKeys,
	"SDIFF": allKeys, "SINTERSTORE": allKeys, "SUNIONSTORE": allKeys,
	"SDIFFSTORE": allKeys, "PFCOUNT": allKeys, "PFMERGE": allKeys,
	"MSET": pairKeys, "MSETNX": pairKeys,
	"RENAME": twoKeys, "RENAMENX": twoKeys, "COPY": twoKeys, "SMOVE": twoKeys,
	"RPOPLPUSH": twoKeys, "LMOVE": twoKeys, "BRPOPLPUSH": twoKeys,
	"BLMOVE": twoKeys, "LCS": twoKeys, "ZRANGESTORE": twoKeys,
	"GEOSEARCHSTORE": twoKeys,
	"BLPOP":          blockKeys, "BRPOP": blockKeys, "BZPOPMIN": blockKeys,
	"BZPOPMAX": blockKeys,
	"BITOP":    {first: 2, last: -1, step: 1},
	"OBJECT":   subKey, "MEMORY": subKey, "XINFO": subKey,
	"MIGRATE": {first: 3, last: 3, step: 1},
	"EVAL":    numKeysAt2, "EVALSHA": numKeysAt2, "EVAL_RO": numKeysAt2,
	"EVALSHA_RO": numKeysAt2, "FCALL": numKeysAt2, "FCALL_RO": numKeysAt2,
	"BLMPOP": numKeysAt2, "BZMPOP": numKeysAt2,
	"ZUNION": numKeysAt1, "ZINTER": numKeysAt1, "ZDIFF": numKeysAt1,
	"ZINTERCARD": numKeysAt1, "SINTERCARD": numKeysAt1, "LMPOP": numKeysAt1,
	"ZMPOP":       numKeysAt1,
	"ZUNIONSTORE": storeKeys, "ZINTERSTORE": storeKeys, "ZDIFFSTORE": storeKeys,
	"XREAD": streamKeys, "XREADGROUP": streamKeys,

	// No keys: connection, server, scripting, pub/sub and cluster commands.
	"PING": noKeys, "ECHO": noKeys, "INFO": noKeys, "MULTI": noKeys,
	"EXEC": noKeys, "DISCARD": noKeys, "UNWATCH": noKeys, "SELECT": noKeys,
	"AUTH": noKeys, "HELLO": noKeys, "QUIT": noKeys, "RESET": noKeys,
	"CLIENT": noKeys, "CLUSTER": noKeys, "CONFIG": noKeys, "COMMAND": noKeys,
	"DBSIZE": noKeys, "FLUSHALL": noKeys, "FLUSHDB": noKeys, "KEYS": noKeys,
	"SCAN": noKeys, "RANDOMKEY": noKeys, "TIME": noKeys, "ROLE": noKeys,
	"SAVE": noKeys, "BGSAVE": noKeys, "BGREWRITEAOF": noKeys,
	"LASTSAVE": noKeys, "SHUTDOWN": noKeys, "SLOWLOG": noKeys,
	"LATENCY": noKeys, "ACL": noKeys, "MONITOR": noKeys, "SYNC": noKeys,
	"PSYNC": noKeys, "REPLCONF": noKeys, "REPLICAOF": noKeys,
	"SLAVEOF": noKeys, "FAILOVER": noKeys, "DEBUG": noKeys, "SCRIPT": noKeys,
	"FUNCTION": noKeys, "MODULE": noKeys, "WAIT": noKeys, "WAITAOF": noKeys,
	"SWAPDB": noKeys, "LOLWUT": noKeys, "READONLY": noKeys,
	"READWRITE": noKeys, "ASKING": noKeys, "PUBLISH": noKeys,
	"SPUBLISH": noKeys, "SUBSCRIBE": noKeys, "UNSUBSCRIBE": noKeys,
	"PSUBSCRIBE": noKeys, "PUNSUBSCRIBE": noKeys, "SSUBSCRIBE": noKeys,
	"SUNSUBSCRIBE": noKeys, "PUBSUB": noKeys,
}

// maxName is the longest command name looked up in keySpecs; longer names
// take the default.
const maxName = 32

// upperName writes name in upper case to buf and returns it; ok is false if
// it is longer than maxName.
func upperName(buf *[maxName]byte, name []byte) ([]byte, bool) {
	if len(name) > maxName {
		return nil, false
	}
	for i, b := range name {
		if 'a' <= b && b <= 'z' {
			b -= 'a' - 'A'
		}
		buf[i] = b
	}
	return buf[:len(name)], true
}

// AppendKeys appends the keys that the command args (Args of a [Command],
// args[0] being its name, in any case) touches: the first argument for most
// commands, every key of MGET, DEL, EXISTS, UNLINK, TOUCH, every other
// argument of MSET, the keys counted by numkeys of EVAL or ZUNIONSTORE, and
// none for PING, INFO, MULTI, EXEC, SELECT, AUTH, CLIENT, CLUSTER and other
// commands without keys. A key that appears twice, as in "MGET a a", is
// appended twice.
func AppendKeys(dst [][]byte, args [][]byte) [][]byte {
	if len(args) == 0 {
		return dst
	}
	var buf [maxName]byte
	spec := firstKey
	if name, ok := upperName(&buf, args[0]); ok {
		if s, listed := keySpecs[string(name)]; listed {
			spec = s
		}
	}
	n := len(args)
	if spec.first > 0 {
		last := spec.last
		if last < 0 {
			last += n
		}
		for i := spec.first; i <= last && i < n; i += spec.step {
			dst = append(dst, args[i])
		}
	}
	if spec.numkeys > 0 && spec.numkeys < n {
		if k, ok := atoi(args[spec.numkeys]); ok {
			for i := spec.numkeys + 1; i <= spec.numkeys+k && i < n; i++ {
				dst = append(dst, args[i])
			}
		}
	}
	if spec.streams {
		for i := 1; i < n; i++ {
			if u, ok := upperName(&buf, args[i]); ok && string(u) == "STREAMS" {
				rest := args[i+1:]
				dst = append(dst, rest[:len(rest)/2]...)
				break
			}
		}
	}
	return dst
}

// atoi parses a small non-negative decimal number.
func atoi(b []byte) (int, bool) {
	if len(b) == 0 || len(b) > 9 {
		return 0, false
	}
	n := 0
	for _, d := range b {
		if d < '0' || d > '9' {
			return 0, false
		}
		n = n*10 + int(d-'0')
	}
	return n, true
}
