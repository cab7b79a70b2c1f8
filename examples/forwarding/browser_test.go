package main

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"go.opentelemetry.io/otel/attribute"
	sdkmetric "go.opentelemetry.io/otel/sdk/metric"
	"go.opentelemetry.io/otel/sdk/metric/metricdata"

	"github.com/observe-go/observe/forwarding"
	"github.com/observe-go/observe/internal/itest"
)

// Variables printed by scripts/browser-setup.sh and exported by
// scripts/test.sh.
const (
	envChromium    = "OBSERVE_CHROMIUM_BIN"
	envNode        = "OBSERVE_NODE_BIN"
	envNodeModules = "OBSERVE_NODE_MODULES"
)

const exampleToken = "Bearer example-write-token-5678"

// browser is what a browser test needs: Chromium, Node.js with the web
// folder's node_modules, and the page's bundle.
type browser struct {
	chromium, node, nodeModules, web string
}

// needBrowser finds the browser tools, skipping the test when they are
// missing, or failing it when integration backends are required
// (OBSERVE_ITEST=1, as scripts/test.sh sets).
func needBrowser(t *testing.T) browser {
	t.Helper()
	b := browser{web: "web"}
	var missing []string
	if b.chromium = os.Getenv(envChromium); b.chromium == "" {
		missing = append(missing, envChromium+" is not set")
	} else if fi, err := os.Stat(b.chromium); err != nil || fi.IsDir() || fi.Mode()&0o111 == 0 {
		missing = append(missing, envChromium+"="+b.chromium+" is not an executable file")
	}
	if b.nodeModules = os.Getenv(envNodeModules); b.nodeModules == "" {
		missing = append(missing, envNodeModules+" is not set")
	} else if _, err := os.Stat(filepath.Join(b.nodeModules, "playwright-core", "package.json")); err != nil {
		missing = append(missing, envNodeModules+"="+b.nodeModules+" holds no playwright-core")
	}
	if b.node = os.Getenv(envNode); b.node == "" {
		if p, err := exec.LookPath("node"); err == nil {
			b.node = p
		} else {
			missing = append(missing, "node is not on PATH and "+envNode+" is not set")
		}
	}
	if _, err := os.Stat(filepath.Join(b.web, "dist", "app.js")); err != nil {
		missing = append(missing, "the page is not built (web/dist/app.js)")
	}
	if len(missing) > 0 {
		msg := "browser test: " + strings.Join(missing, "; ") + "; run ./scripts/test.sh (or first: set -a; eval \"$(./scripts/browser-setup.sh)\"; set +a)"
		if itest.Required() {
			t.Fatal(msg + " (" + itest.EnvRequired + "=1: integration backends are required)")
		}
		t.Skip(msg)
	}
	return b
}

// pageResult is what web/drive.cjs prints: window.__forwarding of the page
// after its first span was exported, and the browser's User-Agent.
type pageResult struct {
	State     string `json:"state"`
	Name      string `json:"name"`
	TraceID   string `json:"traceId"`
	SpanID    string `json:"spanId"`
	Error     string `json:"error"`
	UserAgent string `json:"userAgent"`
	Status    string `json:"status"`
}

type cookie struct {
	Name  string `json:"name"`
	Value string `json:"value"`
}

// open loads url in headless Chromium, with extra request headers and
// cookies, and waits until the page has exported its first span.
func (b browser) open(t *testing.T, url string, headers map[string]string, cookies []cookie) pageResult {
	t.Helper()
	arg, err := json.Marshal(map[string]any{
		"url": url, "chromium": b.chromium, "headers": headers, "cookies": cookies, "timeoutMs": 30000,
	})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 90*time.Second)
	defer cancel()
	cmd := exec.CommandContext(ctx, b.node, "drive.cjs", string(arg))
	cmd.Dir = b.web
	cmd.Env = append(os.Environ(), "NODE_PATH="+b.nodeModules)
	// Its own process group, so that a timeout ends Chromium too.
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	cmd.Cancel = func() error { return syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL) }
	cmd.WaitDelay = 5 * time.Second
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	start := time.Now()
	err = cmd.Run()
	t.Logf("browser run took %v; its log:\n%s", time.Since(start).Round(time.Millisecond), stderr.String())
	if err != nil {
		t.Fatalf("node drive.cjs: %v\nstdout: %s", err, stdout.String())
	}
	var res pageResult
	if err := json.Unmarshal(bytes.TrimSpace(stdout.Bytes()), &res); err != nil {
		t.Fatalf("reading the page's result %q: %v", stdout.String(), err)
	}
	t.Logf("page: %+v", res)
	return res
}

