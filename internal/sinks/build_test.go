package sinks

import (
	"context"
	"errors"
	"fmt"
	"io"
	"strings"
	"sync/atomic"
	"testing"

	sdklog "go.opentelemetry.io/otel/sdk/log"
	sdkmetric "go.opentelemetry.io/otel/sdk/metric"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/sdk/trace/tracetest"

	"github.com/observe-go/observe/internal/env"
	"github.com/observe-go/observe/internal/settings"
)

func resolve(t *testing.T, vars map[string]string, o settings.Options) settings.Settings {
	t.Helper()
	o.Lookup = env.FromMap(vars)
	if o.Console == nil {
		o.Console = io.Discard
	}
	s, err := settings.Resolve(o, Known)
	if err != nil {
		t.Fatalf("Resolve: %v", err)
	}
	return s
}

func build(t *testing.T, vars map[string]string, o settings.Options) (*Sinks, settings.Settings) {
	t.Helper()
	s := resolve(t, vars, o)
	p, err := Build(context.Background(), &s)
	if err != nil {
		t.Fatalf("Build: %v", err)
	}
	t.Cleanup(func() { _ = p.Shutdown(context.Background()) })
	return p, s
}

// TestDeltaExporterAggregatesForItself: an exporter that wants delta
// sums cannot read the cumulative aggregation the Prometheus reader
// serves, so each keeps its own.
func TestDeltaExporterAggregatesForItself(t *testing.T) {
	// The OTLP exporter reads its temporality preference from the
	// process environment.
	t.Setenv("OTEL_EXPORTER_OTLP_METRICS_TEMPORALITY_PREFERENCE", "delta")
	p, _ := build(t, map[string]string{"OTEL_EXPORTER_OTLP_ENDPOINT": "http://127.0.0.1:4318", "OTEL_METRICS_EXPORTER": "otlp"}, settings.Options{})
	if len(p.MetricReaders) != 2 || len(p.SharedReaders) != 0 {
		t.Errorf("%d readers, %d sharing; want 2 (otlp, prometheus), 0", len(p.MetricReaders), len(p.SharedReaders))
	}
}

func TestBuildChoosesExporters(t *testing.T) {
	for _, tc := range []struct {
		name                  string
		vars                  map[string]string
		cfg                   settings.Options
		traces, metrics, logs string
		spanSinks, readers    int
		shared                int // readers of the shared aggregation
	}{
		{name: "nothing set: console, no metrics export, no network", traces: "console", metrics: "none", logs: "console", spanSinks: 1, readers: 1},
		{name: "generic endpoint", vars: map[string]string{"OTEL_EXPORTER_OTLP_ENDPOINT": "http://127.0.0.1:4318"}, traces: "otlp", metrics: "otlp", logs: "otlp", spanSinks: 1, readers: 1, shared: 2},
		{name: "traces endpoint only", vars: map[string]string{"OTEL_EXPORTER_OTLP_TRACES_ENDPOINT": "http://127.0.0.1:4318/v1/traces"}, traces: "otlp", metrics: "none", logs: "console", spanSinks: 1, readers: 1},
		{name: "lists", vars: map[string]string{"OTEL_TRACES_EXPORTER": "console,otlp", "OTEL_METRICS_EXPORTER": "console", "OTEL_LOGS_EXPORTER": "none"}, traces: "console,otlp", metrics: "console", logs: "none", spanSinks: 2, readers: 1, shared: 2},
		{name: "options beat environment", vars: map[string]string{"OTEL_TRACES_EXPORTER": "otlp"}, cfg: settings.Options{TracesExporters: []string{"none"}, MetricsExporters: []string{"stdout"}, LogsExporters: []string{"stdout"}}, traces: "none", metrics: "stdout", logs: "stdout", spanSinks: 0, readers: 1, shared: 2},
		{name: "duplicates removed", vars: map[string]string{"OTEL_TRACES_EXPORTER": "console,CONSOLE"}, traces: "console", metrics: "none", logs: "console", spanSinks: 1, readers: 1},
	} {
		t.Run(tc.name, func(t *testing.T) {
			p, s := build(t, tc.vars, tc.cfg)
			if got := strings.Join(s.Traces, ","); got != tc.traces {
				t.Errorf("traces = %s; want %s", got, tc.traces)
			}
			if got := strings.Join(s.Metrics, ","); got != tc.metrics {
				t.Errorf("metrics = %s; want %s", got, tc.metrics)
			}
			if got := strings.Join(s.Logs, ","); got != tc.logs {
				t.Errorf("logs = %s; want %s", got, tc.logs)
			}
			if printed := strings.Contains(tc.logs, "console") || strings.Contains(tc.logs, "stdout"); (len(p.LogPrinters) > 0) != printed {
				t.Errorf("%d log printers with logs %s", len(p.LogPrinters), tc.logs)
			}
			if n := len(p.SpanPrinters) + len(p.SpanExporters); n != tc.spanSinks || len(p.MetricReaders) != tc.readers || len(p.SharedReaders) != tc.shared {
				t.Errorf("%d span sinks, %d readers, %d sharing; want %d, %d, %d", n, len(p.MetricReaders), len(p.SharedReaders), tc.spanSinks, tc.readers, tc.shared)
			}
			if p.MetricsHandler == nil {
				t.Error("no MetricsHandler")
			}
		})
	}
}

