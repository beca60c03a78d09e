package effect_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/rankflow/rankflow/rank"
	"github.com/rankflow/rankflow/stages/effect"
)

func TestDelay(t *testing.T) {
	req := rank.NewRequest(nil, rank.Options{})
	start := time.Now()
	got, err := effect.Delay(20*time.Millisecond).Rank(context.Background(), req)
	if err != nil || got != req {
		t.Fatalf("Delay = %v, %v; want the request", got, err)
	}
	if time.Since(start) < 20*time.Millisecond {
		t.Error("Delay returned before its duration")
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, err := effect.Delay(time.Hour).Rank(ctx, req); !errors.Is(err, context.Canceled) {
		t.Fatalf("Delay with a done context = %v, want context.Canceled", err)
	}
}
