package itest

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// CollectorConfig is the collector config used by StartCollector, relative to
// the module root.
const CollectorConfig = "tools/otelcol/otelcol.yaml"

const collectorStartTimeout = 20 * time.Second

// Collector is a running otelcol-test process on loopback. It receives OTLP
// over gRPC and HTTP and writes what it receives as OTLP-JSON lines to
// Dir/traces.jsonl, Dir/metrics.jsonl and Dir/logs.jsonl.
type Collector struct {
	// GRPCEndpoint is the OTLP/gRPC address, "127.0.0.1:PORT".
	GRPCEndpoint string
	// HTTPEndpoint is the OTLP/HTTP base URL, "http://127.0.0.1:PORT"
	// (signals are posted to /v1/traces, /v1/metrics and /v1/logs).
	HTTPEndpoint string
	// Dir holds the collector's output files.
	Dir string

	proc *process
}

// StartCollector starts the collector named by OBSERVE_OTELCOL_BIN with the
// config tools/otelcol/otelcol.yaml on two free loopback ports, waits until
// both accept connections, and stops it when the test ends. Without the binary
// the test is skipped, or fails when Required().
func StartCollector(t testing.TB) *Collector {
	t.Helper()
	bin := binary(t, EnvOtelcolBin, "the OpenTelemetry Collector ("+EnvOtelcolBin+")")
	config, err := moduleFile(CollectorConfig)
	if err != nil {
		t.Fatalf("itest: collector config: %v", err)
	}
	// A port picked by FreePort can be taken by someone else before the
	// collector binds it: try again with new ports in that case.
	var lastErr error
	for attempt := 0; attempt < 3; attempt++ {
		// TempDir first: its removal is then registered before, and so runs
		// after, the cleanup that stops the process.
		dir := t.TempDir()
		grpcAddr := fmt.Sprintf("127.0.0.1:%d", FreePort(t))
		httpAddr := fmt.Sprintf("127.0.0.1:%d", FreePort(t))
		p, err := startProcess("otelcol", bin, dir,
			[]string{"--config", config},
			[]string{"OTELCOL_GRPC=" + grpcAddr, "OTELCOL_HTTP=" + httpAddr, "OTELCOL_OUT=" + dir})
		if err != nil {
			t.Fatalf("itest: %v", err)
		}
		p.cleanup(t)
		deadline := time.Now().Add(collectorStartTimeout)
		err = waitTCP(p, grpcAddr, deadline)
		if err == nil {
			err = waitTCP(p, httpAddr, deadline)
		}
		if err == nil {
			return &Collector{GRPCEndpoint: grpcAddr, HTTPEndpoint: "http://" + httpAddr, Dir: dir, proc: p}
		}
		p.stop()
		lastErr = fmt.Errorf("%v\ncollector output:\n%s", err, p.out.String())
		if !strings.Contains(p.out.String(), "address already in use") {
			break
		}
	}
	t.Fatalf("itest: starting the collector: %v", lastErr)
	return nil
}

// Output returns what the collector has logged so far, for test messages.
func (c *Collector) Output() string { return c.proc.out.String() }

// WaitTraces polls Dir/traces.jsonl every 50ms until pred returns true on all
// the spans written so far, and returns them. After timeout the test fails
// with what was seen.
func (c *Collector) WaitTraces(t testing.TB, timeout time.Duration, pred func([]Span) bool) []Span {
	t.Helper()
	return waitSignal(t, c, "traces", timeout, decodeTraces, pred, func(spans []Span) string {
		var b strings.Builder
		for _, s := range spans {
			fmt.Fprintf(&b, "\n  span %q trace=%s span=%s parent=%s kind=%d scope=%q attrs=%v", s.Name, s.TraceID, s.SpanID, s.ParentSpanID, s.Kind, s.Scope, s.Attributes)
		}
		return b.String()
	})
}

// WaitMetrics polls Dir/metrics.jsonl every 50ms until pred returns true on all
// the metrics written so far (one Metric per metric per export), and returns
// them. After timeout the test fails with what was seen.
func (c *Collector) WaitMetrics(t testing.TB, timeout time.Duration, pred func([]Metric) bool) []Metric {
	t.Helper()
	return waitSignal(t, c, "metrics", timeout, decodeMetrics, pred, func(ms []Metric) string {
		var b strings.Builder
		for _, m := range ms {
			fmt.Fprintf(&b, "\n  metric %q (%s, unit %q, scope %q):", m.Name, m.Type, m.Unit, m.Scope)
			for _, dp := range m.DataPoints {
				fmt.Fprintf(&b, " {value=%v sum=%v attrs=%v}", dp.Value, dp.Sum, dp.Attributes)
			}
		}
		return b.String()
	})
}

// WaitLogs polls Dir/logs.jsonl every 50ms until pred returns true on all the
// log records written so far, and returns them. After timeout the test fails
// with what was seen.
func (c *Collector) WaitLogs(t testing.TB, timeout time.Duration, pred func([]LogRecord) bool) []LogRecord {
	t.Helper()
	return waitSignal(t, c, "logs", timeout, decodeLogs, pred, func(ls []LogRecord) string {
		var b strings.Builder
		for _, l := range ls {
			fmt.Fprintf(&b, "\n  log %q severity=%s/%d trace=%s span=%s attrs=%v", fmt.Sprint(l.Body), l.SeverityText, l.SeverityNumber, l.TraceID, l.SpanID, l.Attributes)
		}
		return b.String()
	})
}

func waitSignal[T any](t testing.TB, c *Collector, signal string, timeout time.Duration,
	decode func([]byte) ([]T, error), pred func([]T) bool, describe func([]T) string) []T {
	t.Helper()
	path := filepath.Join(c.Dir, signal+".jsonl")
	deadline := time.Now().Add(timeout)
	for {
		data, err := os.ReadFile(path)
		if err != nil && !os.IsNotExist(err) {
			t.Fatalf("itest: reading %s: %v", path, err)
		}
		// Only complete lines: the exporter may be in the middle of writing one.
		if i := strings.LastIndexByte(string(data), '\n'); i >= 0 {
			data = data[:i+1]
		} else {
			data = nil
		}
		items, err := decode(data)
		if err != nil {
			t.Fatalf("itest: decoding %s: %v", path, err)
		}
		if pred(items) {
			return items
		}
		if done, werr := c.proc.exited(); done {
			t.Fatalf("itest: the collector exited (%v) while waiting for %s; saw %d:%s", werr, signal, len(items), describe(items))
		}
		if time.Now().After(deadline) {
			t.Fatalf("itest: timed out after %v waiting for %s matching the condition; saw %d:%s", timeout, signal, len(items), describe(items))
		}
		time.Sleep(50 * time.Millisecond)
	}
}
