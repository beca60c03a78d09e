package main

import (
	"context"
	"testing"
)

func TestStartTracing(t *testing.T) {
	ctx := context.Background()
	tracer, stop, err := startTracing(ctx, "", 1)
	if err != nil || tracer != nil {
		t.Fatalf("no endpoint: tracer %v, err %v; want tracing off", tracer, err)
	}
	if err := stop(ctx); err != nil {
		t.Fatal(err)
	}
	if _, _, err := startTracing(ctx, "127.0.0.1:4317", 1.5); err == nil {
		t.Fatal("a sample fraction of 1.5 was accepted")
	}
	tracer, stop, err = startTracing(ctx, "127.0.0.1:1", 1) // nothing listens: spans are dropped, not errors
	if err != nil || tracer == nil {
		t.Fatalf("with an endpoint: tracer %v, err %v", tracer, err)
	}
	_, span := tracer.Start(ctx, "stage")
	if !span.IsRecording() {
		t.Error("a sampled span is not recording")
	}
	span.End()
	sctx, cancel := context.WithTimeout(ctx, 100*1e6)
	defer cancel()
	_ = stop(sctx) // the collector is down; stopping must still return
}
