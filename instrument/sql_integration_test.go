package instrument_test

import (
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"strconv"
	"testing"
	"time"

	"github.com/observe-go/observe"
	"github.com/observe-go/observe/instrument"
	"github.com/observe-go/observe/internal/itest"
)

// A request to a service that queries its database reaches the real
// collector as the server span with the database spans as its children,
// in one trace; the health check's ping leaves no trace.
func TestIntegrationSQLUnderHTTPRequest(t *testing.T) {
	forEachBackend(t, func(t *testing.T, b sqlBackend) {
		resetOrders(t, b)
		col := itest.StartCollector(t)
		tel, err := observe.Configure(observe.WithoutGlobals(), observe.WithEnvLookup(mapLookup(map[string]string{
			"OTEL_EXPORTER_OTLP_ENDPOINT": col.HTTPEndpoint,
			"OTEL_EXPORTER_OTLP_PROTOCOL": "http/protobuf",
			"OTEL_METRICS_EXPORTER":       "none",
			"OTEL_LOGS_EXPORTER":          "none",
			"OTEL_SERVICE_NAME":           "itest-sql",
		})))
		if err != nil {
			t.Fatal(err)
		}
		defer func() { _ = tel.Shutdown(context.Background()) }()
		db, err := instrument.OpenDB(b.driver, b.dsn, instrument.WithTracerProvider(tel.TracerProvider()), instrument.WithMeterProvider(tel.MeterProvider()))
		if err != nil {
			t.Fatal(err)
		}
		defer db.Close()

		mux := http.NewServeMux()
		mux.HandleFunc("GET /orders/{id}", func(w http.ResponseWriter, r *http.Request) {
			id, _ := strconv.Atoi(r.PathValue("id"))
			tx, err := db.BeginTx(r.Context(), nil)
			if err != nil {
				http.Error(w, err.Error(), http.StatusInternalServerError)
				return
			}
			defer func() { _ = tx.Rollback() }()
			var customer string
			if err := tx.QueryRowContext(r.Context(), "SELECT customer FROM orders WHERE id = "+b.ph(1), id).Scan(&customer); err != nil {
				http.Error(w, err.Error(), http.StatusInternalServerError)
				return
			}
			if err := tx.Commit(); err != nil {
				http.Error(w, err.Error(), http.StatusInternalServerError)
				return
			}
			_, _ = io.WriteString(w, customer)
		})
		mux.Handle("GET /healthz", instrument.HealthHandler(instrument.HealthCheck{Name: "db", Check: db.PingContext}))
		srv := httptest.NewServer(tel.InstrumentHTTP(mux))
		defer srv.Close()

		for _, p := range []string{"/healthz", "/orders/2"} {
			resp, err := http.Get(srv.URL + p)
			if err != nil {
				t.Fatal(err)
			}
			body, _ := io.ReadAll(resp.Body)
			resp.Body.Close()
			if resp.StatusCode != http.StatusOK {
				t.Fatalf("GET %s: %d %s", p, resp.StatusCode, body)
			}
		}
		if err := tel.ForceFlush(context.Background()); err != nil {
			t.Fatal(err)
		}

		wantChildren := []string{"BEGIN", "SELECT orders", "COMMIT"}
		spans := col.WaitTraces(t, 20*time.Second, func(spans []itest.Span) bool {
			n := 0
			for _, s := range spans {
				if s.Name == "GET /orders/{id}" || contains(wantChildren, s.Name) {
					n++
				}
			}
			return n >= 1+len(wantChildren)
		})
		var server itest.Span
		for _, s := range spans {
			if s.Name == "GET /orders/{id}" {
				server = s
			}
			if s.Name == "GET /healthz" {
				t.Errorf("the health check was traced: %+v", s)
			}
		}
		for _, name := range wantChildren {
			found := false
			for _, s := range spans {
				if s.Name != name {
					continue
				}
				found = true
				if s.TraceID != server.TraceID || s.ParentSpanID != server.SpanID {
					t.Errorf("%s: trace %s parent %s, want the server span's trace %s and id %s", name, s.TraceID, s.ParentSpanID, server.TraceID, server.SpanID)
				}
				if s.Kind != 3 || s.Attributes["db.system.name"] != b.system || s.Scope != instrument.ScopeName {
					t.Errorf("%s: kind %d, scope %q, attributes %v", name, s.Kind, s.Scope, s.Attributes)
				}
			}
			if !found {
				t.Errorf("no %s span", name)
			}
		}
		for _, s := range spans {
			if s.Name == "SELECT orders" && s.Attributes["db.query.text"] != "SELECT customer FROM orders WHERE id = "+b.ph(1) {
				t.Errorf("db.query.text = %v", s.Attributes["db.query.text"])
			}
		}
	})
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}
