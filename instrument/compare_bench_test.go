package instrument_test

import (
	"context"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strconv"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/promhttp"
	"go.opentelemetry.io/contrib/instrumentation/net/http/otelhttp"
	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/log"
	sdklog "go.opentelemetry.io/otel/sdk/log"
	sdkmetric "go.opentelemetry.io/otel/sdk/metric"
	"go.opentelemetry.io/otel/sdk/trace/tracetest"

	"github.com/observe-go/observe"
	"github.com/observe-go/observe/bridge"
	"github.com/observe-go/observe/instrument"
)

// The benchmarks below compare, on the same request, the same providers
// (from observe.Configure: AlwaysSample or a parent-based 1% ratio
// sampler, a batch span processor in front of a discarding exporter, a
// ManualReader that is never collected beside the Prometheus reader behind
// MetricsHandler, a batch log processor in front of a discarding exporter):
//
//   - bare: the ServeMux alone;
//   - otelhttp: the contrib middleware;
//   - stack: otelhttp, promhttp's duration and counter instrumentation and
//     a hand-written request-id and slog access-log middleware, the set-up
//     instrument.HTTPHandler replaces;
//   - observe: Telemetry.InstrumentHTTP (span, metrics, request id, access
//     log), as a service exporting over OTLP gets it: the access log record
//     is emitted off the request path;
//   - observe-synclog: the same with the access log record emitted on the
//     request path, as with a console exporter or a LoggerProvider of the
//     caller's;
//   - observe-nolog: the same without the access log.
//
// The SDK's batch processors, and the goroutine that emits the deferred
// access log records, run beside the request loop; with -cpu 1 their work
// is counted in ns/op too.
//
// Run: go test -run '^$' -bench BenchmarkHTTPServer -benchmem ./instrument/

type discardLogs struct{}

func (discardLogs) Export(context.Context, []sdklog.Record) error { return nil }
func (discardLogs) Shutdown(context.Context) error                { return nil }
func (discardLogs) ForceFlush(context.Context) error              { return nil }

type benchEnv struct {
	tel    *observe.Telemetry
	syncLP *sdklog.LoggerProvider
}

func newBenchEnv(b *testing.B, sampler, arg string) benchEnv {
	env := map[string]string{
		"OTEL_TRACES_EXPORTER":    "none",
		"OTEL_METRICS_EXPORTER":   "none",
		"OTEL_LOGS_EXPORTER":      "none",
		"OTEL_TRACES_SAMPLER":     sampler,
		"OTEL_TRACES_SAMPLER_ARG": arg,
		"OTEL_SERVICE_NAME":       "bench",
	}
	tel, err := observe.Configure(observe.WithoutGlobals(),
		observe.WithEnvLookup(func(k string) (string, bool) { v, ok := env[k]; return v, ok }),
		observe.WithSpanExporter(tracetest.NewNoopExporter()),
		observe.WithMetricReader(sdkmetric.NewManualReader()),
		observe.WithLogProcessor(sdklog.NewBatchProcessor(discardLogs{})))
	if err != nil {
		b.Fatal(err)
	}
	e := benchEnv{tel: tel, syncLP: sdklog.NewLoggerProvider(sdklog.WithProcessor(sdklog.NewBatchProcessor(discardLogs{})))}
	b.Cleanup(func() {
		ctx := context.Background()
		_ = e.tel.Shutdown(ctx)
		_ = e.syncLP.Shutdown(ctx)
	})
	return e
}

func benchMux() *http.ServeMux {
	mux := http.NewServeMux()
	mux.HandleFunc("GET /users/{id}", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		_, _ = io.WriteString(w, `{"id":"`+r.PathValue("id")+`"}`)
	})
	return mux
}

// handWritten is the request-id and access-log middleware people write by
// hand next to otelhttp.
func handWritten(next http.Handler, log *slog.Logger) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		start := time.Now()
		id := r.Header.Get("X-Request-ID")
		if id == "" {
			id = strconv.FormatInt(time.Now().UnixNano(), 36)
		}
		w.Header().Set("X-Request-ID", id)
		sw := &statusWriter{ResponseWriter: w, status: http.StatusOK}
		next.ServeHTTP(sw, r)
		log.LogAttrs(r.Context(), slog.LevelInfo, "request",
			slog.String("method", r.Method), slog.String("path", r.URL.Path),
			slog.Int("status", sw.status), slog.Duration("duration", time.Since(start)),
			slog.String("request_id", id))
	})
}

type statusWriter struct {
	http.ResponseWriter
	status int
}

func (w *statusWriter) WriteHeader(code int) { w.status = code; w.ResponseWriter.WriteHeader(code) }

