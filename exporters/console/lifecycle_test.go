package console_test

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"go.opentelemetry.io/otel"
	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/log"
	sdklog "go.opentelemetry.io/otel/sdk/log"
	sdkmetric "go.opentelemetry.io/otel/sdk/metric"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/trace"
	"go.uber.org/goleak"

	"github.com/observe-go/observe/exporters/console"
)

func TestShutdownIdempotent(t *testing.T) {
	ctx := context.Background()
	for _, format := range []console.Format{console.FormatPretty, console.FormatJSON} {
		t.Run(fmt.Sprint("format ", format), func(t *testing.T) {
			buf := &syncBuffer{}
			c := console.New(buf, console.WithFormat(format), console.WithFlushInterval(time.Hour))
			sp, lp, me := c.SpanProcessor(), c.LogProcessor(), c.MetricExporter()
			if c.SpanProcessor() != sp || c.LogProcessor() != lp || c.MetricExporter() != me {
				t.Fatal("parts are not returned once")
			}
			tp := sdktrace.NewTracerProvider(sdktrace.WithSpanProcessor(sp))
			_, s := tp.Tracer("test").Start(ctx, "before")
			s.End() // buffered, written by the first Shutdown

			parts := []struct {
				name     string
				shutdown func(context.Context) error
			}{
				{"span processor", sp.Shutdown},
				{"log processor", lp.Shutdown},
				{"metric exporter", me.Shutdown},
			}
			for _, p := range parts {
				for i := range 2 {
					if err := p.shutdown(ctx); err != nil {
						t.Errorf("%s: Shutdown call %d: %v", p.name, i+1, err)
					}
				}
			}
			if !strings.Contains(buf.String(), "before") {
				t.Errorf("Shutdown did not flush the span: %q", buf.String())
			}

			// Spans ending after Shutdown are ignored.
			before := buf.String()
			_, s = tp.Tracer("test").Start(ctx, "after")
			s.End()
			if err := tp.Shutdown(ctx); err != nil {
				t.Errorf("TracerProvider.Shutdown after the processor's: %v", err)
			}
			if err := c.Flush(context.Background()); err != nil {
				t.Errorf("Flush: %v", err)
			}
			if got := buf.String(); got != before {
				t.Errorf("output changed after Shutdown: %q", strings.TrimPrefix(got, before))
			}
		})
	}
}

func TestShutdownStopsTimer(t *testing.T) {
	// Only goroutines started by this test count: others may still be
	// winding down on a loaded machine.
	before := goleak.IgnoreCurrent()
	buf := &syncBuffer{}
	c := console.New(buf, console.WithFlushInterval(time.Millisecond))
	sp := c.SpanProcessor()
	lp := c.LogProcessor()
	tp := sdktrace.NewTracerProvider(sdktrace.WithSpanProcessor(sp))
	for range 100 {
		_, s := tp.Tracer("test").Start(context.Background(), "tick")
		s.End()
	}
	if err := tp.Shutdown(context.Background()); err != nil {
		t.Fatal(err)
	}
	if err := lp.Shutdown(context.Background()); err != nil {
		t.Fatal(err)
	}
	if n := strings.Count(buf.String(), "tick"); n != 100 {
		t.Errorf("got %d lines, want 100", n)
	}
	goleak.VerifyNone(t, before)
}

func TestFlushInterval(t *testing.T) {
	buf := &syncBuffer{}
	c := console.New(buf, console.WithTimestamps(false), console.WithFlushInterval(5*time.Millisecond))
	tp := sdktrace.NewTracerProvider(sdktrace.WithSpanProcessor(c.SpanProcessor()))
	defer func() { _ = tp.Shutdown(context.Background()) }()

	_, s := tp.Tracer("test").Start(context.Background(), "waits for the timer")
	s.End()
	deadline := time.Now().Add(5 * time.Second)
	for buf.String() == "" {
		if time.Now().After(deadline) {
			t.Fatal("the line was not written without Flush")
		}
		time.Sleep(time.Millisecond)
	}
	if got := buf.String(); !strings.Contains(got, "waits for the timer") {
		t.Errorf("got %q", got)
	}
}

