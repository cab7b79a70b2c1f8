package sampling

import (
	"context"
	"errors"
	"math/rand/v2"
	"sync"
	"testing"
	"time"

	"go.opentelemetry.io/otel"
	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/log"
	sdklog "go.opentelemetry.io/otel/sdk/log"
	sdkmetric "go.opentelemetry.io/otel/sdk/metric"
	"go.opentelemetry.io/otel/sdk/metric/metricdata"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/sdk/trace/tracetest"
	"go.opentelemetry.io/otel/trace"
)

// fakeClock is a clock that moves only when told.
type fakeClock struct {
	mu sync.Mutex
	t  time.Time
}

func newFakeClock() *fakeClock {
	return &fakeClock{t: time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)}
}

func (c *fakeClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *fakeClock) Advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = c.t.Add(d)
}

// seededIDs generates trace and span ids from a seeded random source, so
// that a test sees the same ids on every run.
type seededIDs struct {
	mu sync.Mutex
	r  *rand.Rand
}

func newSeededIDs(seed uint64) *seededIDs {
	return &seededIDs{r: rand.New(rand.NewPCG(seed, seed^0x9e3779b97f4a7c15))}
}

func (g *seededIDs) NewIDs(context.Context) (trace.TraceID, trace.SpanID) {
	g.mu.Lock()
	defer g.mu.Unlock()
	var tid trace.TraceID
	var sid trace.SpanID
	for !tid.IsValid() {
		fill(g.r, tid[:])
	}
	for !sid.IsValid() {
		fill(g.r, sid[:])
	}
	return tid, sid
}

func (g *seededIDs) NewSpanID(context.Context, trace.TraceID) trace.SpanID {
	g.mu.Lock()
	defer g.mu.Unlock()
	var sid trace.SpanID
	for !sid.IsValid() {
		fill(g.r, sid[:])
	}
	return sid
}

func fill(r *rand.Rand, b []byte) {
	for i := range b {
		b[i] = byte(r.Uint32())
	}
}

// recordExporter is a log exporter that keeps copies of what it exports:
// the log SDK has no in-memory exporter.
type recordExporter struct {
	mu      sync.Mutex
	records []sdklog.Record
}

func (e *recordExporter) Export(_ context.Context, rs []sdklog.Record) error {
	e.mu.Lock()
	defer e.mu.Unlock()
	for i := range rs {
		e.records = append(e.records, rs[i].Clone())
	}
	return nil
}

func (*recordExporter) Shutdown(context.Context) error   { return nil }
func (*recordExporter) ForceFlush(context.Context) error { return nil }

func (e *recordExporter) bodies() []string {
	e.mu.Lock()
	defer e.mu.Unlock()
	out := make([]string, len(e.records))
	for i := range e.records {
		out[i] = e.records[i].Body().AsString()
	}
	return out
}

func (e *recordExporter) byTrace() map[trace.TraceID]int {
	e.mu.Lock()
	defer e.mu.Unlock()
	out := map[trace.TraceID]int{}
	for i := range e.records {
		out[e.records[i].TraceID()]++
	}
	return out
}

// pipeline is a tracer and a logger provider whose exporting processors
// sit behind one TailProcessor, with its metrics on a manual reader.
type pipeline struct {
	tail   *TailProcessor
	spans  *tracetest.InMemoryExporter
	rec    *tracetest.SpanRecorder
	logs   *recordExporter
	tp     *sdktrace.TracerProvider
	lp     *sdklog.LoggerProvider
	reader *sdkmetric.ManualReader
	clock  *fakeClock
	tracer trace.Tracer
	logger log.Logger
	// logComp is the tail's companion log processor in lp.
	logComp sdklog.Processor
}

type pipelineOpt func(*pipelineSettings)

type pipelineSettings struct {
	ids      sdktrace.IDGenerator
	recorder bool
}

// withRecorder makes the tail's next processor a tracetest.SpanRecorder,
// which keeps what it recorded through Shutdown (the in-memory exporter
// forgets it).
func withRecorder() pipelineOpt {
	return func(s *pipelineSettings) { s.recorder = true }
}

func withIDs(g sdktrace.IDGenerator) pipelineOpt {
	return func(s *pipelineSettings) { s.ids = g }
}

