package forwarding

import (
	"bytes"
	"compress/gzip"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"
)

// TestHeadersRebuilt sends, through a real server with the handler mounted
// under a prefix, a request carrying every header a browser or an attacker
// could add, and checks what the backend received: the token added, the
// browser's credentials and forwarding headers gone.
func TestHeadersRebuilt(t *testing.T) {
	be := newBackend(t, func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		w.Header().Set("Set-Cookie", "backend-session=1")
		w.Header().Set("Server", "backend.internal")
		w.Header().Set("X-Backend-Secret", "s3cr3t")
		w.Header().Set("Access-Control-Allow-Origin", "*")
		_, _ = io.WriteString(w, `{"partialSuccess":{}}`)
	})
	reader, mp := newMeterProvider()
	h := newTestHandler(t, be.URL+"/base/", WithMeterProvider(mp),
		WithHeaders(map[string]string{"Authorization": testToken, "X-Scope-OrgID": "tenant-1"}))
	mux := http.NewServeMux()
	mux.Handle("POST /observe-proxy/", h)
	srv := httptest.NewServer(mux)
	t.Cleanup(srv.Close)

	body := `{"resourceSpans":[{"scopeSpans":[]}]}`
	req, _ := http.NewRequest(http.MethodPost, srv.URL+"/observe-proxy/v1/traces", strings.NewReader(body))
	for k, v := range map[string]string{
		"Content-Type":      "application/json; charset=utf-8",
		"Cookie":            "session=browser-session-cookie",
		"Authorization":     "Bearer browser-token",
		"Origin":            srv.URL,
		"Referer":           srv.URL + "/page?user=alice",
		"X-Forwarded-For":   "203.0.113.7",
		"X-Forwarded-Host":  "evil.example",
		"X-Forwarded-Proto": "https",
		"Forwarded":         "for=203.0.113.7",
		"X-Real-Ip":         "203.0.113.7",
		"X-Scope-OrgID":     "tenant-of-the-attacker",
		"Traceparent":       "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01",
		"Accept-Language":   "fr",
		"User-Agent":        "Mozilla/5.0 (X11; Linux x86_64) TestBrowser/1.0 \u00e9",
		"Te":                "trailers",
		"Connection":        "Upgrade",
		"Upgrade":           "websocket",
	} {
		req.Header.Set(k, v)
	}
	client := &http.Client{Transport: testTransport(t)}
	resp, err := client.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	respBody, _ := io.ReadAll(resp.Body)
	resp.Body.Close()

	if resp.StatusCode != http.StatusOK || string(respBody) != `{"partialSuccess":{}}` {
		t.Errorf("answer %d %q, want the backend's 200 and body", resp.StatusCode, respBody)
	}
	for _, k := range []string{"Set-Cookie", "Server", "X-Backend-Secret", "Access-Control-Allow-Origin"} {
		if v := resp.Header.Get(k); v != "" {
			t.Errorf("the backend's %s: %q reached the browser", k, v)
		}
	}
	if ct := resp.Header.Get("Content-Type"); ct != "application/json" {
		t.Errorf("Content-Type %q, want the backend's application/json", ct)
	}
	assertNoLeak(t, be.URL, resp.Header, respBody)

	got := be.next(t)
	if got.Path != "/base/v1/traces" || got.Query != "" || got.Method != http.MethodPost {
		t.Errorf("the backend got %s %s?%s, want POST /base/v1/traces", got.Method, got.Path, got.Query)
	}
	if string(got.Body) != body {
		t.Errorf("the backend got body %q, want %q", got.Body, body)
	}
	wantHeader := map[string]string{
		"Authorization": testToken,
		"X-Scope-Orgid": "tenant-1",
		"Content-Type":  "application/json",
		"User-Agent":    "observe-forwarding/" + version() + " Mozilla/5.0 (X11; Linux x86_64) TestBrowser/1.0",
	}
	for k, v := range wantHeader {
		if vs := got.Header.Values(k); len(vs) != 1 || vs[0] != v {
			t.Errorf("the backend got %s: %q, want %q", k, vs, v)
		}
	}
	// Accept-Encoding and Content-Length are added by net/http's transport.
	allowed := map[string]bool{"Accept-Encoding": true, "Content-Length": true}
	for k := range wantHeader {
		allowed[http.CanonicalHeaderKey(k)] = true
	}
	for k, v := range got.Header {
		if !allowed[k] {
			t.Errorf("the backend got the header %s: %q", k, v)
		}
	}
	if n := collect(t, reader).sum("observe.forwarding.bytes", "signal=traces"); n != int64(len(body)) {
		t.Errorf("bytes counted %d, want %d", n, len(body))
	}
}

