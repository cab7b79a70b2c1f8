package selfobs_test

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"testing"
	"time"

	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/exporters/otlp/otlplog/otlploghttp"
	"go.opentelemetry.io/otel/exporters/otlp/otlpmetric/otlpmetrichttp"
	"go.opentelemetry.io/otel/exporters/otlp/otlptrace/otlptracehttp"
	sdklog "go.opentelemetry.io/otel/sdk/log"
	sdkmetric "go.opentelemetry.io/otel/sdk/metric"
	"go.opentelemetry.io/otel/sdk/metric/metricdata"
	"go.opentelemetry.io/otel/sdk/metric/metricdata/metricdatatest"
	"go.opentelemetry.io/otel/sdk/trace/tracetest"

	"github.com/observe-go/observe/internal/errhandler"
	"github.com/observe-go/observe/internal/selfobs"
)

// collector answers every OTLP/HTTP request with status.
func collector(t *testing.T, status int) string {
	t.Helper()
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		w.WriteHeader(status)
	}))
	t.Cleanup(srv.Close)
	return srv.URL
}

// exportOnce exports n items of one signal through an OTLP/HTTP exporter
// to url, wrapped by lost, and returns the export's error.
type exportOnce func(t *testing.T, lost *selfobs.Lost, url string) error

func exportSpans(t *testing.T, lost *selfobs.Lost, url string) error {
	exp, err := otlptracehttp.New(context.Background(),
		otlptracehttp.WithEndpointURL(url+"/v1/traces"),
		otlptracehttp.WithRetry(otlptracehttp.RetryConfig{Enabled: false}))
	if err != nil {
		t.Fatal(err)
	}
	wrapped := lost.SpanExporter("otlp", exp)
	t.Cleanup(func() { _ = wrapped.Shutdown(context.Background()) })
	spans := tracetest.SpanStubs{{Name: "a"}, {Name: "b"}, {Name: "c"}}.Snapshots()
	return wrapped.ExportSpans(context.Background(), spans)
}

func exportLogs(t *testing.T, lost *selfobs.Lost, url string) error {
	exp, err := otlploghttp.New(context.Background(),
		otlploghttp.WithEndpointURL(url+"/v1/logs"),
		otlploghttp.WithRetry(otlploghttp.RetryConfig{Enabled: false}))
	if err != nil {
		t.Fatal(err)
	}
	wrapped := lost.LogExporter("otlp", exp)
	t.Cleanup(func() { _ = wrapped.Shutdown(context.Background()) })
	return wrapped.Export(context.Background(), make([]sdklog.Record, 2))
}

func exportMetrics(t *testing.T, lost *selfobs.Lost, url string) error {
	exp, err := otlpmetrichttp.New(context.Background(),
		otlpmetrichttp.WithEndpointURL(url+"/v1/metrics"),
		otlpmetrichttp.WithRetry(otlpmetrichttp.RetryConfig{Enabled: false}))
	if err != nil {
		t.Fatal(err)
	}
	wrapped := lost.MetricExporter("otlp", exp)
	t.Cleanup(func() { _ = wrapped.Shutdown(context.Background()) })
	now := time.Now()
	rm := &metricdata.ResourceMetrics{ScopeMetrics: []metricdata.ScopeMetrics{{
		Metrics: []metricdata.Metrics{
			{Name: "requests", Data: metricdata.Sum[int64]{
				Temporality: metricdata.CumulativeTemporality,
				IsMonotonic: true,
				DataPoints: []metricdata.DataPoint[int64]{
					{Attributes: attribute.NewSet(attribute.String("route", "/a")), StartTime: now, Time: now, Value: 1},
					{Attributes: attribute.NewSet(attribute.String("route", "/b")), StartTime: now, Time: now, Value: 2},
				},
			}},
			{Name: "latency", Data: metricdata.Histogram[float64]{
				Temporality: metricdata.CumulativeTemporality,
				DataPoints: []metricdata.HistogramDataPoint[float64]{
					{StartTime: now, Time: now, Count: 1, Sum: 0.5, Bounds: []float64{1}, BucketCounts: []uint64{1, 0}},
				},
			}},
		},
	}}}
	return wrapped.Export(context.Background(), rm)
}

func TestFailedExportsAreLabelledAndCounted(t *testing.T) {
	tests := []struct {
		signal string
		export exportOnce
		items  int64
		unit   string // as the message writes it
	}{
		{selfobs.Traces, exportSpans, 3, "spans"},
		{selfobs.Logs, exportLogs, 2, "log records"},
		{selfobs.Metrics, exportMetrics, 3, "data points"},
	}
	for _, tt := range tests {
		t.Run(tt.signal, func(t *testing.T) {
			var lost selfobs.Lost
			reader := sdkmetric.NewManualReader()
			mp := sdkmetric.NewMeterProvider(sdkmetric.WithReader(reader))
			t.Cleanup(func() { _ = mp.Shutdown(context.Background()) })
			if _, err := lost.RegisterMetrics(mp); err != nil {
				t.Fatal(err)
			}

			// A healthy collector: nothing lost.
			if err := tt.export(t, &lost, collector(t, http.StatusOK)); err != nil {
				t.Fatalf("export to a healthy collector: %v", err)
			}
			assertDropped(t, reader, tt.signal, 0)

			// A collector that refuses: the items of each export are lost.
			bad := collector(t, http.StatusBadRequest)
			var err error
			for range 2 {
				err = tt.export(t, &lost, bad)
			}
			var ee *selfobs.ExportError
			if !errors.As(err, &ee) {
				t.Fatalf("export error %v (%T) is not an *ExportError", err, err)
			}
			if ee.Signal != tt.signal || ee.Exporter != "otlp" || ee.Lost != tt.items || ee.Total != 2*tt.items {
				t.Errorf("ExportError = %+v, want signal %s, exporter otlp, %d lost, %d in total",
					*ee, tt.signal, tt.items, 2*tt.items)
			}
			assertDropped(t, reader, tt.signal, 2*tt.items)

			// The line the error handler writes names the signal, the loss
			// and the cause once, and starts with "observe:".
			var out strings.Builder
			errhandler.New(&out, time.Minute, nil).Handle(err)
			line := out.String()
			wantPrefix := "observe: " + tt.signal + " export to otlp failed, " +
				strconv.FormatInt(tt.items, 10) + " " + tt.unit + " lost (" + strconv.FormatInt(2*tt.items, 10) + " in total): "
			if !strings.HasPrefix(line, wantPrefix) {
				t.Errorf("line %q does not start with %q", line, wantPrefix)
			}
			if !strings.Contains(line, "400 Bad Request") {
				t.Errorf("line %q does not give the collector's answer", line)
			}
			if n := strings.Count(line, tt.signal+" export"); n != 1 {
				t.Errorf("line %q names the export %d times", line, n)
			}
		})
	}
}

