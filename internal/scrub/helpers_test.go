package scrub

import (
	"context"
	"strings"
	"sync"
	"testing"

	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/log"
	sdklog "go.opentelemetry.io/otel/sdk/log"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/sdk/trace/tracetest"
)

// recordingExporter keeps the log records it is given (the log SDK has no
// in-memory exporter).
type recordingExporter struct {
	mu      sync.Mutex
	records []sdklog.Record
}

func (e *recordingExporter) Export(_ context.Context, records []sdklog.Record) error {
	e.mu.Lock()
	defer e.mu.Unlock()
	for _, r := range records {
		e.records = append(e.records, r.Clone())
	}
	return nil
}

func (e *recordingExporter) Shutdown(context.Context) error   { return nil }
func (e *recordingExporter) ForceFlush(context.Context) error { return nil }

func (e *recordingExporter) all() []sdklog.Record {
	e.mu.Lock()
	defer e.mu.Unlock()
	return append([]sdklog.Record(nil), e.records...)
}

// logPipeline is a logger provider with the scrubber first and a simple
// processor to a recording exporter behind it.
func logPipeline(t testing.TB, s *Scrubber) (log.Logger, *recordingExporter) {
	t.Helper()
	exp := &recordingExporter{}
	lp := sdklog.NewLoggerProvider(sdklog.WithProcessor(s.LogProcessor(sdklog.NewSimpleProcessor(exp))))
	t.Cleanup(func() { _ = lp.Shutdown(context.Background()) })
	return lp.Logger("scrub-test"), exp
}

// emit emits one record and returns what the exporter got.
func emit(t testing.TB, s *Scrubber, body attribute.Value, attrs ...attribute.KeyValue) sdklog.Record {
	t.Helper()
	logger, exp := logPipeline(t, s)
	var r log.Record
	r.SetBody(body)
	r.AddAttributes(attrs...)
	logger.Emit(context.Background(), r)
	got := exp.all()
	if len(got) != 1 {
		t.Fatalf("exported %d records; want 1", len(got))
	}
	return got[0]
}

// tracePipeline is a tracer provider with the scrubber first and a simple
// processor to an in-memory exporter behind it.
func tracePipeline(t testing.TB, s *Scrubber, extra ...sdktrace.SpanProcessor) (*sdktrace.TracerProvider, *tracetest.InMemoryExporter) {
	t.Helper()
	exp := tracetest.NewInMemoryExporter()
	opts := []sdktrace.TracerProviderOption{sdktrace.WithSpanProcessor(s.SpanProcessor(sdktrace.NewSimpleSpanProcessor(exp)))}
	for _, p := range extra {
		opts = append(opts, sdktrace.WithSpanProcessor(s.SpanProcessor(p)))
	}
	tp := sdktrace.NewTracerProvider(opts...)
	t.Cleanup(func() { _ = tp.Shutdown(context.Background()) })
	return tp, exp
}

func recordAttrs(r sdklog.Record) map[string]attribute.Value {
	m := map[string]attribute.Value{}
	r.WalkAttributes(func(kv attribute.KeyValue) bool {
		m[string(kv.Key)] = kv.Value
		return true
	})
	return m
}

func attrMap(kvs []attribute.KeyValue) map[string]attribute.Value {
	m := map[string]attribute.Value{}
	for _, kv := range kvs {
		m[string(kv.Key)] = kv.Value
	}
	return m
}

// lookup finds the value at a path of keys and [i] steps below root.
func lookup(root map[string]attribute.Value, path ...string) (attribute.Value, bool) {
	v, ok := root[path[0]]
	for _, step := range path[1:] {
		if !ok {
			return v, false
		}
		ok = false
		if strings.HasPrefix(step, "[") {
			var i int
			for _, c := range step[1 : len(step)-1] {
				i = i*10 + int(c-'0')
			}
			switch v.Type() {
			case attribute.SLICE:
				if s := v.AsSlice(); i < len(s) {
					v, ok = s[i], true
				}
			case attribute.STRINGSLICE:
				if s := v.AsStringSlice(); i < len(s) {
					v, ok = attribute.StringValue(s[i]), true
				}
			}
			continue
		}
		for _, kv := range v.AsMap() {
			if string(kv.Key) == step {
				v, ok = kv.Value, true
			}
		}
	}
	return v, ok
}

// render writes every value of a record as text, to look for secrets in.
func renderRecord(r sdklog.Record) string {
	var b strings.Builder
	b.WriteString(r.Body().Emit())
	r.WalkAttributes(func(kv attribute.KeyValue) bool {
		b.WriteString("\n" + string(kv.Key) + "=" + kv.Value.Emit())
		return true
	})
	return b.String()
}

func renderSpan(s tracetest.SpanStub) string {
	var b strings.Builder
	for _, kv := range s.Attributes {
		b.WriteString("\n" + string(kv.Key) + "=" + kv.Value.Emit())
	}
	for _, e := range s.Events {
		for _, kv := range e.Attributes {
			b.WriteString("\n" + e.Name + "." + string(kv.Key) + "=" + kv.Value.Emit())
		}
	}
	for _, l := range s.Links {
		for _, kv := range l.Attributes {
			b.WriteString("\nlink." + string(kv.Key) + "=" + kv.Value.Emit())
		}
	}
	b.WriteString("\nstatus=" + s.Status.Description)
	return b.String()
}
