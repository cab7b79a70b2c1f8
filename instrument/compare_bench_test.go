package instrument_test

import (
	"bytes"
	"context"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"runtime"
	"strconv"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/promhttp"
	"go.opentelemetry.io/contrib/instrumentation/net/http/otelhttp"
	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/log"
	sdklog "go.opentelemetry.io/otel/sdk/log"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"

	"github.com/observe-go/observe"
	"github.com/observe-go/observe/instrument"
)

// The benchmarks below compare, on the same request, the same providers
// (from observe.Configure: AlwaysSample or a parent-based 1% ratio
// sampler, a batch span processor in front of a counting exporter, the
// OTLP metrics exporter, sending to a local receiver when Shutdown comes,
// beside MetricsHandler, a batch log processor in front of a counting
// exporter; both batch processors gated as the OTLP exporters' are):
//
//   - bare: the ServeMux alone;
//   - otelhttp: the contrib middleware;
//   - stack: otelhttp, promhttp's duration and counter instrumentation and
//     a hand-written request-id and slog access-log middleware, the set-up
//     instrument.HTTPHandler replaces;
//   - observe: Telemetry.InstrumentHTTP (span, metrics, request id, access
//     log record through the Logs API);
//   - observe-nolog: the same without the access log.
//
// Each variant reports what reached the exporters per request, counted
// after Shutdown: spans/op and logs/op. A variant that delivered less than
// it should (every span when always sampled, every access log record) is
// reported as an error, not as a figure.
//
// Run: go test -run '^$' -bench BenchmarkHTTPServer -benchmem ./instrument/
// or scripts/bench-http.sh, which interleaves the runs and prints the
// medians and the ratios of the targets.

// countingSpans and countingLogs count what reaches the exporters.
type countingSpans struct{ n atomic.Int64 }

func (c *countingSpans) ExportSpans(_ context.Context, s []sdktrace.ReadOnlySpan) error {
	c.n.Add(int64(len(s)))
	return nil
}
func (c *countingSpans) Shutdown(context.Context) error { return nil }

type countingLogs struct{ n atomic.Int64 }

func (c *countingLogs) Export(_ context.Context, r []sdklog.Record) error {
	c.n.Add(int64(len(r)))
	return nil
}
func (c *countingLogs) Shutdown(context.Context) error   { return nil }
func (c *countingLogs) ForceFlush(context.Context) error { return nil }

// countingWriter counts the lines of the hand-written access log.
type countingWriter struct{ n atomic.Int64 }

func (c *countingWriter) Write(p []byte) (int, error) {
	c.n.Add(int64(bytes.Count(p, []byte{'\n'})))
	return len(p), nil
}

type benchEnv struct {
	tel   *observe.Telemetry
	spans *countingSpans
	logs  *countingLogs
}

func newBenchEnv(b *testing.B, sampler, arg string) benchEnv {
	// Metrics go to an OTLP/HTTP receiver that accepts and forgets them:
	// the reader of a cumulative exporter, beside MetricsHandler's.
	sink := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_, _ = io.Copy(io.Discard, r.Body)
	}))
	b.Cleanup(sink.Close)
	env := map[string]string{
		"OTEL_TRACES_EXPORTER":                "none",
		"OTEL_METRICS_EXPORTER":               "otlp",
		"OTEL_EXPORTER_OTLP_METRICS_ENDPOINT": sink.URL + "/v1/metrics",
		"OTEL_EXPORTER_OTLP_METRICS_PROTOCOL": "http/protobuf",
		"OTEL_LOGS_EXPORTER":                  "none",
		"OTEL_TRACES_SAMPLER":                 sampler,
		"OTEL_TRACES_SAMPLER_ARG":             arg,
		"OTEL_SERVICE_NAME":                   "bench",
	}
	e := benchEnv{spans: &countingSpans{}, logs: &countingLogs{}}
	tel, err := observe.Configure(observe.WithoutGlobals(),
		observe.WithEnvLookup(func(k string) (string, bool) { v, ok := env[k]; return v, ok }),
		observe.WithSpanExporter(e.spans),
		observe.WithLogExporter(e.logs))
	if err != nil {
		b.Fatal(err)
	}
	e.tel = tel
	return e
}

