package console_test

import (
	"context"
	"io"
	"testing"

	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/exporters/stdout/stdouttrace"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/trace"

	"github.com/observe-go/observe/exporters/console"
)

// BenchmarkConsoleVsStdout records the same trace, a parent with two
// children, five attributes each, through the console's span processor and
// through a simple processor over the stdouttrace exporter, all writing to
// io.Discard.
func BenchmarkConsoleVsStdout(b *testing.B) {
	attrs := trace.WithAttributes(
		attribute.String("http.request.method", "GET"),
		attribute.String("http.route", "/users/{id}"),
		attribute.Int("http.response.status_code", 200),
		attribute.String("user_agent.original", "Mozilla/5.0 (X11; Linux x86_64)"),
		attribute.Bool("cache.hit", false),
	)
	processors := []struct {
		name string
		new  func(b *testing.B) sdktrace.SpanProcessor
	}{
		// The SDK's own cost of the same spans, with no processor.
		{"sdk-only", func(*testing.B) sdktrace.SpanProcessor { return nil }},
		{"console", func(*testing.B) sdktrace.SpanProcessor {
			return console.New(io.Discard).SpanProcessor()
		}},
		{"console-json", func(*testing.B) sdktrace.SpanProcessor {
			return console.New(io.Discard, console.WithFormat(console.FormatJSON)).SpanProcessor()
		}},
		{"stdouttrace", func(b *testing.B) sdktrace.SpanProcessor {
			exp, err := stdouttrace.New(stdouttrace.WithWriter(io.Discard))
			if err != nil {
				b.Fatal(err)
			}
			return sdktrace.NewSimpleSpanProcessor(exp)
		}},
	}
	for _, p := range processors {
		b.Run(p.name, func(b *testing.B) {
			var opts []sdktrace.TracerProviderOption
			if sp := p.new(b); sp != nil {
				opts = append(opts, sdktrace.WithSpanProcessor(sp))
			}
			tp := sdktrace.NewTracerProvider(opts...)
			defer func() { _ = tp.Shutdown(context.Background()) }()
			tracer := tp.Tracer("bench")
			ctx := context.Background()
			b.ReportAllocs()
			for b.Loop() {
				pctx, parent := tracer.Start(ctx, "GET /users/{id}", attrs)
				_, c1 := tracer.Start(pctx, "SELECT users", attrs)
				c1.End()
				_, c2 := tracer.Start(pctx, "SELECT orders", attrs)
				c2.End()
				parent.End()
			}
		})
	}
}
