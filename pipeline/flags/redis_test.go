package flags_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/rankflow/rankflow/internal/redistest"
	"github.com/rankflow/rankflow/pipeline/flags"
)

func TestRedisPicksUpChanges(t *testing.T) {
	tg := redistest.Single(t)
	key := tg.Prefix + "flags"
	ctx := context.Background()
	hset := func(values ...any) {
		t.Helper()
		if err := tg.Client.HSet(ctx, key, values...).Err(); err != nil {
			t.Fatal(err)
		}
	}
	src := flags.Redis(tg.Client, key, quiet, flags.WithInterval(10*time.Millisecond))
	if st := src.Status(); st.Generation != 0 || src.Current() != nil {
		t.Fatalf("before the first load: status %+v, set %v", st, src.Current())
	}
	// A missing hash is no flags.
	if err := src.Reload(ctx); err != nil {
		t.Fatal(err)
	}
	if st := src.Status(); st.Generation != 1 || src.Current() == nil {
		t.Fatalf("after loading a missing hash: status %+v", st)
	}

	runCtx, cancel := context.WithCancel(ctx)
	stopped := make(chan struct{})
	go func() { src.Run(runCtx); close(stopped) }()
	defer func() { cancel(); <-stopped }()

	hset("kill:popular/filter_seen", "1", "param:video.shuffle_probability", "0.1")
	eventually(t, "the kill and the param are seen", nil, func() bool {
		p, ok := src.Float("video.shuffle_probability")
		return src.Killed("popular", "filter_seen") && ok && p == 0.1
	})

	hset("kill:popular/filter_seen", "0", "kill:*/score_linear", "1")
	eventually(t, "the revive and the wildcard are seen", nil, func() bool {
		return !src.Killed("popular", "filter_seen") && src.Killed("home", "score_linear")
	})
	gen := src.Status().Generation

	// A bad field keeps the last good flags and is reported.
	hset("kill:popular", "1")
	eventually(t, "the bad field is reported", nil, func() bool { return src.Status().Err != nil })
	if want := `redis hash ` + key + `: field "kill:popular": want pipeline/stage, such as popular/filter_seen, with * for any`; src.Status().Err.Error() != want {
		t.Errorf("status error = %v, want %s", src.Status().Err, want)
	}
	if !src.Killed("home", "score_linear") || src.Status().Generation != gen {
		t.Fatalf("a bad field replaced the flags: status %+v", src.Status())
	}
	if err := tg.Client.HDel(ctx, key, "kill:popular").Err(); err != nil {
		t.Fatal(err)
	}
	eventually(t, "the fixed hash loads", nil, func() bool { return src.Status().Err == nil })
	if !src.Killed("home", "score_linear") || src.Status().Generation != gen {
		t.Fatalf("the unchanged hash changed the flags: status %+v", src.Status())
	}

	// So does a Redis error: the key holds a string, so HGETALL fails.
	if err := tg.Client.Set(ctx, key, "not a hash", 0).Err(); err != nil {
		t.Fatal(err)
	}
	eventually(t, "the Redis error is reported", nil, func() bool { return src.Status().Err != nil })
	if err := src.Status().Err; !strings.Contains(err.Error(), "WRONGTYPE") {
		t.Errorf("status error = %v, want Redis's WRONGTYPE", err)
	}
	if !src.Killed("home", "score_linear") {
		t.Fatal("a Redis error replaced the flags")
	}
	if err := tg.Client.Del(ctx, key).Err(); err != nil {
		t.Fatal(err)
	}
	eventually(t, "the deleted hash clears the flags", nil, func() bool {
		return src.Status().Err == nil && !src.Killed("home", "score_linear")
	})
	if st := src.Status(); st.Generation != gen+1 {
		t.Errorf("status = %+v, want generation %d", st, gen+1)
	}
}

func TestRedisErrorKeepsFlags(t *testing.T) {
	tg := redistest.Single(t)
	key := tg.Prefix + "flags"
	ctx := context.Background()
	if err := tg.Client.HSet(ctx, key, "kill:a/b", "1").Err(); err != nil {
		t.Fatal(err)
	}
	client := tg.NewClient(t, nil)
	src := flags.Redis(client, key, quiet)
	if err := src.Reload(ctx); err != nil {
		t.Fatal(err)
	}
	_ = client.Close()
	err := src.Reload(ctx)
	if err == nil || !strings.Contains(err.Error(), "read flags from redis hash "+key) {
		t.Fatalf("reload through a closed client: err = %v", err)
	}
	if !src.Killed("a", "b") || src.Status().Err == nil {
		t.Fatalf("after a failed reload: killed = %v, status %+v", src.Killed("a", "b"), src.Status())
	}
}
