package scrub

import (
	"context"
	"sync/atomic"
	"testing"

	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/log"
	sdklog "go.opentelemetry.io/otel/sdk/log"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/sdk/trace/tracetest"
	"go.opentelemetry.io/otel/trace"
)

// countingLogs is the sink behind the scrubber in benchmarks: it counts
// what reached it and reads every attribute, as an exporter would.
type countingLogs struct{ n atomic.Int64 }

func (c *countingLogs) Enabled(context.Context, sdklog.EnabledParameters) bool { return true }
func (c *countingLogs) OnEmit(_ context.Context, r *sdklog.Record) error {
	r.WalkAttributes(func(attribute.KeyValue) bool { return true })
	c.n.Add(1)
	return nil
}
func (c *countingLogs) Shutdown(context.Context) error   { return nil }
func (c *countingLogs) ForceFlush(context.Context) error { return nil }

type countingSpans struct{ n atomic.Int64 }

func (c *countingSpans) OnStart(context.Context, sdktrace.ReadWriteSpan) {}
func (c *countingSpans) OnEnd(s sdktrace.ReadOnlySpan) {
	_ = s.Attributes()
	c.n.Add(1)
}
func (c *countingSpans) Shutdown(context.Context) error   { return nil }
func (c *countingSpans) ForceFlush(context.Context) error { return nil }

// appAttrs are ten attributes of an application's log record (slog
// style), none of which matches a rule.
func appAttrs() []attribute.KeyValue {
	return []attribute.KeyValue{
		attribute.Int("user_id", 48213),
		attribute.String("order_id", "ord_8f3k2"),
		attribute.Float64("amount", 129.5),
		attribute.String("currency", "EUR"),
		attribute.String("status", "paid"),
		attribute.Int("items", 3),
		attribute.String("region", "eu-west-1"),
		attribute.Int("duration_ms", 42),
		attribute.Bool("cache_hit", true),
		attribute.String("handler", "checkout"),
	}
}

func matchingAttrs() []attribute.KeyValue {
	attrs := cleanAttrs()
	attrs[7] = attribute.String("http.request.header.authorization", "Bearer abcDEF123456")
	return attrs
}

// benchRecord returns an SDK record with attrs, as a processor gets it.
func benchRecord(b *testing.B, attrs []attribute.KeyValue) sdklog.Record {
	logger, exp := logPipeline(b, New(Options{}))
	var rec log.Record
	rec.SetBody(attribute.StringValue("request handled"))
	rec.SetSeverity(log.SeverityInfo)
	rec.AddAttributes(attrs...)
	logger.Emit(context.Background(), rec)
	r := exp.all()[0]
	// Take back the attributes as given (the pipeline above scrubbed them).
	r.SetAttributes(attrs...)
	return r
}

// BenchmarkRecord is the log stage's cost per record with 10 attributes:
// OnEmit of LogProcessor, then a sink that reads the attributes.
func BenchmarkRecord(b *testing.B) {
	for _, bc := range []struct {
		name  string
		attrs []attribute.KeyValue
	}{{"clean_http", cleanAttrs()}, {"clean_app", appAttrs()}, {"one_match", matchingAttrs()}} {
		b.Run(bc.name, func(b *testing.B) {
			r := benchRecord(b, bc.attrs)
			sink := &countingLogs{}
			p := Default().LogProcessor(sink)
			ctx := context.Background()
			b.ReportAllocs()
			b.ResetTimer()
			for range b.N {
				// A matching record is scrubbed again on every round: its key
				// still matches, so the same work is done.
				_ = p.OnEmit(ctx, &r)
			}
			b.ReportMetric(float64(sink.n.Load())/float64(b.N), "records/op")
		})
	}
}

// BenchmarkSpan is the span stage's cost per ended span with 10
// attributes: OnEnd of SpanProcessor, then a sink that reads the
// attributes.
func BenchmarkSpan(b *testing.B) {
	for _, bc := range []struct {
		name  string
		attrs []attribute.KeyValue
	}{{"clean_http", cleanAttrs()}, {"clean_app", appAttrs()}, {"one_match", matchingAttrs()}} {
		b.Run(bc.name, func(b *testing.B) {
			sr := tracetest.NewSpanRecorder()
			tp := sdktrace.NewTracerProvider(sdktrace.WithSpanProcessor(sr))
			_, span := tp.Tracer("bench").Start(context.Background(), "GET /api/v1/users/{id}", trace.WithAttributes(bc.attrs...))
			span.End()
			ro := sr.Ended()[0]
			sink := &countingSpans{}
			p := Default().SpanProcessor(sink)
			b.ReportAllocs()
			b.ResetTimer()
			for range b.N {
				p.OnEnd(ro)
			}
			b.ReportMetric(float64(sink.n.Load())/float64(b.N), "spans/op")
		})
	}
}

// BenchmarkSpanStart is the cost of the scrubbing view handed to the next
// processor's OnStart, when that processor does not read the span.
func BenchmarkSpanStart(b *testing.B) {
	var live sdktrace.ReadWriteSpan
	grab := &startGrabber{got: &live}
	tp := sdktrace.NewTracerProvider(sdktrace.WithSpanProcessor(grab))
	_, span := tp.Tracer("bench").Start(context.Background(), "op", trace.WithAttributes(cleanAttrs()...))
	defer span.End()
	sink := &countingSpans{}
	p := Default().SpanProcessor(sink)
	ctx := context.Background()
	b.ReportAllocs()
	b.ResetTimer()
	for range b.N {
		p.OnStart(ctx, live)
	}
}

type startGrabber struct{ got *sdktrace.ReadWriteSpan }

func (g *startGrabber) OnStart(_ context.Context, s sdktrace.ReadWriteSpan) { *g.got = s }
func (g *startGrabber) OnEnd(sdktrace.ReadOnlySpan)                         {}
func (g *startGrabber) Shutdown(context.Context) error                      { return nil }
func (g *startGrabber) ForceFlush(context.Context) error                    { return nil }

// BenchmarkLogEmit is a whole Logger.Emit with 10 attributes through the
// log SDK, with and without the scrubber in front of the sink.
func BenchmarkLogEmit(b *testing.B) {
	for _, bc := range []struct {
		name  string
		scrub bool
		attrs []attribute.KeyValue
	}{
		{"no_scrub", false, cleanAttrs()},
		{"scrub_clean", true, cleanAttrs()},
		{"scrub_one_match", true, matchingAttrs()},
	} {
		b.Run(bc.name, func(b *testing.B) {
			sink := &countingLogs{}
			var p sdklog.Processor = sink
			if bc.scrub {
				p = Default().LogProcessor(sink)
			}
			lp := sdklog.NewLoggerProvider(sdklog.WithProcessor(p))
			defer func() { _ = lp.Shutdown(context.Background()) }()
			logger := lp.Logger("bench")
			ctx := context.Background()
			b.ReportAllocs()
			b.ResetTimer()
			for range b.N {
				var rec log.Record
				rec.SetBody(attribute.StringValue("request handled"))
				rec.SetSeverity(log.SeverityInfo)
				rec.AddAttributes(bc.attrs...)
				logger.Emit(ctx, rec)
			}
			b.ReportMetric(float64(sink.n.Load())/float64(b.N), "records/op")
		})
	}
}
