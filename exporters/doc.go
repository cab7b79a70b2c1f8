// Package exporters builds the span, metric and log exporters that the
// environment (OTEL_TRACES_EXPORTER, OTEL_METRICS_EXPORTER,
// OTEL_LOGS_EXPORTER and the OTEL_EXPORTER_OTLP_* variables) or observe's
// options name.
//
// Built-in names:
//
//   - otlp: OTLP over grpc or http/protobuf (OTEL_EXPORTER_OTLP_PROTOCOL),
//     every signal;
//   - console: a tree for people on standard output (see package console),
//     or the OpenTelemetry stdout exporters' JSON lines when
//     OBSERVE_CONSOLE_FORMAT=json, every signal;
//   - stdout: the JSON lines whatever OBSERVE_CONSOLE_FORMAT says, every
//     signal;
//   - prometheus: metrics served on
//     http://$OTEL_EXPORTER_PROMETHEUS_HOST:$OTEL_EXPORTER_PROMETHEUS_PORT/metrics;
//   - none: nothing.
//
// Names are comma-separated to use several at once (console,otlp). Other
// names can be added with [RegisterSpanExporter], [RegisterMetricReader] and
// [RegisterLogExporter].
package exporters
