package observe_test

import (
	"context"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"regexp"
	"strconv"
	"strings"
	"testing"

	"github.com/prometheus/client_golang/prometheus"
	dto "github.com/prometheus/client_model/go"
	"go.opentelemetry.io/otel"
	"go.opentelemetry.io/otel/metric"

	"github.com/observe-go/observe"
)

// legacyRegistry is a client_golang registry with one metric of each type,
// as an application written before observe would have.
func legacyRegistry(t testing.TB) *prometheus.Registry {
	t.Helper()
	reg := prometheus.NewRegistry()
	jobs := prometheus.NewCounterVec(prometheus.CounterOpts{Name: "legacy_jobs_processed_total", Help: "Jobs processed by the legacy worker."}, []string{"queue"})
	jobs.WithLabelValues("emails").Add(3)
	depth := prometheus.NewGauge(prometheus.GaugeOpts{Name: "legacy_queue_depth", Help: "Jobs waiting in the legacy queue."})
	depth.Set(7)
	dur := prometheus.NewHistogram(prometheus.HistogramOpts{Name: "legacy_job_duration_seconds", Help: "Time to run a legacy job.", Buckets: []float64{.1, 1}})
	dur.Observe(.3)
	size := prometheus.NewSummary(prometheus.SummaryOpts{Name: "legacy_job_size_bytes", Help: "Size of legacy job payloads.", Objectives: map[float64]float64{.5: .05, .99: .001}})
	size.Observe(512)
	reg.MustRegister(jobs, depth, dur, size)
	return reg
}

var typeLine = regexp.MustCompile(`(?m)^# TYPE (\S+) `)

// families returns how many times each metric family is declared in a
// text exposition.
func families(body string) map[string]int {
	n := map[string]int{}
	for _, m := range typeLine.FindAllStringSubmatch(body, -1) {
		n[m[1]]++
	}
	return n
}

// checkOnce fails unless every family of the exposition is declared once
// and the wanted ones are there.
func checkOnce(t *testing.T, body string, want ...string) {
	t.Helper()
	fams := families(body)
	for name, n := range fams {
		if n != 1 {
			t.Errorf("family %s declared %d times", name, n)
		}
	}
	for _, w := range want {
		if fams[w] != 1 {
			t.Errorf("exposition lacks %s:\n%s", w, body)
		}
	}
}

// withGlobals lets Configure register its globals, error handler included,
// and puts the previous ones back when the test ends.
func withGlobals(t *testing.T) {
	t.Helper()
	tp, mp, lp, prop, eh := otel.GetTracerProvider(), otel.GetMeterProvider(), otel.GetLoggerProvider(), otel.GetTextMapPropagator(), otel.GetErrorHandler()
	t.Cleanup(func() {
		otel.SetTracerProvider(tp)
		otel.SetMeterProvider(mp)
		otel.SetLoggerProvider(lp)
		otel.SetTextMapPropagator(prop)
		otel.SetErrorHandler(eh)
	})
}

// configureWithGlobals is configure with the globals registered and the SDK's
// errors written to errs.
func configureWithGlobals(t *testing.T, vars map[string]string, errs io.Writer, opts ...observe.Option) *observe.Telemetry {
	t.Helper()
	withGlobals(t)
	opts = append([]observe.Option{observe.WithEnvLookup(envMap(vars)), observe.WithConsoleWriter(io.Discard), observe.WithErrorWriter(errs)}, opts...)
	tel, err := observe.Configure(opts...)
	if err != nil {
		t.Fatalf("Configure: %v", err)
	}
	t.Cleanup(func() { _ = tel.Shutdown(context.Background()) })
	return tel
}

