package observe_test

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"

	"go.opentelemetry.io/contrib/bridges/otelslog"
	"go.opentelemetry.io/otel"
	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/log"
	sdklog "go.opentelemetry.io/otel/sdk/log"
	sdkmetric "go.opentelemetry.io/otel/sdk/metric"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/sdk/trace/tracetest"

	"github.com/observe-go/observe"
	"github.com/observe-go/observe/exporters"
	"github.com/observe-go/observe/instrument"
	"github.com/observe-go/observe/internal/env"
	"github.com/observe-go/observe/internal/version"
)

// The level threshold sits in the log pipeline: it holds for records of
// any bridge, not only Telemetry.Logger, and a LevelVar moves it at run
// time.
func TestLevelThresholdForEveryBridge(t *testing.T) {
	rec := &logRecorder{}
	var level slog.LevelVar
	level.Set(slog.LevelWarn)
	tel := configure(t, nil, observe.WithLogProcessor(rec), observe.WithLogLevel(&level))

	other := slog.New(otelslog.NewHandler("other-bridge", otelslog.WithLoggerProvider(tel.LoggerProvider())))
	other.Info("below the threshold")
	other.Warn("at the threshold")
	var r log.Record
	r.SetSeverity(log.SeverityDebug)
	r.SetBody(attribute.StringValue("raw debug"))
	tel.LoggerProvider().Logger("raw").Emit(context.Background(), r)
	level.Set(slog.LevelError)
	other.Warn("below the raised threshold")
	other.Error("above it")

	var got []string
	for _, r := range rec.Records() {
		got = append(got, r.Body().AsString())
	}
	if strings.Join(got, "|") != "at the threshold|above it" {
		t.Fatalf("records that reached the exporters: %q; want the warning, then the error after the level was raised", got)
	}
}

// Every bad value is reported at once, each once, whatever else is wrong,
// OTEL_SDK_DISABLED included, with the observe: prefix.
func TestConfigureReportsEveryBadValueOnce(t *testing.T) {
	_, err := observe.Configure(observe.WithoutGlobals(), observe.WithEnvLookup(env.FromMap(map[string]string{
		"OTEL_SDK_DISABLED":           "maybe",
		"OTEL_TRACES_SAMPLER":         "sometimes",
		"OBSERVE_LOG_LEVEL":           "verbose",
		"OTEL_TRACES_EXPORTER":        "zipkin",
		"OTEL_EXPORTER_OTLP_TIMEOUT":  "abc",
		"OTEL_EXPORTER_OTLP_ENDPOINT": "127.0.0.1:4318",
		"OTEL_PROPAGATORS":            "w3c",
	})))
	if err == nil {
		t.Fatal("Configure accepted bad values")
	}
	msg := err.Error()
	if !strings.HasPrefix(msg, "observe: ") {
		t.Errorf("error %q lacks the observe: prefix", msg)
	}
	for _, want := range []string{
		`OTEL_SDK_DISABLED="maybe"`, `OTEL_TRACES_SAMPLER="sometimes"`, `OBSERVE_LOG_LEVEL="verbose"`,
		`OTEL_TRACES_EXPORTER="zipkin"`, `OTEL_EXPORTER_OTLP_TIMEOUT="abc"`, `OTEL_EXPORTER_OTLP_ENDPOINT="127.0.0.1:4318"`,
		`OTEL_PROPAGATORS="w3c"`,
	} {
		if n := strings.Count(msg, want); n != 1 {
			t.Errorf("%s reported %d times; want once, in:\n%s", want, n, msg)
		}
	}
}

// An endpoint without a scheme gets the same answer, saying what is
// wanted, whether or not url.Parse accepts it.
func TestEndpointWithoutScheme(t *testing.T) {
	for _, endpoint := range []string{"127.0.0.1:4318", "localhost:4317"} {
		_, err := observe.Configure(observe.WithoutGlobals(), observe.WithEnvLookup(env.FromMap(map[string]string{"OTEL_EXPORTER_OTLP_ENDPOINT": endpoint})))
		if err == nil || !strings.Contains(err.Error(), "want an http:// or https:// URL") {
			t.Errorf("endpoint %s: %v; want it to say an http:// or https:// URL is wanted", endpoint, err)
		}
	}
}

// Secrets in an endpoint URL (user information, query parameters) are
// never printed.
func TestEndpointSecretsNeverInErrors(t *testing.T) {
	for _, endpoint := range []string{
		"http://collector:4318/v1?api_key=s3cretKey",
		"http://user:s3cretKey@collector:99999",
		"http://user:s3cretKey@collector:4318/?token=s3cretKey#s3cretKey",
	} {
		_, err := observe.Configure(observe.WithoutGlobals(), observe.WithEnvLookup(env.FromMap(map[string]string{"OTEL_EXPORTER_OTLP_TRACES_ENDPOINT": endpoint})))
		if err == nil {
			t.Errorf("%s accepted", endpoint)
			continue
		}
		if strings.Contains(err.Error(), "s3cretKey") {
			t.Errorf("error shows the secret: %v", err)
		}
		if !strings.Contains(err.Error(), "OTEL_EXPORTER_OTLP_TRACES_ENDPOINT") {
			t.Errorf("error does not name the variable: %v", err)
		}
	}
}

