package forwarding

import (
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
)

// TestRejections sends every kind of bad input straight to the handler, as
// it sees requests behind a prefix router, and checks the status, the
// reason counted, that the backend is never contacted and that no answer
// shows the backend's address or token.
func TestRejections(t *testing.T) {
	be := newBackend(t, nil)
	cors := WithAllowedOrigins("https://app.example")
	deny := WithAuthorizer(func(*http.Request) error { return errors.New("session expired for alice") })

	tests := []struct {
		name    string
		method  string
		target  string
		header  map[string][]string
		length  int64 // Content-Length when not 0
		opts    []Option
		want    int
		reason  string
		allow   string // expected Allow header
		headers map[string]string
	}{
		// Paths.
		{name: "dot-dot segment", target: "/observe-proxy/v1/../v1/traces", want: 400, reason: "bad_path"},
		{name: "dot segment", target: "/observe-proxy/./v1/traces", want: 400, reason: "bad_path"},
		{name: "encoded dot-dot", target: "/observe-proxy/v1/%2e%2e/v1/traces", want: 400, reason: "bad_path"},
		{name: "encoded dot upper", target: "/observe-proxy/%2E/v1/traces", want: 400, reason: "bad_path"},
		{name: "encoded slash", target: "/observe-proxy/v1%2Ftraces", want: 400, reason: "bad_path"},
		{name: "encoded slash lower", target: "/x%2fv1/traces", want: 400, reason: "bad_path"},
		{name: "encoded letter", target: "/observe-proxy/v1/tr%61ces", want: 400, reason: "bad_path"},
		{name: "encoded percent", target: "/observe-proxy/%25/v1/traces", want: 400, reason: "bad_path"},
		{name: "encoded NUL", target: "/observe-proxy/v1/traces%00", want: 400, reason: "bad_path"},
		{name: "encoded space", target: "/my%20proxy/v1/traces", want: 400, reason: "bad_path"},
		{name: "backslash", target: `/observe-proxy\v1\traces`, want: 400, reason: "bad_path"},
		{name: "encoded backslash", target: "/observe-proxy/..%5Cv1/traces", want: 400, reason: "bad_path"},
		{name: "scheme in path", target: "/observe-proxy/http://evil.example/v1/traces", want: 400, reason: "bad_path"},
		{name: "double slash", target: "/observe-proxy//v1/traces", want: 400, reason: "bad_path"},
		{name: "absolute form", target: "http://evil.example/v1/traces", want: 400, reason: "bad_path"},
		{name: "query", target: "/observe-proxy/v1/traces?x=1", want: 400, reason: "bad_path"},
		{name: "empty query", target: "/observe-proxy/v1/traces?", want: 400, reason: "bad_path"},
		{name: "query hiding the path", target: "/evil?/v1/traces", want: 400, reason: "bad_path"},
		{name: "query with dot-dot", target: "/observe-proxy/v1/traces?../../admin", want: 400, reason: "bad_path"},
		{name: "non-ASCII", target: "/observe-proxy/\u00e9/v1/traces", want: 400, reason: "bad_path"},
		{name: "unknown signal", target: "/observe-proxy/v1/profiles", want: 404, reason: "not_found"},
		{name: "prefix only", target: "/observe-proxy/", want: 404, reason: "not_found"},
		{name: "signal prefix", target: "/observe-proxy/v1/trace", want: 404, reason: "not_found"},
		{name: "after the signal", target: "/observe-proxy/v1/traces/extra", want: 404, reason: "not_found"},
		{name: "upper case", target: "/observe-proxy/V1/TRACES", want: 404, reason: "not_found"},
		{name: "glued to the signal", target: "/observe-proxyv1/traces", want: 404, reason: "not_found"},
		{name: "other version", target: "/observe-proxy/v2/traces", want: 404, reason: "not_found"},

		// Methods.
		{name: "GET", method: "GET", target: "/p/v1/traces", want: 405, reason: "method", allow: "POST"},
		{name: "HEAD", method: "HEAD", target: "/p/v1/traces", want: 405, reason: "method", allow: "POST"},
		{name: "PUT", method: "PUT", target: "/p/v1/metrics", want: 405, reason: "method", allow: "POST"},
		{name: "DELETE", method: "DELETE", target: "/p/v1/logs", want: 405, reason: "method", allow: "POST"},
		{name: "PATCH", method: "PATCH", target: "/p/v1/logs", want: 405, reason: "method", allow: "POST"},
		{name: "OPTIONS without CORS", method: "OPTIONS", target: "/p/v1/traces", header: map[string][]string{"Origin": {"https://app.example"}, "Access-Control-Request-Method": {"POST"}}, want: 405, reason: "method", allow: "POST"},
		{name: "GET with CORS", method: "GET", target: "/p/v1/traces", opts: []Option{cors}, want: 405, reason: "method", allow: "OPTIONS, POST"},

		// Content types and encodings.
		{name: "no content type", target: "/p/v1/traces", header: map[string][]string{"Content-Type": nil}, want: 415, reason: "content_type"},
		{name: "text/plain", target: "/p/v1/traces", header: map[string][]string{"Content-Type": {"text/plain"}}, want: 415, reason: "content_type"},
		{name: "form", target: "/p/v1/traces", header: map[string][]string{"Content-Type": {"application/x-www-form-urlencoded"}}, want: 415, reason: "content_type"},
		{name: "multipart", target: "/p/v1/traces", header: map[string][]string{"Content-Type": {"multipart/form-data; boundary=x"}}, want: 415, reason: "content_type"},
		{name: "json look-alike", target: "/p/v1/traces", header: map[string][]string{"Content-Type": {"application/jsonx"}}, want: 415, reason: "content_type"},
		{name: "protobuf look-alike", target: "/p/v1/traces", header: map[string][]string{"Content-Type": {"application/protobuf"}}, want: 415, reason: "content_type"},
		{name: "two content types", target: "/p/v1/traces", header: map[string][]string{"Content-Type": {"application/json", "application/x-protobuf"}}, want: 415, reason: "content_type"},
		{name: "brotli", target: "/p/v1/traces", header: map[string][]string{"Content-Encoding": {"br"}}, want: 415, reason: "content_encoding"},
		{name: "deflate", target: "/p/v1/traces", header: map[string][]string{"Content-Encoding": {"deflate"}}, want: 415, reason: "content_encoding"},
		{name: "gzip twice in one header", target: "/p/v1/traces", header: map[string][]string{"Content-Encoding": {"gzip, gzip"}}, want: 415, reason: "content_encoding"},
		{name: "two encodings", target: "/p/v1/traces", header: map[string][]string{"Content-Encoding": {"gzip", "gzip"}}, want: 415, reason: "content_encoding"},

		// Size.
		{name: "Content-Length over the default", target: "/p/v1/traces", length: DefaultMaxBodyBytes + 1, want: 413, reason: "body_too_large", headers: map[string]string{"Connection": "close"}},
		{name: "Content-Length over a set limit", target: "/p/v1/traces", length: 1025, opts: []Option{WithMaxBodyBytes(1024)}, want: 413, reason: "body_too_large"},

		// Origins and authorisation.
		{name: "origin not listed", target: "/p/v1/traces", header: map[string][]string{"Origin": {"https://evil.example"}}, opts: []Option{cors}, want: 403, reason: "origin"},
		{name: "two origins", target: "/p/v1/traces", header: map[string][]string{"Origin": {"https://app.example", "https://evil.example"}}, opts: []Option{cors}, want: 403, reason: "origin"},
		{name: "null origin", target: "/p/v1/traces", header: map[string][]string{"Origin": {"null"}}, opts: []Option{cors}, want: 403, reason: "origin"},
		{name: "preflight from an unlisted origin", method: "OPTIONS", target: "/p/v1/traces", header: map[string][]string{"Origin": {"https://evil.example"}, "Access-Control-Request-Method": {"POST"}}, opts: []Option{cors}, want: 403, reason: "origin"},
		{name: "preflight without origin", method: "OPTIONS", target: "/p/v1/traces", opts: []Option{cors}, want: 403, reason: "origin"},
		{name: "preflight for PUT", method: "OPTIONS", target: "/p/v1/traces", header: map[string][]string{"Origin": {"https://app.example"}, "Access-Control-Request-Method": {"PUT"}}, opts: []Option{cors}, want: 403, reason: "preflight"},
		{name: "preflight for a custom header", method: "OPTIONS", target: "/p/v1/traces", header: map[string][]string{"Origin": {"https://app.example"}, "Access-Control-Request-Method": {"POST"}, "Access-Control-Request-Headers": {"content-type, x-debug"}}, opts: []Option{cors}, want: 403, reason: "preflight"},
		{name: "authorizer says no", target: "/p/v1/traces", opts: []Option{deny}, want: 403, reason: "unauthorized"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			reader, mp := newMeterProvider()
			h := newTestHandler(t, be.URL, append(tt.opts, WithMeterProvider(mp))...)
			method := tt.method
			if method == "" {
				method = http.MethodPost
			}
			r := httptest.NewRequest(method, tt.target, strings.NewReader(`{"resourceSpans":[]}`))
			r.Header.Set("Content-Type", "application/json")
			for k, v := range tt.header {
				if v == nil {
					r.Header.Del(k)
					continue
				}
				r.Header[k] = v
			}
			if tt.length != 0 {
				r.ContentLength = tt.length
				r.Body = io.NopCloser(failingReader{t})
			}
			w := httptest.NewRecorder()
			h.ServeHTTP(w, r)

			if w.Code != tt.want {
				t.Errorf("status %d, want %d; body %q", w.Code, tt.want, w.Body.String())
			}
			if got := w.Header().Get("Allow"); got != tt.allow {
				t.Errorf("Allow %q, want %q", got, tt.allow)
			}
			for k, v := range tt.headers {
				if got := w.Header().Get(k); got != v {
					t.Errorf("%s %q, want %q", k, got, v)
				}
			}
			if ct := w.Header().Get("Content-Type"); !strings.HasPrefix(ct, "text/plain") {
				t.Errorf("Content-Type %q, want text/plain", ct)
			}
			assertNoLeak(t, be.URL, w.Header(), w.Body.Bytes())
			if n := be.count(); n != 0 {
				t.Errorf("the backend received %d requests", n)
			}
			got := collect(t, reader)
			if n := got.sum("observe.forwarding.rejections", "reason="+tt.reason); n != 1 {
				t.Errorf("rejections{reason=%s} = %d, want 1; all: %v", tt.reason, n, got)
			}
			if n := got.total("observe.forwarding.requests"); n != 1 {
				t.Errorf("requests = %d, want 1; all: %v", n, got)
			}
		})
	}
}

