package observe_test

import (
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/observe-go/observe/instrument"
	"github.com/observe-go/observe/internal/itest"
)

func usersMux() *http.ServeMux {
	mux := http.NewServeMux()
	mux.HandleFunc("GET /users/{id}", func(w http.ResponseWriter, r *http.Request) {
		if r.PathValue("id") == "0" {
			http.Error(w, "boom", http.StatusInternalServerError)
			return
		}
		_, _ = io.WriteString(w, `{"id":"`+r.PathValue("id")+`"}`)
	})
	return mux
}

// The HTTP metrics appear in the Prometheus exposition under the names
// users expect, with the route as a label, and promtool accepts it.
func TestInstrumentHTTPPrometheusExposition(t *testing.T) {
	tel := configure(t, nil)
	srv := httptest.NewServer(tel.InstrumentHTTP(usersMux()))
	defer srv.Close()
	for _, p := range []string{"/users/1", "/users/2", "/users/0", "/nowhere"} {
		resp, err := http.Get(srv.URL + p)
		if err != nil {
			t.Fatal(err)
		}
		_, _ = io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
	}
	body := scrape(t, tel.MetricsHandler())
	for _, want := range []string{
		`http_server_request_duration_seconds_bucket{`,
		`http_route="/users/{id}"`,
		`http_server_request_duration_seconds_count{`,
		`http_response_status_code="500"`,
		`error_type="500"`,
		`http_response_status_code="404"`,
		`http_server_active_requests{`,
	} {
		if !strings.Contains(body, want) {
			t.Errorf("exposition lacks %s", want)
		}
	}
	if strings.Contains(body, "/nowhere") || strings.Contains(body, "/users/1\"") {
		t.Error("a raw path reached a label")
	}
	itest.PromtoolCheckMetrics(t, []byte(body))
}

// A request through the instrumented client to the instrumented server
// reaches the real collector as a client span with the server span as its
// child, in one trace.
func TestIntegrationHTTPClientServerTrace(t *testing.T) {
	col := itest.StartCollector(t)
	tel := configure(t, map[string]string{
		"OTEL_EXPORTER_OTLP_ENDPOINT": col.HTTPEndpoint,
		"OTEL_SERVICE_NAME":           "itest-http",
	})
	srv := httptest.NewServer(tel.InstrumentHTTP(usersMux()))
	defer srv.Close()
	client := tel.HTTPClient(nil)
	ctx := instrument.ContextWithURLTemplate(context.Background(), "/users/{id}")
	req, _ := http.NewRequestWithContext(ctx, http.MethodGet, srv.URL+"/users/42?token=s3cr3t", nil)
	req.Header.Set("Authorization", "Bearer s3cr3t")
	resp, err := client.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	_, _ = io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	if err := tel.ForceFlush(context.Background()); err != nil {
		t.Fatal(err)
	}

	spans := col.WaitTraces(t, 10*time.Second, func(s []itest.Span) bool { return len(s) >= 2 })
	var server, clientSpan itest.Span
	for _, s := range spans {
		switch s.Kind {
		case 2:
			server = s
		case 3:
			clientSpan = s
		}
	}
	if clientSpan.Name != "GET /users/{id}" || server.Name != "GET /users/{id}" {
		t.Fatalf("span names: client %q, server %q", clientSpan.Name, server.Name)
	}
	if server.ParentSpanID != clientSpan.SpanID || server.TraceID != clientSpan.TraceID {
		t.Errorf("server span %s/%s is not the child of client span %s/%s", server.TraceID, server.ParentSpanID, clientSpan.TraceID, clientSpan.SpanID)
	}
	if server.Attributes["http.route"] != "/users/{id}" || server.Attributes["http.response.status_code"] != int64(200) {
		t.Errorf("server attributes: %v", server.Attributes)
	}
	if got, _ := server.Attributes["url.query"].(string); got != "token=REDACTED" {
		t.Errorf("url.query = %q; want token=REDACTED", got)
	}
	for _, s := range spans {
		for k, v := range s.Attributes {
			if str, ok := v.(string); ok && strings.Contains(str, "s3cr3t") {
				t.Errorf("span %s attribute %s carries the secret: %q", s.Name, k, str)
			}
		}
	}
	if id, _ := server.Attributes["observe.request_id"].(string); id == "" || resp.Header.Get("X-Request-ID") != id {
		t.Errorf("request id on the span %q, on the response %q", id, resp.Header.Get("X-Request-ID"))
	}
}
