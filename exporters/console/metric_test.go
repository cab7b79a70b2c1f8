package console_test

import (
	"context"
	"slices"
	"strings"
	"testing"
	"time"

	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/metric"
	sdkmetric "go.opentelemetry.io/otel/sdk/metric"

	"github.com/observe-go/observe/exporters/console"
)

func TestMetrics(t *testing.T) {
	ctx := context.Background()
	route := func(r string) metric.MeasurementOption {
		return metric.WithAttributes(attribute.String("route", r))
	}
	tests := []struct {
		name   string
		record func(t *testing.T, m metric.Meter)
		want   []string
	}{
		{
			name: "counter with attributes",
			record: func(t *testing.T, m metric.Meter) {
				c, err := m.Int64Counter("requests")
				if err != nil {
					t.Fatal(err)
				}
				c.Add(ctx, 3, route("/a"))
				c.Add(ctx, 2, route("/a"))
				c.Add(ctx, 1, metric.WithAttributes(attribute.String("route", "/b c"), attribute.Int("code", 500)))
			},
			want: []string{
				`12:30:00.000       metric requests{code=500,route="/b c"} 1`,
				`12:30:00.000       metric requests{route=/a} 5`,
			},
		},
		{
			name: "histogram shows count and sum",
			record: func(t *testing.T, m metric.Meter) {
				h, err := m.Float64Histogram("latency")
				if err != nil {
					t.Fatal(err)
				}
				h.Record(ctx, 0.25)
				h.Record(ctx, 0.5)
			},
			want: []string{
				`12:30:00.000       metric latency count=2 sum=0.75`,
			},
		},
		{
			name: "gauge and up-down counter",
			record: func(t *testing.T, m metric.Meter) {
				g, err := m.Float64Gauge("temperature")
				if err != nil {
					t.Fatal(err)
				}
				g.Record(ctx, 21.5)
				u, err := m.Int64UpDownCounter("queue")
				if err != nil {
					t.Fatal(err)
				}
				u.Add(ctx, -2)
			},
			want: []string{
				`12:30:00.000       metric queue -2`,
				`12:30:00.000       metric temperature 21.5`,
			},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			buf := &syncBuffer{}
			now := func() time.Time { return time.Date(2025, 1, 2, 12, 30, 0, 0, time.Local) }
			c := console.New(buf, console.WithClock(now), console.WithFlushInterval(time.Hour))
			mp := sdkmetric.NewMeterProvider(sdkmetric.WithReader(
				sdkmetric.NewPeriodicReader(c.MetricExporter(), sdkmetric.WithInterval(time.Hour))))
			t.Cleanup(func() {
				if err := mp.Shutdown(ctx); err != nil {
					t.Errorf("Shutdown: %v", err)
				}
			})
			tt.record(t, mp.Meter("test"))
			if err := mp.ForceFlush(ctx); err != nil {
				t.Fatalf("ForceFlush: %v", err)
			}
			got := strings.Split(strings.TrimSuffix(buf.String(), "\n"), "\n")
			slices.Sort(got) // data points of one metric come in no fixed order
			if strings.Join(got, "\n") != strings.Join(tt.want, "\n") {
				t.Errorf("got:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(tt.want, "\n"))
			}
		})
	}
}

func TestMetricsCumulative(t *testing.T) {
	ctx := context.Background()
	buf := &syncBuffer{}
	c := console.New(buf, console.WithTimestamps(false))
	mp := sdkmetric.NewMeterProvider(sdkmetric.WithReader(
		sdkmetric.NewPeriodicReader(c.MetricExporter(), sdkmetric.WithInterval(time.Hour))))
	defer func() { _ = mp.Shutdown(ctx) }()
	counter, err := mp.Meter("test").Int64Counter("hits")
	if err != nil {
		t.Fatal(err)
	}
	counter.Add(ctx, 3)
	if err := mp.ForceFlush(ctx); err != nil {
		t.Fatal(err)
	}
	counter.Add(ctx, 2)
	if err := mp.ForceFlush(ctx); err != nil {
		t.Fatal(err)
	}
	want := "      metric hits 3\n      metric hits 5\n"
	if got := buf.String(); got != want {
		t.Errorf("got %q, want %q", got, want)
	}
}
