package observe_test

import (
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"

	collmetricpb "go.opentelemetry.io/proto/otlp/collector/metrics/v1"
	"google.golang.org/protobuf/proto"

	"github.com/observe-go/observe"
)

// otlpSums is an OTLP/HTTP metrics receiver that keeps the last value of
// every sum it was sent, by metric name.
type otlpSums struct {
	mu   sync.Mutex
	sums map[string]int64
}

func (o *otlpSums) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	body, err := io.ReadAll(r.Body)
	if err != nil {
		http.Error(w, err.Error(), http.StatusBadRequest)
		return
	}
	var req collmetricpb.ExportMetricsServiceRequest
	if err := proto.Unmarshal(body, &req); err != nil {
		http.Error(w, err.Error(), http.StatusBadRequest)
		return
	}
	o.mu.Lock()
	defer o.mu.Unlock()
	for _, rm := range req.ResourceMetrics {
		for _, sm := range rm.ScopeMetrics {
			for _, m := range sm.Metrics {
				if s := m.GetSum(); s != nil && len(s.DataPoints) == 1 {
					o.sums[m.Name] = s.DataPoints[0].GetAsInt()
				}
			}
		}
	}
	w.Header().Set("Content-Type", "application/x-protobuf")
	_, _ = w.Write(nil)
}

func (o *otlpSums) get(name string) int64 {
	o.mu.Lock()
	defer o.mu.Unlock()
	return o.sums[name]
}

// TestMetricsHandlerAndOTLPReadOneAggregation: with a cumulative OTLP
// exporter, MetricsHandler and the OTLP export serve the same sums, at
// every point: one aggregation feeds both, and ForceFlush and Shutdown
// export it.
func TestMetricsHandlerAndOTLPReadOneAggregation(t *testing.T) {
	recv := &otlpSums{sums: map[string]int64{}}
	srv := httptest.NewServer(recv)
	defer srv.Close()
	tel, err := observe.Configure(observe.WithoutGlobals(), observe.WithoutRuntimeMetrics(),
		observe.WithEnvLookup(envMap(map[string]string{
			"OTEL_METRICS_EXPORTER":       "otlp",
			"OTEL_TRACES_EXPORTER":        "none",
			"OTEL_LOGS_EXPORTER":          "none",
			"OTEL_EXPORTER_OTLP_ENDPOINT": srv.URL,
			"OTEL_EXPORTER_OTLP_PROTOCOL": "http/protobuf",
		})))
	if err != nil {
		t.Fatal(err)
	}
	ctr, err := tel.MeterProvider().Meter("test").Int64Counter("orders")
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	scrape := func() string {
		rec := httptest.NewRecorder()
		tel.MetricsHandler().ServeHTTP(rec, httptest.NewRequest(http.MethodGet, "/metrics", nil))
		for _, line := range strings.Split(rec.Body.String(), "\n") {
			if strings.HasPrefix(line, "orders_total{") {
				return line[strings.LastIndexByte(line, ' ')+1:]
			}
		}
		return "(missing)"
	}

	ctr.Add(ctx, 3)
	ctr.Add(ctx, 2)
	if got := scrape(); got != "5" {
		t.Errorf("scrape after 5: orders_total %s", got)
	}
	if err := tel.ForceFlush(ctx); err != nil {
		t.Fatal(err)
	}
	if got := recv.get("orders"); got != 5 {
		t.Errorf("exported after ForceFlush: %d; want 5", got)
	}
	ctr.Add(ctx, 1)
	if got := scrape(); got != "6" {
		t.Errorf("second scrape: orders_total %s; want 6 (cumulative)", got)
	}
	if err := tel.Shutdown(ctx); err != nil {
		t.Fatal(err)
	}
	if got := recv.get("orders"); got != 6 {
		t.Errorf("exported at Shutdown: %d; want 6", got)
	}
}
