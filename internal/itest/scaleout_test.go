package itest

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"math"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/codes"
	"go.opentelemetry.io/otel/exporters/otlp/otlplog/otlploggrpc"
	"go.opentelemetry.io/otel/exporters/otlp/otlpmetric/otlpmetricgrpc"
	"go.opentelemetry.io/otel/exporters/otlp/otlptrace/otlptracegrpc"
	otellog "go.opentelemetry.io/otel/log"
	"go.opentelemetry.io/otel/propagation"
	sdklog "go.opentelemetry.io/otel/sdk/log"
	sdkmetric "go.opentelemetry.io/otel/sdk/metric"
	sdkresource "go.opentelemetry.io/otel/sdk/resource"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	semconv "go.opentelemetry.io/otel/semconv/v1.43.0"
	"go.opentelemetry.io/otel/trace"
)

// The configs of the scale-out path, relative to the module root.
const (
	loadBalancerConfig = "deploy/collector/loadbalancer.yaml"
	samplerConfig      = "deploy/collector/sampler.yaml"
)

// traceKind is what a test trace is made to look like, and so whether the
// sampler tier must keep it.
type traceKind int

const (
	ordinary  traceKind = iota // short, no error: kept at the background share
	failed                     // service B's span has status Error
	exception                  // service B's span has an exception event, status unset
	slow                       // longer than the duration threshold
)

func (k traceKind) String() string {
	return [...]string{"ordinary", "failed", "exception", "slow"}[k]
}

// testService is one instrumented process exporting OTLP/gRPC to an endpoint.
type testService struct {
	name   string
	tracer trace.Tracer
	logger otellog.Logger
	tp     *sdktrace.TracerProvider
	lp     *sdklog.LoggerProvider
	mp     *sdkmetric.MeterProvider
}

func newTestService(t *testing.T, name, endpoint string) *testService {
	t.Helper()
	ctx := context.Background()
	res := sdkresource.NewSchemaless(semconv.ServiceName(name))
	spanExp, err := otlptracegrpc.New(ctx, otlptracegrpc.WithEndpoint(endpoint), otlptracegrpc.WithInsecure())
	if err != nil {
		t.Fatalf("%s: span exporter: %v", name, err)
	}
	logExp, err := otlploggrpc.New(ctx, otlploggrpc.WithEndpoint(endpoint), otlploggrpc.WithInsecure())
	if err != nil {
		t.Fatalf("%s: log exporter: %v", name, err)
	}
	metricExp, err := otlpmetricgrpc.New(ctx, otlpmetricgrpc.WithEndpoint(endpoint), otlpmetricgrpc.WithInsecure())
	if err != nil {
		t.Fatalf("%s: metric exporter: %v", name, err)
	}
	s := &testService{
		name: name,
		// Nothing is exported before Shutdown: the queue holds every span
		// and no batch fills up or times out, so both services send their
		// spans at the same moment and each trace reaches its sampler well
		// within decision_wait.
		tp: sdktrace.NewTracerProvider(sdktrace.WithResource(res), sdktrace.WithBatcher(spanExp,
			sdktrace.WithMaxQueueSize(8192), sdktrace.WithMaxExportBatchSize(8192), sdktrace.WithBatchTimeout(time.Hour))),
		lp: sdklog.NewLoggerProvider(sdklog.WithResource(res), sdklog.WithProcessor(sdklog.NewBatchProcessor(logExp))),
		mp: sdkmetric.NewMeterProvider(sdkmetric.WithResource(res),
			sdkmetric.WithReader(sdkmetric.NewPeriodicReader(metricExp, sdkmetric.WithInterval(time.Hour)))),
	}
	s.tracer = s.tp.Tracer("itest/scaleout")
	s.logger = s.lp.Logger("itest/scaleout")
	t.Cleanup(func() { _ = s.shutdown(context.Background()) })
	return s
}

// shutdown flushes and stops the service's providers.
func (s *testService) shutdown(ctx context.Context) error {
	return errors.Join(s.tp.Shutdown(ctx), s.lp.Shutdown(ctx), s.mp.Shutdown(ctx))
}

