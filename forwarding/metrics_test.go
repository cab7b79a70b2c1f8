package forwarding

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"sort"
	"strings"
	"testing"

	"go.opentelemetry.io/otel/attribute"
	sdkmetric "go.opentelemetry.io/otel/sdk/metric"
	"go.opentelemetry.io/otel/sdk/metric/metricdata"
	"go.opentelemetry.io/otel/sdk/metric/metricdata/metricdatatest"
)

func newMeterProvider() (*sdkmetric.ManualReader, *sdkmetric.MeterProvider) {
	r := sdkmetric.NewManualReader()
	return r, sdkmetric.NewMeterProvider(sdkmetric.WithReader(r))
}

// points maps "metric name" to "k=v,k=v" attribute strings to sums.
type points map[string]map[string]int64

func (p points) sum(name, attrs string) int64 { return p[name][attrs] }

func (p points) total(name string) int64 {
	var n int64
	for _, v := range p[name] {
		n += v
	}
	return n
}

func (p points) String() string {
	var lines []string
	for name, m := range p {
		for a, v := range m {
			lines = append(lines, fmt.Sprintf("%s{%s}=%d", name, a, v))
		}
	}
	sort.Strings(lines)
	return strings.Join(lines, " ")
}

func attrString(s attribute.Set) string {
	var parts []string
	for _, kv := range s.ToSlice() {
		parts = append(parts, string(kv.Key)+"="+kv.Value.Emit())
	}
	return strings.Join(parts, ",")
}

// collect reads the handler's int64 sums from reader.
func collect(t *testing.T, reader *sdkmetric.ManualReader) points {
	t.Helper()
	var rm metricdata.ResourceMetrics
	if err := reader.Collect(context.Background(), &rm); err != nil {
		t.Fatal(err)
	}
	out := points{}
	for _, sm := range rm.ScopeMetrics {
		if sm.Scope.Name != scopeName {
			t.Errorf("scope %q, want %q", sm.Scope.Name, scopeName)
		}
		for _, m := range sm.Metrics {
			sum, ok := m.Data.(metricdata.Sum[int64])
			if !ok {
				t.Errorf("%s is %T, want an int64 sum", m.Name, m.Data)
				continue
			}
			if !sum.IsMonotonic || sum.Temporality != metricdata.CumulativeTemporality {
				t.Errorf("%s is not a cumulative counter", m.Name)
			}
			for _, dp := range sum.DataPoints {
				if out[m.Name] == nil {
					out[m.Name] = map[string]int64{}
				}
				out[m.Name][attrString(dp.Attributes)] += dp.Value
			}
		}
	}
	return out
}

// TestMetrics checks the three instruments after a forwarded request, a
// refused one and a rejected one, against the SDK's own data.
func TestMetrics(t *testing.T) {
	be := newBackend(t, func(w http.ResponseWriter, r *http.Request) {
		if strings.HasSuffix(r.URL.Path, "/v1/logs") {
			w.WriteHeader(http.StatusTooManyRequests)
			return
		}
		w.WriteHeader(http.StatusOK)
	})
	reader, mp := newMeterProvider()
	h := newTestHandler(t, be.URL, WithMeterProvider(mp))

	for _, r := range []*http.Request{
		otlpRequest(t, "/v1/traces", "0123456789"),
		otlpRequest(t, "/v1/logs", "01234"),
		otlpRequest(t, "/v1/metrics?x", "{}"),
	} {
		h.ServeHTTP(httptest.NewRecorder(), r)
	}

	var rm metricdata.ResourceMetrics
	if err := reader.Collect(context.Background(), &rm); err != nil {
		t.Fatal(err)
	}
	if len(rm.ScopeMetrics) != 1 {
		t.Fatalf("%d scopes, want 1", len(rm.ScopeMetrics))
	}
	counter := func(name, desc, unit string, points ...metricdata.DataPoint[int64]) metricdata.Metrics {
		return metricdata.Metrics{Name: name, Description: desc, Unit: unit, Data: metricdata.Sum[int64]{
			Temporality: metricdata.CumulativeTemporality, IsMonotonic: true, DataPoints: points,
		}}
	}
	point := func(v int64, kv ...attribute.KeyValue) metricdata.DataPoint[int64] {
		return metricdata.DataPoint[int64]{Attributes: attribute.NewSet(kv...), Value: v}
	}
	want := metricdata.ScopeMetrics{
		Scope: rm.ScopeMetrics[0].Scope,
		Metrics: []metricdata.Metrics{
			counter("observe.forwarding.requests", "Requests received by the forwarding handler, by signal and outcome.", "{request}",
				point(1, attribute.String("signal", "traces"), attribute.String("outcome", "forwarded")),
				point(1, attribute.String("signal", "logs"), attribute.String("outcome", "refused")),
				point(1, attribute.String("signal", "unknown"), attribute.String("outcome", "rejected")),
			),
			counter("observe.forwarding.bytes", "Request body bytes read from clients and sent to the backend, by signal.", "By",
				point(10, attribute.String("signal", "traces")),
				point(5, attribute.String("signal", "logs")),
			),
			counter("observe.forwarding.rejections", "Requests refused by the forwarding handler's own checks, by reason.", "{request}",
				point(1, attribute.String("reason", "bad_path")),
			),
		},
	}
	metricdatatest.AssertEqual(t, want, rm.ScopeMetrics[0], metricdatatest.IgnoreTimestamp())
	if rm.ScopeMetrics[0].Scope.Name != scopeName {
		t.Errorf("scope %q, want %q", rm.ScopeMetrics[0].Scope.Name, scopeName)
	}
}

// TestMetricsNoAllocs: recording a request's metrics allocates nothing.
func TestMetricsNoAllocs(t *testing.T) {
	_, mp := newMeterProvider()
	h := newTestHandler(t, "http://127.0.0.1:1", WithMeterProvider(mp))
	st := &reqState{sig: sigTraces, outcome: outForwarded}
	st.body.n.Store(100)
	h.record(st) // the first recording creates the data points
	if n := testing.AllocsPerRun(100, func() { h.record(st) }); n != 0 {
		t.Errorf("record allocates %v times, want 0", n)
	}
}