func TestBufferThreshold(t *testing.T) {
	buf := &syncBuffer{}
	c := console.New(buf, console.WithTimestamps(false), console.WithFlushInterval(time.Hour))
	tp := sdktrace.NewTracerProvider(sdktrace.WithSpanProcessor(c.SpanProcessor()))
	defer func() { _ = tp.Shutdown(context.Background()) }()

	name := strings.Repeat("x", 100)
	written := 0
	for written < 40<<10 {
		_, s := tp.Tracer("test").Start(context.Background(), name)
		s.End()
		written += len(name)
	}
	// The flush interval is an hour: only the threshold makes the
	// console's goroutine write.
	got := buf.String()
	for deadline := time.Now().Add(30 * time.Second); len(got) < 32<<10; got = buf.String() {
		if time.Now().After(deadline) {
			t.Fatalf("only %d bytes written after %d buffered; want the buffer written at 32 KiB", len(got), written)
		}
		time.Sleep(time.Millisecond)
	}
	if !strings.HasSuffix(got, "\n") {
		t.Error("the buffer was written in the middle of a line")
	}
}

// failWriter fails every write.
type failWriter struct{ calls atomic.Int64 }

var errWrite = errors.New("disk on fire")

func (w *failWriter) Write([]byte) (int, error) {
	w.calls.Add(1)
	return 0, errWrite
}

// captureErrors routes otel.Handle to a channel for the test's duration.
func captureErrors(t *testing.T) <-chan error {
	t.Helper()
	ch := make(chan error, 100)
	prev := otel.GetErrorHandler()
	otel.SetErrorHandler(otel.ErrorHandlerFunc(func(err error) {
		select {
		case ch <- err:
		default:
		}
	}))
	t.Cleanup(func() { otel.SetErrorHandler(prev) })
	return ch
}

func TestWriteError(t *testing.T) {
	tests := []struct {
		name     string
		interval time.Duration
		spans    int // each about 110 bytes
		flush    bool
		// wantHandled is the number of errors otel.Handle must receive.
		wantHandled int
	}{
		{name: "timer write", interval: time.Millisecond, spans: 1, wantHandled: 1},
		{name: "buffer-full writes report once", interval: time.Hour, spans: 1000, wantHandled: 1},
		{name: "Flush returns the error", interval: time.Hour, spans: 1, flush: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			handled := captureErrors(t)
			w := &failWriter{}
			c := console.New(w, console.WithFlushInterval(tt.interval))
			tp := sdktrace.NewTracerProvider(sdktrace.WithSpanProcessor(c.SpanProcessor()))
			name := strings.Repeat("y", 100)
			for range tt.spans {
				_, s := tp.Tracer("test").Start(context.Background(), name)
				s.End()
			}
			if tt.flush {
				if err := c.Flush(context.Background()); !errors.Is(err, errWrite) {
					t.Errorf("Flush = %v, want %v", err, errWrite)
				}
			}
			for range tt.wantHandled {
				select {
				case err := <-handled:
					if !errors.Is(err, errWrite) {
						t.Errorf("otel.Handle got %v, want %v", err, errWrite)
					}
				case <-time.After(5 * time.Second):
					t.Fatal("no error reached otel.Handle")
				}
			}
			if err := tp.Shutdown(context.Background()); err != nil && !errors.Is(err, errWrite) {
				t.Errorf("Shutdown: %v", err)
			}
			select {
			case err := <-handled:
				t.Errorf("unexpected extra error from otel.Handle: %v", err)
			default:
			}
			if w.calls.Load() == 0 {
				t.Error("the writer was never called")
			}
		})
	}
}

