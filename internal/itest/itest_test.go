package itest

import (
	"bytes"
	"fmt"
	"io"
	"net"
	"net/http"
	"runtime"
	"strings"
	"testing"
	"time"
)

const (
	traceID = "5b8efff798038103d269b633813fc60c"
	spanID  = "eee19b7ec3c1b174"
	parent  = "eee19b7ec3c1b173"
)

// post sends an OTLP/HTTP JSON request to the collector.
func post(t *testing.T, c *Collector, path, body string) {
	t.Helper()
	resp, err := http.Post(c.HTTPEndpoint+path, "application/json", strings.NewReader(body))
	if err != nil {
		t.Fatalf("POST %s: %v", path, err)
	}
	defer resp.Body.Close()
	respBody, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("POST %s: %s: %s", path, resp.Status, respBody)
	}
}

func TestCollector(t *testing.T) {
	c := StartCollector(t)
	if !strings.HasPrefix(c.GRPCEndpoint, "127.0.0.1:") || !strings.HasPrefix(c.HTTPEndpoint, "http://127.0.0.1:") {
		t.Fatalf("endpoints = %q, %q", c.GRPCEndpoint, c.HTTPEndpoint)
	}
	conn, err := net.DialTimeout("tcp", c.GRPCEndpoint, time.Second)
	if err != nil {
		t.Fatalf("gRPC endpoint: %v", err)
	}
	conn.Close()

	t.Run("traces", func(t *testing.T) {
		post(t, c, "/v1/traces", `{"resourceSpans":[{"resource":{"attributes":[{"key":"service.name","value":{"stringValue":"itest-svc"}}]},
			"scopeSpans":[{"scope":{"name":"itest-scope","version":"1.0.0"},"spans":[{
			"traceId":"`+traceID+`","spanId":"`+spanID+`","parentSpanId":"`+parent+`","name":"itest-span","kind":2,
			"startTimeUnixNano":"1700000000000000000","endTimeUnixNano":"1700000001000000000",
			"attributes":[{"key":"http.route","value":{"stringValue":"/hello"}},{"key":"retries","value":{"intValue":"42"}},
				{"key":"ratio","value":{"doubleValue":0.25}},{"key":"cached","value":{"boolValue":true}},
				{"key":"tags","value":{"arrayValue":{"values":[{"stringValue":"a"},{"stringValue":"b"}]}}}],
			"status":{"code":2,"message":"boom"}}]}]}]}`)
		spans := c.WaitTraces(t, 10*time.Second, func(s []Span) bool { return len(s) >= 1 })
		if len(spans) != 1 {
			t.Fatalf("got %d spans, want 1: %+v", len(spans), spans)
		}
		s := spans[0]
		if s.Name != "itest-span" || s.TraceID != traceID || s.SpanID != spanID || s.ParentSpanID != parent ||
			s.Kind != 2 || s.Scope != "itest-scope" || s.StatusCode != 2 || s.StatusMessage != "boom" {
			t.Errorf("span = %+v", s)
		}
		if s.Resource["service.name"] != "itest-svc" {
			t.Errorf("resource = %v", s.Resource)
		}
		a := s.Attributes
		if a["http.route"] != "/hello" || a["retries"] != int64(42) || a["ratio"] != 0.25 || a["cached"] != true {
			t.Errorf("attributes = %#v", a)
		}
		if tags, _ := a["tags"].([]any); len(tags) != 2 || tags[0] != "a" || tags[1] != "b" {
			t.Errorf("tags = %#v", a["tags"])
		}
	})

	t.Run("metrics", func(t *testing.T) {
		post(t, c, "/v1/metrics", `{"resourceMetrics":[{"resource":{"attributes":[{"key":"service.name","value":{"stringValue":"itest-svc"}}]},
			"scopeMetrics":[{"scope":{"name":"itest-meter"},"metrics":[
			{"name":"itest.requests","unit":"{request}","sum":{"aggregationTemporality":2,"isMonotonic":true,"dataPoints":[
				{"attributes":[{"key":"code","value":{"intValue":"200"}}],"startTimeUnixNano":"1700000000000000000","timeUnixNano":"1700000001000000000","asInt":"7"}]}},
			{"name":"itest.latency","unit":"s","histogram":{"aggregationTemporality":2,"dataPoints":[
				{"startTimeUnixNano":"1700000000000000000","timeUnixNano":"1700000001000000000","count":"3","sum":1.5,"bucketCounts":["1","2"],"explicitBounds":[0.5]}]}}
			]}]}]}`)
		ms := c.WaitMetrics(t, 10*time.Second, func(m []Metric) bool { return len(m) >= 2 })
		byName := map[string]Metric{}
		for _, m := range ms {
			byName[m.Name] = m
		}
		req, lat := byName["itest.requests"], byName["itest.latency"]
		if req.Type != "sum" || req.Unit != "{request}" || req.Scope != "itest-meter" || len(req.DataPoints) != 1 ||
			req.DataPoints[0].Value != 7 || req.DataPoints[0].Attributes["code"] != int64(200) || req.Resource["service.name"] != "itest-svc" {
			t.Errorf("itest.requests = %+v", req)
		}
		if lat.Type != "histogram" || len(lat.DataPoints) != 1 || lat.DataPoints[0].Value != 3 || lat.DataPoints[0].Sum != 1.5 {
			t.Errorf("itest.latency = %+v", lat)
		}
	})

	t.Run("logs", func(t *testing.T) {
		post(t, c, "/v1/logs", `{"resourceLogs":[{"resource":{"attributes":[{"key":"service.name","value":{"stringValue":"itest-svc"}}]},
			"scopeLogs":[{"scope":{"name":"itest-logger"},"logRecords":[{"timeUnixNano":"1700000000000000000",
			"severityNumber":9,"severityText":"INFO","body":{"stringValue":"hello itest"},
			"attributes":[{"key":"user.id","value":{"intValue":"12"}}],"traceId":"`+traceID+`","spanId":"`+spanID+`"}]}]}]}`)
		logs := c.WaitLogs(t, 10*time.Second, func(l []LogRecord) bool { return len(l) >= 1 })
		l := logs[0]
		if l.Body != "hello itest" || l.SeverityText != "INFO" || l.SeverityNumber != 9 || l.TraceID != traceID ||
			l.SpanID != spanID || l.Attributes["user.id"] != int64(12) || l.Resource["service.name"] != "itest-svc" || l.Scope != "itest-logger" {
			t.Errorf("log = %+v", l)
		}
	})
}