// registrations numbers the exporter names tests register.
var registrations atomic.Int64

// A Configure that fails after the prometheus exporter was chosen leaves no
// port bound and no goroutine running (TestMain checks goroutines).
func TestFailedConfigureReleasesEverything(t *testing.T) {
	failing := errors.New("reader cannot start")
	// Names cannot be unregistered: one for each run.
	name := fmt.Sprintf("failing-reader-test-%d", registrations.Add(1))
	if err := exporters.RegisterMetricReader(name, func(context.Context, exporters.Lookup) (sdkmetric.Reader, error) {
		return nil, failing
	}); err != nil {
		t.Fatal(err)
	}
	port := freePort(t)
	_, err := observe.Configure(observe.WithoutGlobals(), observe.WithEnvLookup(env.FromMap(map[string]string{
		"OTEL_TRACES_EXPORTER":          "console",
		"OTEL_METRICS_EXPORTER":         "prometheus," + name,
		"OTEL_EXPORTER_PROMETHEUS_HOST": "127.0.0.1",
		"OTEL_EXPORTER_PROMETHEUS_PORT": strconv.Itoa(port),
	})), observe.WithConsoleWriter(io.Discard))
	if !errors.Is(err, failing) {
		t.Fatalf("Configure = %v; want the reader's error", err)
	}
	l, err := net.Listen("tcp", net.JoinHostPort("127.0.0.1", strconv.Itoa(port)))
	if err != nil {
		t.Fatalf("the prometheus port is still bound: %v", err)
	}
	_ = l.Close()
}

// ctxExporter is a log exporter that records the records it gets and fails
// as an exporter does when its context is already cancelled.
type ctxExporter struct {
	mu   sync.Mutex
	got  int
	errs []error
}

func (e *ctxExporter) Export(ctx context.Context, records []sdklog.Record) error {
	e.mu.Lock()
	defer e.mu.Unlock()
	if err := ctx.Err(); err != nil {
		e.errs = append(e.errs, err)
		return err
	}
	e.got += len(records)
	return nil
}
func (e *ctxExporter) Shutdown(context.Context) error   { return nil }
func (e *ctxExporter) ForceFlush(context.Context) error { return nil }

// The access log reaches a simple processor with the request's live
// context: it is emitted while the request is served.
func TestAccessLogThroughSimpleProcessor(t *testing.T) {
	exp := &ctxExporter{}
	tel := configure(t, map[string]string{"OTEL_TRACES_EXPORTER": "none", "OTEL_LOGS_EXPORTER": "none"},
		observe.WithLogProcessor(sdklog.NewSimpleProcessor(exp)))
	srv := httptest.NewServer(tel.InstrumentHTTP(http.NotFoundHandler()))
	defer srv.Close()
	for range 3 {
		resp, err := http.Get(srv.URL + "/nothing")
		if err != nil {
			t.Fatal(err)
		}
		_ = resp.Body.Close()
	}
	srv.Close()
	exp.mu.Lock()
	defer exp.mu.Unlock()
	if exp.got != 3 || len(exp.errs) > 0 {
		t.Fatalf("exporter got %d records and errors %v; want 3 records and no error", exp.got, exp.errs)
	}
}

// Telemetry.Logger's records carry the application's scope (WithLogScope,
// or the main module's path); the access log keeps the instrument scope,
// with the module's version.
func TestLogScopes(t *testing.T) {
	rec := &logRecorder{}
	tel := configure(t, nil, observe.WithLogProcessor(rec), observe.WithLogScope("github.com/acme/shop"))
	tel.Logger().Info("app record")
	serveOneRequest(tel.InstrumentHTTP(http.NotFoundHandler()))
	scopes := map[string]string{}
	for _, r := range rec.Records() {
		scopes[r.InstrumentationScope().Name] = r.InstrumentationScope().Version
	}
	if _, ok := scopes["github.com/acme/shop"]; !ok {
		t.Errorf("scopes %v; want the application's github.com/acme/shop", scopes)
	}
	if v, ok := scopes[instrument.ScopeName]; !ok || v != version.Version {
		t.Errorf("scopes %v; want %s at version %s", scopes, instrument.ScopeName, version.Version)
	}

	rec2 := &logRecorder{}
	tel2 := configure(t, nil, observe.WithLogProcessor(rec2))
	tel2.Logger().Info("app record")
	if rs := rec2.Records(); len(rs) != 1 || rs[0].InstrumentationScope().Name != "github.com/observe-go/observe" {
		t.Errorf("default scope: %v; want the main module's path", rs)
	}
}

func serveOneRequest(h http.Handler) {
	h.ServeHTTP(httptest.NewRecorder(), httptest.NewRequest(http.MethodGet, "/x", nil))
}