// assertDropped checks observe.exporter.dropped for the otlp exporter of
// signal.
func assertDropped(t *testing.T, reader *sdkmetric.ManualReader, signal string, want int64) {
	t.Helper()
	var rm metricdata.ResourceMetrics
	if err := reader.Collect(context.Background(), &rm); err != nil {
		t.Fatal(err)
	}
	if len(rm.ScopeMetrics) != 1 || len(rm.ScopeMetrics[0].Metrics) != 1 {
		t.Fatalf("collected %+v, want one metric", rm.ScopeMetrics)
	}
	metricdatatest.AssertEqual(t, metricdata.Metrics{
		Name:        "observe.exporter.dropped",
		Description: "Spans, log records or metric data points lost because an export failed.",
		Unit:        "{item}",
		Data: metricdata.Sum[int64]{
			Temporality: metricdata.CumulativeTemporality,
			IsMonotonic: true,
			DataPoints: []metricdata.DataPoint[int64]{{
				Attributes: attribute.NewSet(attribute.String("signal", signal), attribute.String("exporter", "otlp")),
				Value:      want,
			}},
		},
	}, rm.ScopeMetrics[0].Metrics[0], metricdatatest.IgnoreTimestamp())
}

func TestWrappingNil(t *testing.T) {
	var lost selfobs.Lost
	if lost.SpanExporter("x", nil) != nil || lost.LogExporter("x", nil) != nil || lost.MetricExporter("x", nil) != nil {
		t.Error("wrapping a nil exporter gave a non-nil one")
	}
}

func TestMetricExporterKeepsTemporalityAndAggregation(t *testing.T) {
	exp, err := otlpmetrichttp.New(context.Background(),
		otlpmetrichttp.WithEndpointURL("http://127.0.0.1:1/v1/metrics"),
		otlpmetrichttp.WithTemporalitySelector(sdkmetric.DefaultTemporalitySelector),
		otlpmetrichttp.WithAggregationSelector(func(sdkmetric.InstrumentKind) sdkmetric.Aggregation {
			return sdkmetric.AggregationDrop{}
		}))
	if err != nil {
		t.Fatal(err)
	}
	var lost selfobs.Lost
	wrapped := lost.MetricExporter("otlp", exp)
	t.Cleanup(func() { _ = wrapped.Shutdown(context.Background()) })
	for _, k := range []sdkmetric.InstrumentKind{sdkmetric.InstrumentKindCounter, sdkmetric.InstrumentKindHistogram} {
		if got, want := wrapped.Temporality(k), exp.Temporality(k); got != want {
			t.Errorf("Temporality(%v) = %v, want %v", k, got, want)
		}
		if got, want := wrapped.Aggregation(k), exp.Aggregation(k); got != want {
			t.Errorf("Aggregation(%v) = %v, want %v", k, got, want)
		}
	}
}

func TestErrorsAfterShutdownNameSignal(t *testing.T) {
	tests := []struct {
		name       string
		run        func(t *testing.T, lost *selfobs.Lost) error
		wantPrefix string
	}{
		{
			name: "metric exporter shut down twice",
			run: func(t *testing.T, lost *selfobs.Lost) error {
				exp, err := otlpmetrichttp.New(context.Background(), otlpmetrichttp.WithEndpointURL("http://127.0.0.1:1/v1/metrics"))
				if err != nil {
					t.Fatal(err)
				}
				wrapped := lost.MetricExporter("otlp", exp)
				if err := wrapped.Shutdown(context.Background()); err != nil {
					t.Fatalf("first Shutdown: %v", err)
				}
				return wrapped.Shutdown(context.Background())
			},
			wantPrefix: "metrics exporter otlp: shutdown: ",
		},
		{
			name: "log export after shutdown",
			run: func(t *testing.T, lost *selfobs.Lost) error {
				exp, err := otlploghttp.New(context.Background(), otlploghttp.WithEndpointURL("http://127.0.0.1:1/v1/logs"))
				if err != nil {
					t.Fatal(err)
				}
				wrapped := lost.LogExporter("otlp", exp)
				if err := wrapped.Shutdown(context.Background()); err != nil {
					t.Fatalf("Shutdown: %v", err)
				}
				return wrapped.Export(context.Background(), make([]sdklog.Record, 1))
			},
			wantPrefix: "logs export to otlp failed, 1 log record lost (1 in total): ",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var lost selfobs.Lost
			err := tt.run(t, &lost)
			if err == nil || !strings.HasPrefix(err.Error(), tt.wantPrefix) {
				t.Errorf("error %v, want one starting with %q", err, tt.wantPrefix)
			}
		})
	}
}
