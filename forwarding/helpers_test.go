package forwarding

import (
	"bytes"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"go.opentelemetry.io/otel"
)

const testToken = "Bearer server-side-write-token-1234"

// noEnv is an empty environment.
func noEnv(string) (string, bool) { return "", false }

// received is one request as the backend saw it.
type received struct {
	Method  string
	Path    string
	Query   string
	Header  http.Header
	Body    []byte
	BodyErr error
}

// backend is a test OTLP backend that records what it receives.
type backend struct {
	*httptest.Server
	mu       sync.Mutex
	requests []received
	got      chan received
}

// newBackend starts a backend whose answers are made by respond (a 200
// with an empty JSON object when nil).
func newBackend(t *testing.T, respond func(w http.ResponseWriter, r *http.Request)) *backend {
	t.Helper()
	b := &backend{got: make(chan received, 100)}
	b.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, err := io.ReadAll(r.Body)
		rec := received{Method: r.Method, Path: r.URL.Path, Query: r.URL.RawQuery, Header: r.Header.Clone(), Body: body, BodyErr: err}
		b.mu.Lock()
		b.requests = append(b.requests, rec)
		b.mu.Unlock()
		b.got <- rec
		if err != nil {
			return
		}
		if respond != nil {
			respond(w, r)
			return
		}
		w.Header().Set("Content-Type", "application/json")
		_, _ = io.WriteString(w, "{}")
	}))
	t.Cleanup(b.Close)
	return b
}

func (b *backend) count() int {
	b.mu.Lock()
	defer b.mu.Unlock()
	return len(b.requests)
}

// next waits for the next request the backend receives.
func (b *backend) next(t *testing.T) received {
	t.Helper()
	select {
	case r := <-b.got:
		return r
	case <-time.After(10 * time.Second):
		t.Fatal("the backend received nothing")
		return received{}
	}
}

// testTransport is a transport whose idle connections are closed when the
// test ends, so that no goroutine outlives it.
func testTransport(t testing.TB) *http.Transport {
	tr := http.DefaultTransport.(*http.Transport).Clone()
	t.Cleanup(tr.CloseIdleConnections)
	return tr
}

// newTestHandler makes a handler with an empty environment forwarding to
// endpoint with the test token, plus opts.
func newTestHandler(t testing.TB, endpoint string, opts ...Option) *Handler {
	t.Helper()
	base := []Option{
		WithEnvLookup(noEnv),
		WithEndpoint(endpoint),
		WithHeaders(map[string]string{"Authorization": testToken}),
		WithClient(&http.Client{Transport: testTransport(t)}),
	}
	h, err := New(append(base, opts...)...)
	if err != nil {
		t.Fatalf("New: %v", err)
	}
	return h
}

// assertNoLeak fails when an answer shows the backend's address or the
// server-side token.
func assertNoLeak(t *testing.T, backendURL string, header http.Header, body []byte) {
	t.Helper()
	host := strings.TrimPrefix(backendURL, "http://")
	var all bytes.Buffer
	_ = header.Write(&all)
	all.Write(body)
	for _, secret := range []string{host, testToken, "server-side-write-token"} {
		if secret != "" && strings.Contains(all.String(), secret) {
			t.Errorf("the answer shows %q:\n%s", secret, all.String())
		}
	}
}

// otlpRequest is a minimal OTLP/HTTP JSON export request.
func otlpRequest(t testing.TB, target string, body string) *http.Request {
	t.Helper()
	r := httptest.NewRequest(http.MethodPost, target, strings.NewReader(body))
	r.Header.Set("Content-Type", "application/json")
	return r
}

// mapEnv is an environment made of m.
func mapEnv(m map[string]string) func(string) (string, bool) {
	return func(k string) (string, bool) {
		v, ok := m[k]
		return v, ok
	}
}

// errorLog collects what is reported to otel.Handle during a test.
type errorLog struct {
	mu   sync.Mutex
	errs []string
}

func (l *errorLog) Handle(err error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.errs = append(l.errs, err.Error())
}

// last returns the last error reported, failing the test when there is none.
func (l *errorLog) last(t *testing.T) string {
	t.Helper()
	l.mu.Lock()
	defer l.mu.Unlock()
	if len(l.errs) == 0 {
		t.Fatal("no error was reported to otel.Handle")
	}
	return l.errs[len(l.errs)-1]
}

// captureErrors routes otel.Handle to an errorLog until the test ends.
func captureErrors(t *testing.T) *errorLog {
	l := &errorLog{}
	prev := otel.GetErrorHandler()
	otel.SetErrorHandler(l)
	t.Cleanup(func() { otel.SetErrorHandler(prev) })
	return l
}
