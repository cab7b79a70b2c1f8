package exporters

import (
	"context"

	sdklog "go.opentelemetry.io/otel/sdk/log"
	sdkmetric "go.opentelemetry.io/otel/sdk/metric"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"

	"github.com/observe-go/observe/internal/sinks"
)

// Lookup returns the value of an environment variable and whether it is set.
// Factories read their settings through it rather than [os.Getenv], so a
// Telemetry configured from a replaced environment stays consistent.
type Lookup = func(key string) (string, bool)

// SpanExporterFactory makes a span exporter. Its spans are sent through a
// batch span processor configured by the OTEL_BSP_* variables, behind the
// pipeline's scrubbing and tail-sampling stages.
type SpanExporterFactory func(ctx context.Context, lookup Lookup) (sdktrace.SpanExporter, error)

// MetricReaderFactory makes a metric reader.
type MetricReaderFactory func(ctx context.Context, lookup Lookup) (sdkmetric.Reader, error)

// LogExporterFactory makes a log exporter. Its records are sent through a
// batch log processor configured by the OTEL_BLRP_* variables, behind the
// pipeline's level threshold, scrubbing and tail-sampling stages.
type LogExporterFactory func(ctx context.Context, lookup Lookup) (sdklog.Exporter, error)

// ErrDuplicate is returned when a name is registered twice or is one of the
// built-in names.
var ErrDuplicate = sinks.ErrDuplicate

// RegisterSpanExporter makes name usable in OTEL_TRACES_EXPORTER and in
// observe's exporter options. It fails for a nil factory, a built-in name
// (otlp, console, stdout, none, prometheus) or a name already registered.
// Built-in and registered names share one registry.
func RegisterSpanExporter(name string, f SpanExporterFactory) error {
	return sinks.RegisterSpanExporter(name, f)
}

// RegisterMetricReader makes name usable in OTEL_METRICS_EXPORTER and in
// observe's exporter options, with the same rules as [RegisterSpanExporter].
func RegisterMetricReader(name string, f MetricReaderFactory) error {
	return sinks.RegisterMetricReader(name, f)
}

// RegisterLogExporter makes name usable in OTEL_LOGS_EXPORTER and in
// observe's exporter options, with the same rules as [RegisterSpanExporter].
func RegisterLogExporter(name string, f LogExporterFactory) error {
	return sinks.RegisterLogExporter(name, f)
}
