package exporters

import (
	"context"
	"errors"
	"io"
	"strings"
	"testing"

	sdklog "go.opentelemetry.io/otel/sdk/log"
	sdkmetric "go.opentelemetry.io/otel/sdk/metric"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/sdk/trace/tracetest"

	"github.com/observe-go/observe/internal/env"
)

func build(t *testing.T, vars map[string]string, cfg Config) *Pipelines {
	t.Helper()
	cfg.Lookup = env.FromMap(vars)
	if cfg.Console == nil {
		cfg.Console = io.Discard
	}
	p, err := Build(context.Background(), cfg)
	if err != nil {
		t.Fatalf("Build: %v", err)
	}
	t.Cleanup(func() { _ = p.Shutdown(context.Background()) })
	return p
}

func TestBuildChoosesExporters(t *testing.T) {
	for _, tc := range []struct {
		name                  string
		vars                  map[string]string
		cfg                   Config
		traces, metrics, logs string
		spanProcs, readers    int
	}{
		{name: "nothing set: console, no metrics export, no network", traces: "console", metrics: "none", logs: "console", spanProcs: 1, readers: 1},
		{name: "generic endpoint", vars: map[string]string{"OTEL_EXPORTER_OTLP_ENDPOINT": "http://127.0.0.1:4318"}, traces: "otlp", metrics: "otlp", logs: "otlp", spanProcs: 1, readers: 2},
		{name: "traces endpoint only", vars: map[string]string{"OTEL_EXPORTER_OTLP_TRACES_ENDPOINT": "http://127.0.0.1:4318/v1/traces"}, traces: "otlp", metrics: "none", logs: "console", spanProcs: 1, readers: 1},
		{name: "lists", vars: map[string]string{"OTEL_TRACES_EXPORTER": "console,otlp", "OTEL_METRICS_EXPORTER": "console", "OTEL_LOGS_EXPORTER": "none"}, traces: "console,otlp", metrics: "console", logs: "none", spanProcs: 2, readers: 2},
		{name: "options beat environment", vars: map[string]string{"OTEL_TRACES_EXPORTER": "otlp"}, cfg: Config{Traces: []string{"none"}, Metrics: []string{"stdout"}, Logs: []string{"stdout"}}, traces: "none", metrics: "stdout", logs: "stdout", spanProcs: 0, readers: 2},
		{name: "duplicates removed", vars: map[string]string{"OTEL_TRACES_EXPORTER": "console,CONSOLE"}, traces: "console", metrics: "none", logs: "console", spanProcs: 1, readers: 1},
	} {
		t.Run(tc.name, func(t *testing.T) {
			p := build(t, tc.vars, tc.cfg)
			if got := strings.Join(p.Traces, ","); got != tc.traces {
				t.Errorf("traces = %s; want %s", got, tc.traces)
			}
			if got := strings.Join(p.Metrics, ","); got != tc.metrics {
				t.Errorf("metrics = %s; want %s", got, tc.metrics)
			}
			if got := strings.Join(p.Logs, ","); got != tc.logs {
				t.Errorf("logs = %s; want %s", got, tc.logs)
			}
			if printed := strings.Contains(tc.logs, "console") || strings.Contains(tc.logs, "stdout"); p.LogsPrinted != printed {
				t.Errorf("LogsPrinted = %v with logs %s", p.LogsPrinted, tc.logs)
			}
			if len(p.SpanProcessors) != tc.spanProcs || len(p.MetricReaders) != tc.readers {
				t.Errorf("%d span processors, %d readers; want %d, %d", len(p.SpanProcessors), len(p.MetricReaders), tc.spanProcs, tc.readers)
			}
			if p.MetricsHandler() == nil || p.Registry() == nil {
				t.Error("no MetricsHandler")
			}
		})
	}
}

