package observe_test

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	sdklog "go.opentelemetry.io/otel/sdk/log"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	coltracepb "go.opentelemetry.io/proto/otlp/collector/trace/v1"
	"google.golang.org/protobuf/proto"

	"github.com/observe-go/observe"
	"github.com/observe-go/observe/exporters"
	"github.com/observe-go/observe/internal/itest"
)

// gateExporter holds every export until it is opened, then counts the
// spans it gets; with fail set it refuses them instead.
type gateExporter struct {
	open     chan struct{}
	once     sync.Once
	exported atomic.Int64
	fail     bool
}

func newGate() *gateExporter { return &gateExporter{open: make(chan struct{})} }

func (g *gateExporter) release() { g.once.Do(func() { close(g.open) }) }

func (g *gateExporter) ExportSpans(ctx context.Context, spans []sdktrace.ReadOnlySpan) error {
	select {
	case <-g.open:
	case <-ctx.Done():
		return ctx.Err()
	}
	if g.fail {
		return errors.New("backend refused the batch")
	}
	g.exported.Add(int64(len(spans)))
	return nil
}

func (g *gateExporter) Shutdown(context.Context) error { return nil }

// metricValue reads the sum of a metric's samples from an exposition.
func metricValue(t *testing.T, body, name string) int64 {
	t.Helper()
	var sum int64
	re := regexp.MustCompile(`(?m)^` + regexp.QuoteMeta(name) + `(\{[^}]*\})? ([0-9.e+]+)$`)
	for _, m := range re.FindAllStringSubmatch(body, -1) {
		f, err := strconv.ParseFloat(m[2], 64)
		if err != nil {
			t.Fatal(err)
		}
		sum += int64(f)
	}
	return sum
}

// Nothing accepted is lost without a count: when the export queue is full,
// every span is either exported or counted as dropped, and the drop is
// reported on the error output.
func TestFullQueueDropsAreCounted(t *testing.T) {
	gate := newGate()
	errs := &syncBuffer{}
	tel := configureWithGlobals(t, map[string]string{
		"OTEL_TRACES_EXPORTER":           "none",
		"OTEL_BSP_MAX_QUEUE_SIZE":        "4",
		"OTEL_BSP_MAX_EXPORT_BATCH_SIZE": "2",
	}, errs, observe.WithSpanExporter(gate))
	const spans = 50
	tracer := tel.TracerProvider().Tracer("test")
	for range spans {
		_, s := tracer.Start(context.Background(), "op")
		s.End()
	}
	dropped := metricValue(t, scrape(t, tel.MetricsHandler()), "observe_queue_dropped_total")
	if dropped < spans-4-2-2 {
		t.Errorf("observe.queue.dropped = %d with a blocked exporter and a queue of 4; want at least %d", dropped, spans-8)
	}
	gate.release()
	if err := tel.Shutdown(context.Background()); err != nil {
		t.Fatal(err)
	}
	// The last report, written at Shutdown, gives the total.
	totals := regexp.MustCompile(`spans dropped before export to WithSpanExporter \((\d+) in total\)`).FindAllStringSubmatch(errs.String(), -1)
	if len(totals) == 0 {
		t.Fatalf("the error output does not report the drop:\n%s", errs)
	}
	total, _ := strconv.ParseInt(totals[len(totals)-1][1], 10, 64)
	if got := gate.exported.Load() + total; got != spans {
		t.Errorf("exported %d + dropped %d = %d; want every one of the %d spans accounted for", gate.exported.Load(), total, got, spans)
	}
}