// TestEnvironment: with no options but the environment, the handler reads
// the endpoint (a base URL) and the percent-encoded headers itself.
func TestEnvironment(t *testing.T) {
	be := newBackend(t, nil)
	h := NewHandler(WithEnvLookup(mapEnv(map[string]string{
		"OTEL_EXPORTER_OTLP_ENDPOINT": be.URL + "/otlp",
		"OTEL_EXPORTER_OTLP_HEADERS":  "authorization=Bearer%20env-token,x-team=a%2Cb",
	})), WithClient(&http.Client{Transport: testTransport(t)}))
	r := otlpRequest(t, "/v1/logs", "{}")
	r.Header.Set("Authorization", "Bearer browser")
	w := httptest.NewRecorder()
	h.ServeHTTP(w, r)
	if w.Code != http.StatusOK {
		t.Fatalf("status %d: %s", w.Code, w.Body)
	}
	got := be.next(t)
	if got.Path != "/otlp/v1/logs" {
		t.Errorf("path %q, want /otlp/v1/logs", got.Path)
	}
	if a := got.Header.Values("Authorization"); len(a) != 1 || a[0] != "Bearer env-token" {
		t.Errorf("Authorization %q, want the decoded env token only", a)
	}
	if v := got.Header.Get("X-Team"); v != "a,b" {
		t.Errorf("X-Team %q, want a,b", v)
	}
}

// TestMounting: the handler finds the signal wherever it is mounted.
func TestMounting(t *testing.T) {
	be := newBackend(t, nil)
	h := newTestHandler(t, be.URL)
	tests := []struct {
		name    string
		handler func() http.Handler
		target  string
		want    int
	}{
		{"mux with method", func() http.Handler {
			m := http.NewServeMux()
			m.Handle("POST /observe-proxy/", h)
			return m
		}, "/observe-proxy/v1/traces", 200},
		{"mux without method", func() http.Handler {
			m := http.NewServeMux()
			m.Handle("/observe-proxy/", h)
			return m
		}, "/observe-proxy/v1/metrics", 200},
		{"StripPrefix without slash", func() http.Handler { return http.StripPrefix("/observe-proxy", h) }, "/observe-proxy/v1/logs", 200},
		{"StripPrefix with slash", func() http.Handler { return http.StripPrefix("/observe-proxy/", h) }, "/observe-proxy/v1/logs", 200},
		{"StripPrefix keeps encodings visible", func() http.Handler { return http.StripPrefix("/observe-proxy", h) }, "/observe-proxy/v1%2Ftraces", 400},
		{"at the root", func() http.Handler { return h }, "/v1/traces", 200},
		{"trailing slash", func() http.Handler { return h }, "/observe-proxy/v1/traces/", 200},
		{"deep prefix", func() http.Handler { return h }, "/api/v2/telemetry/v1/traces", 200},
	}
	client := &http.Client{Transport: testTransport(t)}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			srv := httptest.NewServer(tt.handler())
			defer srv.Close()
			resp, err := client.Post(srv.URL+tt.target, "application/x-protobuf", strings.NewReader("\x0a\x00"))
			if err != nil {
				t.Fatal(err)
			}
			_, _ = io.Copy(io.Discard, resp.Body)
			resp.Body.Close()
			if resp.StatusCode != tt.want {
				t.Errorf("status %d, want %d", resp.StatusCode, tt.want)
			}
		})
	}
}

