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

func env(vars map[string]string) observe.Option {
	return observe.WithEnvLookup(func(k string) (string, bool) {
		v, ok := vars[k]
		return v, ok
	})
}

// The demo with no environment: the console shows, for each order, the
// request id the caller sent on the records and spans of both services.
func TestDemoConsole(t *testing.T) {
	var out, console syncBuffer
	if err := run(context.Background(), []string{"-demo"}, &out, env(nil), observe.WithConsoleWriter(&console)); err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{
		"GET /orders/book: 200, X-Request-ID req-demo-1",
		"GET /orders/unicorn: 404, X-Request-ID req-demo-2",
		"GET /orders/broken: 502, X-Request-ID req-demo-3",
	} {
		if !strings.Contains(out.String(), want) {
			t.Errorf("output lacks %q:\n%s", want, out.String())
		}
	}
	c := console.String()
	t.Logf("console:\n%s", c)
	lines := strings.Split(c, "\n")
	for _, want := range []struct{ rid, line string }{
		{"req-demo-1", "INFO    GET /orders/book 200"},
		{"req-demo-1", "INFO    order placed"},
		{"req-demo-1", "INFO    /inventory.v1.Inventory/Reserve OK"},
		{"req-demo-1", "INFO    reserved"},
		{"req-demo-2", "INFO    /inventory.v1.Inventory/Reserve NotFound"},
		{"req-demo-2", "WARN    unknown sku"},
		{"req-demo-3", "ERROR   /inventory.v1.Inventory/Reserve Unavailable"},
		{"req-demo-3", "ERROR   GET /orders/broken 502"},
	} {
		found := false
		for _, l := range lines {
			if strings.Contains(l, want.line) && strings.Contains(l, "observe.request_id="+want.rid) {
				found = true
			}
		}
		if !found {
			t.Errorf("console has no line %q with request id %s", want.line, want.rid)
		}
	}
}

// The demo through the real collector: each order is one trace across the
// two services, and every span and log record of it carries the request id
// the caller sent.
func TestDemoThroughCollector(t *testing.T) {
	col := itest.StartCollector(t)
	var out syncBuffer
	if err := run(context.Background(), []string{"-demo"}, &out, env(map[string]string{"OTEL_EXPORTER_OTLP_ENDPOINT": col.HTTPEndpoint})); err != nil {
		t.Fatal(err)
	}
	withID := func(s itest.Span, rid string) bool { return s.Attributes["observe.request_id"] == rid }
	spans := col.WaitTraces(t, 15*time.Second, func(all []itest.Span) bool {
		n := 0
		for _, s := range all {
			if s.Attributes["observe.request_id"] != nil {
				n++
			}
		}
		return n >= 3*len(demoOrders)
	})
	// Every order logs two records in inventory (the access log and one of
	// its own) and one or two in orders (the access log and, but for the
	// unknown sku, one of its own).
	wantOrders := map[string]int{}
	wantRecords := 0
	for _, o := range demoOrders {
		wantOrders[o.requestID] = 2
		if o.status == http.StatusNotFound {
			wantOrders[o.requestID] = 1
		}
		wantRecords += 2 + wantOrders[o.requestID]
	}
	logs := col.WaitLogs(t, 15*time.Second, func(all []itest.LogRecord) bool {
		n := 0
		for _, r := range all {
			if r.Attributes["observe.request_id"] != nil {
				n++
			}
		}
		return n >= wantRecords
	})
	for _, o := range demoOrders {
		var front, client, back itest.Span
		for _, s := range spans {
			if !withID(s, o.requestID) {
				continue
			}
			switch {
			case s.Resource["service.name"] == "orders" && s.Kind == 2:
				front = s
			case s.Resource["service.name"] == "orders" && s.Kind == 3:
				client = s
			case s.Resource["service.name"] == "inventory" && s.Kind == 2:
				back = s
			}
		}
		if front.Name != "GET /orders/{sku}" || client.Name != "inventory.v1.Inventory/Reserve" || back.Name != "inventory.v1.Inventory/Reserve" {
			t.Errorf("%s: spans %q, %q, %q", o.requestID, front.Name, client.Name, back.Name)
			continue
		}
		if client.TraceID != front.TraceID || back.TraceID != front.TraceID || back.ParentSpanID != client.SpanID || client.ParentSpanID != front.SpanID {
			t.Errorf("%s: the three spans are not one trace, server <- client <- server", o.requestID)
		}
		for _, s := range spans {
			if s.TraceID == front.TraceID && !withID(s, o.requestID) {
				t.Errorf("%s: span %q in the trace lacks the request id", o.requestID, s.Name)
			}
		}
		services := map[string]int{}
		for _, r := range logs {
			if r.TraceID != front.TraceID {
				continue
			}
			services[r.Resource["service.name"].(string)]++
			if r.Attributes["observe.request_id"] != o.requestID {
				t.Errorf("%s: record %q of %v has request id %v", o.requestID, r.Body, r.Resource["service.name"], r.Attributes["observe.request_id"])
			}
		}
		if services["orders"] != wantOrders[o.requestID] || services["inventory"] != 2 {
			t.Errorf("%s: records by service %v", o.requestID, services)
		}
	}
}

// Each service in its own run, as in two processes: orders finds the
// inventory by its address, and the request id comes back.
func TestServeTwoServices(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	quiet := []observe.Option{env(nil), observe.WithoutGlobals(), observe.WithConsoleWriter(io.Discard)}
	start := func(args ...string) (addr string, done chan error) {
		pr, pw := io.Pipe()
		done = make(chan error, 1)
		go func() {
			done <- run(ctx, args, pw, quiet...)
			pw.Close()
		}()
		line, err := bufio.NewReader(pr).ReadString('\n')
		if err != nil {
			t.Fatalf("%v: reading the address: %v", args, err)
		}
		go func() { _, _ = io.Copy(io.Discard, pr) }()
		return line[strings.LastIndex(strings.TrimSpace(line), " ")+1 : len(line)-1], done
	}
	invAddr, invDone := start("-serve", "inventory", "-addr", "127.0.0.1:0")
	ordAddr, ordDone := start("-serve", "orders", "-addr", "127.0.0.1:0", "-inventory", invAddr)

	req, _ := http.NewRequest(http.MethodGet, "http://"+ordAddr+"/orders/lamp", nil)
	req.Header.Set("X-Request-ID", "req-two")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK || !strings.Contains(string(body), "reserved 1 lamp") || resp.Header.Get("X-Request-ID") != "req-two" {
		t.Errorf("GET /orders/lamp: %d %q, X-Request-ID %q", resp.StatusCode, body, resp.Header.Get("X-Request-ID"))
	}
	cancel()
	if err := <-ordDone; err != nil {
		t.Errorf("orders: %v", err)
	}
	if err := <-invDone; err != nil {
		t.Errorf("inventory: %v", err)
	}
}