const goodExposition = "# HELP demo_up Whether the demo is up.\n# TYPE demo_up gauge\ndemo_up 1\n"

func TestPrometheus(t *testing.T) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	srv := &http.Server{Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path != "/metrics" {
			http.NotFound(w, r)
			return
		}
		w.Header().Set("Content-Type", "text/plain; version=0.0.4; charset=utf-8")
		io.WriteString(w, goodExposition)
	})}
	go srv.Serve(l)
	t.Cleanup(func() { srv.Close() })

	p := StartPrometheus(t, l.Addr().String())
	samples := p.WaitQuery(t, 30*time.Second, "demo_up")
	if len(samples) != 1 || samples[0].Value != 1 {
		t.Fatalf("demo_up = %+v, want one sample of value 1", samples)
	}
	if got := samples[0].Labels["instance"]; got != l.Addr().String() {
		t.Errorf("instance label = %q, want %q", got, l.Addr().String())
	}
	if got := samples[0].Labels["__name__"]; got != "demo_up" {
		t.Errorf("__name__ = %q", got)
	}
	scalar, err := p.Query("1 + 1")
	if err != nil || len(scalar) != 1 || scalar[0].Value != 2 {
		t.Errorf("Query(1 + 1) = %+v, %v", scalar, err)
	}
}

func TestPromtoolCheckMetrics(t *testing.T) {
	PromtoolCheckMetrics(t, []byte(goodExposition))
}

func TestPromtoolCheckFindsProblems(t *testing.T) {
	binary(t, EnvPromtoolBin, "promtool ("+EnvPromtoolBin+")")
	for name, expo := range map[string]string{
		"counter without _total": "# HELP demo_requests Requests served.\n# TYPE demo_requests counter\ndemo_requests 3\n",
		"no help":                "# TYPE demo_up gauge\ndemo_up 1\n",
		"malformed":              "demo_up{job= 1\n",
	} {
		out, err := PromtoolCheck([]byte(expo))
		if err == nil {
			t.Errorf("%s: PromtoolCheck found no problem in %q (output %q)", name, expo, out)
		} else if strings.TrimSpace(out) == "" {
			t.Errorf("%s: PromtoolCheck failed (%v) without output", name, err)
		}
	}
}

// fakeTB records Skip and Fatal instead of ending the real test.
type fakeTB struct {
	testing.TB
	skipped, failed bool
	msg             string
}

func (f *fakeTB) Helper() {}
func (f *fakeTB) Skip(args ...any) {
	f.skipped, f.msg = true, fmt.Sprint(args...)
	runtime.Goexit()
}
func (f *fakeTB) Skipf(format string, args ...any) { f.Skip(fmt.Sprintf(format, args...)) }
func (f *fakeTB) Fatal(args ...any) {
	f.failed, f.msg = true, fmt.Sprint(args...)
	runtime.Goexit()
}
func (f *fakeTB) Fatalf(format string, args ...any) { f.Fatal(fmt.Sprintf(format, args...)) }

