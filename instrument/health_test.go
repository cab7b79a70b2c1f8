package instrument_test

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/observe-go/observe/instrument"
)

type healthResponse struct {
	Status string `json:"status"`
	Checks map[string]struct {
		Status     string   `json:"status"`
		DurationMS *float64 `json:"duration_ms"`
		Error      string   `json:"error"`
	} `json:"checks"`
}

func getHealth(ctx context.Context, t *testing.T, h http.Handler) (int, healthResponse, string) {
	t.Helper()
	r := httptest.NewRequest(http.MethodGet, "/healthz", nil).WithContext(ctx)
	w := serveOne(h, r)
	if ct := w.Header().Get("Content-Type"); ct != "application/json" {
		t.Errorf("Content-Type %q", ct)
	}
	if cc := w.Header().Get("Cache-Control"); cc != "no-store" {
		t.Errorf("Cache-Control %q", cc)
	}
	var resp healthResponse
	if err := json.Unmarshal(w.Body.Bytes(), &resp); err != nil {
		t.Fatalf("body %q: %v", w.Body.String(), err)
	}
	return w.Code, resp, w.Body.String()
}

func okCheck(context.Context) error { return nil }

func TestHealthHandler(t *testing.T) {
	errSecret := errors.New("dial postgres://app:hunter2@db:5432: connection refused")
	tests := []struct {
		name      string
		opts      instrument.HealthOptions
		checks    []instrument.HealthCheck
		code      int
		status    string
		results   map[string]string // name -> "ok" or the error reported
		forbidden string
	}{
		{
			name:    "all pass",
			checks:  []instrument.HealthCheck{{Name: "db", Check: okCheck}, {Name: "cache", Check: okCheck}},
			code:    http.StatusOK,
			status:  "ok",
			results: map[string]string{"db": "ok", "cache": "ok"},
		},
		{
			name:      "a failure hides its text",
			checks:    []instrument.HealthCheck{{Name: "db", Check: func(context.Context) error { return errSecret }}, {Name: "cache", Check: okCheck}},
			code:      http.StatusServiceUnavailable,
			status:    "fail",
			results:   map[string]string{"db": "check failed", "cache": "ok"},
			forbidden: "hunter2",
		},
		{
			name:    "ErrorText reports the text",
			opts:    instrument.HealthOptions{ErrorText: true},
			checks:  []instrument.HealthCheck{{Name: "db", Check: func(context.Context) error { return errSecret }}},
			code:    http.StatusServiceUnavailable,
			status:  "fail",
			results: map[string]string{"db": errSecret.Error()},
		},
		{
			name:      "a panic fails the check",
			checks:    []instrument.HealthCheck{{Name: "db", Check: func(context.Context) error { panic("hunter2") }}},
			code:      http.StatusServiceUnavailable,
			status:    "fail",
			results:   map[string]string{"db": "panicked"},
			forbidden: "hunter2",
		},
		{
			name:    "no checks",
			code:    http.StatusOK,
			status:  "ok",
			results: map[string]string{},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			code, resp, body := getHealth(context.Background(), t, instrument.HealthHandlerWithOptions(tt.opts, tt.checks...))
			if code != tt.code || resp.Status != tt.status {
				t.Errorf("answered %d %q, want %d %q: %s", code, resp.Status, tt.code, tt.status, body)
			}
			if len(resp.Checks) != len(tt.results) {
				t.Errorf("checks %v, want %v", resp.Checks, tt.results)
			}
			for name, want := range tt.results {
				got, ok := resp.Checks[name]
				switch {
				case !ok:
					t.Errorf("no result for %q: %s", name, body)
				case want == "ok" && (got.Status != "ok" || got.Error != ""):
					t.Errorf("%s: %+v, want ok", name, got)
				case want != "ok" && (got.Status != "fail" || got.Error != want):
					t.Errorf("%s: %+v, want fail with %q", name, got, want)
				}
				if got.DurationMS == nil || *got.DurationMS < 0 {
					t.Errorf("%s: duration_ms %v", name, got.DurationMS)
				}
			}
			if tt.forbidden != "" && strings.Contains(body, tt.forbidden) {
				t.Errorf("body holds %q: %s", tt.forbidden, body)
			}
		})
	}
}

