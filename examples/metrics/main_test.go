package main

import (
	"bufio"
	"bytes"
	"context"
	"io"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"go.uber.org/goleak"

	"github.com/observe-go/observe"
	"github.com/observe-go/observe/internal/itest"
)

func TestMain(m *testing.M) {
	goleak.VerifyTestMain(m)
}

type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// env gives the program a fixed environment.
func env(vars map[string]string) observe.Option {
	return observe.WithEnvLookup(func(k string) (string, bool) {
		v, ok := vars[k]
		return v, ok
	})
}

func TestDemoPrintsTheBusinessMetrics(t *testing.T) {
	var out, console syncBuffer
	err := run(context.Background(), []string{"-demo"}, &out, env(nil), observe.WithoutGlobals(), observe.WithConsoleWriter(&console))
	if err != nil {
		t.Fatal(err)
	}
	got := out.String()
	t.Logf("demo output:\n%s", got)
	for _, want := range []string{
		"# TYPE orders_created_total counter",
		`currency="EUR",otel_scope_name="checkout",otel_scope_schema_url="",otel_scope_version="",payment_method="card"} 2`,
		`currency="USD",otel_scope_name="checkout",otel_scope_schema_url="",otel_scope_version="",payment_method="card"} 1`,
		"# TYPE active_checkouts gauge",
		`active_checkouts{otel_scope_name="checkout",otel_scope_schema_url="",otel_scope_version=""} 0`,
		"# TYPE payment_duration_seconds histogram",
		`payment_method="card",le="0.25"}`,
		`payment_method="card",le="5"}`,
		`payment_duration_seconds_count{otel_scope_name="checkout",otel_scope_schema_url="",otel_scope_version="",payment_method="card"} 4`,
		"# TYPE confirmation_emails_sent_total counter",
		"confirmation_emails_sent_total 4",
	} {
		if !strings.Contains(got, want) {
			t.Errorf("demo output lacks %q", want)
		}
	}
	if strings.Count(got, "# TYPE ") != 4 {
		t.Errorf("want the four shop families once each, got:\n%s", got)
	}
	itest.PromtoolCheckMetrics(t, []byte(got))

	c := console.String()
	if !strings.Contains(c, "order created") || !strings.Contains(c, "WARN") || !strings.Contains(c, "payment failed") {
		t.Errorf("console lacks the order logs:\n%s", c)
	}
}

func TestServesCheckoutAndMetrics(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	pr, pw := io.Pipe()
	done := make(chan error, 1)
	go func() {
		done <- run(ctx, []string{"-addr", "127.0.0.1:0"}, pw, env(nil), observe.WithoutGlobals(), observe.WithConsoleWriter(io.Discard))
		pw.Close()
	}()
	line, err := bufio.NewReader(pr).ReadString('\n')
	if err != nil {
		t.Fatalf("reading the address: %v (run: %v)", err, <-done)
	}
	go func() { _, _ = io.Copy(io.Discard, pr) }()
	base := strings.TrimSpace(strings.TrimPrefix(line, "listening on "))

	for _, tc := range []struct {
		query string
		want  int
	}{
		{"payment_method=card&currency=EUR&amount=42.5", http.StatusCreated},
		{"payment_method=card&currency=EUR&amount=0", http.StatusPaymentRequired},
		{"payment_method=card&amount=1", http.StatusBadRequest},
		{"payment_method=card&currency=EUR&amount=lots", http.StatusBadRequest},
	} {
		resp, err := http.Post(base+"/checkout?"+tc.query, "", nil)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != tc.want {
			t.Errorf("POST /checkout?%s: %d; want %d", tc.query, resp.StatusCode, tc.want)
		}
	}
	resp, err := http.Get(base + "/metrics")
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	for _, want := range []string{`payment_method="card"} 1`, "confirmation_emails_sent_total 1", "payment_duration_seconds_count"} {
		if !strings.Contains(string(body), want) {
			t.Errorf("/metrics lacks %q:\n%s", want, body)
		}
	}

	cancel()
	select {
	case err := <-done:
		if err != nil {
			t.Errorf("run: %v", err)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("run did not return after its context ended")
	}
}

func TestBadFlag(t *testing.T) {
	var out bytes.Buffer
	if err := run(context.Background(), []string{"-nope"}, &out, env(nil), observe.WithoutGlobals()); err == nil {
		t.Fatal("run accepted an unknown flag")
	}
}

// TestDemoExportsOverOTLP runs the demo against a real collector: the
// OpenTelemetry instruments and the bridged client_golang counter arrive
// together.
func TestDemoExportsOverOTLP(t *testing.T) {
	col := itest.StartCollector(t)
	err := run(context.Background(), []string{"-demo"}, io.Discard, observe.WithoutGlobals(), observe.WithConsoleWriter(io.Discard),
		env(map[string]string{"OTEL_EXPORTER_OTLP_ENDPOINT": col.HTTPEndpoint}))
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]float64{"orders.created": 4, "active.checkouts": 0, "payment.duration": 5, "confirmation_emails_sent_total": 4}
	metrics := col.WaitMetrics(t, 10*time.Second, func(ms []itest.Metric) bool {
		n := 0
		for _, m := range ms {
			if _, ok := want[m.Name]; ok {
				n++
			}
		}
		return n >= len(want)
	})
	got := map[string]float64{}
	for _, m := range metrics {
		if _, ok := want[m.Name]; !ok {
			continue
		}
		got[m.Name] = 0
		for _, p := range m.DataPoints {
			got[m.Name] += p.Value
		}
		if m.Resource["service.name"] != "checkout" {
			t.Errorf("%s resource = %v", m.Name, m.Resource)
		}
	}
	for name, w := range want {
		if got[name] != w {
			t.Errorf("%s = %v; want %v", name, got[name], w)
		}
	}
}