// runFake runs fn with a fakeTB in its own goroutine, so that Skip and Fatal
// can stop fn without stopping the test.
func runFake(t *testing.T, fn func(testing.TB)) *fakeTB {
	f := &fakeTB{TB: t}
	done := make(chan struct{})
	go func() {
		defer close(done)
		fn(f)
	}()
	<-done
	return f
}

func TestMissingBackendSkipsOrFails(t *testing.T) {
	starts := map[string]func(testing.TB){
		EnvOtelcolBin:    func(tb testing.TB) { StartCollector(tb) },
		EnvPrometheusBin: func(tb testing.TB) { StartPrometheus(tb, "127.0.0.1:1") },
		EnvPromtoolBin:   func(tb testing.TB) { PromtoolCheckMetrics(tb, []byte(goodExposition)) },
	}
	for env, start := range starts {
		t.Run(env, func(t *testing.T) {
			t.Setenv(env, "")
			t.Setenv(EnvRequired, "")
			f := runFake(t, start)
			if !f.skipped || f.failed || !strings.Contains(f.msg, "run ./scripts/test.sh to run integration tests") || !strings.Contains(f.msg, env) {
				t.Errorf("without %s and %s: skipped=%v failed=%v msg=%q; want a skip pointing at scripts/test.sh", env, EnvRequired, f.skipped, f.failed, f.msg)
			}
			t.Setenv(EnvRequired, "1")
			f = runFake(t, start)
			if f.skipped || !f.failed || !strings.Contains(f.msg, env) {
				t.Errorf("without %s, with %s=1: skipped=%v failed=%v msg=%q; want a failure", env, EnvRequired, f.skipped, f.failed, f.msg)
			}
		})
	}
	t.Run("PromtoolCheck", func(t *testing.T) {
		t.Setenv(EnvPromtoolBin, "")
		if _, err := PromtoolCheck([]byte(goodExposition)); err == nil || !strings.Contains(err.Error(), EnvPromtoolBin) {
			t.Errorf("PromtoolCheck without promtool: err = %v, want one naming %s", err, EnvPromtoolBin)
		}
	})
}

func TestStartCollectorWithReportsBadConfig(t *testing.T) {
	binary(t, EnvOtelcolBin, "the OpenTelemetry Collector ("+EnvOtelcolBin+")")
	t.Run("missing file", func(t *testing.T) {
		f := runFake(t, func(tb testing.TB) {
			StartCollectorWith(tb, CollectorSpec{Name: "nowhere", Config: "deploy/collector/missing.yaml"})
		})
		if !f.failed || !strings.Contains(f.msg, "nowhere") || !strings.Contains(f.msg, "deploy/collector/missing.yaml") {
			t.Errorf("failed=%v msg=%q; want a failure naming the collector and its config", f.failed, f.msg)
		}
	})
	t.Run("config the collector rejects", func(t *testing.T) {
		// sampler.yaml without OBSERVE_BACKEND_ENDPOINT: the collector exits
		// at start, and the failure carries its output.
		f := runFake(t, func(tb testing.TB) {
			StartCollectorWith(tb, CollectorSpec{
				Name:   "sampler",
				Config: "deploy/collector/sampler.yaml",
				Env:    map[string]string{"OBSERVE_BACKEND_ENDPOINT": ""},
				Addrs:  []string{"OBSERVE_SAMPLER_GRPC_ENDPOINT"},
				Ports:  []string{"OBSERVE_COLLECTOR_METRICS_PORT"},
			})
		})
		if !f.failed || !strings.Contains(f.msg, "sampler exited") || !strings.Contains(f.msg, "endpoint") {
			t.Errorf("failed=%v msg=%q; want a failure saying the sampler exited, with its output", f.failed, f.msg)
		}
	})
}

func TestRequired(t *testing.T) {
	for v, want := range map[string]bool{"": false, "0": false, "1": true, "true": true} {
		t.Setenv(EnvRequired, v)
		if got := Required(); got != want {
			t.Errorf("Required() with %s=%q = %v, want %v", EnvRequired, v, got, want)
		}
	}
}

func TestSyncBufferKeepsTail(t *testing.T) {
	var b syncBuffer
	chunk := bytes.Repeat([]byte("x"), 64<<10)
	for i := 0; i < 40; i++ {
		b.Write(chunk)
	}
	b.Write([]byte("END"))
	s := b.String()
	if len(s) > 2*maxOutput+100 || !strings.HasSuffix(s, "END") || !strings.HasPrefix(s, "[...output truncated...]") {
		t.Errorf("buffer of %d bytes, prefix %q, suffix %q", len(s), s[:min(30, len(s))], s[max(0, len(s)-3):])
	}
}