func TestPrometheusBridgeInMetricsHandler(t *testing.T) {
	sink := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { _, _ = io.Copy(io.Discard, r.Body) }))
	defer sink.Close()
	port := freePort(t)
	for _, tc := range []struct {
		name string
		vars map[string]string
	}{
		{"default", nil},
		{"none", map[string]string{"OTEL_METRICS_EXPORTER": "none"}},
		{"console", map[string]string{"OTEL_METRICS_EXPORTER": "console"}},
		{"otlp", map[string]string{"OTEL_METRICS_EXPORTER": "otlp", "OTEL_EXPORTER_OTLP_ENDPOINT": sink.URL}},
		{"prometheus", map[string]string{"OTEL_METRICS_EXPORTER": "prometheus", "OTEL_EXPORTER_PROMETHEUS_HOST": "127.0.0.1", "OTEL_EXPORTER_PROMETHEUS_PORT": strconv.Itoa(port)}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var errs syncBuffer
			tel := configureWithGlobals(t, tc.vars, &errs, observe.WithPrometheusBridge(legacyRegistry(t)))
			orders, _ := tel.MeterProvider().Meter("shop").Int64Counter("orders.created", metric.WithDescription("Orders created."))
			orders.Add(context.Background(), 2)
			if err := tel.ForceFlush(context.Background()); err != nil {
				t.Fatal(err)
			}
			bodies := []string{scrape(t, tel.MetricsHandler())}
			if tc.name == "prometheus" {
				resp, err := http.Get("http://127.0.0.1:" + strconv.Itoa(port) + "/metrics")
				if err != nil {
					t.Fatal(err)
				}
				b, _ := io.ReadAll(resp.Body)
				resp.Body.Close()
				bodies = append(bodies, string(b))
			}
			for _, body := range bodies {
				checkOnce(t, body, "orders_created_total", "target_info",
					"legacy_jobs_processed_total", "legacy_queue_depth", "legacy_job_duration_seconds", "legacy_job_size_bytes")
				for _, want := range []string{
					`legacy_jobs_processed_total{queue="emails"} 3`,
					`legacy_queue_depth 7`,
					`legacy_job_duration_seconds_bucket{le="1"} 1`,
					`legacy_job_size_bytes{quantile="0.5"} 512`,
					`legacy_job_size_bytes_count 1`,
				} {
					if !strings.Contains(body, want) {
						t.Errorf("exposition lacks %q:\n%s", want, body)
					}
				}
			}
			// The Prometheus reader is not given the bridge's producer, so
			// it has nothing to drop and nothing to complain about.
			if e := errs.String(); e != "" {
				t.Errorf("errors reported: %s", e)
			}
		})
	}
}

func TestPrometheusBridgeNameConflict(t *testing.T) {
	reg := prometheus.NewRegistry()
	dup := prometheus.NewCounter(prometheus.CounterOpts{Name: "orders_created_total", Help: "Orders, counted the old way."})
	dup.Add(99)
	kept := prometheus.NewCounter(prometheus.CounterOpts{Name: "refunds_total", Help: "Refunds."})
	kept.Inc()
	reg.MustRegister(dup, kept)
	var errs syncBuffer
	tel := configureWithGlobals(t, nil, &errs, observe.WithPrometheusBridge(reg))
	orders, _ := tel.MeterProvider().Meter("shop").Int64Counter("orders.created", metric.WithDescription("Orders created."))
	orders.Add(context.Background(), 2)

	body := scrape(t, tel.MetricsHandler())
	checkOnce(t, body, "orders_created_total", "refunds_total")
	if strings.Contains(body, "} 99") || strings.Contains(body, "orders_created_total 99") {
		t.Errorf("the conflicting client_golang series was served:\n%s", body)
	}
	if !strings.Contains(errs.String(), "orders_created_total") {
		t.Errorf("the conflict was not reported; errors: %q", errs.String())
	}
}

func TestPrometheusBridgeExportsWithOpenTelemetryMetrics(t *testing.T) {
	var out syncBuffer
	var errs syncBuffer
	tel := configureWithGlobals(t, map[string]string{"OTEL_METRICS_EXPORTER": "console", "OBSERVE_CONSOLE_FORMAT": "json", "OTEL_TRACES_EXPORTER": "none", "OTEL_LOGS_EXPORTER": "none"},
		&errs, observe.WithConsoleWriter(&out), observe.WithPrometheusBridge(legacyRegistry(t)))
	orders, _ := tel.MeterProvider().Meter("shop").Int64Counter("orders.created")
	orders.Add(context.Background(), 2)
	if err := tel.ForceFlush(context.Background()); err != nil {
		t.Fatal(err)
	}
	byScope := map[string]map[string]map[string]any{}
	for _, line := range jsonLines(t, out.String()) {
		sms, _ := line["ScopeMetrics"].([]any)
		for _, sm := range sms {
			sm := sm.(map[string]any)
			scope := sm["Scope"].(map[string]any)["Name"].(string)
			if byScope[scope] == nil {
				byScope[scope] = map[string]map[string]any{}
			}
			for _, m := range sm["Metrics"].([]any) {
				m := m.(map[string]any)
				byScope[scope][m["Name"].(string)] = m
			}
		}
	}
	if _, ok := byScope["shop"]["orders.created"]; !ok {
		t.Errorf("OpenTelemetry metric missing: %v", byScope)
	}
	bridged := byScope["go.opentelemetry.io/contrib/bridges/prometheus"]
	for _, name := range []string{"legacy_jobs_processed_total", "legacy_queue_depth", "legacy_job_duration_seconds", "legacy_job_size_bytes"} {
		if _, ok := bridged[name]; !ok {
			t.Errorf("bridged metric %s missing; bridged: %v", name, bridged)
		}
	}
	// The summary arrives as a summary, quantiles and all.
	if s, ok := bridged["legacy_job_size_bytes"]; ok {
		dp := s["Data"].(map[string]any)["DataPoints"].([]any)[0].(map[string]any)
		if dp["Count"] != float64(1) || dp["Sum"] != float64(512) || len(dp["QuantileValues"].([]any)) != 2 {
			t.Errorf("summary point = %v", dp)
		}
	}
	if e := errs.String(); e != "" {
		t.Errorf("errors reported: %s", e)
	}
}