// emitTrace makes one trace across two services: a client span in a whose
// context, propagated as a traceparent header, is the parent of a server span
// in b. Timestamps are explicit, so a trace's duration does not depend on the
// scheduler. A failed trace also gets an error log record in b. It returns the
// trace id and a's span id.
func emitTrace(a, b *testService, prop propagation.TextMapPropagator, k traceKind) (traceID, spanA string) {
	t0 := time.Now()
	work := 10 * time.Millisecond
	if k == slow {
		work = 1500 * time.Millisecond
	}
	ctxA, sa := a.tracer.Start(context.Background(), "GET /checkout",
		trace.WithSpanKind(trace.SpanKindClient), trace.WithTimestamp(t0))
	carrier := propagation.MapCarrier{}
	prop.Inject(ctxA, carrier)
	ctxB, sb := b.tracer.Start(prop.Extract(context.Background(), carrier), "POST /charge",
		trace.WithSpanKind(trace.SpanKindServer), trace.WithTimestamp(t0.Add(time.Millisecond)))
	switch k {
	case failed:
		sb.SetStatus(codes.Error, "card declined")
		var r otellog.Record
		r.SetSeverity(otellog.SeverityError)
		r.SetSeverityText("ERROR")
		r.SetBody(attribute.StringValue("charge failed"))
		b.logger.Emit(ctxB, r)
	case exception:
		sb.RecordError(errors.New("card reader unplugged"), trace.WithTimestamp(t0.Add(2*time.Millisecond)))
	}
	sb.End(trace.WithTimestamp(t0.Add(time.Millisecond + work)))
	sa.End(trace.WithTimestamp(t0.Add(2*time.Millisecond + work)))
	return sa.SpanContext().TraceID().String(), sa.SpanContext().SpanID().String()
}

