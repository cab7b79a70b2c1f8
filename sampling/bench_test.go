package sampling

import (
	"context"
	"runtime"
	"sync/atomic"
	"testing"

	"go.opentelemetry.io/otel/codes"
	metricnoop "go.opentelemetry.io/otel/metric/noop"
	sdkmetric "go.opentelemetry.io/otel/sdk/metric"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/trace"
)

// countingExporter counts the spans exported, and keeps none.
type countingExporter struct{ n atomic.Int64 }

func (e *countingExporter) ExportSpans(_ context.Context, s []sdktrace.ReadOnlySpan) error {
	e.n.Add(int64(len(s)))
	return nil
}
func (*countingExporter) Shutdown(context.Context) error { return nil }

// fiveSpanTrace makes a root with four children; with fail set, the last
// child fails.
func fiveSpanTrace(tr trace.Tracer, fail bool) {
	ctx, root := tr.Start(context.Background(), "GET /orders")
	for i := range 4 {
		_, c := tr.Start(ctx, "child")
		if fail && i == 3 {
			c.SetStatus(codes.Error, "boom")
		}
		c.End()
	}
	root.End()
}

// BenchmarkSpanPath measures a 5-span trace through a batch processor
// alone, and through a TailProcessor in front of it: dropped (the default
// rules, an ordinary trace), kept by the rate (never held), and kept for an
// error (held, then passed on).
func BenchmarkSpanPath(b *testing.B) {
	for _, tc := range []struct {
		name string
		tail *Tail
		fail bool
	}{
		{"batch", nil, false},
		{"tail+batch/dropped", &Tail{}, false},
		{"tail+batch/kept-rate", &Tail{Rate: 1}, false},
		{"tail+batch/kept-error", &Tail{}, true},
	} {
		for _, parallel := range []bool{false, true} {
			name := tc.name
			if parallel {
				name += "/parallel"
			}
			b.Run(name, func(b *testing.B) {
				exp := &countingExporter{}
				// A queue large enough that the batch processor drops
				// nothing: the figure is the cost of the path, not of
				// the drops.
				var sp sdktrace.SpanProcessor = sdktrace.NewBatchSpanProcessor(exp, sdktrace.WithMaxQueueSize(1<<20), sdktrace.WithBlocking())
				if tc.tail != nil {
					tail, err := NewTailProcessor(*tc.tail, sp, WithMeterProvider(metricnoop.NewMeterProvider()))
					if err != nil {
						b.Fatal(err)
					}
					sp = tail
				}
				tp := sdktrace.NewTracerProvider(sdktrace.WithSpanProcessor(sp))
				tr := tp.Tracer("bench")
				b.ReportAllocs()
				b.ResetTimer()
				if parallel {
					b.RunParallel(func(pb *testing.PB) {
						for pb.Next() {
							fiveSpanTrace(tr, tc.fail)
						}
					})
				} else {
					for range b.N {
						fiveSpanTrace(tr, tc.fail)
					}
				}
				b.StopTimer()
				if err := tp.Shutdown(context.Background()); err != nil {
					b.Fatal(err)
				}
				b.ReportMetric(float64(exp.n.Load())/float64(b.N), "spans/op")
			})
		}
	}
}

// BenchmarkOpenTraces holds 100 000 traces open at once, each a root still
// running and four ended children, and reports the heap they cost beyond
// the same traces without a TailProcessor, the traces that overflowed, and
// what the processor counted as held. "defaults" uses the default bounds
// (MaxTraces binds); "max_bytes" lifts MaxTraces so that MaxBytes (at
// 16 MiB) binds.
//
// It fails when the heap beyond "none" passes the documented bound: MaxBytes
// plus the remembered decisions at memoBytes each.
func BenchmarkOpenTraces(b *testing.B) {
	const traces = 100_000
	baseline := -1.0
	for _, tc := range []struct {
		name string
		tail *Tail
	}{
		{"none", nil},
		{"defaults", &Tail{}},
		{"max_bytes", &Tail{MaxTraces: 1 << 20, MaxBytes: 16 << 20}},
	} {
		b.Run(tc.name, func(b *testing.B) {
			b.ReportAllocs()
			var heap, overflow, held, exported float64
			for range b.N {
				exp := &countingExporter{}
				reader := sdkmetric.NewManualReader()
				mp := sdkmetric.NewMeterProvider(sdkmetric.WithReader(reader))
				var sp sdktrace.SpanProcessor = sdktrace.NewSimpleSpanProcessor(exp)
				var tail *TailProcessor
				if tc.tail != nil {
					var err error
					tail, err = NewTailProcessor(*tc.tail, sp, WithMeterProvider(mp))
					if err != nil {
						b.Fatal(err)
					}
					sp = tail
				}
				tp := sdktrace.NewTracerProvider(sdktrace.WithSpanProcessor(sp))
				tr := tp.Tracer("bench")
				roots := make([]trace.Span, traces)
				before := heapInUse()
				for i := range roots {
					ctx, root := tr.Start(context.Background(), "GET /orders")
					for range 4 {
						_, c := tr.Start(ctx, "SELECT orders")
						c.End()
					}
					roots[i] = root
				}
				heap += float64(heapInUse() - before)
				exported += float64(exp.n.Load())
				if tail != nil {
					held += float64(tail.bytes.Load())
					p := &pipeline{reader: reader}
					for k, v := range p.counts(b, MetricTraces) {
						if k != "dropped/rate" {
							overflow += float64(v)
						}
					}
				}
				for _, r := range roots {
					r.End()
				}
				if err := tp.Shutdown(context.Background()); err != nil {
					b.Fatal(err)
				}
				_ = mp.Shutdown(context.Background())
			}
			n := float64(b.N)
			if tc.tail == nil {
				baseline = heap / n
			} else if baseline >= 0 {
				cfg := tc.tail.withDefaults()
				remembered := min(maxRemembered, max(minRemembered, 4*cfg.MaxTraces))
				limit := float64(cfg.MaxBytes + int64(remembered)*memoBytes)
				if extra := heap/n - baseline; extra > limit {
					b.Errorf("the processor cost %.1f MiB of heap; want at most MaxBytes plus the remembered decisions, %.1f MiB", extra/(1<<20), limit/(1<<20))
				}
			}
			b.ReportMetric(heap/n/(1<<20), "heap-MiB")
			b.ReportMetric(held/n/(1<<20), "held-MiB")
			b.ReportMetric(overflow/n, "overflow-traces")
			b.ReportMetric(exported/n, "spans/op")
		})
	}
}

func heapInUse() int64 {
	runtime.GC()
	var m runtime.MemStats
	runtime.ReadMemStats(&m)
	return int64(m.HeapAlloc)
}
