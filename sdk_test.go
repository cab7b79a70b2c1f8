package observe_test

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"go.opentelemetry.io/otel"
	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/propagation"
	sdkmetric "go.opentelemetry.io/otel/sdk/metric"
	"go.opentelemetry.io/otel/sdk/metric/metricdata"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/sdk/trace/tracetest"
	"go.opentelemetry.io/otel/trace"

	"github.com/observe-go/observe"
	"github.com/observe-go/observe/internal/env"
)

// configure runs observe.Configure on a fixed environment, without touching
// the globals, and shuts it down at the end of the test.
func configure(t *testing.T, vars map[string]string, opts ...observe.Option) *observe.Telemetry {
	t.Helper()
	opts = append([]observe.Option{observe.WithEnvLookup(env.FromMap(vars)), observe.WithoutGlobals(), observe.WithConsoleWriter(io.Discard)}, opts...)
	tel, err := observe.Configure(opts...)
	if err != nil {
		t.Fatalf("Configure: %v", err)
	}
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		if err := tel.Shutdown(ctx); err != nil {
			t.Errorf("Shutdown: %v", err)
		}
	})
	return tel
}

func TestConfigureRejectsBadEnvironment(t *testing.T) {
	for _, tc := range []struct {
		name string
		vars map[string]string
		want []string // substrings of the error
		hide string   // must not appear
	}{
		{"sdk disabled not a bool", map[string]string{"OTEL_SDK_DISABLED": "maybe"}, []string{`OTEL_SDK_DISABLED="maybe"`}, ""},
		{"unknown traces exporter", map[string]string{"OTEL_TRACES_EXPORTER": "zipkin"}, []string{`OTEL_TRACES_EXPORTER="zipkin"`, "unknown traces exporter"}, ""},
		{"prometheus for logs", map[string]string{"OTEL_LOGS_EXPORTER": "prometheus"}, []string{`OTEL_LOGS_EXPORTER="prometheus"`}, ""},
		{"empty list item", map[string]string{"OTEL_METRICS_EXPORTER": "otlp,,console"}, []string{`OTEL_METRICS_EXPORTER="otlp,,console"`, "empty"}, ""},
		{"none with others", map[string]string{"OTEL_TRACES_EXPORTER": "none,otlp"}, []string{"OTEL_TRACES_EXPORTER", "none cannot be combined"}, ""},
		{"bad protocol", map[string]string{"OTEL_EXPORTER_OTLP_PROTOCOL": "http/xml"}, []string{`OTEL_EXPORTER_OTLP_PROTOCOL="http/xml"`, "grpc"}, ""},
		{"json protocol", map[string]string{"OTEL_EXPORTER_OTLP_TRACES_PROTOCOL": "http/json"}, []string{`OTEL_EXPORTER_OTLP_TRACES_PROTOCOL="http/json"`, "not supported"}, ""},
		{"endpoint without scheme", map[string]string{"OTEL_EXPORTER_OTLP_ENDPOINT": "localhost:4318"}, []string{`OTEL_EXPORTER_OTLP_ENDPOINT="localhost:4318"`, "http://"}, ""},
		{"endpoint bad port with password", map[string]string{"OTEL_EXPORTER_OTLP_LOGS_ENDPOINT": "http://u:hunter2@h:99999"}, []string{"OTEL_EXPORTER_OTLP_LOGS_ENDPOINT", "port"}, "hunter2"},
		{"malformed headers", map[string]string{"OTEL_EXPORTER_OTLP_HEADERS": "Authorization=Bearer%20tok3n,Bearer tok3n"}, []string{"OTEL_EXPORTER_OTLP_HEADERS", "entry 2 has no '='"}, "tok3n"},
		{"bad header encoding", map[string]string{"OTEL_EXPORTER_OTLP_METRICS_HEADERS": "api-key=s3cr3t%zz"}, []string{"OTEL_EXPORTER_OTLP_METRICS_HEADERS", "api-key", "percent-encoded"}, "s3cr3t"},
		{"timeout with unit", map[string]string{"OTEL_EXPORTER_OTLP_TIMEOUT": "5s"}, []string{`OTEL_EXPORTER_OTLP_TIMEOUT="5s"`, "milliseconds"}, ""},
		{"zero timeout", map[string]string{"OTEL_EXPORTER_OTLP_TRACES_TIMEOUT": "0"}, []string{"OTEL_EXPORTER_OTLP_TRACES_TIMEOUT", "at least 1 ms"}, ""},
		{"bad compression", map[string]string{"OTEL_EXPORTER_OTLP_COMPRESSION": "zstd"}, []string{`OTEL_EXPORTER_OTLP_COMPRESSION="zstd"`, "gzip"}, ""},
		{"unknown sampler", map[string]string{"OTEL_TRACES_SAMPLER": "sometimes"}, []string{`OTEL_TRACES_SAMPLER="sometimes"`}, ""},
		{"sampler arg out of range", map[string]string{"OTEL_TRACES_SAMPLER": "traceidratio", "OTEL_TRACES_SAMPLER_ARG": "1.5"}, []string{`OTEL_TRACES_SAMPLER_ARG="1.5"`, "out of range"}, ""},
		{"sampler arg not a number", map[string]string{"OTEL_TRACES_SAMPLER_ARG": "half"}, []string{`OTEL_TRACES_SAMPLER_ARG="half"`}, ""},
		{"unsupported sampler", map[string]string{"OTEL_TRACES_SAMPLER": "jaeger_remote"}, []string{"OTEL_TRACES_SAMPLER", "not supported"}, ""},
		{"unknown propagator", map[string]string{"OTEL_PROPAGATORS": "tracecontext,w3c"}, []string{`OTEL_PROPAGATORS="w3c"`}, ""},
		{"unsupported propagator", map[string]string{"OTEL_PROPAGATORS": "xray"}, []string{`OTEL_PROPAGATORS="xray"`, "not supported"}, ""},
		{"bad resource attributes", map[string]string{"OTEL_RESOURCE_ATTRIBUTES": "team=core,oops"}, []string{"OTEL_RESOURCE_ATTRIBUTES", `entry 2 ("oops") has no '='`}, ""},
		{"bad log level", map[string]string{"OBSERVE_LOG_LEVEL": "verbose"}, []string{`OBSERVE_LOG_LEVEL="verbose"`}, ""},
		{"bad console format", map[string]string{"OBSERVE_CONSOLE_FORMAT": "xml"}, []string{`OBSERVE_CONSOLE_FORMAT="xml"`, "pretty, json"}, ""},
		{"bad prometheus port", map[string]string{"OTEL_EXPORTER_PROMETHEUS_PORT": "http"}, []string{`OTEL_EXPORTER_PROMETHEUS_PORT="http"`}, ""},
		{"bad metric interval", map[string]string{"OTEL_METRIC_EXPORT_INTERVAL": "-5"}, []string{`OTEL_METRIC_EXPORT_INTERVAL="-5"`}, ""},
		{"zero queue", map[string]string{"OTEL_BSP_MAX_QUEUE_SIZE": "0"}, []string{`OTEL_BSP_MAX_QUEUE_SIZE="0"`}, ""},
		{"batch above queue", map[string]string{"OTEL_BLRP_MAX_QUEUE_SIZE": "10", "OTEL_BLRP_MAX_EXPORT_BATCH_SIZE": "20"}, []string{`OTEL_BLRP_MAX_EXPORT_BATCH_SIZE="20"`, "larger than the queue"}, ""},
		{"bad schedule delay", map[string]string{"OTEL_BSP_SCHEDULE_DELAY": "soon"}, []string{`OTEL_BSP_SCHEDULE_DELAY="soon"`}, ""},
		{"several at once", map[string]string{"OTEL_TRACES_SAMPLER": "x", "OBSERVE_LOG_LEVEL": "y"}, []string{"OTEL_TRACES_SAMPLER", "OBSERVE_LOG_LEVEL"}, ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			tel, err := observe.Configure(observe.WithEnvLookup(env.FromMap(tc.vars)), observe.WithoutGlobals(), observe.WithConsoleWriter(io.Discard))
			if err == nil {
				_ = tel.Shutdown(context.Background())
				t.Fatal("Configure accepted a bad environment")
			}
			if tel != nil {
				t.Error("Configure returned a Telemetry with its error")
			}
			for _, w := range tc.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error %q does not contain %q", err, w)
				}
			}
			if tc.hide != "" && strings.Contains(err.Error(), tc.hide) {
				t.Errorf("error %q shows the secret %q", err, tc.hide)
			}
		})
	}
}

