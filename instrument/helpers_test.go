package instrument_test

import (
	"context"
	"io"
	"log"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"go.opentelemetry.io/otel/attribute"
	sdkmetric "go.opentelemetry.io/otel/sdk/metric"
	"go.opentelemetry.io/otel/sdk/metric/metricdata"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/sdk/trace/tracetest"

	"github.com/observe-go/observe/instrument"
)

// telemetry holds the SDK's in-memory tools a test reads back.
type telemetry struct {
	spans  *tracetest.SpanRecorder
	tp     *sdktrace.TracerProvider
	reader *sdkmetric.ManualReader
	mp     *sdkmetric.MeterProvider
	logs   *captureHandler
}

func newTelemetry(t *testing.T) *telemetry {
	t.Helper()
	sr := tracetest.NewSpanRecorder()
	tp := sdktrace.NewTracerProvider(sdktrace.WithSpanProcessor(sr))
	reader := sdkmetric.NewManualReader()
	mp := sdkmetric.NewMeterProvider(sdkmetric.WithReader(reader))
	t.Cleanup(func() {
		ctx := context.Background()
		if err := tp.Shutdown(ctx); err != nil {
			t.Errorf("TracerProvider.Shutdown: %v", err)
		}
		if err := mp.Shutdown(ctx); err != nil {
			t.Errorf("MeterProvider.Shutdown: %v", err)
		}
	})
	return &telemetry{spans: sr, tp: tp, reader: reader, mp: mp, logs: newCaptureHandler(slog.LevelDebug)}
}

// options returns the options that route everything to tel, plus extra.
func (tel *telemetry) options(extra ...instrument.ServerOption) []instrument.ServerOption {
	return append([]instrument.ServerOption{
		instrument.WithTracerProvider(tel.tp),
		instrument.WithMeterProvider(tel.mp),
		instrument.WithLogger(slog.New(tel.logs)),
	}, extra...)
}

func (tel *telemetry) handler(h http.Handler, extra ...instrument.ServerOption) http.Handler {
	return instrument.HTTPHandler(h, tel.options(extra...)...)
}

// ended waits until n spans have ended (servers end theirs after the
// response may have reached the client) and returns them.
func (tel *telemetry) ended(t *testing.T, n int) []sdktrace.ReadOnlySpan {
	t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for {
		spans := tel.spans.Ended()
		if len(spans) >= n {
			if len(spans) > n {
				t.Fatalf("got %d ended spans, want %d: %v", len(spans), n, spanNames(spans))
			}
			return spans
		}
		if time.Now().After(deadline) {
			t.Fatalf("got %d ended spans, want %d: %v", len(spans), n, spanNames(spans))
		}
		time.Sleep(5 * time.Millisecond)
	}
}

func (tel *telemetry) collect(t *testing.T) metricdata.ResourceMetrics {
	t.Helper()
	var rm metricdata.ResourceMetrics
	if err := tel.reader.Collect(context.Background(), &rm); err != nil {
		t.Fatalf("Collect: %v", err)
	}
	return rm
}

// metric returns the metric called name, or fails the test.
func (tel *telemetry) metric(t *testing.T, name string) metricdata.Metrics {
	t.Helper()
	m, ok := findMetric(tel.collect(t), name)
	if !ok {
		t.Fatalf("metric %s not recorded", name)
	}
	return m
}

func findMetric(rm metricdata.ResourceMetrics, name string) (metricdata.Metrics, bool) {
	for _, sm := range rm.ScopeMetrics {
		for _, m := range sm.Metrics {
			if m.Name == name {
				return m, true
			}
		}
	}
	return metricdata.Metrics{}, false
}

// histogramCount sums the counts of all data points of a histogram
// metric, or returns 0 when it was not recorded.
func histogramCount(t *testing.T, rm metricdata.ResourceMetrics, name string) uint64 {
	t.Helper()
	m, ok := findMetric(rm, name)
	if !ok {
		return 0
	}
	var n uint64
	switch d := m.Data.(type) {
	case metricdata.Histogram[float64]:
		for _, dp := range d.DataPoints {
			n += dp.Count
		}
	case metricdata.Histogram[int64]:
		for _, dp := range d.DataPoints {
			n += dp.Count
		}
	default:
		t.Fatalf("%s is a %T, not a histogram", name, m.Data)
	}
	return n
}

func spanNames(spans []sdktrace.ReadOnlySpan) []string {
	names := make([]string, len(spans))
	for i, s := range spans {
		names[i] = s.Name()
	}
	return names
}

func attrMap(kvs []attribute.KeyValue) map[attribute.Key]attribute.Value {
	m := make(map[attribute.Key]attribute.Value, len(kvs))
	for _, kv := range kvs {
		m[kv.Key] = kv.Value
	}
	return m
}

