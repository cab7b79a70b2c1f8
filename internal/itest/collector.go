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

// Collector is a running otelcol-test process on loopback.
//
// A collector started by StartCollector receives OTLP over gRPC and HTTP and
// writes what it receives as OTLP-JSON lines to Dir/traces.jsonl,
// Dir/metrics.jsonl and Dir/logs.jsonl. One started by StartCollectorWith runs
// the config it was given; the Wait* and read methods still read those files.
type Collector struct {
	// Name identifies the collector in test messages.
	Name string
	// GRPCEndpoint is the OTLP/gRPC address, "127.0.0.1:PORT" (StartCollector
	// only).
	GRPCEndpoint string
	// HTTPEndpoint is the OTLP/HTTP base URL, "http://127.0.0.1:PORT"
	// (signals are posted to /v1/traces, /v1/metrics and /v1/logs;
	// StartCollector only).
	HTTPEndpoint string
	// Addrs maps each environment variable named in CollectorSpec.Addrs and
	// CollectorSpec.Ports to the loopback address "127.0.0.1:PORT" the
	// collector listens on there.
	Addrs map[string]string
	// Dir is the collector's working directory, a fresh temporary directory
	// (StartCollector's output files are written there).
	Dir string

	proc *process
}

// CollectorSpec describes a collector for StartCollectorWith: a config file,
// the environment that fills it in, and which of its environment variables
// name the loopback addresses it listens on.
type CollectorSpec struct {
	// Name identifies the collector in test messages and in the output
	// logged when a test fails; default "otelcol".
	Name string
	// Config is the collector config file, slash-separated and relative to
	// the module root, e.g. "deploy/collector/sampler.yaml".
	Config string
	// Env is added to the collector's environment.
	Env map[string]string
	// Addrs names environment variables that each receive a free loopback
	// address, "127.0.0.1:PORT", for the config to listen on.
	Addrs []string
	// Ports names environment variables that each receive a free port
	// number, "PORT", for the config to listen on at 127.0.0.1.
	Ports []string
	// DirEnv, when not empty, names an environment variable that receives
	// the collector's working directory (Collector.Dir).
	DirEnv string
}

// StartCollector starts the collector named by OBSERVE_OTELCOL_BIN with the
// config tools/otelcol/otelcol.yaml on two free loopback ports, waits until
// both accept connections, and stops it when the test ends. Without the binary
// the test is skipped, or fails when Required().
func StartCollector(t testing.TB) *Collector {
	t.Helper()
	c := StartCollectorWith(t, CollectorSpec{
		Name:   "otelcol",
		Config: CollectorConfig,
		Addrs:  []string{"OTELCOL_GRPC", "OTELCOL_HTTP"},
		DirEnv: "OTELCOL_OUT",
	})
	c.GRPCEndpoint = c.Addrs["OTELCOL_GRPC"]
	c.HTTPEndpoint = "http://" + c.Addrs["OTELCOL_HTTP"]
	return c
}