// TestBrowserSpanReachesCollector loads the page in headless Chromium; the
// page's OpenTelemetry JS SDK exports a span to the example server, whose
// forwarding handler, configured by the environment variables, relays it to
// a real OpenTelemetry Collector.
func TestBrowserSpanReachesCollector(t *testing.T) {
	b := needBrowser(t)
	col := itest.StartCollector(t)

	reader := sdkmetric.NewManualReader()
	mp := sdkmetric.NewMeterProvider(sdkmetric.WithReader(reader))
	tr := &http.Transport{}
	defer tr.CloseIdleConnections()
	h, err := newServer(b.web,
		forwarding.WithEnvLookup(func(k string) (string, bool) {
			switch k {
			case "OTEL_EXPORTER_OTLP_ENDPOINT":
				return col.HTTPEndpoint, true
			case "OTEL_EXPORTER_OTLP_HEADERS":
				return "authorization=" + strings.ReplaceAll(exampleToken, " ", "%20"), true
			}
			return "", false
		}),
		forwarding.WithClient(&http.Client{Transport: tr}),
		forwarding.WithMeterProvider(mp))
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(h)
	defer srv.Close()

	start := time.Now()
	res := b.open(t, srv.URL+"/", nil, nil)
	if res.State != "exported" {
		t.Fatalf("the page could not export its span: %+v", res)
	}
	spans := col.WaitTraces(t, 20*time.Second, func(spans []itest.Span) bool {
		for _, s := range spans {
			if s.TraceID == res.TraceID && s.SpanID == res.SpanID {
				return true
			}
		}
		return false
	})
	t.Logf("from loading the page to the span in the collector: %v", time.Since(start).Round(time.Millisecond))
	for _, s := range spans {
		if s.SpanID != res.SpanID {
			continue
		}
		if s.Name != "page loaded" {
			t.Errorf("span name %q, want %q", s.Name, "page loaded")
		}
		if got := s.Resource["service.name"]; got != "forwarding-example-browser" {
			t.Errorf("service.name %v, want forwarding-example-browser", got)
		}
		if got := s.Attributes["page.path"]; got != "/" {
			t.Errorf("page.path %v, want /", got)
		}
	}

	var rm metricdata.ResourceMetrics
	if err := reader.Collect(context.Background(), &rm); err != nil {
		t.Fatal(err)
	}
	forwarded := attribute.NewSet(attribute.String("signal", "traces"), attribute.String("outcome", "forwarded"))
	var n int64
	for _, sm := range rm.ScopeMetrics {
		for _, m := range sm.Metrics {
			if sum, ok := m.Data.(metricdata.Sum[int64]); ok && m.Name == "observe.forwarding.requests" {
				for _, dp := range sum.DataPoints {
					if dp.Attributes.Equals(&forwarded) {
						n += dp.Value
					}
				}
			}
		}
	}
	if n < 1 {
		t.Errorf("observe.forwarding.requests{traces,forwarded} = %d, want at least 1", n)
	}
}

// TestBrowserHeadersAtBackend loads the page with a cookie, an
// Authorization header and X-Forwarded-For set in the browser, and checks on
// a backend that records what it receives that the server-side token was
// added and none of the browser's credentials or forwarding headers passed.
func TestBrowserHeadersAtBackend(t *testing.T) {
	b := needBrowser(t)

	type request struct {
		header http.Header
		body   []byte
	}
	var (
		mu      sync.Mutex
		inbound []http.Header // what the browser sent to the example server
	)
	got := make(chan request, 10)
	backend := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		got <- request{r.Header.Clone(), body}
		w.Header().Set("Content-Type", "application/json")
		_, _ = io.WriteString(w, "{}")
	}))
	defer backend.Close()

	tr := &http.Transport{}
	defer tr.CloseIdleConnections()
	h, err := newServer(b.web,
		forwarding.WithEnvLookup(noEnv),
		forwarding.WithEndpoint(backend.URL),
		forwarding.WithHeaders(map[string]string{"Authorization": exampleToken}),
		forwarding.WithClient(&http.Client{Transport: tr}))
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method == http.MethodPost {
			mu.Lock()
			inbound = append(inbound, r.Header.Clone())
			mu.Unlock()
		}
		h.ServeHTTP(w, r)
	}))
	defer srv.Close()

	res := b.open(t, srv.URL+"/",
		map[string]string{"Authorization": "Bearer browser-token", "X-Forwarded-For": "203.0.113.9"},
		[]cookie{{Name: "session", Value: "browser-cookie"}})
	if res.State != "exported" {
		t.Fatalf("the page could not export its span: %+v", res)
	}

	var req request
	select {
	case req = <-got:
	case <-time.After(10 * time.Second):
		t.Fatal("the backend received nothing")
	}

	// The browser did send its credentials to the example server...
	mu.Lock()
	if len(inbound) == 0 {
		t.Fatal("no POST reached the example server")
	}
	in := inbound[0]
	mu.Unlock()
	if !strings.Contains(in.Get("Cookie"), "session=browser-cookie") || in.Get("Authorization") != "Bearer browser-token" ||
		in.Get("Origin") == "" || in.Get("X-Forwarded-For") == "" {
		t.Fatalf("the browser did not send the cookie, Authorization, Origin and X-Forwarded-For this test is about; it sent:\n%v", in)
	}
	t.Logf("the browser sent:\n%v", in)
	t.Logf("the backend received:\n%v", req.header)

	// ...and the backend got the server-side token and none of them.
	if a := req.header.Values("Authorization"); len(a) != 1 || a[0] != exampleToken {
		t.Errorf("the backend got Authorization %q, want only the server-side token", a)
	}
	for _, k := range []string{"Cookie", "Origin", "Referer", "X-Forwarded-For", "X-Forwarded-Host", "X-Forwarded-Proto", "Forwarded", "Sec-Fetch-Mode", "Accept-Language"} {
		if v := req.header.Values(k); len(v) > 0 {
			t.Errorf("the browser's %s %q reached the backend", k, v)
		}
	}
	if ua := req.header.Get("User-Agent"); !strings.HasPrefix(ua, "observe-forwarding/") || !strings.Contains(ua, "HeadlessChrome") && !strings.Contains(ua, "Chrome") {
		t.Errorf("User-Agent %q, want observe-forwarding/<version> followed by the browser's", ua)
	}
	if ct := req.header.Get("Content-Type"); ct != "application/json" {
		t.Errorf("Content-Type %q, want application/json", ct)
	}
	if !bytes.Contains(req.body, []byte(res.TraceID)) {
		t.Errorf("the backend's body does not hold the page's span: %.300s", req.body)
	}
}