// serve runs one request through h directly.
func serveOne(h http.Handler, r *http.Request) *httptest.ResponseRecorder {
	w := httptest.NewRecorder()
	h.ServeHTTP(w, r)
	return w
}

// logEntry is one slog record with the context it was logged with.
type logEntry struct {
	ctx    context.Context
	record slog.Record
}

func (e logEntry) attrs() map[string]slog.Value {
	m := make(map[string]slog.Value)
	e.record.Attrs(func(a slog.Attr) bool {
		m[a.Key] = a.Value
		return true
	})
	return m
}

// captureHandler is a slog.Handler that keeps every record and the context
// it came with; slog has no recorder of its own that keeps the context.
type captureHandler struct {
	level slog.Level

	mu      sync.Mutex
	entries []logEntry
	enabled int // calls to Enabled
}

func newCaptureHandler(level slog.Level) *captureHandler {
	return &captureHandler{level: level}
}

func (h *captureHandler) Enabled(_ context.Context, l slog.Level) bool {
	h.mu.Lock()
	defer h.mu.Unlock()
	h.enabled++
	return l >= h.level
}

func (h *captureHandler) Handle(ctx context.Context, r slog.Record) error {
	h.mu.Lock()
	defer h.mu.Unlock()
	h.entries = append(h.entries, logEntry{ctx: ctx, record: r.Clone()})
	return nil
}

func (h *captureHandler) WithAttrs([]slog.Attr) slog.Handler { return h }
func (h *captureHandler) WithGroup(string) slog.Handler      { return h }

func (h *captureHandler) records() []logEntry {
	h.mu.Lock()
	defer h.mu.Unlock()
	return append([]logEntry(nil), h.entries...)
}

func (h *captureHandler) enabledCalls() int {
	h.mu.Lock()
	defer h.mu.Unlock()
	return h.enabled
}

// waitRecords waits for n log records (a server logs after the response
// may have reached the client).
func (h *captureHandler) waitRecords(t *testing.T, n int) []logEntry {
	t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for {
		recs := h.records()
		if len(recs) >= n || time.Now().After(deadline) {
			if len(recs) != n {
				t.Fatalf("got %d log records, want %d", len(recs), n)
			}
			return recs
		}
		time.Sleep(5 * time.Millisecond)
	}
}

// testMux is the application the server tests wrap.
func testMux() *http.ServeMux {
	mux := http.NewServeMux()
	mux.HandleFunc("GET /users/{id}", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/plain")
		_, _ = w.Write([]byte("user " + r.PathValue("id")))
	})
	mux.HandleFunc("POST /orders", func(w http.ResponseWriter, r *http.Request) {
		var b strings.Builder
		buf := make([]byte, 512)
		for {
			n, err := r.Body.Read(buf)
			b.Write(buf[:n])
			if err != nil {
				break
			}
		}
		w.WriteHeader(http.StatusCreated)
		_, _ = w.Write([]byte("created " + b.String()))
	})
	mux.HandleFunc("PUT /items/{id}", func(w http.ResponseWriter, _ *http.Request) {
		http.Error(w, "invalid item", http.StatusUnprocessableEntity)
	})
	mux.HandleFunc("GET /fail", func(w http.ResponseWriter, _ *http.Request) {
		http.Error(w, "boom", http.StatusInternalServerError)
	})
	mux.HandleFunc("GET /unavailable", func(w http.ResponseWriter, _ *http.Request) {
		http.Error(w, "later", http.StatusServiceUnavailable)
	})
	mux.HandleFunc("/any", func(w http.ResponseWriter, _ *http.Request) {
		_, _ = w.Write([]byte("any"))
	})
	return mux
}

// metricAttrSets returns the attribute sets of every data point collected.
func (tel *telemetry) metricAttrSets(t *testing.T) []attribute.Set {
	t.Helper()
	var sets []attribute.Set
	for _, sm := range tel.collect(t).ScopeMetrics {
		for _, m := range sm.Metrics {
			switch d := m.Data.(type) {
			case metricdata.Histogram[float64]:
				for _, dp := range d.DataPoints {
					sets = append(sets, dp.Attributes)
				}
			case metricdata.Histogram[int64]:
				for _, dp := range d.DataPoints {
					sets = append(sets, dp.Attributes)
				}
			case metricdata.Sum[int64]:
				for _, dp := range d.DataPoints {
					sets = append(sets, dp.Attributes)
				}
			default:
				t.Fatalf("unexpected metric data %T in %s", m.Data, m.Name)
			}
		}
	}
	return sets
}

// discardLog silences net/http's own logging of handler panics.
func discardLog() *log.Logger { return log.New(io.Discard, "", 0) }