// report shuts e down, reports what reached its exporters per request, and
// fails the benchmark when less arrived than wanted.
func (e benchEnv) report(b *testing.B, n int, wantSpans, wantLogs float64, extraLogs *countingWriter) {
	b.StopTimer()
	if err := e.tel.Shutdown(context.Background()); err != nil {
		b.Fatal(err)
	}
	spans := float64(e.spans.n.Load()) / float64(n)
	logs := float64(e.logs.n.Load()) / float64(n)
	if extraLogs != nil {
		logs += float64(extraLogs.n.Load()) / float64(n)
	}
	b.ReportMetric(spans, "spans/op")
	b.ReportMetric(logs, "logs/op")
	if spans < wantSpans || logs < wantLogs {
		b.Errorf("invalid: delivered %.4f spans and %.4f log records per request; want at least %.2f and %.2f", spans, logs, wantSpans, wantLogs)
	}
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

// serve sends the same request to h in a loop and returns how many it
// sent. With parallel set, the requests come from b.RunParallel's
// goroutines, each with its own request and writer.
func serve(b *testing.B, h http.Handler, parallel bool) int {
	newReq := func() (*http.Request, *discardWriter) {
		req := httptest.NewRequest(http.MethodGet, "http://example.com/users/42", nil)
		req.Header.Set("User-Agent", "bench/1.0")
		return req, &discardWriter{h: make(http.Header)}
	}
	b.ReportAllocs()
	if parallel {
		var n atomic.Int64
		b.ResetTimer()
		b.RunParallel(func(pb *testing.PB) {
			req, w := newReq()
			for pb.Next() {
				clear(w.h)
				h.ServeHTTP(w, req)
				n.Add(1)
			}
		})
		return int(n.Load())
	}
	req, w := newReq()
	b.ResetTimer()
	n := 0
	for b.Loop() {
		clear(w.h)
		h.ServeHTTP(w, req)
		n++
	}
	return n
}

// processCPU is the CPU time the process has used so far, in user and
// system mode, on every thread: the request path and the background
// goroutines (batching, exporting, garbage collection) alike.
func processCPU(b *testing.B) time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		b.Fatal(err)
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// BenchmarkHTTPServer runs every variant on one goroutine, and
// BenchmarkHTTPServerParallel from b.RunParallel's goroutines (GOMAXPROCS
// of them). Besides the time, allocations and deliveries per request, each
// reports cpu-ns/op: the CPU time the whole process used per request, from
// the first request until Shutdown has exported everything, so background
// work counts as much as the request path.
func BenchmarkHTTPServer(b *testing.B)         { benchHTTPServer(b, false) }
func BenchmarkHTTPServerParallel(b *testing.B) { benchHTTPServer(b, true) }

func benchHTTPServer(b *testing.B, parallel bool) {
	for _, sampled := range []struct {
		name, sampler, arg string
		spans              float64 // spans per request that must arrive
	}{
		{"always", "always_on", "", 1},
		{"ratio1pct", "parentbased_traceidratio", "0.01", 0},
	} {
		for _, v := range []struct {
			name  string
			logs  float64 // access log records per request that must arrive
			spans bool    // whether the variant makes spans
			h     func(e benchEnv, w io.Writer) http.Handler
		}{
			{"bare", 0, false, func(benchEnv, io.Writer) http.Handler { return benchMux() }},
			{"otelhttp", 0, true, func(e benchEnv, _ io.Writer) http.Handler {
				return otelhttp.NewHandler(benchMux(), "server", otelOptions(e)...)
			}},
			{"stack", 1, true, func(e benchEnv, w io.Writer) http.Handler {
				return otelhttp.NewHandler(promStack(handWritten(benchMux(), slog.New(slog.NewJSONHandler(w, nil)))), "server", otelOptions(e)...)
			}},
			{"observe", 1, true, func(e benchEnv, _ io.Writer) http.Handler { return e.tel.InstrumentHTTP(benchMux()) }},
			{"observe-nolog", 0, true, func(e benchEnv, _ io.Writer) http.Handler {
				return e.tel.InstrumentHTTP(benchMux(), instrument.WithoutAccessLog())
			}},
		} {
			b.Run(sampled.name+"/"+v.name, func(b *testing.B) {
				e := newBenchEnv(b, sampled.sampler, sampled.arg)
				lines := &countingWriter{}
				h := v.h(e, lines)
				runtime.GC() // the garbage of the variants before is not this one's
				cpu := processCPU(b)
				n := serve(b, h, parallel)
				want := sampled.spans
				if !v.spans {
					want = 0
				}
				e.report(b, n, want, v.logs, lines)
				b.ReportMetric(float64(processCPU(b)-cpu)/float64(n), "cpu-ns/op")
			})
		}
	}
}

func otelOptions(e benchEnv) []otelhttp.Option {
	return []otelhttp.Option{otelhttp.WithTracerProvider(e.tel.TracerProvider()), otelhttp.WithMeterProvider(e.tel.MeterProvider()), otelhttp.WithPropagators(e.tel.Propagator())}
}

// BenchmarkLogRecordFloor measures what one log record costs in the
// OpenTelemetry Logs SDK by itself, emitted through the same kind of
// provider as above (a batch processor in front of a discarding exporter):
// with one attribute, and with the five of an access log record. It is the
// floor under any access log that goes through the SDK.
//
// Run: go test -run '^$' -bench BenchmarkLogRecordFloor -benchmem ./instrument/
func BenchmarkLogRecordFloor(b *testing.B) {
	lp := sdklog.NewLoggerProvider(sdklog.WithProcessor(sdklog.NewBatchProcessor(&countingLogs{})))
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