func TestConfigureOptionBeatsEnvironment(t *testing.T) {
	// The environment names an unknown exporter; the option wins, so no error.
	rec := tracetest.NewSpanRecorder()
	tel := configure(t, map[string]string{"OTEL_TRACES_EXPORTER": "zipkin", "OTEL_TRACES_SAMPLER": "always_off", "OTEL_SERVICE_NAME": "from-env"},
		observe.WithTracesExporters("none"),
		observe.WithSampler(sdktrace.AlwaysSample()),
		observe.WithServiceName("from-option"),
		observe.WithSpanProcessor(rec))
	_, span := tel.TracerProvider().Tracer("t").Start(context.Background(), "op")
	span.End()
	spans := rec.Ended()
	if len(spans) != 1 {
		t.Fatalf("recorded %d spans; want 1 (WithSampler must beat OTEL_TRACES_SAMPLER)", len(spans))
	}
	if got := resourceValue(spans[0], "service.name"); got != "from-option" {
		t.Fatalf("service.name = %q; want from-option", got)
	}
}

func resourceValue(s sdktrace.ReadOnlySpan, key string) string {
	v, _ := s.Resource().Set().Value(attribute.Key(key))
	return v.Emit()
}

func TestConfigureResource(t *testing.T) {
	for _, tc := range []struct {
		name string
		vars map[string]string
		opts []observe.Option
		want map[string]string
	}{
		{
			name: "defaults",
			want: map[string]string{"service.name": "observe.test", "telemetry.sdk.language": "go", "process.runtime.name": "go"},
		},
		{
			name: "environment",
			vars: map[string]string{"OTEL_SERVICE_NAME": "checkout", "OTEL_RESOURCE_ATTRIBUTES": "service.name=ignored,service.version=1.2.3,team=pay%20ments", "OBSERVE_ENVIRONMENT": "staging"},
			want: map[string]string{"service.name": "checkout", "service.version": "1.2.3", "team": "pay ments", "deployment.environment.name": "staging"},
		},
		{
			name: "resource attributes name the service",
			vars: map[string]string{"OTEL_RESOURCE_ATTRIBUTES": "service.name=billing"},
			want: map[string]string{"service.name": "billing"},
		},
		{
			name: "options",
			vars: map[string]string{"OTEL_SERVICE_NAME": "checkout", "OBSERVE_ENVIRONMENT": "staging", "OTEL_RESOURCE_ATTRIBUTES": "team=a"},
			opts: []observe.Option{observe.WithServiceName("api"), observe.WithServiceVersion("v9"), observe.WithEnvironment("production"), observe.WithResourceAttributes(attribute.String("team", "b"))},
			want: map[string]string{"service.name": "api", "service.version": "v9", "deployment.environment.name": "production", "team": "b"},
		},
	} {
		t.Run(tc.name, func(t *testing.T) {
			rec := tracetest.NewSpanRecorder()
			tel := configure(t, tc.vars, append(tc.opts, observe.WithSpanProcessor(rec))...)
			_, span := tel.TracerProvider().Tracer("t").Start(context.Background(), "op")
			span.End()
			s := rec.Ended()[0]
			for k, want := range tc.want {
				if got := resourceValue(s, k); got != want {
					t.Errorf("%s = %q; want %q", k, got, want)
				}
			}
			if resourceValue(s, "host.name") == "" {
				t.Error("host.name not detected")
			}
		})
	}
}

