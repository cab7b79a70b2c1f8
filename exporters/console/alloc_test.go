//go:build !race

// The race detector makes sync.Pool drop items, so allocation counts are
// only checked without it.

package console

import (
	"context"
	"io"
	"testing"
	"time"

	"go.opentelemetry.io/otel/attribute"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/trace"
)

func TestLeafSpanAllocations(t *testing.T) {
	c := New(io.Discard, WithFlushInterval(time.Hour))
	tp := sdktrace.NewTracerProvider(sdktrace.WithSpanProcessor(c.SpanProcessor()))
	defer func() { _ = tp.Shutdown(context.Background()) }()
	_, s := tp.Tracer("test").Start(context.Background(), "leaf",
		trace.WithAttributes(attribute.String("k", "v"), attribute.Int("n", 1)))
	s.End()
	ro := s.(sdktrace.ReadOnlySpan)
	p := c.SpanProcessor()
	// Formatting and buffering a leaf line allocates nothing once the pools
	// are warm; the SDK's own snapshot of the span is not counted here.
	allocs := testing.AllocsPerRun(100, func() { p.OnEnd(ro) })
	if allocs != 0 {
		t.Errorf("OnEnd allocates %v times per span, want 0", allocs)
	}
}