// Between Configure and Shutdown, observe.InstrumentHTTP uses the
// Telemetry's providers; after Shutdown, the globals, which no longer hold
// the shut-down providers.
func TestInstrumentHTTPAfterShutdown(t *testing.T) {
	withGlobals(t)
	rec := tracetest.NewSpanRecorder()
	tel, err := observe.Configure(observe.WithEnvLookup(env.FromMap(nil)), observe.WithConsoleWriter(io.Discard), observe.WithSpanProcessor(rec))
	if err != nil {
		t.Fatal(err)
	}
	serveOneRequest(observe.InstrumentHTTP(http.NotFoundHandler()))
	if n := len(rec.Ended()); n != 1 {
		t.Fatalf("%d spans before Shutdown; want 1", n)
	}
	if err := tel.Shutdown(context.Background()); err != nil {
		t.Fatal(err)
	}
	if otel.GetTracerProvider() == tel.TracerProvider() || otel.GetMeterProvider() == tel.MeterProvider() {
		t.Fatal("a shut-down provider is still the global one")
	}
	later := sdktrace.NewTracerProvider(sdktrace.WithSpanProcessor(rec))
	defer func() { _ = later.Shutdown(context.Background()) }()
	otel.SetTracerProvider(later)
	serveOneRequest(observe.InstrumentHTTP(http.NotFoundHandler()))
	if n := len(rec.Ended()); n != 2 {
		t.Fatalf("%d spans; want the second request's span through the new global provider", n)
	}
}

// What WithEnvLookup leaves to the process, as its documentation says: the
// SDK merges the process's resource variables underneath the resource.
func TestEnvLookupResourceFromProcess(t *testing.T) {
	t.Setenv("OTEL_RESOURCE_ATTRIBUTES", "process.only=from-process,service.name=process-name")
	t.Setenv("OTEL_SERVICE_NAME", "process-name")
	rec := tracetest.NewSpanRecorder()
	tel := configure(t, map[string]string{"OTEL_SERVICE_NAME": "lookup-name"}, observe.WithSpanProcessor(rec))
	_, span := tel.TracerProvider().Tracer("t").Start(context.Background(), "op")
	span.End()
	res := rec.Ended()[0].Resource()
	if v, _ := res.Set().Value("service.name"); v.AsString() != "lookup-name" {
		t.Errorf("service.name = %q; want the lookup's", v.AsString())
	}
	if v, _ := res.Set().Value("process.only"); v.AsString() != "from-process" {
		t.Errorf("process.only = %q; the documentation says the process's extra attributes appear", v.AsString())
	}
}

// Runtime and process metrics are on by default, in MetricsHandler, and off
// with OBSERVE_RUNTIME_METRICS=false or WithoutRuntimeMetrics.
func TestRuntimeMetrics(t *testing.T) {
	want := []string{"go_goroutine_count", "go_memory_used_bytes", "go_config_gogc_percent", "process_cpu_time_seconds_total", "process_memory_usage_bytes", "go_gc_cycles_total"}
	on := scrape(t, configure(t, nil).MetricsHandler())
	for _, name := range want {
		if !strings.Contains(on, "\n"+name) {
			t.Errorf("MetricsHandler lacks %s by default", name)
		}
	}
	for name, tel := range map[string]*observe.Telemetry{
		"variable": configure(t, map[string]string{"OBSERVE_RUNTIME_METRICS": "false"}),
		"option":   configure(t, map[string]string{"OBSERVE_RUNTIME_METRICS": "true"}, observe.WithoutRuntimeMetrics()),
	} {
		if off := scrape(t, tel.MetricsHandler()); strings.Contains(off, "go_goroutine_count") || strings.Contains(off, "process_cpu_time") {
			t.Errorf("%s: runtime metrics still served", name)
		}
	}
	if _, err := observe.Configure(observe.WithoutGlobals(), observe.WithEnvLookup(env.FromMap(map[string]string{"OBSERVE_RUNTIME_METRICS": "sometimes"}))); err == nil || !strings.Contains(err.Error(), `OBSERVE_RUNTIME_METRICS="sometimes"`) {
		t.Errorf("bad OBSERVE_RUNTIME_METRICS: %v", err)
	}
}

// With WithEnvLookup, the batch processors do not read the process's
// OTEL_BSP_* variables behind it: a queue of 1 in the process environment
// would drop spans.
func TestEnvLookupBatchSettingsFromLookupOnly(t *testing.T) {
	t.Setenv("OTEL_BSP_MAX_QUEUE_SIZE", "1")
	t.Setenv("OTEL_BSP_MAX_EXPORT_BATCH_SIZE", "1")
	t.Setenv("OTEL_BSP_SCHEDULE_DELAY", "3600000")
	rec := tracetest.NewInMemoryExporter()
	tel := configure(t, map[string]string{"OTEL_TRACES_EXPORTER": "none"}, observe.WithSpanExporter(rec))
	for range 100 {
		_, s := tel.TracerProvider().Tracer("t").Start(context.Background(), "op")
		s.End()
	}
	if err := tel.ForceFlush(context.Background()); err != nil {
		t.Fatal(err)
	}
	if n := len(rec.GetSpans()); n != 100 {
		t.Errorf("%d of 100 spans exported: the process's OTEL_BSP_* reached the batch processor", n)
	}
}