// TestScaleOutTailSampling runs the collector configs of deploy/collector on
// loopback: two services send OTLP to one load balancer, which routes by trace
// id to two samplers running the tail-sampling policies, which send what they
// keep to one backend writing files. Every trace that must be kept arrives
// whole, ordinary traces are kept at the configured share, no trace arrives
// partially, logs pass through, and metrics go straight to the backend.
func TestScaleOutTailSampling(t *testing.T) {
	const (
		// The background share is a real fraction, not 0 or 100 %, so that
		// ordinary traces are both kept whole and dropped whole. The sampler
		// decides from a hash of the random trace id, so the number kept is
		// binomial: the tolerance below is five standard deviations (a false
		// failure less than once in a million runs).
		percent     = 30
		nOrdinary   = 400
		nFailed     = 20
		nException  = 10
		nSlow       = 20
		thresholdMS = 1000 // slow traces last 1.5 s, ordinary ones 12 ms
	)
	backend := StartCollector(t)
	samplerEnv := map[string]string{
		"OBSERVE_BACKEND_ENDPOINT": backend.GRPCEndpoint,
		"OBSERVE_BACKEND_INSECURE": "true",
		// Effective wait is 2-3 s: the processor decides in one-second
		// batches.
		"OBSERVE_SAMPLER_DECISION_WAIT": "2s",
		// Keeps traces of at least thresholdMS (see sampler.yaml).
		"OBSERVE_SAMPLER_DURATION_MS":    strconv.Itoa(thresholdMS - 1),
		"OBSERVE_SAMPLER_PERCENT":        strconv.Itoa(percent),
		"OBSERVE_COLLECTOR_METRICS_HOST": "127.0.0.1",
	}
	var samplers []*Collector
	var samplerAddrs []string
	for i := range 2 {
		s := StartCollectorWith(t, CollectorSpec{
			Name:   fmt.Sprintf("sampler-%d", i),
			Config: samplerConfig,
			Env:    samplerEnv,
			Addrs:  []string{"OBSERVE_SAMPLER_GRPC_ENDPOINT"},
			Ports:  []string{"OBSERVE_COLLECTOR_METRICS_PORT"},
		})
		samplers = append(samplers, s)
		samplerAddrs = append(samplerAddrs, s.Addrs["OBSERVE_SAMPLER_GRPC_ENDPOINT"])
	}
	lb := StartCollectorWith(t, CollectorSpec{
		Name:   "loadbalancer",
		Config: loadBalancerConfig,
		Env: map[string]string{
			"OBSERVE_SAMPLERS":               "[" + strings.Join(samplerAddrs, ", ") + "]",
			"OBSERVE_SAMPLERS_INSECURE":      "true",
			"OBSERVE_BACKEND_ENDPOINT":       backend.GRPCEndpoint,
			"OBSERVE_BACKEND_INSECURE":       "true",
			"OBSERVE_COLLECTOR_METRICS_HOST": "127.0.0.1",
		},
		Addrs: []string{"OBSERVE_LB_GRPC_ENDPOINT", "OBSERVE_LB_HTTP_ENDPOINT"},
		Ports: []string{"OBSERVE_COLLECTOR_METRICS_PORT"},
	})

	lbEndpoint := lb.Addrs["OBSERVE_LB_GRPC_ENDPOINT"]
	svcA := newTestService(t, "itest-frontend", lbEndpoint)
	svcB := newTestService(t, "itest-payments", lbEndpoint)
	prop := propagation.TraceContext{}
	requests, err := svcA.mp.Meter("itest/scaleout").Int64Counter("itest.scaleout.requests")
	if err != nil {
		t.Fatal(err)
	}

	kinds := map[string]traceKind{} // trace id -> kind
	rootOf := map[string]string{}   // trace id -> service A's span id
	emit := func(k traceKind, n int) {
		for range n {
			id, root := emitTrace(svcA, svcB, prop, k)
			kinds[id], rootOf[id] = k, root
			requests.Add(context.Background(), 1)
		}
	}
	// Interleaved, so every one-second decision batch holds all kinds.
	for range 10 {
		emit(ordinary, nOrdinary/10)
		emit(failed, nFailed/10)
		emit(exception, nException/10)
		emit(slow, nSlow/10)
	}
	total := len(kinds)
	if total != nOrdinary+nFailed+nException+nSlow {
		t.Fatalf("emitted %d distinct trace ids, want %d", total, nOrdinary+nFailed+nException+nSlow)
	}
	var untraced otellog.Record
	untraced.SetSeverity(otellog.SeverityInfo)
	untraced.SetBody(attribute.StringValue("payments service ready"))
	svcB.logger.Emit(context.Background(), untraced)

	// Both services flush at the same moment.
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	var wg sync.WaitGroup
	errs := make([]error, 2)
	for i, s := range []*testService{svcA, svcB} {
		wg.Go(func() { errs[i] = s.shutdown(ctx) })
	}
	wg.Wait()
	if err := errors.Join(errs...); err != nil {
		t.Fatalf("shutting the services down (exporting to the load balancer): %v", err)
	}

	// Every trace that must be kept arrives whole (both spans) after its
	// decision; traces are grouped fresh on each poll.
	mustKeep := 0
	for _, k := range kinds {
		if k != ordinary {
			mustKeep++
		}
	}
	backend.WaitTraces(t, 60*time.Second, func(spans []Span) bool {
		whole := 0
		for id, ss := range groupByTrace(spans) {
			if k, ok := kinds[id]; ok && k != ordinary && len(ss) >= 2 {
				whole++
			}
		}
		return whole == mustKeep
	})
	// Log records pass through the sampler tier, routed by their trace id;
	// the metric goes from the load balancer straight to the backend.
	backend.WaitLogs(t, 30*time.Second, func(ls []LogRecord) bool { return len(ls) >= nFailed+1 })
	backend.WaitMetrics(t, 30*time.Second, func(ms []Metric) bool {
		for _, m := range ms {
			if m.Name == "itest.scaleout.requests" {
				return true
			}
		}
		return false
	})

	// Stopping the tiers in order drains each one into the next: the load
	// balancer's queues into the samplers, the samplers' pending decisions
	// and queues into the backend, the backend's batch into its files. After
	// that, nothing more can arrive.
	lb.Stop(t, 30*time.Second)
	accepted := 0.0
	for _, s := range samplers {
		n := scrapeSum(t, "http://"+s.Addrs["OBSERVE_COLLECTOR_METRICS_PORT"]+"/metrics", "otelcol_receiver_accepted_spans")
		if n == 0 {
			t.Errorf("%s accepted no spans: the load balancer did not spread traces over both samplers", s.Name)
		}
		t.Logf("%s accepted %v spans", s.Name, n)
		accepted += n
	}
	if accepted != float64(2*total) {
		t.Errorf("the samplers accepted %v spans in all, want %d (each span once)", accepted, 2*total)
	}
	for _, s := range samplers {
		s.Stop(t, 30*time.Second)
	}
	backend.Stop(t, 30*time.Second)

	keptOrdinary := 0
	byTrace := groupByTrace(backend.Traces(t))
	for id, ss := range byTrace {
		k, ok := kinds[id]
		if !ok {
			t.Errorf("trace %s arrived at the backend but was not emitted: %+v", id, ss)
			continue
		}
		if err := checkWhole(ss, rootOf[id], k); err != nil {
			t.Errorf("%s trace %s did not arrive whole: %v", k, id, err)
		}
		if k == ordinary {
			keptOrdinary++
		}
	}
	for id, k := range kinds {
		if _, ok := byTrace[id]; !ok && k != ordinary {
			t.Errorf("%s trace %s was not kept", k, id)
		}
	}
	p := percent / 100.0
	mean, sd := nOrdinary*p, math.Sqrt(nOrdinary*p*(1-p))
	if lo, hi := mean-5*sd, mean+5*sd; float64(keptOrdinary) < lo || float64(keptOrdinary) > hi {
		t.Errorf("kept %d of %d ordinary traces, want %v%% (between %.0f and %.0f)", keptOrdinary, nOrdinary, percent, lo, hi)
	}
	t.Logf("kept %d of %d ordinary traces (%v%% configured), %d of %d traces in all", keptOrdinary, nOrdinary, percent, len(byTrace), total)

	logs := backend.Logs(t)
	seen := map[string]int{}
	for _, l := range logs {
		seen[l.TraceID]++
		if l.TraceID != "" && kinds[l.TraceID] != failed {
			t.Errorf("log record %q carries trace %s, which emitted no log record", fmt.Sprint(l.Body), l.TraceID)
		}
	}
	for id, k := range kinds {
		if k == failed && seen[id] != 1 {
			t.Errorf("failed trace %s: %d log records at the backend, want 1", id, seen[id])
		}
	}
	if seen[""] != 1 {
		t.Errorf("%d log records without a trace at the backend, want 1", seen[""])
	}

	var counted float64
	for _, m := range backend.Metrics(t) {
		if m.Name == "itest.scaleout.requests" && m.Resource["service.name"] == "itest-frontend" {
			for _, dp := range m.DataPoints {
				counted = max(counted, dp.Value)
			}
		}
	}
	if counted != float64(total) {
		t.Errorf("itest.scaleout.requests = %v at the backend, want %d (metrics are never sampled)", counted, total)
	}
}

