package observe_test

import (
	"context"
	"strconv"
	"testing"
	"time"

	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/metric"

	"github.com/observe-go/observe"
	"github.com/observe-go/observe/internal/itest"
	"github.com/observe-go/observe/internal/requestid"
)

func TestIntegrationPrometheusBridgeReachesCollector(t *testing.T) {
	col := itest.StartCollector(t)
	tel := configure(t, map[string]string{
		"OTEL_EXPORTER_OTLP_ENDPOINT": col.HTTPEndpoint,
		"OTEL_SERVICE_NAME":           "itest-bridge",
	}, observe.WithPrometheusBridge(legacyRegistry(t)))
	orders, _ := tel.MeterProvider().Meter("shop").Int64Counter("orders.created")
	orders.Add(context.Background(), 2, metric.WithAttributes(attribute.String("currency", "EUR")))
	if err := tel.Shutdown(context.Background()); err != nil {
		t.Fatalf("Shutdown: %v", err)
	}

	const scope = "go.opentelemetry.io/contrib/bridges/prometheus"
	want := map[string]string{
		"legacy_jobs_processed_total": "sum",
		"legacy_queue_depth":          "gauge",
		"legacy_job_duration_seconds": "histogram",
		"legacy_job_size_bytes":       "summary",
		"orders.created":              "sum",
	}
	metrics := col.WaitMetrics(t, 10*time.Second, func(ms []itest.Metric) bool {
		seen := 0
		for _, m := range ms {
			if _, ok := want[m.Name]; ok {
				seen++
			}
		}
		return seen >= len(want)
	})
	got := map[string]itest.Metric{}
	for _, m := range metrics {
		got[m.Name] = m
	}
	for name, typ := range want {
		m := got[name]
		if m.Type != typ {
			t.Errorf("%s has type %q; want %q", name, m.Type, typ)
		}
		if m.Resource["service.name"] != "itest-bridge" {
			t.Errorf("%s resource = %v", name, m.Resource)
		}
		if name != "orders.created" && m.Scope != scope {
			t.Errorf("%s scope = %q; want %q", name, m.Scope, scope)
		}
	}
	if p := got["legacy_jobs_processed_total"].DataPoints; len(p) != 1 || p[0].Value != 3 || p[0].Attributes["queue"] != "emails" {
		t.Errorf("counter points = %+v", p)
	}
	if p := got["legacy_queue_depth"].DataPoints; len(p) != 1 || p[0].Value != 7 {
		t.Errorf("gauge points = %+v", p)
	}
	if p := got["legacy_job_duration_seconds"].DataPoints; len(p) != 1 || p[0].Value != 1 || p[0].Sum != .3 {
		t.Errorf("histogram points = %+v", p)
	}
	// The bridge keeps summaries: count and sum arrive (quantiles too,
	// which the collector's decoded form does not show).
	if p := got["legacy_job_size_bytes"].DataPoints; len(p) != 1 || p[0].Value != 1 || p[0].Sum != 512 {
		t.Errorf("summary points = %+v", p)
	}
}

func TestIntegrationLogsCorrelatedAtCollector(t *testing.T) {
	col := itest.StartCollector(t)
	tel := configure(t, map[string]string{"OTEL_EXPORTER_OTLP_ENDPOINT": col.HTTPEndpoint})
	ctx, span := tel.TracerProvider().Tracer("itest").Start(requestid.NewContext(context.Background(), "req-9"), "POST /checkout")
	tel.Logger().DebugContext(ctx, "dropped at the default level")
	tel.Logger().WarnContext(ctx, "card declined", "order_id", 42)
	span.End()
	tel.Logger().InfoContext(context.Background(), "outside")
	if err := tel.Shutdown(context.Background()); err != nil {
		t.Fatalf("Shutdown: %v", err)
	}

	logs := col.WaitLogs(t, 10*time.Second, func(l []itest.LogRecord) bool { return len(l) >= 2 })
	spans := col.WaitTraces(t, 10*time.Second, func(s []itest.Span) bool { return len(s) >= 1 })
	if len(logs) != 2 {
		t.Fatalf("collector got %d records; want 2 (debug dropped): %+v", len(logs), logs)
	}
	warn, outside := logs[0], logs[1]
	if warn.Body != "card declined" || warn.SeverityText != "WARN" || warn.TraceID != spans[0].TraceID || warn.SpanID != spans[0].SpanID {
		t.Errorf("warning = %+v; want it correlated with span %s/%s", warn, spans[0].TraceID, spans[0].SpanID)
	}
	if warn.Attributes["observe.request_id"] != "req-9" || warn.Attributes["order_id"] != int64(42) {
		t.Errorf("warning attributes = %v", warn.Attributes)
	}
	if outside.Body != "outside" || outside.TraceID != "" || outside.Attributes["observe.request_id"] != nil {
		t.Errorf("record outside the span = %+v", outside)
	}
	if spans[0].Attributes["observe.level"] != "warn" {
		t.Errorf("span attributes = %v; want observe.level=warn", spans[0].Attributes)
	}
}

func TestIntegrationPrometheusBridgeScrape(t *testing.T) {
	port := itest.FreePort(t)
	tel := configure(t, map[string]string{
		"OTEL_METRICS_EXPORTER":         "prometheus",
		"OTEL_EXPORTER_PROMETHEUS_HOST": "127.0.0.1",
		"OTEL_EXPORTER_PROMETHEUS_PORT": strconv.Itoa(port),
		"OTEL_SERVICE_NAME":             "itest-bridge-prom",
	}, observe.WithPrometheusBridge(legacyRegistry(t)))
	orders, _ := tel.MeterProvider().Meter("shop").Int64Counter("orders.created", metric.WithDescription("Orders created."))
	orders.Add(context.Background(), 2, metric.WithAttributes(attribute.String("payment_method", "card")))

	prom := itest.StartPrometheus(t, "127.0.0.1:"+strconv.Itoa(port))
	for query, want := range map[string]float64{
		`legacy_jobs_processed_total{queue="emails"}`: 3,
		`legacy_queue_depth`:                          7,
		`legacy_job_duration_seconds_count`:           1,
		`legacy_job_size_bytes{quantile="0.5"}`:       512,
		`orders_created_total{payment_method="card"}`: 2,
	} {
		s := prom.WaitQuery(t, 30*time.Second, query)
		if len(s) != 1 || s[0].Value != want {
			t.Errorf("%s = %+v; want one sample of %v", query, s, want)
		}
	}

	body := scrape(t, tel.MetricsHandler())
	checkOnce(t, body, "orders_created_total", "legacy_jobs_processed_total", "legacy_job_size_bytes", "target_info")
	itest.PromtoolCheckMetrics(t, []byte(body))
}
