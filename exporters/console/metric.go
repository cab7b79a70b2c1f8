package console

import (
	"context"
	"strconv"
	"time"

	"go.opentelemetry.io/otel"
	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/exporters/stdout/stdoutmetric"
	sdkmetric "go.opentelemetry.io/otel/sdk/metric"
	"go.opentelemetry.io/otel/sdk/metric/metricdata"
	"go.opentelemetry.io/otel/trace"
)

// metricExporter writes one pretty line per data point at each export:
//
//	metric name{key=value,...} value
//
// with count=N sum=S in place of the value for histograms and summaries.
type metricExporter struct {
	part
}

var _ sdkmetric.Exporter = (*metricExporter)(nil)

// Temporality returns cumulative temporality for every instrument kind.
func (*metricExporter) Temporality(sdkmetric.InstrumentKind) metricdata.Temporality {
	return metricdata.CumulativeTemporality
}

// Aggregation returns the SDK's default aggregation for k.
func (*metricExporter) Aggregation(k sdkmetric.InstrumentKind) sdkmetric.Aggregation {
	return sdkmetric.DefaultAggregationSelector(k)
}

// Export writes the data points of rm.
func (e *metricExporter) Export(ctx context.Context, rm *metricdata.ResourceMetrics) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	if e.stopped.Load() || rm == nil {
		return nil
	}
	c := e.c
	t := c.cfg.now()
	buf := getBuf()
	b := *buf
	for _, sm := range rm.ScopeMetrics {
		for _, m := range sm.Metrics {
			b = c.appendMetric(b, t, m)
		}
	}
	if len(b) > 0 {
		c.mu.Lock()
		c.lastTrace = trace.TraceID{}
		c.out.append(sigMetrics, b)
		c.mu.Unlock()
	}
	*buf = b
	putBuf(buf)
	return nil
}

func (c *Console) appendMetric(b []byte, t time.Time, m metricdata.Metrics) []byte {
	switch d := m.Data.(type) {
	case metricdata.Sum[int64]:
		return appendPoints(c, b, t, m.Name, d.DataPoints)
	case metricdata.Sum[float64]:
		return appendPoints(c, b, t, m.Name, d.DataPoints)
	case metricdata.Gauge[int64]:
		return appendPoints(c, b, t, m.Name, d.DataPoints)
	case metricdata.Gauge[float64]:
		return appendPoints(c, b, t, m.Name, d.DataPoints)
	case metricdata.Histogram[int64]:
		for _, dp := range d.DataPoints {
			b = c.appendMetricHead(b, t, m.Name, dp.Attributes)
			b = appendCountSum(b, dp.Count, dp.Sum)
		}
	case metricdata.Histogram[float64]:
		for _, dp := range d.DataPoints {
			b = c.appendMetricHead(b, t, m.Name, dp.Attributes)
			b = appendCountSum(b, dp.Count, dp.Sum)
		}
	case metricdata.ExponentialHistogram[int64]:
		for _, dp := range d.DataPoints {
			b = c.appendMetricHead(b, t, m.Name, dp.Attributes)
			b = appendCountSum(b, dp.Count, dp.Sum)
		}
	case metricdata.ExponentialHistogram[float64]:
		for _, dp := range d.DataPoints {
			b = c.appendMetricHead(b, t, m.Name, dp.Attributes)
			b = appendCountSum(b, dp.Count, dp.Sum)
		}
	case metricdata.Summary:
		for _, dp := range d.DataPoints {
			b = c.appendMetricHead(b, t, m.Name, dp.Attributes)
			b = appendCountSum(b, dp.Count, dp.Sum)
		}
	}
	return b
}

func appendPoints[N int64 | float64](c *Console, b []byte, t time.Time, name string, dps []metricdata.DataPoint[N]) []byte {
	for _, dp := range dps {
		b = c.appendMetricHead(b, t, name, dp.Attributes)
		b = append(b, ' ')
		b = appendNumber(b, dp.Value)
		b = append(b, '\n')
	}
	return b
}

func appendCountSum[N int64 | float64](b []byte, count uint64, sum N) []byte {
	b = append(b, " count="...)
	b = strconv.AppendUint(b, count, 10)
	b = append(b, " sum="...)
	b = appendNumber(b, sum)
	return append(b, '\n')
}

func appendNumber[N int64 | float64](b []byte, v N) []byte {
	switch x := any(v).(type) {
	case int64:
		return strconv.AppendInt(b, x, 10)
	case float64:
		return strconv.AppendFloat(b, x, 'g', -1, 64)
	}
	return b
}

// appendMetricHead appends the prefix, "metric", the name and the
// attributes in braces.
func (c *Console) appendMetricHead(b []byte, t time.Time, name string, attrs attribute.Set) []byte {
	b = c.appendPrefix(b, t, blankLevel, "", 0, false)
	b = append(b, "metric "...)
	b = c.appendName(b, name)
	if attrs.Len() == 0 {
		return b
	}
	if c.cfg.color {
		b = append(b, ansiDim...)
	}
	b = append(b, '{')
	for i, it := 0, attrs.Iter(); it.Next(); i++ {
		kv := it.Attribute()
		if i > 0 {
			b = append(b, ',')
		}
		b = appendEscaped(b, string(kv.Key))
		b = append(b, '=')
		b = appendValue(b, kv.Value)
	}
	b = append(b, '}')
	if c.cfg.color {
		b = append(b, ansiReset...)
	}
	return b
}

// jsonMetricExporter writes each export as one JSON line through the
// stdoutmetric exporter into the Console's buffer.
type jsonMetricExporter struct {
	part
	sdkmetric.Exporter
}

func newJSONMetricExporter(c *Console) *jsonMetricExporter {
	opts := []stdoutmetric.Option{stdoutmetric.WithWriter(signalWriter{c.out, sigMetrics})}
	if !c.cfg.timestamps {
		opts = append(opts, stdoutmetric.WithoutTimestamps())
	}
	exp, err := stdoutmetric.New(opts...)
	if err != nil {
		// Only the exporter's self-observability can fail; the exporter
		// works without it.
		otel.Handle(err)
	}
	return &jsonMetricExporter{part: part{c: c}, Exporter: exp}
}

// Export writes rm as one JSON line.
func (e *jsonMetricExporter) Export(ctx context.Context, rm *metricdata.ResourceMetrics) error {
	if e.stopped.Load() {
		return nil
	}
	return e.Exporter.Export(ctx, rm)
}

// ForceFlush writes out the Console's buffer.
func (e *jsonMetricExporter) ForceFlush(ctx context.Context) error { return e.part.ForceFlush(ctx) }

// Shutdown flushes the Console's buffer. Later exports are ignored. Only the
// first call has an effect.
func (e *jsonMetricExporter) Shutdown(ctx context.Context) error { return e.part.Shutdown(ctx) }