// failingReader fails the test when the handler reads a body it should
// have refused unread.
type failingReader struct{ t *testing.T }

func (f failingReader) Read([]byte) (int, error) {
	f.t.Error("the body was read")
	return 0, io.EOF
}

func TestNotConfigured(t *testing.T) {
	if _, err := New(WithEnvLookup(noEnv)); !errors.Is(err, ErrNotConfigured) {
		t.Errorf("New() = %v, want ErrNotConfigured", err)
	}
	errs := captureErrors(t)
	reader, mp := newMeterProvider()
	h := NewHandler(WithEnvLookup(noEnv), WithMeterProvider(mp))
	if got := errs.last(t); got != ErrNotConfigured.Error() {
		t.Errorf("NewHandler reported %q, want %q", got, ErrNotConfigured)
	}
	w := httptest.NewRecorder()
	h.ServeHTTP(w, otlpRequest(t, "/v1/traces", "{}"))
	if w.Code != http.StatusServiceUnavailable {
		t.Errorf("status %d, want 503", w.Code)
	}
	if !strings.Contains(w.Body.String(), "no backend is configured") {
		t.Errorf("body %q does not say what is wrong", w.Body.String())
	}
	if n := collect(t, reader).sum("observe.forwarding.rejections", "reason=not_configured"); n != 1 {
		t.Errorf("rejections{not_configured} = %d, want 1", n)
	}
}

// TestSignalWithoutEndpoint: with only a traces endpoint, metrics and logs
// are not forwarded.
func TestSignalWithoutEndpoint(t *testing.T) {
	be := newBackend(t, nil)
	h, err := New(WithEnvLookup(mapEnv(map[string]string{
		"OTEL_EXPORTER_OTLP_TRACES_ENDPOINT": be.URL + "/v1/traces",
	})), WithClient(&http.Client{Transport: testTransport(t)}))
	if err != nil {
		t.Fatal(err)
	}
	for target, want := range map[string]int{"/v1/traces": 200, "/v1/metrics": 404, "/v1/logs": 404} {
		w := httptest.NewRecorder()
		h.ServeHTTP(w, otlpRequest(t, target, "{}"))
		if w.Code != want {
			t.Errorf("%s: status %d, want %d", target, w.Code, want)
		}
	}
}

func TestZeroHandler(t *testing.T) {
	var h Handler
	w := httptest.NewRecorder()
	h.ServeHTTP(w, otlpRequest(t, "/v1/traces", "{}"))
	if w.Code != http.StatusServiceUnavailable {
		t.Errorf("status %d, want 503", w.Code)
	}
}
