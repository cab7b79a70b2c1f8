package console_test

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"
	"sync"
	"testing"
	"time"

	"go.opentelemetry.io/otel"
	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/log"
	sdklog "go.opentelemetry.io/otel/sdk/log"
	sdkmetric "go.opentelemetry.io/otel/sdk/metric"
	"go.opentelemetry.io/otel/sdk/metric/metricdata"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"

	"github.com/observe-go/observe/exporters/console"
)

// stuckWriter blocks every Write until released; the first Write closes
// entered.
type stuckWriter struct {
	entered, release chan struct{}
	once             sync.Once
	mu               sync.Mutex
	buf              strings.Builder
}

func newStuckWriter() *stuckWriter {
	return &stuckWriter{entered: make(chan struct{}), release: make(chan struct{})}
}

func (w *stuckWriter) Write(p []byte) (int, error) {
	w.once.Do(func() { close(w.entered) })
	<-w.release
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.buf.Write(p)
}

func (w *stuckWriter) String() string {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.buf.String()
}

// handledErrors routes otel.Handle to a list for the test's duration and
// returns a function that reads the list.
func handledErrors(t *testing.T) func() []error {
	t.Helper()
	var (
		mu   sync.Mutex
		errs []error
	)
	prev := otel.GetErrorHandler()
	otel.SetErrorHandler(otel.ErrorHandlerFunc(func(err error) {
		mu.Lock()
		defer mu.Unlock()
		errs = append(errs, err)
	}))
	t.Cleanup(func() { otel.SetErrorHandler(prev) })
	return func() []error {
		mu.Lock()
		defer mu.Unlock()
		return append([]error(nil), errs...)
	}
}

// droppedLines reads observe.console.dropped by signal from reader.
func droppedLines(t *testing.T, reader *sdkmetric.ManualReader) map[string]int64 {
	t.Helper()
	var rm metricdata.ResourceMetrics
	if err := reader.Collect(context.Background(), &rm); err != nil {
		t.Fatal(err)
	}
	got := map[string]int64{}
	for _, sm := range rm.ScopeMetrics {
		for _, m := range sm.Metrics {
			if m.Name != "observe.console.dropped" {
				continue
			}
			if m.Unit != "{line}" {
				t.Errorf("unit %q, want {line}", m.Unit)
			}
			sum, ok := m.Data.(metricdata.Sum[int64])
			if !ok || !sum.IsMonotonic {
				t.Fatalf("observe.console.dropped is a %T, want a monotonic Sum[int64]", m.Data)
			}
			for _, dp := range sum.DataPoints {
				sig, _ := dp.Attributes.Value("signal")
				got[sig.AsString()] = dp.Value
			}
		}
	}
	return got
}

// eventually runs f on its own goroutine and fails the test if it has not
// returned after a generous deadline.
func eventually(t *testing.T, what string, f func()) {
	t.Helper()
	done := make(chan struct{})
	go func() {
		defer close(done)
		f()
	}()
	select {
	case <-done:
	case <-time.After(60 * time.Second):
		t.Fatalf("%s: still blocked after 60s", what)
	}
}