func TestConfigureSamplerFromEnvironment(t *testing.T) {
	remoteSampled := trace.NewSpanContext(trace.SpanContextConfig{
		TraceID: trace.TraceID{1}, SpanID: trace.SpanID{1}, TraceFlags: trace.FlagsSampled, Remote: true,
	})
	for _, tc := range []struct {
		sampler, arg           string
		wantRoot, wantChildren bool
	}{
		{"", "", true, true},
		{"always_on", "", true, true},
		{"always_off", "", false, false},
		{"traceidratio", "0", false, false},
		{"traceidratio", "1", true, true},
		{"parentbased_always_off", "", false, true},
		{"parentbased_traceidratio", "0", false, true},
		{"parentbased_always_on", "", true, true},
	} {
		t.Run(tc.sampler+"/"+tc.arg, func(t *testing.T) {
			vars := map[string]string{"OTEL_TRACES_SAMPLER": tc.sampler, "OTEL_TRACES_SAMPLER_ARG": tc.arg}
			tel := configure(t, vars)
			tr := tel.TracerProvider().Tracer("t")
			_, root := tr.Start(context.Background(), "root")
			root.End()
			_, child := tr.Start(trace.ContextWithRemoteSpanContext(context.Background(), remoteSampled), "child")
			child.End()
			if got := root.SpanContext().IsSampled(); got != tc.wantRoot {
				t.Errorf("root sampled = %v; want %v", got, tc.wantRoot)
			}
			if got := child.SpanContext().IsSampled(); got != tc.wantChildren {
				t.Errorf("child of a sampled remote parent sampled = %v; want %v", got, tc.wantChildren)
			}
		})
	}
}