// runs numbers the runs of TestRegistry: names cannot be unregistered.
var runs atomic.Int64

func TestRegistry(t *testing.T) {
	run := runs.Add(1)
	memName, failName := fmt.Sprintf("memory-test-%d", run), fmt.Sprintf("failing-test-%d", run)
	rec := tracetest.NewInMemoryExporter()
	var sawLookup string
	err := RegisterSpanExporter(memName, func(_ context.Context, lookup func(string) (string, bool)) (sdktrace.SpanExporter, error) {
		sawLookup, _ = lookup("MEMORY_TEST_SETTING")
		return rec, nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if err := RegisterSpanExporter(memName, nil); err == nil {
		t.Error("nil factory accepted")
	}
	for _, name := range []string{memName, "otlp", "console"} {
		err := RegisterSpanExporter(name, func(context.Context, func(string) (string, bool)) (sdktrace.SpanExporter, error) { return rec, nil })
		if !errors.Is(err, ErrDuplicate) {
			t.Errorf("RegisterSpanExporter(%q) = %v; want ErrDuplicate", name, err)
		}
	}
	if err := RegisterMetricReader("Bad Name", func(context.Context, func(string) (string, bool)) (sdkmetric.Reader, error) { return nil, nil }); err == nil {
		t.Error("bad name accepted")
	}

	p, _ := build(t, map[string]string{"OTEL_TRACES_EXPORTER": memName, "MEMORY_TEST_SETTING": "from-lookup"}, settings.Options{})
	if sawLookup != "from-lookup" {
		t.Errorf("factory read %q through its lookup; want from-lookup", sawLookup)
	}
	tp := sdktrace.NewTracerProvider(sdktrace.WithSyncer(p.SpanExporters[0].Exporter))
	_, s := tp.Tracer("t").Start(context.Background(), "custom")
	s.End()
	if err := tp.ForceFlush(context.Background()); err != nil {
		t.Fatal(err)
	}
	if got := rec.GetSpans(); len(got) != 1 || got[0].Name != "custom" {
		t.Fatalf("registered exporter got %v", got)
	}

	failing := errors.New("cannot start")
	_ = RegisterLogExporter(failName, func(context.Context, func(string) (string, bool)) (sdklog.Exporter, error) { return nil, failing })
	st := resolve(t, map[string]string{"OTEL_LOGS_EXPORTER": failName, "OTEL_TRACES_EXPORTER": "console"}, settings.Options{})
	_, err = Build(context.Background(), &st)
	if !errors.Is(err, failing) || !strings.Contains(err.Error(), failName) {
		t.Fatalf("Build = %v; want the factory's error naming the exporter", err)
	}
}
