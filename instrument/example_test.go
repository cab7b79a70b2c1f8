package instrument_test

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"

	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/sdk/trace/tracetest"

	"github.com/observe-go/observe/instrument"
)

func ExampleHTTPHandler() {
	spans := tracetest.NewSpanRecorder()
	tp := sdktrace.NewTracerProvider(sdktrace.WithSpanProcessor(spans))
	defer func() { _ = tp.Shutdown(context.Background()) }()

	mux := http.NewServeMux()
	mux.HandleFunc("GET /users/{id}", func(w http.ResponseWriter, r *http.Request) {
		fmt.Fprintf(w, "user %s", r.PathValue("id"))
	})
	h := instrument.HTTPHandler(mux, instrument.WithTracerProvider(tp), instrument.WithoutAccessLog())

	w := httptest.NewRecorder()
	h.ServeHTTP(w, httptest.NewRequest(http.MethodGet, "/users/42", nil))

	s := spans.Ended()[0]
	fmt.Println(w.Code, w.Body.String())
	fmt.Println(s.Name(), s.SpanKind())
	for _, kv := range s.Attributes() {
		if kv.Key == "http.route" {
			fmt.Println("http.route:", kv.Value.AsString())
		}
	}
	// Output:
	// 200 user 42
	// GET /users/{id} server
	// http.route: /users/{id}
}