func TestConfigurePropagators(t *testing.T) {
	for _, tc := range []struct {
		value string
		want  []string // headers injected
		not   []string
	}{
		{"", []string{"traceparent", "baggage"}, []string{"b3"}},
		{"tracecontext", []string{"traceparent"}, []string{"baggage"}},
		{"b3", []string{"b3"}, []string{"traceparent", "x-b3-traceid"}},
		{"b3multi,baggage", []string{"x-b3-traceid", "baggage"}, []string{"traceparent"}},
		{"none", nil, []string{"traceparent", "baggage", "b3"}},
	} {
		t.Run(tc.value, func(t *testing.T) {
			tel := configure(t, map[string]string{"OTEL_PROPAGATORS": tc.value})
			ctx, span := tel.TracerProvider().Tracer("t").Start(context.Background(), "op")
			defer span.End()
			ctx = withBaggage(t, ctx)
			carrier := propagation.MapCarrier{}
			tel.Propagator().Inject(ctx, carrier)
			for _, h := range tc.want {
				if carrier.Get(h) == "" {
					t.Errorf("header %s not injected (got %v)", h, carrier.Keys())
				}
			}
			for _, h := range tc.not {
				if carrier.Get(h) != "" {
					t.Errorf("header %s injected; want it absent", h)
				}
			}
		})
	}
}

func TestConfigureDisabled(t *testing.T) {
	tel, err := observe.Configure(observe.WithEnvLookup(env.FromMap(map[string]string{
		"OTEL_SDK_DISABLED":    "TRUE",
		"OTEL_TRACES_EXPORTER": "not-even-checked",
	})))
	if err != nil {
		t.Fatalf("Configure: %v", err)
	}
	if otel.GetTracerProvider() == tel.TracerProvider() {
		t.Error("disabled SDK registered a global TracerProvider")
	}
	ctx, span := tel.TracerProvider().Tracer("t").Start(context.Background(), "op")
	if span.SpanContext().IsValid() {
		t.Error("disabled SDK made a real span")
	}
	span.End()
	c, err := tel.MeterProvider().Meter("m").Int64Counter("app.requests")
	if err != nil {
		t.Fatal(err)
	}
	c.Add(ctx, 1)
	if tel.Logger() == nil {
		t.Fatal("Logger is nil")
	}
	tel.Logger().InfoContext(ctx, "dropped")
	if tel.LoggerProvider() == nil || tel.Propagator() == nil {
		t.Fatal("nil provider or propagator")
	}
	rr := httptest.NewRecorder()
	tel.MetricsHandler().ServeHTTP(rr, httptest.NewRequest("GET", "/metrics", nil))
	if rr.Code != http.StatusOK {
		t.Errorf("MetricsHandler status = %d", rr.Code)
	}
	if strings.Contains(rr.Body.String(), "app_requests") {
		t.Error("disabled SDK exposes metrics")
	}
	if err := tel.ForceFlush(ctx); err != nil {
		t.Errorf("ForceFlush: %v", err)
	}
	for range 2 {
		if err := tel.Shutdown(ctx); err != nil {
			t.Errorf("Shutdown: %v", err)
		}
	}
}

func TestMetricsHandlerWhateverTheExporter(t *testing.T) {
	sink := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { _, _ = io.Copy(io.Discard, r.Body) }))
	defer sink.Close()
	for _, vars := range []map[string]string{
		{},
		{"OTEL_METRICS_EXPORTER": "none"},
		{"OTEL_METRICS_EXPORTER": "otlp", "OTEL_EXPORTER_OTLP_ENDPOINT": sink.URL},
		{"OTEL_METRICS_EXPORTER": "console"},
	} {
		t.Run(vars["OTEL_METRICS_EXPORTER"], func(t *testing.T) {
			tel := configure(t, vars, observe.WithErrorWriter(io.Discard))
			c, err := tel.MeterProvider().Meter("shop").Int64Counter("app.requests", metricNoDesc())
			if err != nil {
				t.Fatal(err)
			}
			c.Add(context.Background(), 3, metricAttr("route", "/hello"))
			body := scrape(t, tel.MetricsHandler())
			if !strings.Contains(body, `app_requests_total{`) || !strings.Contains(body, `route="/hello"`) {
				t.Fatalf("exposition lacks app_requests_total with its label:\n%s", body)
			}
			if !strings.Contains(body, "target_info{") {
				t.Errorf("exposition lacks target_info:\n%s", body)
			}
		})
	}
}