// A failed export names the signal and the exporter, and counts what it
// lost.
func TestFailedExportIsCountedAndNamed(t *testing.T) {
	gate := newGate()
	gate.fail = true
	gate.release()
	errs := &syncBuffer{}
	tel := configureWithGlobals(t, map[string]string{"OTEL_TRACES_EXPORTER": "none", "OTEL_BSP_SCHEDULE_DELAY": "10"}, errs, observe.WithSpanExporter(gate))
	for range 3 {
		_, s := tel.TracerProvider().Tracer("test").Start(context.Background(), "op")
		s.End()
	}
	// The batch processor exports on its own schedule and reports the
	// failure to the error handler.
	for deadline := time.Now().Add(10 * time.Second); !strings.Contains(errs.String(), "failed") && time.Now().Before(deadline); {
		time.Sleep(10 * time.Millisecond)
	}
	if lost := metricValue(t, scrape(t, tel.MetricsHandler()), "observe_exporter_dropped_total"); lost != 3 {
		t.Errorf("observe.exporter.dropped = %d; want the 3 spans of the failed export", lost)
	}
	if !strings.Contains(errs.String(), "traces export to WithSpanExporter failed, 3 spans lost") {
		t.Errorf("the error output does not name the signal, exporter and loss:\n%s", errs)
	}
}

// Standard output that nobody reads never holds a request: the console
// drops and counts, and Shutdown returns by its deadline.
func TestUnreadStdoutNeverBlocksRequests(t *testing.T) {
	r, w, err := os.Pipe()
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	defer w.Close()
	tel, err := observe.Configure(observe.WithoutGlobals(), observe.WithEnvLookup(envMap(nil)), observe.WithConsoleWriter(w))
	if err != nil {
		t.Fatal(err)
	}
	h := tel.InstrumentHTTP(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		tel.Logger().InfoContext(r.Context(), "handling", "payload", strings.Repeat("x", 512))
	}))
	// A pipe buffer holds 64 KiB and the console 1 MiB: 5 000 requests
	// with two lines each write several times that.
	for i := range 5000 {
		done := make(chan struct{})
		go func() {
			h.ServeHTTP(httptest.NewRecorder(), httptest.NewRequest(http.MethodGet, "/x", nil))
			close(done)
		}()
		select {
		case <-done:
		case <-time.After(10 * time.Second):
			t.Fatalf("request %d did not complete: it waits on standard output", i)
		}
	}
	body := scrape(t, tel.MetricsHandler())
	if metricValue(t, body, "observe_console_dropped_total") == 0 {
		t.Error("the console dropped nothing, or did not count it")
	}
	ctx, cancel := context.WithTimeout(context.Background(), 200*time.Millisecond)
	defer cancel()
	start := time.Now()
	err = tel.Shutdown(ctx)
	if took := time.Since(start); took > 5*time.Second {
		t.Fatalf("Shutdown took %v with a 200ms deadline", took)
	}
	if err == nil {
		t.Error("Shutdown reported nothing, though the console could not write what it held")
	}
}

// After a 503 outage shorter than the export timeout, every span of the
// outage is delivered: the export is retried, and each failed attempt is
// reported.
func TestRecoveryAfterOutage(t *testing.T) {
	var calls, spans atomic.Int64
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		if calls.Add(1) <= 2 {
			w.WriteHeader(http.StatusServiceUnavailable)
			return
		}
		var req coltracepb.ExportTraceServiceRequest
		if err := proto.Unmarshal(body, &req); err != nil {
			w.WriteHeader(http.StatusBadRequest)
			return
		}
		for _, rs := range req.ResourceSpans {
			for _, ss := range rs.ScopeSpans {
				spans.Add(int64(len(ss.Spans)))
			}
		}
		w.Header().Set("Content-Type", "application/x-protobuf")
	}))
	defer srv.Close()
	errs := &syncBuffer{}
	tel := configureWithGlobals(t, map[string]string{
		"OTEL_TRACES_EXPORTER":        "otlp",
		"OTEL_METRICS_EXPORTER":       "none",
		"OTEL_LOGS_EXPORTER":          "none",
		"OTEL_EXPORTER_OTLP_ENDPOINT": srv.URL,
	}, errs)
	for range 10 {
		_, s := tel.TracerProvider().Tracer("test").Start(context.Background(), "op")
		s.End()
	}
	if err := tel.ForceFlush(context.Background()); err != nil {
		t.Fatalf("ForceFlush: %v", err)
	}
	if spans.Load() != 10 {
		t.Errorf("the collector got %d spans after the outage; want all 10", spans.Load())
	}
	if !strings.Contains(errs.String(), "traces export to otlp: attempt 1 failed, retrying") {
		t.Errorf("the failed attempt was not reported:\n%s", errs)
	}
}

