package bridge_test

import (
	"context"
	"log/slog"

	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/log"
	"go.opentelemetry.io/otel/log/embedded"
	"go.opentelemetry.io/otel/log/logtest"
	"go.opentelemetry.io/otel/trace"

	"github.com/observe-go/observe/internal/requestid"
)

// Fixed ids for contexts that carry a span without a tracer.
var (
	traceID = trace.TraceID{0x4b, 0xf9, 0x2f, 0x35, 0x77, 0xb3, 0x4d, 0xa6, 0xa3, 0xce, 0x92, 0x9d, 0x0e, 0x0e, 0x47, 0x36}
	spanID  = trace.SpanID{0x00, 0xf0, 0x67, 0xaa, 0x0b, 0xa9, 0x02, 0xb7}
)

// spanContext returns ctx with a remote span context of the fixed ids.
func spanContext(ctx context.Context) context.Context {
	return trace.ContextWithSpanContext(ctx, trace.NewSpanContext(trace.SpanContextConfig{
		TraceID: traceID, SpanID: spanID, TraceFlags: trace.FlagsSampled,
	}))
}

// records returns every record the recorder holds, whatever its scope.
func records(rec *logtest.Recorder) []logtest.Record {
	var out []logtest.Record
	for _, rs := range rec.Result() {
		out = append(out, rs...)
	}
	return out
}

// recordMap turns a recorded OpenTelemetry record into the map
// testing/slogtest reads: time, level, msg and the attributes, groups as
// nested maps.
func recordMap(r logtest.Record) map[string]any {
	m := map[string]any{
		slog.LevelKey:   slog.Level(r.Severity - log.SeverityInfo),
		slog.MessageKey: r.Body.AsString(),
	}
	if !r.Timestamp.IsZero() {
		m[slog.TimeKey] = r.Timestamp
	}
	for _, kv := range r.Attributes {
		m[string(kv.Key)] = value(kv.Value)
	}
	return m
}

func value(v attribute.Value) any {
	if v.Type() != attribute.MAP {
		return v.AsInterface()
	}
	m := map[string]any{}
	for _, kv := range v.AsMap() {
		m[string(kv.Key)] = value(kv.Value)
	}
	return m
}

// attr returns the value of the top-level attribute key, and whether the
// record has it.
func attr(r logtest.Record, key string) (attribute.Value, bool) {
	for _, kv := range r.Attributes {
		if string(kv.Key) == key {
			return kv.Value, true
		}
	}
	return attribute.Value{}, false
}

// ctxHandler hands every record to next with a fixed context, so that
// testing/slogtest, which logs without one, runs with correlation ids.
type ctxHandler struct {
	ctx  context.Context
	next slog.Handler
}

func (h ctxHandler) Enabled(_ context.Context, l slog.Level) bool { return h.next.Enabled(h.ctx, l) }
func (h ctxHandler) Handle(_ context.Context, r slog.Record) error {
	return h.next.Handle(h.ctx, r)
}
func (h ctxHandler) WithAttrs(a []slog.Attr) slog.Handler {
	return ctxHandler{h.ctx, h.next.WithAttrs(a)}
}
func (h ctxHandler) WithGroup(n string) slog.Handler { return ctxHandler{h.ctx, h.next.WithGroup(n)} }

// contexts are the contexts every correlation test runs with.
func contexts() []struct {
	name            string
	ctx             context.Context
	span, requestID bool
} {
	bg := context.Background()
	return []struct {
		name            string
		ctx             context.Context
		span, requestID bool
	}{
		{"no ids", bg, false, false},
		{"span", spanContext(bg), true, false},
		{"request id", requestid.NewContext(bg, "req-42"), false, true},
		{"span and request id", requestid.NewContext(spanContext(bg), "req-42"), true, true},
	}
}

// discardProvider is an API LoggerProvider whose loggers accept every
// record and keep none, for benchmarks and allocation tests.
type discardProvider struct{ embedded.LoggerProvider }

func (discardProvider) Logger(string, ...log.LoggerOption) log.Logger { return discardLogger{} }

type discardLogger struct{ embedded.Logger }

func (discardLogger) Emit(context.Context, log.Record)                    {}
func (discardLogger) Enabled(context.Context, log.EnabledParameters) bool { return true }
