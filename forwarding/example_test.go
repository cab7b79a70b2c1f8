package forwarding_test

import (
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"

	"github.com/observe-go/observe/forwarding"
)

func ExampleNewHandler() {
	// A stand-in for the OTLP backend, showing what it receives.
	backend := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		fmt.Printf("backend: %s %s, token %q, cookie %q\n",
			r.Method, r.URL.Path, r.Header.Get("Authorization"), r.Header.Get("Cookie"))
		w.Header().Set("Content-Type", "application/json")
		io.WriteString(w, "{}")
	}))
	defer backend.Close()

	// In production the endpoint and the token come from
	// OTEL_EXPORTER_OTLP_ENDPOINT and OTEL_EXPORTER_OTLP_HEADERS.
	mux := http.NewServeMux()
	mux.Handle("POST /observe-proxy/", forwarding.NewHandler(
		forwarding.WithEndpoint(backend.URL),
		forwarding.WithHeaders(map[string]string{"Authorization": "Bearer write-token"}),
	))

	// What the browser's exporter sends.
	send := func(target, contentType string) {
		r := httptest.NewRequest(http.MethodPost, target, strings.NewReader(`{"resourceSpans":[]}`))
		r.Header.Set("Content-Type", contentType)
		r.Header.Set("Cookie", "session=browser-secret")
		w := httptest.NewRecorder()
		mux.ServeHTTP(w, r)
		fmt.Printf("browser: %s -> %d %s\n", target, w.Code, strings.TrimSpace(w.Body.String()))
	}
	send("/observe-proxy/v1/traces", "application/json")
	send("/observe-proxy/v1/traces", "text/plain")
	send("/observe-proxy/v1%2Ftraces", "application/json")

	// Output:
	// backend: POST /v1/traces, token "Bearer write-token", cookie ""
	// browser: /observe-proxy/v1/traces -> 200 {}
	// browser: /observe-proxy/v1/traces -> 415 forwarding: unsupported content type (want application/x-protobuf or application/json)
	// browser: /observe-proxy/v1%2Ftraces -> 400 forwarding: malformed request path
}