func TestPrometheusBridgePartialGather(t *testing.T) {
	var out, errs syncBuffer
	tel := configureWithGlobals(t, map[string]string{"OTEL_METRICS_EXPORTER": "console", "OBSERVE_CONSOLE_FORMAT": "json", "OTEL_TRACES_EXPORTER": "none"},
		&errs, observe.WithConsoleWriter(&out), observe.WithPrometheusBridge(failingGatherer{legacyRegistry(t)}))
	if err := tel.ForceFlush(context.Background()); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(out.String(), "legacy_queue_depth") {
		t.Errorf("metrics gathered along with an error were not exported:\n%s", out.String())
	}
	if !strings.Contains(scrape(t, tel.MetricsHandler()), "legacy_queue_depth 7") {
		t.Error("metrics gathered along with an error were not served")
	}
	if !strings.Contains(errs.String(), "collector broke") {
		t.Errorf("the gather error was not reported: %q", errs.String())
	}
}

// failingGatherer returns its gatherer's metrics and an error, as a registry
// with one broken collector does.
type failingGatherer struct{ g prometheus.Gatherer }

func (f failingGatherer) Gather() ([]*dto.MetricFamily, error) {
	mfs, _ := f.g.Gather()
	return mfs, errors.New("collector broke")
}

func TestMetricsProducersEnvironment(t *testing.T) {
	def := prometheus.NewCounter(prometheus.CounterOpts{Name: "observe_test_default_registry_total", Help: "A metric of the default registry."})
	if err := prometheus.Register(def); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { prometheus.Unregister(def) })
	for _, tc := range []struct {
		name                 string
		value                string // unset when empty
		opts                 []observe.Option
		wantErr              []string
		wantDefault, wantOpt bool
	}{
		{name: "unset"},
		{name: "none", value: "none"},
		{name: "prometheus", value: "prometheus", wantDefault: true},
		{name: "case and spaces", value: " Prometheus ", wantDefault: true},
		{name: "unknown", value: "prometheus,statsd", wantErr: []string{`OTEL_METRICS_PRODUCERS="statsd"`, "unknown metric producer"}},
		{name: "opencensus", value: "opencensus", wantErr: []string{`OTEL_METRICS_PRODUCERS="opencensus"`, "not supported"}},
		{name: "none with others", value: "none,prometheus", wantErr: []string{"OTEL_METRICS_PRODUCERS", "none cannot be combined"}},
		{name: "option beats variable", value: "statsd", opts: []observe.Option{observe.WithPrometheusBridge(legacyRegistry(t))}, wantOpt: true},
		{name: "nil option ignored", value: "prometheus", opts: []observe.Option{observe.WithPrometheusBridge(nil)}, wantDefault: true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			vars := map[string]string{}
			if tc.value != "" {
				vars["OTEL_METRICS_PRODUCERS"] = tc.value
			}
			opts := append([]observe.Option{observe.WithEnvLookup(envMap(vars)), observe.WithoutGlobals(), observe.WithConsoleWriter(io.Discard)}, tc.opts...)
			tel, err := observe.Configure(opts...)
			if len(tc.wantErr) > 0 {
				if err == nil {
					_ = tel.Shutdown(context.Background())
					t.Fatal("Configure accepted the value")
				}
				for _, w := range tc.wantErr {
					if !strings.Contains(err.Error(), w) {
						t.Errorf("error %q lacks %q", err, w)
					}
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			defer tel.Shutdown(context.Background())
			body := scrape(t, tel.MetricsHandler())
			if got := strings.Contains(body, "observe_test_default_registry_total"); got != tc.wantDefault {
				t.Errorf("default registry served: %v; want %v", got, tc.wantDefault)
			}
			if got := strings.Contains(body, "legacy_queue_depth"); got != tc.wantOpt {
				t.Errorf("option's registry served: %v; want %v", got, tc.wantOpt)
			}
			checkOnce(t, body)
		})
	}
}

func TestPrometheusBridgeSameGathererTwice(t *testing.T) {
	reg := legacyRegistry(t)
	tel := configure(t, nil, observe.WithPrometheusBridge(reg), observe.WithPrometheusBridge(reg))
	checkOnce(t, scrape(t, tel.MetricsHandler()), "legacy_queue_depth")
}

func TestPrometheusBridgeWhenDisabled(t *testing.T) {
	tel := configure(t, map[string]string{"OTEL_SDK_DISABLED": "true"}, observe.WithPrometheusBridge(legacyRegistry(t)))
	if body := scrape(t, tel.MetricsHandler()); !strings.Contains(body, "legacy_queue_depth 7") {
		t.Errorf("a disabled SDK hides the application's own client_golang metrics:\n%s", body)
	}
}