func scrape(t *testing.T, h http.Handler) string {
	t.Helper()
	rr := httptest.NewRecorder()
	h.ServeHTTP(rr, httptest.NewRequest("GET", "/metrics", nil))
	if rr.Code != http.StatusOK {
		t.Fatalf("status %d: %s", rr.Code, rr.Body)
	}
	return rr.Body.String()
}

func TestPrometheusExporterServesItsOwnPort(t *testing.T) {
	port := freePort(t)
	tel := configure(t, map[string]string{
		"OTEL_METRICS_EXPORTER":         "prometheus",
		"OTEL_EXPORTER_PROMETHEUS_HOST": "127.0.0.1",
		"OTEL_EXPORTER_PROMETHEUS_PORT": strconv.Itoa(port),
	})
	g, _ := tel.MeterProvider().Meter("shop").Int64UpDownCounter("active.checkouts")
	g.Add(context.Background(), 2)
	resp, err := http.Get("http://127.0.0.1:" + strconv.Itoa(port) + "/metrics")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	if !strings.Contains(string(body), "active_checkouts 2") && !strings.Contains(string(body), "active_checkouts{") {
		t.Fatalf("own port does not serve the metric:\n%s", body)
	}
	if !strings.Contains(scrape(t, tel.MetricsHandler()), "active_checkouts") {
		t.Fatal("MetricsHandler does not serve the metric")
	}
}

func TestPrometheusPortInUseIsAnError(t *testing.T) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	_, port, _ := net.SplitHostPort(l.Addr().String())
	_, err = observe.Configure(observe.WithoutGlobals(), observe.WithConsoleWriter(io.Discard), observe.WithEnvLookup(env.FromMap(map[string]string{
		"OTEL_METRICS_EXPORTER":         "prometheus,otlp",
		"OTEL_EXPORTER_OTLP_ENDPOINT":   "http://127.0.0.1:1",
		"OTEL_EXPORTER_PROMETHEUS_HOST": "127.0.0.1",
		"OTEL_EXPORTER_PROMETHEUS_PORT": port,
	})))
	if err == nil || !strings.Contains(err.Error(), "OTEL_EXPORTER_PROMETHEUS_PORT") || !strings.Contains(err.Error(), port) {
		t.Fatalf("error = %v; want one naming the port variable and %s", err, port)
	}
	// goleak (TestMain) checks that the exporters made before the failure were shut down.
}

func TestLoggerCorrelatesAndFiltersByLevel(t *testing.T) {
	var out syncBuffer
	tel := configure(t, map[string]string{"OBSERVE_LOG_LEVEL": "warn"},
		observe.WithConsoleWriter(&out), observe.WithLogsExporters("stdout"), observe.WithTracesExporters("none"))
	ctx, span := tel.TracerProvider().Tracer("t").Start(context.Background(), "op")
	tel.Logger().InfoContext(ctx, "below the level")
	tel.Logger().WarnContext(ctx, "disk almost full", slog.Int("free_mb", 12))
	span.End()
	tel.Logger().ErrorContext(context.Background(), "outside any span")
	if err := tel.ForceFlush(context.Background()); err != nil {
		t.Fatal(err)
	}
	lines := jsonLines(t, out.String())
	if len(lines) != 2 {
		t.Fatalf("got %d records; want 2 (info dropped at warn):\n%s", len(lines), out.String())
	}
	if lines[0]["msg"] != "disk almost full" || lines[0]["level"] != "WARN" || lines[0]["free_mb"] != float64(12) {
		t.Errorf("first record = %v", lines[0])
	}
	if got, want := lines[0]["trace_id"], span.SpanContext().TraceID().String(); got != want {
		t.Errorf("trace_id = %v; want %v", got, want)
	}
	if got, want := lines[0]["span_id"], span.SpanContext().SpanID().String(); got != want {
		t.Errorf("span_id = %v; want %v", got, want)
	}
	if got, ok := lines[1]["trace_id"]; ok {
		t.Errorf("record outside a span has trace_id %v", got)
	}
}