// The checks run at the same time: each waits for the other to start.
func TestHealthChecksRunConcurrently(t *testing.T) {
	a, b := make(chan struct{}), make(chan struct{})
	meet := func(mine, other chan struct{}) func(context.Context) error {
		return func(ctx context.Context) error {
			close(mine)
			select {
			case <-other:
				return nil
			case <-ctx.Done():
				return ctx.Err()
			}
		}
	}
	h := instrument.HealthHandler(
		instrument.HealthCheck{Name: "a", Check: meet(a, b), Timeout: time.Minute},
		instrument.HealthCheck{Name: "b", Check: meet(b, a), Timeout: time.Minute},
	)
	if code, resp, body := getHealth(context.Background(), t, h); code != http.StatusOK || resp.Status != "ok" {
		t.Errorf("answered %d: %s", code, body)
	}
}

// A check that ignores its context does not hold the response past its
// timeout, and is not started again while it runs.
func TestHealthCheckIgnoringContext(t *testing.T) {
	release := make(chan struct{})
	var calls atomic.Int32
	stuck := func(context.Context) error {
		calls.Add(1)
		<-release
		return nil
	}
	h := instrument.HealthHandler(
		instrument.HealthCheck{Name: "stuck", Check: stuck, Timeout: 20 * time.Millisecond},
		instrument.HealthCheck{Name: "db", Check: okCheck},
	)
	released := false
	t.Cleanup(func() {
		if !released {
			close(release)
		}
	})

	code, resp, body := getHealth(context.Background(), t, h)
	if code != http.StatusServiceUnavailable || resp.Checks["stuck"].Error != "timed out" || resp.Checks["db"].Status != "ok" {
		t.Fatalf("answered %d: %s", code, body)
	}
	if d := *resp.Checks["stuck"].DurationMS; d < 20 {
		t.Errorf("timed out after %vms, before its 20ms timeout", d)
	}
	code, resp, body = getHealth(context.Background(), t, h)
	if code != http.StatusServiceUnavailable || resp.Checks["stuck"].Error != "still running" {
		t.Fatalf("second request answered %d: %s", code, body)
	}
	if n := calls.Load(); n != 1 {
		t.Errorf("the stuck check was started %d times, want 1", n)
	}

	close(release)
	released = true
	// Once it has returned, the next request runs it again; it returns at
	// once now that release is closed.
	deadline := time.Now().Add(10 * time.Second)
	for {
		code, _, body = getHealth(context.Background(), t, h)
		if code == http.StatusOK {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("still failing after the check returned: %s", body)
		}
		time.Sleep(5 * time.Millisecond)
	}
	if n := calls.Load(); n < 2 {
		t.Errorf("the check was not run again (%d calls)", n)
	}
}

// The request's context bounds the checks.
func TestHealthCheckRequestCanceled(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	var sawCancel atomic.Bool
	h := instrument.HealthHandler(instrument.HealthCheck{Name: "db", Timeout: time.Hour, Check: func(ctx context.Context) error {
		<-ctx.Done()
		sawCancel.Store(true)
		return ctx.Err()
	}})
	code, resp, body := getHealth(ctx, t, h)
	if code != http.StatusServiceUnavailable || resp.Checks["db"].Error != "timed out" {
		t.Errorf("answered %d: %s", code, body)
	}
	if !sawCancel.Load() {
		// The handler may answer before the check notices; it must
		// notice, since its context is done.
		deadline := time.Now().Add(10 * time.Second)
		for !sawCancel.Load() && time.Now().Before(deadline) {
			time.Sleep(time.Millisecond)
		}
		if !sawCancel.Load() {
			t.Error("the check's context was not canceled with the request's")
		}
	}
}