func TestReadOTLP(t *testing.T) {
	for _, tc := range []struct {
		name     string
		vars     map[string]string
		signal   string
		endpoint string
		protocol string
		headers  map[string]string
		timeout  string
		gzip     bool
	}{
		{name: "defaults http", signal: "traces", endpoint: "http://localhost:4318/v1/traces", protocol: "http/protobuf", timeout: "10s"},
		{name: "defaults grpc", vars: map[string]string{"OTEL_EXPORTER_OTLP_PROTOCOL": "grpc"}, signal: "logs", endpoint: "http://localhost:4317", protocol: "grpc", timeout: "10s"},
		{name: "generic base gets the path", vars: map[string]string{"OTEL_EXPORTER_OTLP_ENDPOINT": "https://otel.example.com/ingest/"}, signal: "metrics", endpoint: "https://otel.example.com/ingest/v1/metrics", protocol: "http/protobuf", timeout: "10s"},
		{name: "per-signal endpoint used as it is", vars: map[string]string{"OTEL_EXPORTER_OTLP_ENDPOINT": "http://a:4318", "OTEL_EXPORTER_OTLP_LOGS_ENDPOINT": "http://b:9999/custom"}, signal: "logs", endpoint: "http://b:9999/custom", protocol: "http/protobuf", timeout: "10s"},
		{name: "grpc keeps the base", vars: map[string]string{"OTEL_EXPORTER_OTLP_ENDPOINT": "http://c:4317", "OTEL_EXPORTER_OTLP_TRACES_PROTOCOL": "grpc"}, signal: "traces", endpoint: "http://c:4317", protocol: "grpc", timeout: "10s"},
		{
			name:   "per-signal headers, timeout and compression win",
			vars:   map[string]string{"OTEL_EXPORTER_OTLP_HEADERS": "a=1", "OTEL_EXPORTER_OTLP_METRICS_HEADERS": "api-key=s%3Dx,b=2", "OTEL_EXPORTER_OTLP_TIMEOUT": "100", "OTEL_EXPORTER_OTLP_METRICS_TIMEOUT": "2500", "OTEL_EXPORTER_OTLP_METRICS_COMPRESSION": "gzip"},
			signal: "metrics", endpoint: "http://localhost:4318/v1/metrics", protocol: "http/protobuf", headers: map[string]string{"api-key": "s=x", "b": "2"}, timeout: "2.5s", gzip: true,
		},
	} {
		t.Run(tc.name, func(t *testing.T) {
			s, err := ReadOTLP(env.FromMap(tc.vars), tc.signal)
			if err != nil {
				t.Fatal(err)
			}
			if s.Endpoint.String() != tc.endpoint || s.Protocol != tc.protocol || s.Timeout.String() != tc.timeout || s.Gzip != tc.gzip {
				t.Errorf("got %s %s %s gzip=%v; want %s %s %s gzip=%v", s.Endpoint, s.Protocol, s.Timeout, s.Gzip, tc.endpoint, tc.protocol, tc.timeout, tc.gzip)
			}
			if len(s.Headers) != len(tc.headers) {
				t.Errorf("headers = %v; want %v", s.Headers, tc.headers)
			}
			for k, v := range tc.headers {
				if s.Headers[k] != v {
					t.Errorf("header %s = %q; want %q", k, s.Headers[k], v)
				}
			}
		})
	}
}

func TestRegistry(t *testing.T) {
	rec := tracetest.NewInMemoryExporter()
	var sawLookup string
	err := RegisterSpanExporter("memory-test", func(_ context.Context, lookup Lookup) (sdktrace.SpanExporter, error) {
		sawLookup, _ = lookup("MEMORY_TEST_SETTING")
		return rec, nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if err := RegisterSpanExporter("memory-test", nil); err == nil {
		t.Error("nil factory accepted")
	}
	for _, name := range []string{"memory-test", "otlp", "console"} {
		err := RegisterSpanExporter(name, func(context.Context, Lookup) (sdktrace.SpanExporter, error) { return rec, nil })
		if !errors.Is(err, ErrDuplicate) {
			t.Errorf("RegisterSpanExporter(%q) = %v; want ErrDuplicate", name, err)
		}
	}
	if err := RegisterMetricReader("Bad Name", func(context.Context, Lookup) (sdkmetric.Reader, error) { return nil, nil }); err == nil {
		t.Error("bad name accepted")
	}

	p := build(t, map[string]string{"OTEL_TRACES_EXPORTER": "memory-test", "MEMORY_TEST_SETTING": "from-lookup"}, Config{})
	if sawLookup != "from-lookup" {
		t.Errorf("factory read %q through its lookup; want from-lookup", sawLookup)
	}
	tp := sdktrace.NewTracerProvider(sdktrace.WithSpanProcessor(p.SpanProcessors[0]))
	_, s := tp.Tracer("t").Start(context.Background(), "custom")
	s.End()
	if err := tp.ForceFlush(context.Background()); err != nil {
		t.Fatal(err)
	}
	if got := rec.GetSpans(); len(got) != 1 || got[0].Name != "custom" {
		t.Fatalf("registered exporter got %v", got)
	}

	failing := errors.New("cannot start")
	_ = RegisterLogExporter("failing-test", func(context.Context, Lookup) (sdklog.Exporter, error) { return nil, failing })
	_, err = Build(context.Background(), Config{Lookup: env.FromMap(map[string]string{"OTEL_LOGS_EXPORTER": "failing-test", "OTEL_TRACES_EXPORTER": "console"}), Console: io.Discard})
	if !errors.Is(err, failing) || !strings.Contains(err.Error(), "failing-test") {
		t.Fatalf("Build = %v; want the factory's error naming the exporter", err)
	}
}