func TestLoggerLevelVarChangesAtRunTime(t *testing.T) {
	var lvl slog.LevelVar
	lvl.Set(slog.LevelError)
	tel := configure(t, map[string]string{"OBSERVE_LOG_LEVEL": "debug"}, observe.WithLogLevel(&lvl))
	ctx := context.Background()
	if tel.Logger().Enabled(ctx, slog.LevelWarn) {
		t.Error("warn enabled at error level (WithLogLevel must beat OBSERVE_LOG_LEVEL)")
	}
	lvl.Set(slog.LevelDebug)
	if !tel.Logger().Enabled(ctx, slog.LevelDebug) {
		t.Error("debug disabled after lowering the level")
	}
}

func TestConsoleJSONFormat(t *testing.T) {
	var out syncBuffer
	tel := configure(t, map[string]string{"OBSERVE_CONSOLE_FORMAT": "json"}, observe.WithConsoleWriter(&out))
	ctx, span := tel.TracerProvider().Tracer("t").Start(context.Background(), "GET /hello")
	tel.Logger().InfoContext(ctx, "hello")
	span.End()
	if err := tel.ForceFlush(ctx); err != nil {
		t.Fatal(err)
	}
	var sawSpan, sawLog bool
	for _, l := range jsonLines(t, out.String()) {
		if l["Name"] == "GET /hello" {
			sawSpan = true
			sc := l["SpanContext"].(map[string]any)
			if sc["TraceID"] != span.SpanContext().TraceID().String() {
				t.Errorf("span TraceID = %v", sc["TraceID"])
			}
		}
		if l["msg"] == "hello" {
			sawLog = true
			if l["trace_id"] != span.SpanContext().TraceID().String() || l["span_id"] != span.SpanContext().SpanID().String() {
				t.Errorf("log line ids %v/%v; want the span's", l["trace_id"], l["span_id"])
			}
		}
	}
	if !sawSpan || !sawLog {
		t.Fatalf("span seen %v, log seen %v, in:\n%s", sawSpan, sawLog, out.String())
	}
}

func TestConsoleDefaultPrintsTree(t *testing.T) {
	var out syncBuffer
	tel := configure(t, nil, observe.WithConsoleWriter(&out))
	tr := tel.TracerProvider().Tracer("t")
	ctx, parent := tr.Start(context.Background(), "handle order")
	_, child := tr.Start(ctx, "charge card")
	tel.Logger().InfoContext(ctx, "order accepted")
	child.End()
	parent.End()
	if err := tel.ForceFlush(ctx); err != nil {
		t.Fatal(err)
	}
	got := out.String()
	iParent, iChild, iLog := strings.Index(got, "handle order"), strings.Index(got, "  charge card"), strings.Index(got, "order accepted")
	if iParent < 0 || iChild < 0 || iLog < 0 || !(iParent < iChild) {
		t.Fatalf("console output lacks the nested tree:\n%s", got)
	}
	if strings.Contains(got, "\x1b[") {
		t.Errorf("colour written to a non-terminal:\n%q", got)
	}
}

func TestShutdownWithCollectorDown(t *testing.T) {
	port := freePort(t) // nothing listens there
	for _, proto := range []string{"http/protobuf", "grpc"} {
		t.Run(proto, func(t *testing.T) {
			var errs syncBuffer
			start := time.Now()
			tel, err := observe.Configure(observe.WithoutGlobals(), observe.WithErrorWriter(&errs), observe.WithEnvLookup(env.FromMap(map[string]string{
				"OTEL_EXPORTER_OTLP_ENDPOINT": "http://127.0.0.1:" + strconv.Itoa(port),
				"OTEL_EXPORTER_OTLP_PROTOCOL": proto,
				// Exports give up before the Shutdown deadline, so that no
				// export goroutine outlives the test.
				"OTEL_EXPORTER_OTLP_TIMEOUT": "300",
			})))
			if err != nil {
				t.Fatalf("Configure with the collector down: %v", err)
			}
			if d := time.Since(start); d > 2*time.Second {
				t.Errorf("Configure took %v with the collector down", d)
			}
			ctx, span := tel.TracerProvider().Tracer("t").Start(context.Background(), "op")
			tel.Logger().InfoContext(ctx, "hello")
			span.End()
			dctx, cancel := context.WithTimeout(context.Background(), time.Second)
			defer cancel()
			start = time.Now()
			err = tel.Shutdown(dctx)
			if d := time.Since(start); d > 3*time.Second {
				t.Errorf("Shutdown took %v with a 1s deadline", d)
			}
			if err == nil {
				t.Error("Shutdown reported no error although nothing could be exported")
			}
			if again := tel.Shutdown(context.Background()); !errors.Is(again, err) && again.Error() != err.Error() {
				t.Errorf("second Shutdown = %v; want the first result %v", again, err)
			}
		})
	}
}

