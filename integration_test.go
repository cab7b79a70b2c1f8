package observe_test

import (
	"context"
	"net/http/httptest"
	"strconv"
	"strings"
	"testing"
	"time"

	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/metric"

	"github.com/observe-go/observe"
	"github.com/observe-go/observe/internal/itest"
)

// These tests talk to a real OpenTelemetry Collector and a real Prometheus
// server, started by internal/itest. Run them with ./scripts/test.sh; plain
// go test skips them.

func TestIntegrationAllSignalsReachCollector(t *testing.T) {
	for _, proto := range []string{"http/protobuf", "grpc"} {
		t.Run(proto, func(t *testing.T) {
			col := itest.StartCollector(t)
			endpoint := col.HTTPEndpoint
			if proto == "grpc" {
				endpoint = "http://" + col.GRPCEndpoint
			}
			service := "itest-" + strings.ReplaceAll(proto, "/", "-")
			tel := configure(t, map[string]string{
				"OTEL_EXPORTER_OTLP_ENDPOINT":    endpoint,
				"OTEL_EXPORTER_OTLP_PROTOCOL":    proto,
				"OTEL_SERVICE_NAME":              service,
				"OTEL_RESOURCE_ATTRIBUTES":       "team=payments",
				"OTEL_EXPORTER_OTLP_HEADERS":     "x-tenant=acme",
				"OTEL_EXPORTER_OTLP_COMPRESSION": "gzip",
			})
			tr := tel.TracerProvider().Tracer("itest")
			ctx, parent := tr.Start(context.Background(), "GET /orders")
			_, child := tr.Start(ctx, "SELECT orders")
			child.End()
			tel.Logger().InfoContext(ctx, "orders listed", "count", 3)
			parent.End()
			c, _ := tel.MeterProvider().Meter("itest").Int64Counter("itest.requests")
			c.Add(ctx, 3, metric.WithAttributes(attribute.String("route", "/orders")))
			if err := tel.Shutdown(context.Background()); err != nil {
				t.Fatalf("Shutdown: %v", err)
			}

			spans := col.WaitTraces(t, 10*time.Second, func(s []itest.Span) bool { return len(s) >= 2 })
			byName := map[string]itest.Span{}
			for _, s := range spans {
				byName[s.Name] = s
			}
			p, ch := byName["GET /orders"], byName["SELECT orders"]
			if p.SpanID == "" || ch.ParentSpanID != p.SpanID || ch.TraceID != p.TraceID {
				t.Fatalf("child not linked to parent: %+v", spans)
			}
			if p.TraceID != parent.SpanContext().TraceID().String() {
				t.Errorf("trace id %s; want %s", p.TraceID, parent.SpanContext().TraceID())
			}
			for k, want := range map[string]any{"service.name": service, "team": "payments", "telemetry.sdk.language": "go"} {
				if p.Resource[k] != want {
					t.Errorf("resource %s = %v; want %v", k, p.Resource[k], want)
				}
			}

			logs := col.WaitLogs(t, 10*time.Second, func(l []itest.LogRecord) bool { return len(l) >= 1 })
			if logs[0].Body != "orders listed" || logs[0].TraceID != p.TraceID || logs[0].SpanID != p.SpanID {
				t.Errorf("log record = %+v; want it correlated with %s/%s", logs[0], p.TraceID, p.SpanID)
			}
			if logs[0].SeverityText != "INFO" || logs[0].Resource["service.name"] != service {
				t.Errorf("log severity %q, resource %v", logs[0].SeverityText, logs[0].Resource)
			}

			metrics := col.WaitMetrics(t, 10*time.Second, func(m []itest.Metric) bool {
				for _, x := range m {
					if x.Name == "itest.requests" {
						return true
					}
				}
				return false
			})
			for _, m := range metrics {
				if m.Name != "itest.requests" {
					continue
				}
				if len(m.DataPoints) != 1 || m.DataPoints[0].Value != 3 || m.DataPoints[0].Attributes["route"] != "/orders" {
					t.Errorf("itest.requests points = %+v", m.DataPoints)
				}
				if m.Resource["service.name"] != service {
					t.Errorf("metric resource = %v", m.Resource)
				}
			}
		})
	}
}

func TestIntegrationConsoleAndOTLPTogether(t *testing.T) {
	col := itest.StartCollector(t)
	var out syncBuffer
	tel := configure(t, map[string]string{
		"OTEL_EXPORTER_OTLP_TRACES_ENDPOINT": col.HTTPEndpoint + "/v1/traces",
		"OTEL_TRACES_EXPORTER":               "console,otlp",
	}, observe.WithConsoleWriter(&out))
	_, span := tel.TracerProvider().Tracer("itest").Start(context.Background(), "checkout both ways")
	span.End()
	if err := tel.ForceFlush(context.Background()); err != nil {
		t.Fatal(err)
	}
	col.WaitTraces(t, 10*time.Second, func(s []itest.Span) bool { return len(s) == 1 && s[0].Name == "checkout both ways" })
	if !strings.Contains(out.String(), "checkout both ways") {
		t.Fatalf("console did not print the span:\n%s", out.String())
	}
}

func TestIntegrationPrometheusScrape(t *testing.T) {
	port := itest.FreePort(t)
	tel := configure(t, map[string]string{
		"OTEL_METRICS_EXPORTER":         "prometheus",
		"OTEL_EXPORTER_PROMETHEUS_HOST": "127.0.0.1",
		"OTEL_EXPORTER_PROMETHEUS_PORT": strconv.Itoa(port),
		"OTEL_SERVICE_NAME":             "itest-prom",
	})
	m := tel.MeterProvider().Meter("shop")
	orders, _ := m.Int64Counter("orders.created", metric.WithDescription("Orders created."))
	orders.Add(context.Background(), 5, metric.WithAttributes(attribute.String("payment_method", "card")))
	// promtool's lint asks for help text: instruments carry a description.
	active, _ := m.Int64UpDownCounter("active.checkouts", metric.WithDescription("Checkouts in progress."))
	active.Add(context.Background(), 2)
	dur, _ := m.Float64Histogram("payment.duration", metric.WithUnit("s"), metric.WithDescription("Time to take a payment."))
	dur.Record(context.Background(), 0.3)

	prom := itest.StartPrometheus(t, "127.0.0.1:"+strconv.Itoa(port))
	samples := prom.WaitQuery(t, 30*time.Second, `orders_created_total{payment_method="card"}`)
	if samples[0].Value != 5 {
		t.Errorf("orders_created_total = %v; want 5", samples[0].Value)
	}
	if samples[0].Labels["job"] == "" {
		t.Errorf("sample lacks the scrape labels: %v", samples[0].Labels)
	}
	if s := prom.WaitQuery(t, 10*time.Second, `payment_duration_seconds_count`); s[0].Value != 1 {
		t.Errorf("payment_duration_seconds_count = %v; want 1", s[0].Value)
	}

	// The app's own handler serves the same exposition, which promtool accepts.
	rr := httptest.NewRecorder()
	tel.MetricsHandler().ServeHTTP(rr, httptest.NewRequest("GET", "/metrics", nil))
	body := rr.Body.Bytes()
	for _, want := range []string{"orders_created_total{", "active_checkouts{", "payment_duration_seconds_bucket{"} {
		if !strings.Contains(string(body), want) {
			t.Errorf("MetricsHandler lacks %s", want)
		}
	}
	itest.PromtoolCheckMetrics(t, body)
}