func TestHealthHandlerBadChecks(t *testing.T) {
	errs := captureOtelErrors(t)
	h := instrument.HealthHandler(
		instrument.HealthCheck{Check: okCheck},
		instrument.HealthCheck{Name: "db", Check: okCheck},
		instrument.HealthCheck{Name: "db", Check: okCheck},
		instrument.HealthCheck{Name: "cache"},
	)
	code, resp, body := getHealth(context.Background(), t, h)
	if code != http.StatusServiceUnavailable {
		t.Errorf("answered %d: %s", code, body)
	}
	for name, want := range map[string]string{"check1": "", "db": "", "db#2": "", "cache": "no check function"} {
		if got, ok := resp.Checks[name]; !ok || got.Error != want {
			t.Errorf("%s: %+v, want error %q (%s)", name, got, want, body)
		}
	}
	reported := errs()
	if len(reported) != 1 {
		t.Fatalf("reported %d errors, want 1: %v", len(reported), reported)
	}
	for _, want := range []string{`check 1 has no name`, `repeats the name "db"`, `check "cache" has no function`} {
		if !strings.Contains(reported[0].Error(), want) {
			t.Errorf("error %q lacks %q", reported[0], want)
		}
	}
}

func TestLivenessHandler(t *testing.T) {
	code, resp, body := getHealth(context.Background(), t, instrument.LivenessHandler())
	if code != http.StatusOK || resp.Status != "ok" || body != "{\"status\":\"ok\"}\n" {
		t.Errorf("answered %d %q", code, body)
	}
}

// A database check: its PingContext.
func TestHealthDatabaseCheck(t *testing.T) {
	tel := newTelemetry(t)
	db, err := instrument.OpenDB("sqlite", "file:"+filepath.Join(t.TempDir(), "h.db"), tel.sqlOptions()...)
	if err != nil {
		t.Fatal(err)
	}
	h := instrument.HealthHandler(instrument.HealthCheck{Name: "db", Check: db.PingContext})
	if code, _, body := getHealth(context.Background(), t, h); code != http.StatusOK {
		t.Errorf("answered %d: %s", code, body)
	}
	_ = db.Close()
	code, resp, body := getHealth(context.Background(), t, h)
	if code != http.StatusServiceUnavailable || resp.Checks["db"].Error != "check failed" {
		t.Errorf("closed database: answered %d: %s", code, body)
	}
}

// HTTPHandler leaves probes and scrapes out of traces and the access log,
// and still counts them.
func TestHTTPHandlerHealthPaths(t *testing.T) {
	mux := func() *http.ServeMux {
		m := http.NewServeMux()
		m.Handle("GET /healthz", instrument.HealthHandler(instrument.HealthCheck{Name: "db", Check: okCheck}))
		m.Handle("GET /livez", instrument.LivenessHandler())
		m.HandleFunc("GET /healthz/deep", func(w http.ResponseWriter, _ *http.Request) {})
		m.HandleFunc("GET /metrics", func(w http.ResponseWriter, _ *http.Request) {})
		m.HandleFunc("GET /users/{id}", func(w http.ResponseWriter, _ *http.Request) {})
		return m
	}
	paths := []string{"/healthz", "/livez", "/metrics", "/healthz/deep", "/users/1"}
	for _, tt := range []struct {
		name   string
		opts   []instrument.ServerOption
		traced []string
	}{
		{name: "default", traced: []string{"GET /healthz/deep", "GET /users/{id}"}},
		{name: "WithHealthPathsTraced", opts: []instrument.ServerOption{instrument.WithHealthPathsTraced()},
			traced: []string{"GET /healthz", "GET /livez", "GET /metrics", "GET /healthz/deep", "GET /users/{id}"}},
	} {
		t.Run(tt.name, func(t *testing.T) {
			tel := newTelemetry(t)
			h := tel.handler(mux(), tt.opts...)
			for _, p := range paths {
				if w := serveOne(h, httptest.NewRequest(http.MethodGet, p, nil)); w.Code != http.StatusOK {
					t.Errorf("%s answered %d", p, w.Code)
				}
			}
			got := spanNames(tel.ended(t, len(tt.traced)))
			if strings.Join(got, ",") != strings.Join(tt.traced, ",") {
				t.Errorf("spans %v, want %v", got, tt.traced)
			}
			if n := len(tel.logs.waitRecords(t, len(tt.traced))); n != len(tt.traced) {
				t.Errorf("%d access log records, want %d", n, len(tt.traced))
			}
			if n := histogramCount(t, tel.collect(t), "http.server.request.duration"); n != uint64(len(paths)) {
				t.Errorf("%d duration samples, want %d: every request is counted", n, len(paths))
			}
		})
	}
}