// TestBackendAnswers: 2xx and 400/413/415/429/503 are passed on (with a
// valid Retry-After), anything else and transport failures become 502 with
// a generic body.
func TestBackendAnswers(t *testing.T) {
	tests := []struct {
		name       string
		status     int
		retryAfter string
		location   string
		want       int
		wantRetry  string
		wantBody   string
	}{
		{name: "200", status: 200, want: 200, wantBody: `{"partialSuccess":{}}`},
		{name: "202", status: 202, want: 202, wantBody: `{"partialSuccess":{}}`},
		{name: "400", status: 400, want: 400, wantBody: "refused the request (400"},
		{name: "413", status: 413, want: 413, wantBody: "refused the request (413"},
		{name: "415", status: 415, want: 415, wantBody: "refused the request (415"},
		{name: "429 with seconds", status: 429, retryAfter: "7", want: 429, wantRetry: "7", wantBody: "refused the request (429"},
		{name: "503 with a date", status: 503, retryAfter: "Wed, 21 Oct 2015 07:28:00 GMT", want: 503, wantRetry: "Wed, 21 Oct 2015 07:28:00 GMT"},
		{name: "503 with garbage", status: 503, retryAfter: "soon, from backend.internal", want: 503},
		{name: "429 with a huge number", status: 429, retryAfter: "99999999999", want: 429},
		{name: "401", status: 401, want: 502, wantBody: "could not take the request"},
		{name: "403", status: 403, want: 502},
		{name: "404", status: 404, want: 502},
		{name: "500", status: 500, want: 502},
		{name: "502", status: 502, want: 502},
		{name: "504", status: 504, want: 502},
		{name: "redirect", status: 307, location: "http://elsewhere.internal/v1/traces", want: 502},
		{name: "101", status: 101, want: 502},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			errs := captureErrors(t)
			be := newBackend(t, func(w http.ResponseWriter, r *http.Request) {
				if tt.retryAfter != "" {
					w.Header().Set("Retry-After", tt.retryAfter)
				}
				if tt.location != "" {
					w.Header().Set("Location", tt.location)
				}
				w.Header().Set("X-Backend", "backend.internal")
				if tt.status == 101 {
					w.Header().Set("Connection", "Upgrade")
					w.Header().Set("Upgrade", "websocket")
				}
				w.WriteHeader(tt.status)
				_, _ = io.WriteString(w, `{"partialSuccess":{}}`)
			})
			h := newTestHandler(t, be.URL)
			w := httptest.NewRecorder()
			h.ServeHTTP(w, otlpRequest(t, "/v1/traces", "{}"))
			if w.Code != tt.want {
				t.Errorf("status %d, want %d", w.Code, tt.want)
			}
			if got := w.Header().Get("Retry-After"); got != tt.wantRetry {
				t.Errorf("Retry-After %q, want %q", got, tt.wantRetry)
			}
			for _, k := range []string{"X-Backend", "Location", "Upgrade"} {
				if v := w.Header().Get(k); v != "" {
					t.Errorf("the backend's %s %q was passed on", k, v)
				}
			}
			if !strings.Contains(w.Body.String(), tt.wantBody) {
				t.Errorf("body %q does not contain %q", w.Body.String(), tt.wantBody)
			}
			if tt.want != 200 && tt.want != 202 && strings.Contains(w.Body.String(), "partialSuccess") {
				t.Errorf("the backend's error body was passed on: %q", w.Body.String())
			}
			if tt.want == http.StatusBadGateway {
				if got, want := errs.last(t), fmt.Sprintf("forwarding: traces: the backend answered with status %d", tt.status); got != want {
					t.Errorf("reported %q, want %q", got, want)
				}
			}
			assertNoLeak(t, be.URL, w.Header(), w.Body.Bytes())
		})
	}
}

// TestBackendUnreachable: a closed port and a backend that does not answer
// in time both give 502, and the error reported names neither the address
// nor the token.
func TestBackendUnreachable(t *testing.T) {
	errs := captureErrors(t)

	closed := httptest.NewServer(http.NotFoundHandler())
	closedURL := closed.URL
	closed.Close()

	release := make(chan struct{})
	slow := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		select {
		case <-release:
		case <-r.Context().Done():
		}
	}))
	t.Cleanup(slow.Close)
	t.Cleanup(func() { close(release) })

	for _, tt := range []struct {
		name string
		url  string
		opts []Option
		want string
	}{
		{"connection refused", closedURL, nil, "the backend refused the connection"},
		{"timeout", slow.URL, []Option{WithClient(&http.Client{Transport: testTransport(t), Timeout: 200 * time.Millisecond})}, "did not answer in time"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			h := newTestHandler(t, tt.url, tt.opts...)
			w := httptest.NewRecorder()
			start := time.Now()
			h.ServeHTTP(w, otlpRequest(t, "/v1/traces", "{}"))
			if w.Code != http.StatusBadGateway {
				t.Errorf("status %d, want 502", w.Code)
			}
			if d := time.Since(start); d > 5*time.Second {
				t.Errorf("took %v", d)
			}
			assertNoLeak(t, tt.url, w.Header(), w.Body.Bytes())
			reported := errs.last(t)
			if !strings.Contains(reported, tt.want) {
				t.Errorf("reported %q, want it to say %q", reported, tt.want)
			}
			assertNoLeak(t, tt.url, nil, []byte(reported))
		})
	}
}