func promStack(next http.Handler) http.Handler {
	reg := prometheus.NewRegistry()
	dur := prometheus.NewHistogramVec(prometheus.HistogramOpts{Name: "http_request_duration_seconds", Help: "Duration.", Buckets: prometheus.DefBuckets}, []string{"code", "method"})
	cnt := prometheus.NewCounterVec(prometheus.CounterOpts{Name: "http_requests_total", Help: "Requests."}, []string{"code", "method"})
	reg.MustRegister(dur, cnt)
	return promhttp.InstrumentHandlerDuration(dur, promhttp.InstrumentHandlerCounter(cnt, next))
}

// discardWriter is a ResponseWriter that forgets what it is given, so the
// benchmarks measure the middleware, not a recorder.
type discardWriter struct{ h http.Header }

func (w *discardWriter) Header() http.Header         { return w.h }
func (w *discardWriter) Write(p []byte) (int, error) { return len(p), nil }
func (w *discardWriter) WriteHeader(int)             {}

func serve(b *testing.B, h http.Handler) {
	req := httptest.NewRequest(http.MethodGet, "http://example.com/users/42", nil)
	req.Header.Set("User-Agent", "bench/1.0")
	w := &discardWriter{h: make(http.Header)}
	b.ReportAllocs()
	b.ResetTimer()
	for b.Loop() {
		clear(w.h)
		h.ServeHTTP(w, req)
	}
}

func BenchmarkHTTPServer(b *testing.B) {
	for _, sampled := range []struct{ name, sampler, arg string }{
		{"always", "always_on", ""},
		{"ratio1pct", "parentbased_traceidratio", "0.01"},
	} {
		e := newBenchEnv(b, sampled.sampler, sampled.arg)
		otelOpts := []otelhttp.Option{otelhttp.WithTracerProvider(e.tel.TracerProvider()), otelhttp.WithMeterProvider(e.tel.MeterProvider()), otelhttp.WithPropagators(e.tel.Propagator())}
		jsonLog := slog.New(slog.NewJSONHandler(io.Discard, nil))
		syncLog := slog.New(bridge.NewHandler("bench", bridge.WithLoggerProvider(e.syncLP)))
		for _, v := range []struct {
			name string
			h    http.Handler
		}{
			{"bare", benchMux()},
			{"otelhttp", otelhttp.NewHandler(benchMux(), "server", otelOpts...)},
			{"stack", otelhttp.NewHandler(promStack(handWritten(benchMux(), jsonLog)), "server", otelOpts...)},
			{"observe", e.tel.InstrumentHTTP(benchMux())},
			{"observe-synclog", e.tel.InstrumentHTTP(benchMux(), instrument.WithLogger(syncLog))},
			{"observe-nolog", e.tel.InstrumentHTTP(benchMux(), instrument.WithoutAccessLog())},
		} {
			b.Run(sampled.name+"/"+v.name, func(b *testing.B) { serve(b, v.h) })
		}
	}
}

// BenchmarkLogRecordFloor measures what one log record costs in the
// OpenTelemetry Logs SDK by itself, emitted through the same kind of
// provider as above (a batch processor in front of a discarding exporter):
// with one attribute, and with the five of an access log record. It is the
// floor under any access log that goes through the SDK.
//
// Run: go test -run '^$' -bench BenchmarkLogRecordFloor -benchmem ./instrument/
func BenchmarkLogRecordFloor(b *testing.B) {
	lp := sdklog.NewLoggerProvider(sdklog.WithProcessor(sdklog.NewBatchProcessor(discardLogs{})))
	b.Cleanup(func() { _ = lp.Shutdown(context.Background()) })
	logger := lp.Logger("bench")
	kvs := []attribute.KeyValue{
		attribute.String("http.route", "/users/{id}"),
		attribute.Int("http.response.status_code", 200),
		attribute.Float64("duration_ms", 0.042),
		attribute.Int64("http.response.body.size", 12),
		attribute.String("observe.request_id", "0f8fad5b-d9cb-469f-a165-70867728950e"),
	}
	for _, n := range []int{1, len(kvs)} {
		b.Run(strconv.Itoa(n)+"attrs", func(b *testing.B) {
			ctx := context.Background()
			b.ReportAllocs()
			for b.Loop() {
				var r log.Record
				r.SetTimestamp(time.Now())
				r.SetSeverity(log.SeverityInfo)
				r.SetBody(attribute.StringValue("GET /users/42 200"))
				r.AddAttributes(kvs[:n]...)
				logger.Emit(ctx, r)
			}
		})
	}
}
