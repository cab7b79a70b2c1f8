package instrument_test

import (
	"context"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"testing"

	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/sdk/metric/metricdata"
	"go.opentelemetry.io/otel/sdk/metric/metricdata/metricdatatest"
)

// specBuckets are the explicit bucket boundaries the HTTP semantic
// conventions give http.server.request.duration.
var specBuckets = []float64{0.005, 0.01, 0.025, 0.05, 0.075, 0.1, 0.25, 0.5, 0.75, 1, 2.5, 5, 7.5, 10}

func serverSet(method string, status int, route, errType string) attribute.Set {
	kvs := []attribute.KeyValue{
		attribute.String("http.request.method", method),
		attribute.String("url.scheme", "http"),
		attribute.Int("http.response.status_code", status),
		attribute.String("network.protocol.version", "1.1"),
	}
	if route != "" {
		kvs = append(kvs, attribute.String("http.route", route))
	}
	if errType != "" {
		kvs = append(kvs, attribute.String("error.type", errType))
	}
	return attribute.NewSet(kvs...)
}

func TestHTTPHandlerMetrics(t *testing.T) {
	tel := newTelemetry(t)
	h := tel.handler(testMux())
	requests := []struct {
		method, target, body string
		code                 int
	}{
		{http.MethodGet, "/users/1", "", 200},
		{http.MethodGet, "/users/2", "", 200},
		{http.MethodPost, "/orders", "hello", 201},
		{http.MethodGet, "/fail", "", 500},
		{http.MethodGet, "/nowhere/raw-123", "", 404},
		{http.MethodPut, "/items/9", "", 422},
	}
	for _, rq := range requests {
		r := httptest.NewRequest(rq.method, rq.target, strings.NewReader(rq.body))
		r.Header.Set("User-Agent", "metrics-agent")
		if w := serveOne(h, r); w.Code != rq.code {
			t.Fatalf("%s %s: code %d, want %d", rq.method, rq.target, w.Code, rq.code)
		}
	}
	rm := tel.collect(t)

	type point struct {
		set   attribute.Set
		count uint64
	}
	wantPoints := []point{
		{serverSet("GET", 200, "/users/{id}", ""), 2},
		{serverSet("POST", 201, "/orders", ""), 1},
		{serverSet("GET", 500, "/fail", "500"), 1},
		{serverSet("GET", 404, "", ""), 1},
		{serverSet("PUT", 422, "/items/{id}", ""), 1},
	}

	t.Run("request duration", func(t *testing.T) {
		got, ok := findMetric(rm, "http.server.request.duration")
		if !ok {
			t.Fatal("http.server.request.duration not recorded")
		}
		want := metricdata.Metrics{
			Name:        "http.server.request.duration",
			Description: "Duration of HTTP server requests.",
			Unit:        "s",
			Data: metricdata.Histogram[float64]{
				Temporality: metricdata.CumulativeTemporality,
			},
		}
		h := want.Data.(metricdata.Histogram[float64])
		for _, p := range wantPoints {
			h.DataPoints = append(h.DataPoints, metricdata.HistogramDataPoint[float64]{Attributes: p.set})
		}
		want.Data = h
		metricdatatest.AssertEqual(t, want, got,
			metricdatatest.IgnoreTimestamp(), metricdatatest.IgnoreValue(), metricdatatest.IgnoreExemplars())

		for _, dp := range got.Data.(metricdata.Histogram[float64]).DataPoints {
			if !slices.Equal(dp.Bounds, specBuckets) {
				t.Errorf("bounds = %v, want %v", dp.Bounds, specBuckets)
			}
			for _, p := range wantPoints {
				if p.set.Equals(&dp.Attributes) && dp.Count != p.count {
					t.Errorf("count for %s = %d, want %d", dp.Attributes.Encoded(attribute.DefaultEncoder()), dp.Count, p.count)
				}
			}
		}
	})

	t.Run("bounded attributes", func(t *testing.T) {
		allowed := map[attribute.Key]bool{
			"http.request.method": true, "url.scheme": true, "http.response.status_code": true,
			"http.route": true, "error.type": true, "network.protocol.version": true,
		}
		for _, set := range tel.metricAttrSets(t) {
			for _, kv := range set.ToSlice() {
				if !allowed[kv.Key] {
					t.Errorf("metric attribute %s = %q is not in the bounded set", kv.Key, kv.Value.Emit())
				}
				if strings.Contains(kv.Value.Emit(), "raw-123") || strings.Contains(kv.Value.Emit(), "metrics-agent") {
					t.Errorf("metric attribute %s = %q holds a raw request value", kv.Key, kv.Value.Emit())
				}
			}
		}
	})

	t.Run("active requests back to zero", func(t *testing.T) {
		m, ok := findMetric(rm, "http.server.active_requests")
		if !ok {
			t.Fatal("http.server.active_requests not recorded")
		}
		metricdatatest.AssertEqual(t, metricdata.Metrics{
			Name:        "http.server.active_requests",
			Description: "Number of active HTTP server requests.",
			Unit:        "{request}",
			Data: metricdata.Sum[int64]{
				Temporality: metricdata.CumulativeTemporality,
				IsMonotonic: false,
				DataPoints: []metricdata.DataPoint[int64]{
					{Attributes: attribute.NewSet(attribute.String("http.request.method", "GET"), attribute.String("url.scheme", "http"))},
					{Attributes: attribute.NewSet(attribute.String("http.request.method", "POST"), attribute.String("url.scheme", "http"))},
					{Attributes: attribute.NewSet(attribute.String("http.request.method", "PUT"), attribute.String("url.scheme", "http"))},
				},
			},
		}, m, metricdatatest.IgnoreTimestamp(), metricdatatest.IgnoreValue(), metricdatatest.IgnoreExemplars())
		for _, dp := range m.Data.(metricdata.Sum[int64]).DataPoints {
			if dp.Value != 0 {
				t.Errorf("active requests %s = %d, want 0", dp.Attributes.Encoded(attribute.DefaultEncoder()), dp.Value)
			}
		}
	})

	t.Run("body sizes", func(t *testing.T) {
		req, ok := findMetric(rm, "http.server.request.body.size")
		if !ok {
			t.Fatal("http.server.request.body.size not recorded")
		}
		resp, ok := findMetric(rm, "http.server.response.body.size")
		if !ok {
			t.Fatal("http.server.response.body.size not recorded")
		}
		if req.Unit != "By" || resp.Unit != "By" {
			t.Errorf("units = %q, %q, want By", req.Unit, resp.Unit)
		}
		sumFor := func(m metricdata.Metrics, set attribute.Set) (int64, bool) {
			for _, dp := range m.Data.(metricdata.Histogram[int64]).DataPoints {
				if dp.Attributes.Equals(&set) {
					return dp.Sum, true
				}
			}
			return 0, false
		}
		if got, ok := sumFor(req, serverSet("POST", 201, "/orders", "")); !ok || got != int64(len("hello")) {
			t.Errorf("request body size of POST /orders = %d (%v), want %d", got, ok, len("hello"))
		}
		if got, ok := sumFor(resp, serverSet("POST", 201, "/orders", "")); !ok || got != int64(len("created hello")) {
			t.Errorf("response body size of POST /orders = %d (%v), want %d", got, ok, len("created hello"))
		}
		if got, ok := sumFor(resp, serverSet("GET", 200, "/users/{id}", "")); !ok || got != int64(len("user 1")+len("user 2")) {
			t.Errorf("response body size of GET /users/{id} = %d (%v), want %d", got, ok, len("user 1")+len("user 2"))
		}
	})
}

func TestHTTPHandlerActiveRequestsDuringRequest(t *testing.T) {
	tel := newTelemetry(t)
	var during int64 = -1
	h := tel.handler(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		var rm metricdata.ResourceMetrics
		if err := tel.reader.Collect(context.Background(), &rm); err != nil {
			t.Errorf("Collect: %v", err)
			return
		}
		if m, ok := findMetric(rm, "http.server.active_requests"); ok {
			for _, dp := range m.Data.(metricdata.Sum[int64]).DataPoints {
				during = dp.Value
			}
		}
	}))
	serveOne(h, httptest.NewRequest(http.MethodGet, "/", nil))
	if during != 1 {
		t.Errorf("active requests during the request = %d, want 1", during)
	}
	m := tel.metric(t, "http.server.active_requests")
	for _, dp := range m.Data.(metricdata.Sum[int64]).DataPoints {
		if dp.Value != 0 {
			t.Errorf("active requests after the request = %d, want 0", dp.Value)
		}
	}
}