// TestMaxInFlight: beyond the limit, requests get 503 with Retry-After
// without reaching the backend.
func TestMaxInFlight(t *testing.T) {
	entered := make(chan struct{}, 1)
	release := make(chan struct{})
	be := newBackend(t, func(w http.ResponseWriter, r *http.Request) {
		entered <- struct{}{}
		<-release
	})
	h := newTestHandler(t, be.URL, WithMaxInFlight(1))
	done := make(chan int)
	go func() {
		w := httptest.NewRecorder()
		h.ServeHTTP(w, otlpRequest(t, "/v1/traces", "{}"))
		done <- w.Code
	}()
	<-entered
	w := httptest.NewRecorder()
	h.ServeHTTP(w, otlpRequest(t, "/v1/traces", "{}"))
	if w.Code != http.StatusServiceUnavailable || w.Header().Get("Retry-After") == "" {
		t.Errorf("second request: %d Retry-After %q, want 503 with Retry-After", w.Code, w.Header().Get("Retry-After"))
	}
	close(release)
	if code := <-done; code != http.StatusOK {
		t.Errorf("first request: %d, want 200", code)
	}
	// The slot is free again.
	w = httptest.NewRecorder()
	go func() { <-entered }()
	h.ServeHTTP(w, otlpRequest(t, "/v1/traces", "{}"))
	if w.Code != http.StatusOK {
		t.Errorf("third request: %d, want 200", w.Code)
	}
	if be.count() != 2 {
		t.Errorf("the backend got %d requests, want 2", be.count())
	}
}

// TestGzipPassedThrough: a gzip body reaches the backend as it was sent.
func TestGzipPassedThrough(t *testing.T) {
	be := newBackend(t, nil)
	h := newTestHandler(t, be.URL)
	var buf bytes.Buffer
	zw := gzip.NewWriter(&buf)
	_, _ = io.WriteString(zw, `{"resourceLogs":[]}`)
	_ = zw.Close()
	r := httptest.NewRequest(http.MethodPost, "/v1/logs", bytes.NewReader(buf.Bytes()))
	r.Header.Set("Content-Type", "application/json")
	r.Header.Set("Content-Encoding", "GZIP")
	w := httptest.NewRecorder()
	h.ServeHTTP(w, r)
	if w.Code != http.StatusOK {
		t.Fatalf("status %d", w.Code)
	}
	got := be.next(t)
	if got.Header.Get("Content-Encoding") != "gzip" || !bytes.Equal(got.Body, buf.Bytes()) {
		t.Errorf("the backend got Content-Encoding %q and %d bytes, want gzip and the %d bytes sent",
			got.Header.Get("Content-Encoding"), len(got.Body), buf.Len())
	}
}

