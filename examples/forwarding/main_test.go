package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"go.uber.org/goleak"

	"github.com/observe-go/observe"
	"github.com/observe-go/observe/forwarding"
	"github.com/observe-go/observe/internal/itest"
)

func TestMain(m *testing.M) {
	goleak.VerifyTestMain(m)
}

func noEnv(string) (string, bool) { return "", false }

// fakeWeb makes a web folder with a stand-in page and bundle.
func fakeWeb(t *testing.T) string {
	t.Helper()
	dir := t.TempDir()
	if err := os.MkdirAll(filepath.Join(dir, "dist"), 0o755); err != nil {
		t.Fatal(err)
	}
	for name, body := range map[string]string{
		"index.html":        "<!doctype html><title>page</title>",
		"dist/app.js":       "console.log('app')",
		"dist/app.js.map":   "{}",
		"package.json":      "{}",
		"node_modules/x.js": "secret",
	} {
		p := filepath.Join(dir, filepath.FromSlash(name))
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(body), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return dir
}

// TestRoutes checks what the example serves, without a browser.
func TestRoutes(t *testing.T) {
	backend := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Header.Get("Authorization") != "Bearer example-token" {
			w.WriteHeader(http.StatusUnauthorized)
			return
		}
		w.Header().Set("Content-Type", "application/json")
		_, _ = io.WriteString(w, "{}")
	}))
	defer backend.Close()
	tr := &http.Transport{}
	defer tr.CloseIdleConnections()
	h, err := newServer(fakeWeb(t),
		forwarding.WithEnvLookup(func(k string) (string, bool) {
			switch k {
			case "OTEL_EXPORTER_OTLP_ENDPOINT":
				return backend.URL, true
			case "OTEL_EXPORTER_OTLP_HEADERS":
				return "authorization=Bearer%20example-token", true
			}
			return "", false
		}),
		forwarding.WithClient(&http.Client{Transport: tr}))
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		method, target, contentType string
		want                        int
		body                        string
	}{
		{"GET", "/", "", 200, "<title>page</title>"},
		{"GET", "/app.js", "", 200, "console.log"},
		{"GET", "/app.js.map", "", 200, "{}"},
		{"GET", "/package.json", "", 404, ""},
		{"GET", "/node_modules/x.js", "", 404, ""},
		{"GET", "/dist/app.js", "", 404, ""},
		{"POST", "/observe-proxy/v1/traces", "application/json", 200, "{}"},
		{"POST", "/observe-proxy/v1/traces", "text/plain", 415, ""},
		{"GET", "/observe-proxy/v1/traces", "", 405, ""},
		{"POST", "/v1/traces", "application/json", 404, ""},
	}
	for _, tt := range tests {
		r := httptest.NewRequest(tt.method, tt.target, strings.NewReader("{}"))
		if tt.contentType != "" {
			r.Header.Set("Content-Type", tt.contentType)
		}
		w := httptest.NewRecorder()
		h.ServeHTTP(w, r)
		if w.Code != tt.want || !strings.Contains(w.Body.String(), tt.body) {
			t.Errorf("%s %s: %d %q, want %d with %q", tt.method, tt.target, w.Code, w.Body.String(), tt.want, tt.body)
		}
	}
}

// TestNewServerErrors: no backend, or no built page, is an error at start.
func TestNewServerErrors(t *testing.T) {
	if _, err := newServer(fakeWeb(t), forwarding.WithEnvLookup(noEnv)); !errors.Is(err, forwarding.ErrNotConfigured) {
		t.Errorf("without a backend: %v, want ErrNotConfigured", err)
	}
	_, err := newServer(t.TempDir(), forwarding.WithEnvLookup(noEnv), forwarding.WithEndpoint("http://127.0.0.1:4318"))
	if err == nil || !strings.Contains(err.Error(), "npm run build") {
		t.Errorf("without the page: %v, want an error saying how to build it", err)
	}
}

// TestRun runs the program as main does, with the backend taken from the
// process environment, until its context is canceled.
func TestRun(t *testing.T) {
	backend := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		_, _ = io.WriteString(w, "{}")
	}))
	defer backend.Close()
	t.Setenv("OTEL_EXPORTER_OTLP_ENDPOINT", backend.URL)
	t.Setenv("OTEL_EXPORTER_OTLP_HEADERS", "authorization=Bearer%20t")

	addr := fmt.Sprintf("127.0.0.1:%d", itest.FreePort(t))
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	done := make(chan error, 1)
	go func() {
		done <- run(ctx, addr, fakeWeb(t),
			observe.WithEnvLookup(noEnv), observe.WithoutGlobals(), observe.WithConsoleWriter(io.Discard))
	}()

	tr := &http.Transport{}
	defer tr.CloseIdleConnections()
	client := &http.Client{Transport: tr, Timeout: 5 * time.Second}
	deadline := time.Now().Add(10 * time.Second)
	for {
		resp, err := client.Get("http://" + addr + "/")
		if err == nil {
			resp.Body.Close()
			break
		}
		select {
		case err := <-done:
			t.Fatalf("run returned early: %v", err)
		default:
		}
		if time.Now().After(deadline) {
			t.Fatalf("the server did not start: %v", err)
		}
		time.Sleep(20 * time.Millisecond)
	}
	resp, err := client.Post("http://"+addr+"/observe-proxy/v1/traces", "application/json", strings.NewReader("{}"))
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		t.Errorf("forwarding: status %d, want 200", resp.StatusCode)
	}
	cancel()
	select {
	case err := <-done:
		if err != nil {
			t.Errorf("run: %v", err)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("run did not return after its context was canceled")
	}
}
