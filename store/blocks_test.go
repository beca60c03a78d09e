package store_test

import (
	"testing"

	goredis "github.com/redis/go-redis/v9"

	"github.com/rankflow/rankflow/store"
	"github.com/rankflow/rankflow/store/cache"
	"github.com/rankflow/rankflow/store/memory"
	"github.com/rankflow/rankflow/store/redis"
)

func TestBlocks(t *testing.T) {
	client := goredis.NewClient(&goredis.Options{Addr: "127.0.0.1:1"}) // never dialled
	defer client.Close()
	red := redis.New(client, redis.Options{})
	tests := []struct {
		name string
		s    any
		want bool
	}{
		{"memory", memory.New(), false},
		{"cache over memory", cache.New(memory.New(), cache.Options{}), false},
		{"redis", red, true},
		{"cache over redis", cache.New(red, cache.Options{}), true},
		{"anything else", struct{}{}, true},
	}
	for _, tt := range tests {
		if got := store.Blocks(tt.s); got != tt.want {
			t.Errorf("%s: Blocks = %v, want %v", tt.name, got, tt.want)
		}
	}
}