// Shutdown against a gRPC endpoint that refuses connections tries the last
// export once, as over HTTP, and returns well before its deadline.
func TestShutdownAgainstRefusedGRPC(t *testing.T) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := l.Addr().String()
	_ = l.Close() // nothing listens there now
	for _, proto := range []string{"grpc", "http/protobuf"} {
		t.Run(proto, func(t *testing.T) {
			tel, err := observe.Configure(observe.WithoutGlobals(), observe.WithEnvLookup(envMap(map[string]string{
				"OTEL_EXPORTER_OTLP_ENDPOINT": "http://" + addr,
				"OTEL_EXPORTER_OTLP_PROTOCOL": proto,
			})))
			if err != nil {
				t.Fatal(err)
			}
			_, s := tel.TracerProvider().Tracer("test").Start(context.Background(), "op")
			s.End()
			tel.Logger().Info("a record")
			ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
			defer cancel()
			err = tel.Shutdown(ctx)
			if errors.Is(err, context.DeadlineExceeded) || ctx.Err() != nil {
				t.Fatalf("Shutdown ran into its deadline: %v", err)
			}
		})
	}
}

// A collector that accepts connections and never answers is reported
// within the OTLP timeout of the first export, not after the retries.
func TestBlackHoleReportedWithinTimeout(t *testing.T) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	var conns sync.WaitGroup
	var held []net.Conn
	var mu sync.Mutex
	conns.Go(func() {
		for {
			c, err := l.Accept()
			if err != nil {
				return
			}
			mu.Lock()
			held = append(held, c) // read nothing, answer nothing
			mu.Unlock()
		}
	})
	defer func() {
		_ = l.Close()
		conns.Wait()
		mu.Lock()
		for _, c := range held {
			_ = c.Close()
		}
		mu.Unlock()
	}()
	errs := &syncBuffer{}
	tel := configureWithGlobals(t, map[string]string{
		"OTEL_EXPORTER_OTLP_ENDPOINT": "http://" + l.Addr().String(),
		"OTEL_EXPORTER_OTLP_TIMEOUT":  "300",
		"OTEL_BSP_SCHEDULE_DELAY":     "10",
		"OTEL_METRICS_EXPORTER":       "none",
		"OTEL_LOGS_EXPORTER":          "none",
	}, errs)
	_, s := tel.TracerProvider().Tracer("test").Start(context.Background(), "op")
	s.End()
	// The first attempt times out after 300 ms and is reported at once;
	// the batch processor's own export timeout (30 s) would come much
	// later.
	deadline := time.Now().Add(10 * time.Second)
	for !strings.Contains(errs.String(), "traces export to otlp: attempt 1 failed") && time.Now().Before(deadline) {
		time.Sleep(10 * time.Millisecond)
	}
	if !strings.Contains(errs.String(), "traces export to otlp: attempt 1 failed") {
		t.Fatalf("a silent collector was not reported within 10 s with a 300 ms OTLP timeout:\n%s", errs)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	_ = tel.Shutdown(ctx)
}

