package instrument

import (
	"context"
	"log/slog"
	"time"

	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/log"
	semconv "go.opentelemetry.io/otel/semconv/v1.43.0"

	"github.com/observe-go/observe/internal/logbridge"
)

// accessEntry is what the access log record of a request says.
type accessEntry struct {
	// ctx is the request's context, for the trace, the request id and
	// the processors.
	ctx context.Context
	// logger is the logger the record goes to when it is not logged
	// through slog.
	logger  log.Logger
	time    time.Time
	level   slog.Level
	method  string
	path    string
	route   string
	status  int
	elapsed time.Duration
	written int64
	errType string
}

// Keys of the access log attributes that no semantic convention names.
const durationMillisKey = "duration_ms"

// accessLog writes the access log. When the logger is observe's own slog
// handler with nothing added to it, records are built for the OpenTelemetry
// Logs API directly, which spares slog's record, its caller lookup and the
// conversion; they come out as the slog path would make them.
//
// When that logger's provider belongs to observe's Telemetry and no console
// prints records as they come, records are queued instead and built and
// emitted on another goroutine within a few milliseconds; the Telemetry's
// ForceFlush and Shutdown emit those still waiting first.
type accessLog struct {
	slog      *slog.Logger
	direct    log.Logger
	level     slog.Leveler
	queue     *logbridge.Queue[accessEntry]
	spanLevel func(context.Context, log.Severity)
}

func newAccessLog(l *slog.Logger) *accessLog {
	t, ok := logbridge.Resolve(l.Handler())
	if !ok {
		return &accessLog{slog: l}
	}
	a := &accessLog{direct: t.Logger, level: t.Level, spanLevel: t.SpanLevel}
	if d := logbridge.DeferralOf(t.Provider); d != nil {
		a.queue = logbridge.QueueOf(d, ScopeName+"/access", emitDirect)
	}
	return a
}

// severityOffset maps slog levels onto OpenTelemetry severities, as the
// contrib slog bridge does: INFO is 9, ERROR 17.
const severityOffset = slog.Level(log.SeverityDebug) - slog.LevelDebug

func (a *accessLog) enabled(ctx context.Context, l slog.Level) bool {
	if a.direct == nil {
		return a.slog.Enabled(ctx, l)
	}
	return l >= a.level.Level() && a.direct.Enabled(ctx, log.EnabledParameters{Severity: log.Severity(l + severityOffset)})
}

// write has e emitted, now or from the queue. It is called while the
// request's span is open.
func (a *accessLog) write(e *accessEntry) {
	e.logger = a.direct
	if a.queue != nil {
		if a.spanLevel != nil {
			a.spanLevel(e.ctx, log.Severity(e.level+severityOffset))
		}
		if a.queue.Add(e) {
			return
		}
	}
	a.emit(e)
}

// emit emits e, through slog unless the logger is observe's bridge.
func (a *accessLog) emit(e *accessEntry) {
	if a.direct != nil {
		emitDirect(e)
		return
	}
	var kvs [accessAttrs]attribute.KeyValue
	var attrs [accessAttrs]slog.Attr
	n := 0
	for _, kv := range e.attributes(&kvs) {
		attrs[n] = slog.Attr{Key: string(kv.Key), Value: slogValue(kv.Value)}
		n++
	}
	a.slog.LogAttrs(e.ctx, e.level, e.message(), attrs[:n]...)
}

// emitDirect builds the record of e for the OpenTelemetry Logs API and
// emits it to e.logger.
func emitDirect(e *accessEntry) {
	var r log.Record
	r.SetTimestamp(e.time)
	r.SetSeverity(log.Severity(e.level + severityOffset))
	r.SetSeverityText(e.level.String())
	r.SetBody(attribute.StringValue(e.message()))
	var kvs [accessAttrs]attribute.KeyValue
	r.AddAttributes(e.attributes(&kvs)...)
	e.logger.Emit(e.ctx, r)
}

// message is the record's message, "GET /users/42 200": the method, the
// path and the status.
func (e *accessEntry) message() string {
	return e.method + " " + e.path + " " + statusText(e.status)
}

// accessAttrs is the most attributes a record gets from [accessEntry.attributes].
const accessAttrs = 5

// attributes fills buf with the record's attributes and returns them: the
// route, the status, the duration in milliseconds, the response body size
// and, on errors, error.type. The request id and the trace come from the
// context. With the request id that makes five attributes, which the Logs
// SDK keeps without an allocation of their own.
func (e *accessEntry) attributes(buf *[accessAttrs]attribute.KeyValue) []attribute.KeyValue {
	*buf = [accessAttrs]attribute.KeyValue{
		semconv.HTTPRouteKey.String(e.route),
		semconv.HTTPResponseStatusCodeKey.Int64(int64(e.status)),
		attribute.Float64(durationMillisKey, float64(e.elapsed.Microseconds())/1000),
		semconv.HTTPResponseBodySizeKey.Int64(e.written),
		semconv.ErrorTypeKey.String(e.errType),
	}
	if e.errType == "" {
		return buf[:accessAttrs-1]
	}
	return buf[:]
}

// slogValue converts the scalar attribute values of [accessEntry.attributes]
// into slog values of the same kind.
func slogValue(v attribute.Value) slog.Value {
	switch v.Type() {
	case attribute.INT64:
		return slog.Int64Value(v.AsInt64())
	case attribute.FLOAT64:
		return slog.Float64Value(v.AsFloat64())
	case attribute.BOOL:
		return slog.BoolValue(v.AsBool())
	case attribute.STRING:
		return slog.StringValue(v.AsString())
	}
	return slog.AnyValue(v.AsInterface())
}