func groupByTrace(spans []Span) map[string][]Span {
	m := map[string][]Span{}
	for _, s := range spans {
		m[s.TraceID] = append(m[s.TraceID], s)
	}
	return m
}

// checkWhole reports how the spans of one trace differ from what emitTrace
// made: service A's client span (span id rootA), and service B's server span
// as its child, each once.
func checkWhole(spans []Span, rootA string, k traceKind) error {
	var a, b []Span
	for _, s := range spans {
		switch s.Resource["service.name"] {
		case "itest-frontend":
			a = append(a, s)
		case "itest-payments":
			b = append(b, s)
		default:
			return fmt.Errorf("span %q from unknown service %v", s.Name, s.Resource["service.name"])
		}
	}
	if len(a) != 1 || len(b) != 1 {
		return fmt.Errorf("%d span(s) of itest-frontend and %d of itest-payments, want 1 and 1: %+v", len(a), len(b), spans)
	}
	if a[0].SpanID != rootA || a[0].ParentSpanID != "" {
		return fmt.Errorf("itest-frontend span %s (parent %q), want root span %s", a[0].SpanID, a[0].ParentSpanID, rootA)
	}
	if b[0].ParentSpanID != rootA {
		return fmt.Errorf("itest-payments span's parent is %q, want %s", b[0].ParentSpanID, rootA)
	}
	if wantErr := k == failed; (b[0].StatusCode == 2) != wantErr {
		return fmt.Errorf("itest-payments span status %d (%q)", b[0].StatusCode, b[0].StatusMessage)
	}
	return nil
}

// scrapeSum fetches a Prometheus text exposition and returns the sum of the
// samples of the metric name over all its label sets, 0 when it has none (a
// collector's counters appear with their first increment).
func scrapeSum(t *testing.T, url, name string) float64 {
	t.Helper()
	client := &http.Client{Timeout: 5 * time.Second}
	resp, err := client.Get(url)
	if err != nil {
		t.Fatalf("scraping %s: %v", url, err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("scraping %s: %s", url, resp.Status)
	}
	var sum float64
	sc := bufio.NewScanner(resp.Body)
	for sc.Scan() {
		line := sc.Text()
		rest, ok := strings.CutPrefix(line, name)
		if !ok || (!strings.HasPrefix(rest, "{") && !strings.HasPrefix(rest, " ")) {
			continue
		}
		if strings.HasPrefix(rest, "{") {
			rest = rest[strings.LastIndexByte(rest, '}')+1:]
		}
		fields := strings.Fields(rest)
		if len(fields) == 0 {
			t.Fatalf("scraping %s: no value in %q", url, line)
		}
		v, err := strconv.ParseFloat(fields[0], 64)
		if err != nil {
			t.Fatalf("scraping %s: %q: %v", url, line, err)
		}
		sum += v
	}
	if err := sc.Err(); err != nil {
		t.Fatalf("scraping %s: %v", url, err)
	}
	return sum
}
