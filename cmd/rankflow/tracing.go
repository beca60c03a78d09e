package main

import (
	"context"
	"fmt"

	"github.com/rankflow/rankflow/middleware"
	"go.opentelemetry.io/otel"
	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/exporters/otlp/otlptrace/otlptracegrpc"
	"go.opentelemetry.io/otel/sdk/resource"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/trace"
)

// startTracing sends a span per stage to the OTLP/gRPC collector at
// endpoint (host:port, without TLS), sampling the given fraction of
// requests. It returns the tracer for the stage middlewares and a func that
// flushes and stops the exporter. An empty endpoint turns tracing off.
func startTracing(ctx context.Context, endpoint string, sample float64) (trace.Tracer, func(context.Context) error, error) {
	if endpoint == "" {
		return nil, func(context.Context) error { return nil }, nil
	}
	if sample < 0 || sample > 1 {
		return nil, nil, fmt.Errorf("--trace-sample: %v is not between 0 and 1", sample)
	}
	exp, err := otlptracegrpc.New(ctx, otlptracegrpc.WithEndpoint(endpoint), otlptracegrpc.WithInsecure())
	if err != nil {
		return nil, nil, fmt.Errorf("tracing exporter for %s: %w", endpoint, err)
	}
	tp := sdktrace.NewTracerProvider(
		sdktrace.WithBatcher(exp),
		sdktrace.WithSampler(sdktrace.ParentBased(sdktrace.TraceIDRatioBased(sample))),
		sdktrace.WithResource(resource.NewSchemaless(attribute.String("service.name", "rankflow"))),
	)
	otel.SetTracerProvider(tp)
	return middleware.Tracer(), tp.Shutdown, nil
}