// Graceful shutdown under load: every request answered before Shutdown has
// its span and access-log record at a healthy collector.
func TestIntegrationShutdownUnderLoad(t *testing.T) {
	col := itest.StartCollector(t)
	tel, err := observe.Configure(observe.WithoutGlobals(), observe.WithEnvLookup(envMap(map[string]string{
		"OTEL_EXPORTER_OTLP_ENDPOINT": col.HTTPEndpoint,
		"OTEL_METRICS_EXPORTER":       "none",
	})))
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(tel.InstrumentHTTP(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		fmt.Fprint(w, "ok")
	})))
	var answered atomic.Int64
	var wg sync.WaitGroup
	for range 8 {
		wg.Go(func() {
			for range 250 {
				resp, err := srv.Client().Get(srv.URL + "/load")
				if err != nil {
					return
				}
				_, _ = io.Copy(io.Discard, resp.Body)
				_ = resp.Body.Close()
				if resp.StatusCode == http.StatusOK {
					answered.Add(1)
				}
			}
		})
	}
	wg.Wait()
	srv.Close()
	if err := tel.Shutdown(context.Background()); err != nil {
		t.Fatalf("Shutdown: %v", err)
	}
	n := int(answered.Load())
	spans := col.WaitTraces(t, 30*time.Second, func(s []itest.Span) bool { return len(s) >= n })
	logs := col.WaitLogs(t, 30*time.Second, func(l []itest.LogRecord) bool { return len(l) >= n })
	if len(spans) != n || len(logs) != n {
		t.Fatalf("%d requests answered; the collector has %d spans and %d access-log records", n, len(spans), len(logs))
	}
}

// countingLogExporter counts the records it gets, once open is closed.
type countingLogExporter struct {
	n    atomic.Int64
	open chan struct{}
}

func (e *countingLogExporter) Export(ctx context.Context, r []sdklog.Record) error {
	select {
	case <-e.open:
	case <-ctx.Done():
		return ctx.Err()
	}
	e.n.Add(int64(len(r)))
	return nil
}
func (e *countingLogExporter) Shutdown(context.Context) error   { return nil }
func (e *countingLogExporter) ForceFlush(context.Context) error { return nil }

// The same for log records, from several goroutines: every record is
// either exported or counted as dropped, for an exporter chosen by name
// and for one given with WithLogExporter.
func TestLogQueueDropsAreCounted(t *testing.T) {
	for _, byOption := range []bool{false, true} {
		t.Run(fmt.Sprintf("WithLogExporter=%v", byOption), func(t *testing.T) {
			exp := &countingLogExporter{open: make(chan struct{})}
			env := map[string]string{
				"OTEL_LOGS_EXPORTER":              "none",
				"OTEL_TRACES_EXPORTER":            "none",
				"OTEL_BLRP_MAX_QUEUE_SIZE":        "64",
				"OTEL_BLRP_MAX_EXPORT_BATCH_SIZE": "16",
			}
			var opts []observe.Option
			if byOption {
				opts = append(opts, observe.WithLogExporter(exp))
			} else {
				name := fmt.Sprintf("counting-logs-%d", registrations.Add(1))
				if err := exporters.RegisterLogExporter(name, func(context.Context, exporters.Lookup) (sdklog.Exporter, error) { return exp, nil }); err != nil {
					t.Fatal(err)
				}
				env["OTEL_LOGS_EXPORTER"] = name
			}
			errs := &syncBuffer{}
			tel := configureWithGlobals(t, env, errs, opts...)
			const goroutines, each = 4, 5000
			var wg sync.WaitGroup
			for range goroutines {
				wg.Go(func() {
					for i := range each {
						tel.Logger().Info("record", "i", i)
					}
				})
			}
			wg.Wait()
			close(exp.open)
			if err := tel.Shutdown(context.Background()); err != nil {
				t.Fatal(err)
			}
			dropped := lastTotal(errs.String(), "log records")
			if dropped == 0 {
				t.Fatal("nothing was dropped with a blocked exporter: the test tests nothing")
			}
			if got := exp.n.Load() + dropped; got != goroutines*each {
				t.Errorf("exported %d + dropped %d = %d; want every one of the %d records accounted for\n%s", exp.n.Load(), dropped, got, goroutines*each, errs)
			}
		})
	}
}