// StartCollectorWith starts the collector named by OBSERVE_OTELCOL_BIN with
// spec.Config and spec.Env, every variable of spec.Addrs and spec.Ports set to
// a free loopback port, waits until all of those ports accept connections
// (with none, until the process has started), and stops it when the test ends. Without the binary the test is skipped, or
// fails when Required().
//
// To build a topology, start the collectors that receive first and pass their
// Addrs to the ones that send to them through spec.Env.
func StartCollectorWith(t testing.TB, spec CollectorSpec) *Collector {
	t.Helper()
	bin := binary(t, EnvOtelcolBin, "the OpenTelemetry Collector ("+EnvOtelcolBin+")")
	name := spec.Name
	if name == "" {
		name = "otelcol"
	}
	config, err := moduleFile(spec.Config)
	if err != nil {
		t.Fatalf("itest: %s config: %v", name, err)
	}
	// A port picked by FreePort can be taken by someone else before the
	// collector binds it: try again with new ports in that case.
	var lastErr error
	for attempt := 0; attempt < 3; attempt++ {
		// TempDir first: its removal is then registered before, and so runs
		// after, the cleanup that stops the process.
		dir := t.TempDir()
		env := make([]string, 0, len(spec.Env)+len(spec.Addrs)+len(spec.Ports)+1)
		for k, v := range spec.Env {
			env = append(env, k+"="+v)
		}
		addrs := make(map[string]string, len(spec.Addrs)+len(spec.Ports))
		for _, k := range spec.Addrs {
			addrs[k] = fmt.Sprintf("127.0.0.1:%d", FreePort(t))
			env = append(env, k+"="+addrs[k])
		}
		for _, k := range spec.Ports {
			port := FreePort(t)
			addrs[k] = fmt.Sprintf("127.0.0.1:%d", port)
			env = append(env, fmt.Sprintf("%s=%d", k, port))
		}
		if spec.DirEnv != "" {
			env = append(env, spec.DirEnv+"="+dir)
		}
		p, err := startProcess(name, bin, dir, []string{"--config", config}, env)
		if err != nil {
			t.Fatalf("itest: %v", err)
		}
		p.cleanup(t)
		deadline := time.Now().Add(collectorStartTimeout)
		for _, k := range append(append([]string(nil), spec.Addrs...), spec.Ports...) {
			if err = waitTCP(p, addrs[k], deadline); err != nil {
				break
			}
		}
		if err == nil {
			return &Collector{Name: name, Addrs: addrs, Dir: dir, proc: p}
		}
		p.stop()
		lastErr = fmt.Errorf("%v\n%s output:\n%s", err, name, p.out.String())
		if !strings.Contains(p.out.String(), "address already in use") {
			break
		}
	}
	t.Fatalf("itest: starting %s: %v", name, lastErr)
	return nil
}

// Output returns what the collector has logged so far, for test messages.
func (c *Collector) Output() string { return c.proc.out.String() }

// Stop shuts the collector down (SIGTERM) and waits until it has exited. A
// collector drains its queues and flushes its exporters when it shuts down,
// so once Stop returns everything it accepted has been sent on or written to
// Dir. The test fails if the collector is still running after timeout (it is
// then killed) or exits with an error. Only the first call stops the
// collector; later calls report the same outcome.
func (c *Collector) Stop(t testing.TB, timeout time.Duration) {
	t.Helper()
	if c.proc.stopWithin(timeout) {
		t.Fatalf("itest: %s did not shut down within %v and was killed; output:\n%s", c.Name, timeout, c.Output())
	}
	if _, err := c.proc.exited(); err != nil {
		t.Fatalf("itest: %s exited with %v; output:\n%s", c.Name, err, c.Output())
	}
}

// Traces returns the spans written to Dir/traces.jsonl so far.
func (c *Collector) Traces(t testing.TB) []Span {
	t.Helper()
	return readSignal(t, c, "traces", decodeTraces)
}

// Metrics returns the metrics written to Dir/metrics.jsonl so far (one Metric
// per metric per export).
func (c *Collector) Metrics(t testing.TB) []Metric {
	t.Helper()
	return readSignal(t, c, "metrics", decodeMetrics)
}

// Logs returns the log records written to Dir/logs.jsonl so far.
func (c *Collector) Logs(t testing.TB) []LogRecord {
	t.Helper()
	return readSignal(t, c, "logs", decodeLogs)
}

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
	deadline := time.Now().Add(timeout)
	for {
		items := readSignal(t, c, signal, decode)
		if pred(items) {
			return items
		}
		if done, werr := c.proc.exited(); done {
			t.Fatalf("itest: %s exited (%v) while waiting for %s; saw %d:%s", c.Name, werr, signal, len(items), describe(items))
		}
		if time.Now().After(deadline) {
			t.Fatalf("itest: timed out after %v waiting for %s matching the condition; saw %d:%s", timeout, signal, len(items), describe(items))
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// readSignal decodes the complete lines of Dir/<signal>.jsonl.
func readSignal[T any](t testing.TB, c *Collector, signal string, decode func([]byte) ([]T, error)) []T {
	t.Helper()
	path := filepath.Join(c.Dir, signal+".jsonl")
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
	return items
}