func TestUnreadOutputNeverBlocks(t *testing.T) {
	sinks := []struct {
		name string
		// open returns the sink and a function that unblocks it.
		open func(t *testing.T) (io.Writer, func())
	}{
		{"pipe nobody reads", func(t *testing.T) (io.Writer, func()) {
			r, w, err := os.Pipe()
			if err != nil {
				t.Fatal(err)
			}
			t.Cleanup(func() { _ = w.Close() })
			// Closing the read end makes writes fail at once.
			return w, func() { _ = r.Close() }
		}},
		{"writer that never returns", func(*testing.T) (io.Writer, func()) {
			w := newStuckWriter()
			return w, func() { close(w.release) }
		}},
	}
	formats := []struct {
		format console.Format
		rounds int // enough to fill the pipe and the buffer several times
	}{
		{console.FormatPretty, 10000},
		{console.FormatJSON, 2500},
	}
	metrics := &metricdata.ResourceMetrics{ScopeMetrics: []metricdata.ScopeMetrics{{
		Metrics: []metricdata.Metrics{{
			Name: "requests",
			Data: metricdata.Sum[int64]{
				Temporality: metricdata.CumulativeTemporality,
				IsMonotonic: true,
				DataPoints:  []metricdata.DataPoint[int64]{{Value: 1}},
			},
		}},
	}}}

	for _, sink := range sinks {
		for _, f := range formats {
			t.Run(fmt.Sprintf("%s/format %d", sink.name, f.format), func(t *testing.T) {
				handled := handledErrors(t)
				out, unblock := sink.open(t)
				c := console.New(out, console.WithFormat(f.format))
				reader := sdkmetric.NewManualReader()
				self := sdkmetric.NewMeterProvider(sdkmetric.WithReader(reader))
				t.Cleanup(func() { _ = self.Shutdown(context.Background()) })
				if _, err := c.RegisterMetrics(self); err != nil {
					t.Fatal(err)
				}
				tp := sdktrace.NewTracerProvider(sdktrace.WithSpanProcessor(c.SpanProcessor()))
				lp := sdklog.NewLoggerProvider(sdklog.WithProcessor(c.LogProcessor()))
				me := c.MetricExporter()
				tracer, logger := tp.Tracer("test"), lp.Logger("test")

				eventually(t, "recording spans, logs and metrics", func() {
					ctx := context.Background()
					for i := range f.rounds {
						sctx, parent := tracer.Start(ctx, "GET /users/{id}")
						_, child := tracer.Start(sctx, "SELECT users")
						child.End()
						emit(sctx, logger, log.SeverityInfo, "", "loaded user", attribute.Int("i", i))
						parent.End()
						if i%1000 == 0 {
							if err := me.Export(ctx, metrics); err != nil {
								t.Errorf("metric export: %v", err)
							}
						}
					}
				})

				got := droppedLines(t, reader)
				if got["traces"] == 0 || got["logs"] == 0 {
					t.Errorf("observe.console.dropped = %v, want lines of traces and logs dropped", got)
				}

				// Each signal's drops reach otel.Handle within a few seconds.
				reported := func() map[string]bool {
					seen := map[string]bool{}
					for _, err := range handled() {
						var de *console.DropError
						if errors.As(err, &de) && de.Lines > 0 &&
							strings.Contains(err.Error(), "not being read fast enough") {
							seen[de.Signal] = true
						}
					}
					return seen
				}
				deadline := time.Now().Add(30 * time.Second)
				for r := reported(); !r["traces"] || !r["logs"]; r = reported() {
					if time.Now().After(deadline) {
						t.Fatalf("drops reported for %v, want traces and logs; otel.Handle got %v", r, handled())
					}
					time.Sleep(10 * time.Millisecond)
				}

				// Every Shutdown returns by its deadline, with an error.
				shutdowns := []struct {
					name string
					f    func(context.Context) error
				}{
					{"TracerProvider", tp.Shutdown},
					{"LoggerProvider", lp.Shutdown},
					{"metric exporter", me.Shutdown},
				}
				for _, s := range shutdowns {
					eventually(t, s.name+".Shutdown", func() {
						ctx, cancel := context.WithTimeout(context.Background(), 100*time.Millisecond)
						defer cancel()
						if err := s.f(ctx); !errors.Is(err, context.DeadlineExceeded) {
							t.Errorf("%s.Shutdown = %v, want context.DeadlineExceeded", s.name, err)
						}
					})
				}

				// Once the sink moves again, the write goroutine drains and
				// ends (goleak checks it in TestMain).
				unblock()
				eventually(t, "Flush after the sink is unblocked", func() { _ = c.Flush(context.Background()) })
			})
		}
	}
}

func TestSlowOutputRecovers(t *testing.T) {
	const spans, records = 1500, 1500 // well under the 1 MiB buffer
	handled := handledErrors(t)
	out := newStuckWriter()
	c := console.New(out, console.WithTimestamps(false))
	reader := sdkmetric.NewManualReader()
	self := sdkmetric.NewMeterProvider(sdkmetric.WithReader(reader))
	t.Cleanup(func() { _ = self.Shutdown(context.Background()) })
	if _, err := c.RegisterMetrics(self); err != nil {
		t.Fatal(err)
	}
	tp := sdktrace.NewTracerProvider(sdktrace.WithSpanProcessor(c.SpanProcessor()))
	lp := sdklog.NewLoggerProvider(sdklog.WithProcessor(c.LogProcessor()))
	tracer, logger := tp.Tracer("test"), lp.Logger("test")

	ctx := context.Background()
	_, s := tracer.Start(ctx, "first")
	s.End()
	<-out.entered // the console's goroutine is now stuck in Write
	for i := range spans {
		_, s := tracer.Start(ctx, fmt.Sprintf("span %d", i))
		s.End()
	}
	for i := range records {
		emit(ctx, logger, log.SeverityWarn, "", fmt.Sprintf("record %d", i))
	}

	close(out.release)
	for _, shutdown := range []func(context.Context) error{tp.Shutdown, lp.Shutdown} {
		if err := shutdown(ctx); err != nil {
			t.Fatal(err)
		}
	}
	text := out.String()
	if n := strings.Count(text, " span "); n != spans {
		t.Errorf("%d span lines written, want %d", n, spans)
	}
	if n := strings.Count(text, "record "); n != records {
		t.Errorf("%d log lines written, want %d", n, records)
	}
	for sig, n := range droppedLines(t, reader) {
		if n != 0 {
			t.Errorf("%d lines of %s dropped, want none", n, sig)
		}
	}
	if errs := handled(); len(errs) > 0 {
		t.Errorf("otel.Handle got %v", errs)
	}
}