// TestBodyLimit: a body of exactly the limit passes; a chunked body that
// grows past it aborts the upstream request, so the backend never sees a
// complete body, and the client gets 413.
func TestBodyLimit(t *testing.T) {
	const limit = 256 << 10
	be := newBackend(t, nil)
	reader, mp := newMeterProvider()
	h := newTestHandler(t, be.URL, WithMaxBodyBytes(limit), WithMeterProvider(mp))
	srv := httptest.NewServer(h)
	t.Cleanup(srv.Close)
	client := &http.Client{Transport: testTransport(t)}

	t.Run("exactly the limit, chunked", func(t *testing.T) {
		body := bytes.Repeat([]byte("a"), limit)
		req, _ := http.NewRequest(http.MethodPost, srv.URL+"/v1/traces", io.MultiReader(bytes.NewReader(body)))
		req.Header.Set("Content-Type", "application/x-protobuf")
		resp, err := client.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != http.StatusOK {
			t.Errorf("status %d, want 200", resp.StatusCode)
		}
		if got := be.next(t); got.BodyErr != nil || len(got.Body) != limit {
			t.Errorf("the backend got %d bytes (%v), want %d", len(got.Body), got.BodyErr, limit)
		}
	})

	t.Run("past the limit, chunked", func(t *testing.T) {
		// The client sends more than the limit, then holds its body open
		// until it has the answer, as a slow browser would.
		pr, pw := io.Pipe()
		answered := make(chan struct{})
		var wg sync.WaitGroup
		wg.Add(1)
		go func() {
			defer wg.Done()
			chunk := bytes.Repeat([]byte("b"), 32<<10)
			for sent := 0; sent < limit+64<<10; sent += len(chunk) {
				if _, err := pw.Write(chunk); err != nil {
					return
				}
			}
			<-answered
			pw.Close()
		}()
		req, _ := http.NewRequest(http.MethodPost, srv.URL+"/v1/traces", pr)
		req.Header.Set("Content-Type", "application/x-protobuf")
		resp, err := client.Do(req)
		close(answered)
		wg.Wait()
		if err != nil {
			t.Fatal(err)
		}
		body, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if resp.StatusCode != http.StatusRequestEntityTooLarge {
			t.Errorf("status %d (%q), want 413", resp.StatusCode, body)
		}
		got := be.next(t)
		if got.BodyErr == nil {
			t.Errorf("the backend read a complete body of %d bytes; want the upstream request aborted", len(got.Body))
		}
		if len(got.Body) > limit {
			t.Errorf("the backend got %d bytes, more than the limit %d", len(got.Body), limit)
		}
		t.Logf("the backend read %d bytes, then: %v", len(got.Body), got.BodyErr)
		if n := collect(t, reader).sum("observe.forwarding.rejections", "reason=body_too_large"); n != 1 {
			t.Errorf("rejections{body_too_large} = %d, want 1", n)
		}
	})
}

// TestCORS: preflights from listed origins are answered, answers to them
// are readable by the page (status and Retry-After included), and
// same-origin pages need no listing.
func TestCORS(t *testing.T) {
	be := newBackend(t, func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Retry-After", "3")
		w.WriteHeader(http.StatusTooManyRequests)
	})
	const app = "https://app.example"
	tests := []struct {
		name       string
		opts       []Option
		method     string
		header     map[string]string
		want       int
		wantOrigin string
		wantCreds  string
	}{
		{name: "preflight", opts: []Option{WithAllowedOrigins(app)}, method: "OPTIONS",
			header: map[string]string{"Origin": app, "Access-Control-Request-Method": "POST", "Access-Control-Request-Headers": "Content-Type,content-encoding"},
			want:   204, wantOrigin: app},
		{name: "preflight with credentials", opts: []Option{WithAllowedOrigins(app), WithCredentials()}, method: "OPTIONS",
			header: map[string]string{"Origin": app, "Access-Control-Request-Method": "POST"},
			want:   204, wantOrigin: app, wantCreds: "true"},
		{name: "preflight, any origin", opts: []Option{WithAllowedOrigins("*")}, method: "OPTIONS",
			header: map[string]string{"Origin": "https://anyone.example", "Access-Control-Request-Method": "POST"},
			want:   204, wantOrigin: "*"},
		{name: "listed origin", opts: []Option{WithAllowedOrigins("https://other.example", app)},
			header: map[string]string{"Origin": app}, want: 429, wantOrigin: app},
		{name: "listed origin, case differs", opts: []Option{WithAllowedOrigins("HTTPS://APP.example")},
			header: map[string]string{"Origin": app}, want: 429, wantOrigin: app},
		{name: "listed origin, refused by the handler", opts: []Option{WithAllowedOrigins(app)},
			header: map[string]string{"Origin": app, "Content-Type": "text/plain"}, want: 415, wantOrigin: app},
		{name: "same origin", opts: []Option{WithAllowedOrigins(app)},
			header: map[string]string{"Origin": "http://example.com"}, want: 429},
		{name: "no origins configured", header: map[string]string{"Origin": "https://anyone.example"}, want: 429},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h := newTestHandler(t, be.URL, tt.opts...)
			method := tt.method
			if method == "" {
				method = http.MethodPost
			}
			r := httptest.NewRequest(method, "/v1/traces", strings.NewReader("{}"))
			r.Header.Set("Content-Type", "application/json")
			for k, v := range tt.header {
				r.Header.Set(k, v)
			}
			w := httptest.NewRecorder()
			h.ServeHTTP(w, r)
			if w.Code != tt.want {
				t.Errorf("status %d, want %d (%s)", w.Code, tt.want, w.Body)
			}
			if got := w.Header().Get("Access-Control-Allow-Origin"); got != tt.wantOrigin {
				t.Errorf("Access-Control-Allow-Origin %q, want %q", got, tt.wantOrigin)
			}
			if got := w.Header().Get("Access-Control-Allow-Credentials"); got != tt.wantCreds {
				t.Errorf("Access-Control-Allow-Credentials %q, want %q", got, tt.wantCreds)
			}
			if tt.wantOrigin != "" && method == http.MethodPost {
				if got := w.Header().Get("Access-Control-Expose-Headers"); got != "Retry-After" {
					t.Errorf("Access-Control-Expose-Headers %q, want Retry-After", got)
				}
			}
			if method == http.MethodOptions {
				if got := w.Header().Get("Access-Control-Allow-Methods"); got != "POST" {
					t.Errorf("Access-Control-Allow-Methods %q", got)
				}
				if be.count() != 0 {
					t.Error("a preflight reached the backend")
				}
			}
		})
	}
}

