package exporters

import (
	"context"
	"errors"
	"fmt"
	"sync"

	sdklog "go.opentelemetry.io/otel/sdk/log"
	sdkmetric "go.opentelemetry.io/otel/sdk/metric"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
)

// Lookup returns the value of an environment variable and whether it is set.
// Factories read their settings through it rather than [os.Getenv], so a
// Telemetry configured from a replaced environment stays consistent.
type Lookup = func(key string) (string, bool)

// SpanExporterFactory makes a span exporter. Its spans are sent through a
// batch span processor configured by the OTEL_BSP_* variables.
type SpanExporterFactory func(ctx context.Context, lookup Lookup) (sdktrace.SpanExporter, error)

// MetricReaderFactory makes a metric reader.
type MetricReaderFactory func(ctx context.Context, lookup Lookup) (sdkmetric.Reader, error)

// LogExporterFactory makes a log exporter. Its records are sent through a
// batch log processor configured by the OTEL_BLRP_* variables.
type LogExporterFactory func(ctx context.Context, lookup Lookup) (sdklog.Exporter, error)

// ErrDuplicate is returned when a name is registered twice or is one of the
// built-in names.
var ErrDuplicate = errors.New("exporter name already registered")

// builtin lists the names every signal reserves.
var builtin = map[string]bool{"otlp": true, "console": true, "stdout": true, "none": true, "prometheus": true}

var registry = struct {
	sync.RWMutex
	spans   map[string]SpanExporterFactory
	metrics map[string]MetricReaderFactory
	logs    map[string]LogExporterFactory
}{
	spans:   map[string]SpanExporterFactory{},
	metrics: map[string]MetricReaderFactory{},
	logs:    map[string]LogExporterFactory{},
}

func register[F any](m map[string]F, name string, f F) error {
	if err := checkName(name); err != nil {
		return err
	}
	registry.Lock()
	defer registry.Unlock()
	if _, ok := m[name]; ok || builtin[name] {
		return fmt.Errorf("%w: %q", ErrDuplicate, name)
	}
	m[name] = f
	return nil
}

func checkName(name string) error {
	if name == "" {
		return errors.New("exporter name is empty")
	}
	for _, c := range name {
		if !(c >= 'a' && c <= 'z' || c >= '0' && c <= '9' || c == '_' || c == '-' || c == '.' || c == '/') {
			return fmt.Errorf("exporter name %q: use lower-case letters, digits and _-./", name)
		}
	}
	return nil
}

// RegisterSpanExporter makes name usable in OTEL_TRACES_EXPORTER and in
// observe's exporter options. It fails for a nil factory, a built-in name
// (otlp, console, stdout, none, prometheus) or a name already registered.
func RegisterSpanExporter(name string, f SpanExporterFactory) error {
	if f == nil {
		return errors.New("nil SpanExporterFactory")
	}
	return register(registry.spans, name, f)
}

// RegisterMetricReader makes name usable in OTEL_METRICS_EXPORTER and in
// observe's exporter options, with the same rules as [RegisterSpanExporter].
func RegisterMetricReader(name string, f MetricReaderFactory) error {
	if f == nil {
		return errors.New("nil MetricReaderFactory")
	}
	return register(registry.metrics, name, f)
}

// RegisterLogExporter makes name usable in OTEL_LOGS_EXPORTER and in
// observe's exporter options, with the same rules as [RegisterSpanExporter].
func RegisterLogExporter(name string, f LogExporterFactory) error {
	if f == nil {
		return errors.New("nil LogExporterFactory")
	}
	return register(registry.logs, name, f)
}

func lookupFactory[F any](m map[string]F, name string) (F, bool) {
	registry.RLock()
	defer registry.RUnlock()
	f, ok := m[name]
	return f, ok
}