func TestErrorHandlerIsRateLimited(t *testing.T) {
	// The global error handler is set by Configure without WithoutGlobals.
	prevTP, prevMP, prevProp := otel.GetTracerProvider(), otel.GetMeterProvider(), otel.GetTextMapPropagator()
	t.Cleanup(func() {
		otel.SetTracerProvider(prevTP)
		otel.SetMeterProvider(prevMP)
		otel.SetTextMapPropagator(prevProp)
	})
	var errs syncBuffer
	tel, err := observe.Configure(observe.WithErrorWriter(&errs), observe.WithConsoleWriter(io.Discard), observe.WithEnvLookup(env.FromMap(nil)))
	if err != nil {
		t.Fatal(err)
	}
	defer tel.Shutdown(context.Background())
	if otel.GetTracerProvider() != tel.TracerProvider() {
		t.Error("TracerProvider not registered as the global one")
	}
	for range 50 {
		otel.Handle(errors.New("failed to upload: connection refused"))
	}
	if got := strings.Count(errs.String(), "connection refused"); got != 1 {
		t.Fatalf("error written %d times; want once:\n%s", got, errs.String())
	}
}

func TestTelemetryConcurrentSafe(t *testing.T) {
	tel := configure(t, map[string]string{"OTEL_METRICS_EXPORTER": "console"})
	var wg sync.WaitGroup
	for i := range 8 {
		wg.Go(func() {
			tr := tel.TracerProvider().Tracer("t")
			c, _ := tel.MeterProvider().Meter("m").Int64Counter("work.done")
			for j := range 50 {
				ctx, s := tr.Start(context.Background(), "work")
				tel.Logger().InfoContext(ctx, "step", "i", i, "j", j)
				c.Add(ctx, 1)
				s.End()
			}
			_ = tel.ForceFlush(context.Background())
			_ = scrape(t, tel.MetricsHandler())
		})
	}
	wg.Wait()
}

func TestWithMetricReaderAndView(t *testing.T) {
	reader := sdkmetric.NewManualReader()
	tel := configure(t, nil, observe.WithMetricReader(reader), observe.WithView(sdkmetric.NewView(
		sdkmetric.Instrument{Name: "payment.duration"},
		sdkmetric.Stream{Aggregation: sdkmetric.AggregationExplicitBucketHistogram{Boundaries: []float64{.1, .25, .5, 1, 2, 5}}},
	)))
	h, _ := tel.MeterProvider().Meter("shop").Float64Histogram("payment.duration")
	h.Record(context.Background(), 0.3)
	var rm metricdata.ResourceMetrics
	if err := reader.Collect(context.Background(), &rm); err != nil {
		t.Fatal(err)
	}
	var hist metricdata.Histogram[float64]
	for _, sm := range rm.ScopeMetrics {
		if sm.Scope.Name == "shop" {
			hist = sm.Metrics[0].Data.(metricdata.Histogram[float64])
		}
	}
	if len(hist.DataPoints) != 1 {
		t.Fatalf("payment.duration: %d data points; want 1", len(hist.DataPoints))
	}
	if got := hist.DataPoints[0].Bounds; len(got) != 6 || got[2] != .5 {
		t.Fatalf("bounds = %v; want the view's", got)
	}
}

func freePort(t *testing.T) int {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port
}

func jsonLines(t *testing.T, s string) []map[string]any {
	t.Helper()
	var out []map[string]any
	sc := bufio.NewScanner(strings.NewReader(s))
	sc.Buffer(nil, 1<<20)
	for sc.Scan() {
		var m map[string]any
		if err := json.Unmarshal(sc.Bytes(), &m); err != nil {
			t.Fatalf("line is not one JSON object: %v\n%s", err, sc.Text())
		}
		out = append(out, m)
	}
	return out
}

// syncBuffer is a bytes.Buffer safe for the console's flush timer.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}
