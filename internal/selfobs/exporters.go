package selfobs

import (
	"context"

	sdklog "go.opentelemetry.io/otel/sdk/log"
	sdkmetric "go.opentelemetry.io/otel/sdk/metric"
	"go.opentelemetry.io/otel/sdk/metric/metricdata"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
)

// SpanExporter wraps exp, named name (such as "otlp"): a failed export
// returns an [*ExportError] and counts its spans as lost. A nil exp gives
// nil.
func (l *Lost) SpanExporter(name string, exp sdktrace.SpanExporter) sdktrace.SpanExporter {
	if exp == nil {
		return nil
	}
	return &spanExporter{exp: exp, name: name, lost: l.counter(Traces, name)}
}

type spanExporter struct {
	exp  sdktrace.SpanExporter
	name string
	lost *counter
}

func (e *spanExporter) ExportSpans(ctx context.Context, spans []sdktrace.ReadOnlySpan) error {
	if err := e.exp.ExportSpans(ctx, spans); err != nil {
		return e.lost.lose(int64(len(spans)), err)
	}
	return nil
}

func (e *spanExporter) Shutdown(ctx context.Context) error {
	return label(Traces, e.name, "shutdown", e.exp.Shutdown(ctx))
}

// LogExporter wraps exp, named name (such as "otlp"): a failed export
// returns an [*ExportError] and counts its records as lost. A nil exp gives
// nil.
func (l *Lost) LogExporter(name string, exp sdklog.Exporter) sdklog.Exporter {
	if exp == nil {
		return nil
	}
	return &logExporter{exp: exp, name: name, lost: l.counter(Logs, name)}
}

type logExporter struct {
	exp  sdklog.Exporter
	name string
	lost *counter
}

func (e *logExporter) Export(ctx context.Context, records []sdklog.Record) error {
	if err := e.exp.Export(ctx, records); err != nil {
		return e.lost.lose(int64(len(records)), err)
	}
	return nil
}

func (e *logExporter) ForceFlush(ctx context.Context) error {
	return label(Logs, e.name, "flush", e.exp.ForceFlush(ctx))
}

func (e *logExporter) Shutdown(ctx context.Context) error {
	return label(Logs, e.name, "shutdown", e.exp.Shutdown(ctx))
}

// MetricExporter wraps exp, named name (such as "otlp"): a failed export
// returns an [*ExportError] and counts its data points as lost. Temporality
// and Aggregation are exp's. A nil exp gives nil.
func (l *Lost) MetricExporter(name string, exp sdkmetric.Exporter) sdkmetric.Exporter {
	if exp == nil {
		return nil
	}
	return &metricExporter{Exporter: exp, name: name, lost: l.counter(Metrics, name)}
}

type metricExporter struct {
	sdkmetric.Exporter
	name string
	lost *counter
}

func (e *metricExporter) Export(ctx context.Context, rm *metricdata.ResourceMetrics) error {
	if err := e.Exporter.Export(ctx, rm); err != nil {
		return e.lost.lose(dataPoints(rm), err)
	}
	return nil
}

func (e *metricExporter) ForceFlush(ctx context.Context) error {
	return label(Metrics, e.name, "flush", e.Exporter.ForceFlush(ctx))
}

func (e *metricExporter) Shutdown(ctx context.Context) error {
	return label(Metrics, e.name, "shutdown", e.Exporter.Shutdown(ctx))
}

// dataPoints returns the number of data points in rm.
func dataPoints(rm *metricdata.ResourceMetrics) int64 {
	if rm == nil {
		return 0
	}
	var n int
	for _, sm := range rm.ScopeMetrics {
		for _, m := range sm.Metrics {
			switch d := m.Data.(type) {
			case metricdata.Sum[int64]:
				n += len(d.DataPoints)
			case metricdata.Sum[float64]:
				n += len(d.DataPoints)
			case metricdata.Gauge[int64]:
				n += len(d.DataPoints)
			case metricdata.Gauge[float64]:
				n += len(d.DataPoints)
			case metricdata.Histogram[int64]:
				n += len(d.DataPoints)
			case metricdata.Histogram[float64]:
				n += len(d.DataPoints)
			case metricdata.ExponentialHistogram[int64]:
				n += len(d.DataPoints)
			case metricdata.ExponentialHistogram[float64]:
				n += len(d.DataPoints)
			case metricdata.Summary:
				n += len(d.DataPoints)
			}
		}
	}
	return int64(n)
}
