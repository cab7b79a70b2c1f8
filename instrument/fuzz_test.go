package instrument_test

import (
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"unicode/utf8"

	"go.opentelemetry.io/otel/propagation"

	"github.com/observe-go/observe/instrument"
)

// FuzzServerHeaders sends requests with arbitrary X-Request-ID,
// traceparent, tracestate and baggage headers and an arbitrary method
// through the server middleware: it must not panic, the response must
// carry a well-formed request id (the incoming one exactly when that is
// well-formed), and the span and the access log must carry the same id.
func FuzzServerHeaders(f *testing.F) {
	f.Add("GET", "req-1", "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01", "vendor=1", "tenant=acme")
	f.Add("POST", "", "", "", "")
	f.Add("BREW", "<script>", "00-00000000000000000000000000000000-0000000000000000-00", "=", ";;;")
	f.Add("GET", strings.Repeat("a", 129), "ff-zz", "a=b,c", "k=%ZZ")
	f.Add("DELETE", "550e8400-e29b-41d4-a716-446655440000", "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-ff-extra", "", "k=v;p=1")
	f.Fuzz(func(t *testing.T, method, id, traceparent, tracestate, bag string) {
		if !validToken(method) {
			t.Skip("not a method net/http would accept")
		}
		tel := newTelemetry(t)
		prop := propagation.NewCompositeTextMapPropagator(propagation.TraceContext{}, propagation.Baggage{})
		h := tel.handler(testMux(), instrument.WithPropagator(prop))
		r := httptest.NewRequest(http.MethodGet, "/users/1", nil)
		r.Method = method
		for k, v := range map[string]string{instrument.RequestIDHeader: id, "Traceparent": traceparent, "Tracestate": tracestate, "Baggage": bag} {
			if v != "" {
				r.Header.Set(k, v)
			}
		}
		w := serveOne(h, r)

		got := w.Header().Get(instrument.RequestIDHeader)
		if !instrument.ValidRequestID(got) {
			t.Fatalf("response request id %q is not well-formed", got)
		}
		if instrument.ValidRequestID(id) != (got == id) {
			t.Fatalf("incoming id %q (well-formed %v) answered with %q", id, instrument.ValidRequestID(id), got)
		}
		spans := tel.ended(t, 1)
		if v := attrMap(spans[0].Attributes())[instrument.RequestIDAttribute].AsString(); v != got {
			t.Fatalf("span request id %q, response %q", v, got)
		}
		if !utf8.ValidString(spans[0].Name()) || strings.Contains(spans[0].Name(), "\n") {
			t.Fatalf("span name %q", spans[0].Name())
		}
		recs := tel.logs.records()
		if len(recs) != 1 {
			t.Fatalf("got %d access log records, want 1", len(recs))
		}
	})
}

// validToken reports whether m is an HTTP token, as a request method must
// be.
func validToken(m string) bool {
	if m == "" {
		return false
	}
	for i := 0; i < len(m); i++ {
		c := m[i]
		if c <= ' ' || c >= 0x7f || strings.IndexByte("()<>@,;:\\\"/[]?={}", c) >= 0 {
			return false
		}
	}
	return true
}
