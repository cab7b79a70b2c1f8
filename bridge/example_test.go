package bridge_test

import (
	"context"
	"fmt"
	"log/slog"
	"os"

	"go.opentelemetry.io/otel/log/logtest"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/sdk/trace/tracetest"
	"go.opentelemetry.io/otel/trace"

	"github.com/observe-go/observe/bridge"
)

// NewHandler drops records below its level, sends the others to the
// LoggerProvider, and marks the span of a warning. A logtest.Recorder stands
// for the SDK's LoggerProvider here.
func ExampleNewHandler() {
	provider := logtest.NewRecorder()
	spans := tracetest.NewSpanRecorder()
	tracer := sdktrace.NewTracerProvider(sdktrace.WithSpanProcessor(spans)).Tracer("shop")

	logger := slog.New(bridge.NewHandler("shop", bridge.WithLoggerProvider(provider), bridge.WithLevel(slog.LevelInfo)))
	ctx, span := tracer.Start(context.Background(), "charge card")
	logger.DebugContext(ctx, "card number checked")
	logger.WarnContext(ctx, "payment retried", "attempt", 2)
	span.End()

	for _, r := range provider.Result()[logtest.Scope{Name: "shop"}] {
		fmt.Print(r.SeverityText, " ", r.Body.AsString())
		for _, kv := range r.Attributes {
			fmt.Printf(" %s=%s", kv.Key, kv.Value.Emit())
		}
		fmt.Println()
	}
	for _, kv := range spans.Ended()[0].Attributes() {
		fmt.Printf("span %s=%s\n", kv.Key, kv.Value.Emit())
	}
	// Output:
	// WARN payment retried attempt=2
	// span observe.level=warn
}

// WithCorrelation keeps a handler of one's own and adds the ids of the
// context to its records, at the top level even inside a group.
func ExampleWithCorrelation() {
	noTime := func(_ []string, a slog.Attr) slog.Attr {
		if a.Key == slog.TimeKey {
			return slog.Attr{}
		}
		return a
	}
	logger := slog.New(bridge.WithCorrelation(slog.NewJSONHandler(os.Stdout, &slog.HandlerOptions{ReplaceAttr: noTime})))

	ctx := trace.ContextWithSpanContext(context.Background(), trace.NewSpanContext(trace.SpanContextConfig{
		TraceID: trace.TraceID{0x4b, 0xf9, 0x2f, 0x35, 0x77, 0xb3, 0x4d, 0xa6, 0xa3, 0xce, 0x92, 0x9d, 0x0e, 0x0e, 0x47, 0x36},
		SpanID:  trace.SpanID{0x00, 0xf0, 0x67, 0xaa, 0x0b, 0xa9, 0x02, 0xb7},
	}))
	logger.WithGroup("order").InfoContext(ctx, "order created", "id", 1001)
	logger.Info("no span, no ids")
	// Output:
	// {"level":"INFO","msg":"order created","order":{"id":1001},"trace_id":"4bf92f3577b34da6a3ce929d0e0e4736","span_id":"00f067aa0ba902b7"}
	// {"level":"INFO","msg":"no span, no ids"}
}