func TestConsoleConcurrentSafe(t *testing.T) {
	const workers, rounds = 16, 50
	buf := &syncBuffer{}
	c := console.New(buf, console.WithTimestamps(false), console.WithFlushInterval(time.Millisecond))
	tp := sdktrace.NewTracerProvider(sdktrace.WithSpanProcessor(c.SpanProcessor()))
	lp := sdklog.NewLoggerProvider(sdklog.WithProcessor(c.LogProcessor()))
	mp := sdkmetric.NewMeterProvider(sdkmetric.WithReader(
		sdkmetric.NewPeriodicReader(c.MetricExporter(), sdkmetric.WithInterval(time.Hour))))
	tracer, logger := tp.Tracer("test"), lp.Logger("test")
	counter, err := mp.Meter("test").Int64Counter("ops")
	if err != nil {
		t.Fatal(err)
	}

	var wg sync.WaitGroup
	for w := range workers {
		wg.Go(func() {
			for r := range rounds {
				ctx, root := tracer.Start(context.Background(), fmt.Sprintf("root %d/%d", w, r))
				var children sync.WaitGroup
				for i := range 2 {
					children.Go(func() {
						_, s := tracer.Start(ctx, "child", trace.WithAttributes(attribute.Int("i", i)))
						s.End()
					})
				}
				emit(ctx, logger, log.SeverityInfo, "", "working")
				children.Wait()
				counter.Add(ctx, 1)
				root.End()
			}
		})
	}
	wg.Go(func() {
		for range 20 {
			_ = mp.ForceFlush(context.Background())
			_ = c.Flush(context.Background())
		}
	})
	wg.Wait()

	for _, shutdown := range []func(context.Context) error{tp.Shutdown, lp.Shutdown, mp.Shutdown} {
		if err := shutdown(context.Background()); err != nil {
			t.Fatal(err)
		}
	}
	out := buf.String()
	var opening, closing, leaves, logs int
	for _, l := range strings.Split(strings.TrimSuffix(out, "\n"), "\n") {
		switch {
		case strings.HasPrefix(l, "      root "):
			opening++
		case strings.HasPrefix(l, "      └ root "):
			closing++
		case strings.HasPrefix(l, "        child "):
			leaves++
		case strings.HasPrefix(l, "INFO    working"):
			logs++
		case strings.HasPrefix(l, "      ↳ root "), strings.HasPrefix(l, "      metric ops "):
		default:
			t.Errorf("unexpected line %q", l)
		}
	}
	const n = workers * rounds
	if opening != n || closing != n || leaves != 2*n || logs != n {
		t.Errorf("opening=%d closing=%d leaves=%d logs=%d, want %d %d %d %d",
			opening, closing, leaves, logs, n, n, 2*n, n)
	}
}

// recordOnly records spans without sampling them.
type recordOnly struct{}

func (recordOnly) ShouldSample(p sdktrace.SamplingParameters) sdktrace.SamplingResult {
	return sdktrace.SamplingResult{
		Decision:   sdktrace.RecordOnly,
		Tracestate: trace.SpanContextFromContext(p.ParentContext).TraceState(),
	}
}

func (recordOnly) Description() string { return "RecordOnly" }

func TestUnsampledSpansOmitted(t *testing.T) {
	for _, format := range []console.Format{console.FormatPretty, console.FormatJSON} {
		t.Run(fmt.Sprint("format ", format), func(t *testing.T) {
			buf := &syncBuffer{}
			c := console.New(buf, console.WithFormat(format), console.WithFlushInterval(time.Hour))
			tp := sdktrace.NewTracerProvider(
				sdktrace.WithSampler(recordOnly{}),
				sdktrace.WithSpanProcessor(c.SpanProcessor()))
			ctx, parent := tp.Tracer("test").Start(context.Background(), "parent")
			_, child := tp.Tracer("test").Start(ctx, "child")
			child.End()
			parent.End()
			if err := tp.Shutdown(context.Background()); err != nil {
				t.Fatal(err)
			}
			if got := buf.String(); got != "" {
				t.Errorf("unsampled spans were written: %q", got)
			}
		})
	}
}
