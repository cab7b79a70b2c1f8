// Package selfobs makes failed exports visible. Its decorators wrap an
// exporter of spans, log records or metrics so that an export error names
// the signal, the exporter and how much it lost, and the losses are
// counted; [Lost.RegisterMetrics] reports the counts, once a
// MeterProvider exists, as
//
//	observe.exporter.dropped  {item}  signal="traces"|"logs"|"metrics", exporter=<name>
//
// in the instrumentation scope github.com/observe-go/observe/internal/selfobs.
// An item is a span, a log record or a metric data point. An export that
// returns an error has lost all its items: the OTLP exporters retry inside
// Export, so the error they return comes after their retries.
//
// The error a failed export returns is an [*ExportError]; the SDK's
// processors and readers pass it to otel.Handle, which writes for example
//
//	observe: traces export to otlp failed, 512 spans lost (1536 in total): failed to send to http://localhost:4318/v1/traces: 503 Service Unavailable
package selfobs
