package instrument_test

import (
	"fmt"
	"net/http"
	"net/http/httptest"
	"sync"
	"testing"

	"go.opentelemetry.io/otel/sdk/metric/metricdata"
)

func TestHTTPHandlerConcurrentSafe(t *testing.T) {
	tel := newTelemetry(t)
	h := tel.handler(testMux())
	requests := []struct {
		method, target string
		code           int
	}{
		{http.MethodGet, "/users/%d", 200},
		{http.MethodPut, "/items/%d", 422},
		{http.MethodGet, "/fail?n=%d", 500},
		{http.MethodGet, "/nowhere/%d", 404},
		{"FOO", "/any?n=%d", 200},
	}
	const goroutines, perGoroutine = 16, 100
	var wg sync.WaitGroup
	for g := range goroutines {
		wg.Go(func() {
			for i := range perGoroutine {
				rq := requests[(g+i)%len(requests)]
				r := httptest.NewRequest(rq.method, fmt.Sprintf(rq.target, i), nil)
				if w := serveOne(h, r); w.Code != rq.code {
					t.Errorf("%s %s = %d, want %d", r.Method, r.URL, w.Code, rq.code)
				}
			}
		})
	}
	wg.Wait()

	const total = goroutines * perGoroutine
	rm := tel.collect(t)
	if n := histogramCount(t, rm, "http.server.request.duration"); n != total {
		t.Errorf("duration samples = %d, want %d", n, total)
	}
	if n := histogramCount(t, rm, "http.server.response.body.size"); n != total {
		t.Errorf("response size samples = %d, want %d", n, total)
	}
	m, _ := findMetric(rm, "http.server.request.duration")
	hist, ok := m.Data.(metricdata.Histogram[float64])
	if !ok {
		t.Fatalf("http.server.request.duration data = %T", m.Data)
	}
	byStatus := map[int64]uint64{}
	for _, dp := range hist.DataPoints {
		v, _ := dp.Attributes.Value("http.response.status_code")
		byStatus[v.AsInt64()] += dp.Count
	}
	want := map[int64]uint64{}
	for g := range goroutines {
		for i := range perGoroutine {
			want[int64(requests[(g+i)%len(requests)].code)]++
		}
	}
	for code, n := range want {
		if byStatus[code] != n {
			t.Errorf("samples with status %d = %d, want %d", code, byStatus[code], n)
		}
	}
	if active, ok := findMetric(rm, "http.server.active_requests"); ok {
		for _, dp := range active.Data.(metricdata.Sum[int64]).DataPoints {
			if dp.Value != 0 {
				t.Errorf("active requests = %d after all requests, want 0", dp.Value)
			}
		}
	} else {
		t.Error("http.server.active_requests not recorded")
	}
	if n := len(tel.spans.Ended()); n != total {
		t.Errorf("spans = %d, want %d", n, total)
	}
	if n := len(tel.logs.records()); n != total {
		t.Errorf("access log records = %d, want %d", n, total)
	}
}