// newPipeline builds a pipeline sampling with cfg, on a fake clock with
// manual sweeps; everything is shut down at the end of the test.
func newPipeline(t testing.TB, cfg Tail, opts ...pipelineOpt) *pipeline {
	t.Helper()
	var s pipelineSettings
	for _, o := range opts {
		o(&s)
	}
	p := &pipeline{
		spans:  tracetest.NewInMemoryExporter(),
		logs:   &recordExporter{},
		reader: sdkmetric.NewManualReader(),
		clock:  newFakeClock(),
	}
	mp := sdkmetric.NewMeterProvider(sdkmetric.WithReader(p.reader))
	var next sdktrace.SpanProcessor = sdktrace.NewSimpleSpanProcessor(p.spans)
	if s.recorder {
		p.rec = tracetest.NewSpanRecorder()
		next = p.rec
	}
	tail, err := NewTailProcessor(cfg, next,
		WithMeterProvider(mp), withClock(p.clock.Now), withManualSweep())
	if err != nil {
		t.Fatalf("NewTailProcessor: %v", err)
	}
	p.tail = tail
	tpOpts := []sdktrace.TracerProviderOption{sdktrace.WithSpanProcessor(tail)}
	if s.ids != nil {
		tpOpts = append(tpOpts, sdktrace.WithIDGenerator(s.ids))
	}
	p.tp = sdktrace.NewTracerProvider(tpOpts...)
	p.logComp = tail.LogProcessor(sdklog.NewSimpleProcessor(p.logs))
	p.lp = sdklog.NewLoggerProvider(sdklog.WithProcessor(p.logComp))
	p.tracer = p.tp.Tracer("test")
	p.logger = p.lp.Logger("test")
	t.Cleanup(func() {
		ctx := context.Background()
		if err := errors.Join(p.tp.Shutdown(ctx), p.lp.Shutdown(ctx), mp.Shutdown(ctx)); err != nil {
			t.Errorf("shutdown: %v", err)
		}
	})
	return p
}

// log emits a record of body at severity sev in ctx.
func (p *pipeline) log(ctx context.Context, sev log.Severity, body string) {
	var r log.Record
	r.SetSeverity(sev)
	r.SetBody(attribute.StringValue(body))
	p.logger.Emit(ctx, r)
}

// ended returns the spans that reached the exporter (or the recorder), in
// order.
func (p *pipeline) ended() tracetest.SpanStubs {
	if p.rec != nil {
		return tracetest.SpanStubsFromReadOnlySpans(p.rec.Ended())
	}
	return p.spans.GetSpans()
}

// exported returns the number of exported spans of each trace.
func (p *pipeline) exported() map[trace.TraceID]int {
	out := map[trace.TraceID]int{}
	for _, s := range p.ended() {
		out[s.SpanContext.TraceID()]++
	}
	return out
}

// exportedNames returns the names of the exported spans of trace id, in
// the order they were exported.
func (p *pipeline) exportedNames(id trace.TraceID) []string {
	var out []string
	for _, s := range p.ended() {
		if s.SpanContext.TraceID() == id {
			out = append(out, s.Name)
		}
	}
	return out
}

// counts returns the sums of the metric name by attribute set, each set
// written as its values joined by "/" in key order.
func (p *pipeline) counts(t testing.TB, name string) map[string]int64 {
	t.Helper()
	var rm metricdata.ResourceMetrics
	if err := p.reader.Collect(context.Background(), &rm); err != nil {
		t.Fatalf("collect: %v", err)
	}
	out := map[string]int64{}
	for _, sm := range rm.ScopeMetrics {
		for _, m := range sm.Metrics {
			if m.Name != name {
				continue
			}
			switch d := m.Data.(type) {
			case metricdata.Sum[int64]:
				for _, dp := range d.DataPoints {
					out[setKey(dp.Attributes)] += dp.Value
				}
			default:
				t.Fatalf("metric %s has data %T; want an int64 sum", name, m.Data)
			}
		}
	}
	return out
}

func setKey(s attribute.Set) string {
	var k string
	for i, kv := range s.ToSlice() {
		if i > 0 {
			k += "/"
		}
		k += kv.Value.Emit()
	}
	return k
}

// handled collects what is passed to otel.Handle during the test.
type handled struct {
	mu   sync.Mutex
	errs []error
}

func (h *handled) Handle(err error) {
	h.mu.Lock()
	defer h.mu.Unlock()
	h.errs = append(h.errs, err)
}

func (h *handled) all() []error {
	h.mu.Lock()
	defer h.mu.Unlock()
	return append([]error(nil), h.errs...)
}

// catchErrors routes otel.Handle to a collector until the test ends.
func catchErrors(t testing.TB) *handled {
	h := &handled{}
	prev := otel.GetErrorHandler()
	otel.SetErrorHandler(h)
	t.Cleanup(func() { otel.SetErrorHandler(prev) })
	return h
}

// gauge returns the value of an int64 up-down counter of the tail's.
func (p *pipeline) gauge(t testing.TB, name string) int64 {
	t.Helper()
	var rm metricdata.ResourceMetrics
	if err := p.reader.Collect(context.Background(), &rm); err != nil {
		t.Fatalf("collect: %v", err)
	}
	for _, sm := range rm.ScopeMetrics {
		for _, m := range sm.Metrics {
			if m.Name == name {
				d, ok := m.Data.(metricdata.Sum[int64])
				if !ok || len(d.DataPoints) != 1 {
					t.Fatalf("metric %s has data %#v; want one int64 point", name, m.Data)
				}
				return d.DataPoints[0].Value
			}
		}
	}
	t.Fatalf("no metric %s", name)
	return 0
}
