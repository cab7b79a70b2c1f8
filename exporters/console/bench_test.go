package console_test

import (
	"bytes"
	"context"
	"io"
	"sync/atomic"
	"testing"

	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/exporters/stdout/stdouttrace"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/trace"

	"github.com/observe-go/observe/exporters/console"
)

// lineCounter is an io.Writer that counts the lines written to it.
type lineCounter struct{ n atomic.Int64 }

func (w *lineCounter) Write(p []byte) (int, error) {
	w.n.Add(int64(bytes.Count(p, []byte{'\n'})))
	return len(p), nil
}

// BenchmarkConsoleVsStdout records the same trace, a parent with two
// children, five attributes each, through the console's span processor and
// through a simple processor over the stdouttrace exporter, all writing to
// a writer that only counts lines. It reports the lines that reached the
// writer per op: 4 in the pretty format (the parent's opening and closing
// lines and one per child), 3 in JSON, fewer if lines were dropped.
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
		new  func(b *testing.B, w io.Writer) sdktrace.SpanProcessor
	}{
		// The SDK's own cost of the same spans, with no processor.
		{"sdk-only", func(*testing.B, io.Writer) sdktrace.SpanProcessor { return nil }},
		{"console", func(_ *testing.B, w io.Writer) sdktrace.SpanProcessor {
			return console.New(w).SpanProcessor()
		}},
		{"console-json", func(_ *testing.B, w io.Writer) sdktrace.SpanProcessor {
			return console.New(w, console.WithFormat(console.FormatJSON)).SpanProcessor()
		}},
		{"stdouttrace", func(b *testing.B, w io.Writer) sdktrace.SpanProcessor {
			exp, err := stdouttrace.New(stdouttrace.WithWriter(w))
			if err != nil {
				b.Fatal(err)
			}
			return sdktrace.NewSimpleSpanProcessor(exp)
		}},
	}
	for _, p := range processors {
		b.Run(p.name, func(b *testing.B) {
			var opts []sdktrace.TracerProviderOption
			out := &lineCounter{}
			if sp := p.new(b, out); sp != nil {
				opts = append(opts, sdktrace.WithSpanProcessor(sp))
			}
			tp := sdktrace.NewTracerProvider(opts...)
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
			b.StopTimer()
			if err := tp.Shutdown(context.Background()); err != nil {
				b.Fatal(err)
			}
			b.ReportMetric(float64(out.n.Load())/float64(b.N), "lines/op")
		})
	}
}
