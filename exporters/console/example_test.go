package console_test

import (
	"context"
	"fmt"
	"os"
	"time"

	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/codes"
	"go.opentelemetry.io/otel/log"
	sdklog "go.opentelemetry.io/otel/sdk/log"
	sdkmetric "go.opentelemetry.io/otel/sdk/metric"
	"go.opentelemetry.io/otel/sdk/metric/metricdata"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/trace"

	"github.com/observe-go/observe/exporters/console"
)

// This example nests a database query and a log record under the request
// span they belong to. Explicit start and end times make the durations
// stable; WithTimestamps(false) leaves out the time column.
func Example() {
	c := console.New(os.Stdout, console.WithTimestamps(false))
	tp := sdktrace.NewTracerProvider(sdktrace.WithSpanProcessor(c.SpanProcessor()))
	lp := sdklog.NewLoggerProvider(sdklog.WithProcessor(c.LogProcessor()))
	tracer, logger := tp.Tracer("example"), lp.Logger("example")
	t0 := time.Date(2025, 1, 2, 15, 4, 5, 0, time.UTC)

	ctx, req := tracer.Start(context.Background(), "GET /users/{id}",
		trace.WithSpanKind(trace.SpanKindServer),
		trace.WithTimestamp(t0),
		trace.WithAttributes(attribute.String("http.route", "/users/{id}")))

	_, query := tracer.Start(ctx, "SELECT users",
		trace.WithSpanKind(trace.SpanKindClient),
		trace.WithTimestamp(t0.Add(time.Millisecond)),
		trace.WithAttributes(attribute.String("db.system.name", "postgresql")))
	query.End(trace.WithTimestamp(t0.Add(4200 * time.Microsecond)))

	var rec log.Record
	rec.SetSeverity(log.SeverityInfo)
	rec.SetBody(attribute.StringValue("user loaded"))
	rec.AddAttributes(attribute.Int("user.id", 42), attribute.String("user.name", "Ada Lovelace"))
	logger.Emit(ctx, rec)

	req.SetAttributes(attribute.Int("http.response.status_code", 200))
	req.End(trace.WithTimestamp(t0.Add(12340 * time.Microsecond)))

	_ = tp.Shutdown(context.Background())
	_ = lp.Shutdown(context.Background())
	// Output:
	//       GET /users/{id} [server] http.route=/users/{id}
	//         SELECT users [client] 3.20ms db.system.name=postgresql
	// INFO    user loaded user.id=42 user.name="Ada Lovelace"
	//       └ GET /users/{id} 12.3ms http.response.status_code=200
}

// This example shows two requests handled at the same time. When a line
// belongs to another trace than the line before it, the open ancestors of
// its span are written again, marked with ↳.
func Example_interleaved() {
	c := console.New(os.Stdout, console.WithTimestamps(false))
	tp := sdktrace.NewTracerProvider(sdktrace.WithSpanProcessor(c.SpanProcessor()))
	tracer := tp.Tracer("example")
	t0 := time.Date(2025, 1, 2, 15, 4, 5, 0, time.UTC)
	at := func(ms float64) trace.SpanEventOption {
		return trace.WithTimestamp(t0.Add(time.Duration(ms * float64(time.Millisecond))))
	}

	ctxA, a := tracer.Start(context.Background(), "GET /a", trace.WithSpanKind(trace.SpanKindServer), at(0))
	ctxB, b := tracer.Start(context.Background(), "GET /b", trace.WithSpanKind(trace.SpanKindServer), at(0.1))
	_, qa := tracer.Start(ctxA, "query a", at(0.2))
	qa.End(at(1.0))
	_, qb := tracer.Start(ctxB, "query b", at(0.3))
	qb.End(at(2.5))
	_, ra := tracer.Start(ctxA, "render a", at(1.1), trace.WithAttributes(attribute.String("template", "a.html")))
	ra.End(at(1.9))
	a.End(at(2.0))
	b.SetStatus(codes.Error, "upstream timeout")
	b.End(at(1520))

	_ = tp.Shutdown(context.Background())
	// Output:
	//       GET /a [server]
	//         query a 800µs
	//       GET /b [server]
	//         query b 2.20ms
	//       ↳ GET /a [server]
	//         render a 800µs template=a.html
	//       └ GET /a 2.00ms
	//       └ GET /b 1.52s error: upstream timeout
}

// This example reports the lines a Console dropped as a metric of a
// MeterProvider built after it, here read with a ManualReader.
func ExampleConsole_RegisterMetrics() {
	c := console.New(os.Stdout, console.WithTimestamps(false))
	tp := sdktrace.NewTracerProvider(sdktrace.WithSpanProcessor(c.SpanProcessor()))

	reader := sdkmetric.NewManualReader()
	mp := sdkmetric.NewMeterProvider(sdkmetric.WithReader(reader))
	if _, err := c.RegisterMetrics(mp); err != nil {
		fmt.Println(err)
		return
	}

	t0 := time.Date(2025, 1, 2, 15, 4, 5, 0, time.UTC)
	_, span := tp.Tracer("example").Start(context.Background(), "work", trace.WithTimestamp(t0))
	span.End(trace.WithTimestamp(t0.Add(time.Millisecond)))
	_ = tp.Shutdown(context.Background())

	var rm metricdata.ResourceMetrics
	if err := reader.Collect(context.Background(), &rm); err != nil {
		fmt.Println(err)
		return
	}
	for _, sm := range rm.ScopeMetrics {
		for _, m := range sm.Metrics {
			for _, dp := range m.Data.(metricdata.Sum[int64]).DataPoints {
				signal, _ := dp.Attributes.Value("signal")
				fmt.Printf("%s %s signal=%s: %d\n", m.Name, m.Unit, signal.AsString(), dp.Value)
			}
		}
	}
	_ = mp.Shutdown(context.Background())
	// Unordered output:
	// work 1.00ms
	// observe.console.dropped {line} signal=traces: 0
	// observe.console.dropped {line} signal=logs: 0
	// observe.console.dropped {line} signal=metrics: 0
}