// TestAuthorizer: the authorizer sees the browser's request, with its
// cookie; what it says decides; the cookie is not forwarded either way.
func TestAuthorizer(t *testing.T) {
	be := newBackend(t, nil)
	var seen []string
	h := newTestHandler(t, be.URL, WithAuthorizer(func(r *http.Request) error {
		c, err := r.Cookie("session")
		if err != nil {
			return err
		}
		seen = append(seen, c.Value)
		if c.Value != "valid" {
			return http.ErrNoCookie
		}
		return nil
	}))
	for _, tt := range []struct {
		cookie string
		want   int
	}{{"valid", 200}, {"forged", 403}, {"", 403}} {
		r := otlpRequest(t, "/v1/traces", "{}")
		if tt.cookie != "" {
			r.AddCookie(&http.Cookie{Name: "session", Value: tt.cookie})
		}
		w := httptest.NewRecorder()
		h.ServeHTTP(w, r)
		if w.Code != tt.want {
			t.Errorf("cookie %q: status %d, want %d", tt.cookie, w.Code, tt.want)
		}
		if strings.Contains(w.Body.String(), "cookie") {
			t.Errorf("the authorizer's error reached the client: %q", w.Body)
		}
	}
	if got := be.next(t); got.Header.Get("Cookie") != "" {
		t.Errorf("the cookie was forwarded: %q", got.Header.Get("Cookie"))
	}
	if be.count() != 1 {
		t.Errorf("the backend got %d requests, want 1", be.count())
	}
	if strings.Join(seen, ",") != "valid,forged" {
		t.Errorf("the authorizer saw %q", seen)
	}
}

// TestConcurrentSafe forwards many requests at once under the race
// detector.
func TestConcurrentSafe(t *testing.T) {
	be := newBackend(t, nil)
	h := newTestHandler(t, be.URL, WithMaxInFlight(1000))
	srv := httptest.NewServer(h)
	t.Cleanup(srv.Close)
	client := &http.Client{Transport: testTransport(t)}
	var wg sync.WaitGroup
	for i := range 32 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			resp, err := client.Post(srv.URL+"/v1/traces", "application/json", strings.NewReader(strings.Repeat("x", i*100)))
			if err != nil {
				t.Error(err)
				return
			}
			_, _ = io.Copy(io.Discard, resp.Body)
			resp.Body.Close()
			if resp.StatusCode != http.StatusOK {
				t.Errorf("status %d", resp.StatusCode)
			}
		}()
	}
	wg.Wait()
	if n := h.inFlight.Load(); n != 0 {
		t.Errorf("%d requests still counted in flight", n)
	}
}
