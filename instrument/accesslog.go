package instrument

import (
	"context"
	"log/slog"
	"time"
	"unsafe"

	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/log"
	semconv "go.opentelemetry.io/otel/semconv/v1.43.0"
	"go.opentelemetry.io/otel/trace"

	"github.com/observe-go/observe/internal/keys"
)

// accessEntry is what the access log record of a request says.
type accessEntry struct {
	// ctx is the request's context, for the trace and the processors.
	ctx     context.Context
	time    time.Time
	level   slog.Level
	method  string
	path    string
	route   string
	rid     string
	status  int
	elapsed time.Duration
	written int64
	errType string
	// msgBuf, when not nil, is where the message is built if it fits:
	// memory of the request's own, written once and never reused.
	msgBuf *[accessMessageSize]byte
}

// accessMessageSize is the room for an access-log message in the state
// of a request: "METHOD path status" with a path of up to about 40 bytes.
const accessMessageSize = 56

// Keys of the access log attributes that no semantic convention names.
const durationMillisKey = "duration_ms"

// accessLog writes the access log: through the slog logger given with
// WithLogger, or else as OpenTelemetry log records built directly for the
// Logs API, which spares slog's record, its caller lookup and the
// conversion. Records are emitted while the request's span is open, with
// the request's context, so every processor sees a live context and the
// console prints them inside their span.
type accessLog struct {
	slog   *slog.Logger
	direct log.Logger
}

func newAccessLog(c serverConfig) *accessLog {
	if c.logger != nil {
		return &accessLog{slog: c.logger}
	}
	return &accessLog{direct: c.providers.logger()}
}

// severityOffset maps slog levels onto OpenTelemetry severities, as the
// contrib slog bridge does: INFO is 9, ERROR 17.
const severityOffset = slog.Level(log.SeverityDebug) - slog.LevelDebug

func (a *accessLog) enabled(ctx context.Context, l slog.Level) bool {
	if a.direct == nil {
		return a.slog.Enabled(ctx, l)
	}
	return a.direct.Enabled(ctx, log.EnabledParameters{Severity: log.Severity(l + severityOffset)})
}

var spanLevelError = attribute.String(keys.SpanLevel, "error")

// write emits the record of e. It is called while the request's span is
// open.
func (a *accessLog) write(e *accessEntry) {
	var kvs [accessAttrs]attribute.KeyValue
	a.emit(e.ctx, e.time, e.level, e.message(), e.attributes(&kvs), e.rid)
}

// maxRecordAttrs is the most attributes an access-log record of this
// package carries, besides the request id.
const maxRecordAttrs = max(accessAttrs, rpcAttrs)

// emit sends one access-log record: through the slog logger given with
// WithLogger, or as a record built for the Logs API with the request id
// added (the slog handler adds it from ctx). It is called while the span
// of ctx is open.
func (a *accessLog) emit(ctx context.Context, t time.Time, level slog.Level, msg string, kvs []attribute.KeyValue, rid string) {
	if a.direct == nil {
		var attrs [maxRecordAttrs]slog.Attr
		for i, kv := range kvs {
			attrs[i] = slog.Attr{Key: string(kv.Key), Value: slogValue(kv.Value)}
		}
		a.slog.LogAttrs(ctx, level, msg, attrs[:len(kvs)]...)
		return
	}
	if level >= slog.LevelError {
		// As a record logged through observe's slog handler would, an
		// error marks its span.
		if span := trace.SpanFromContext(ctx); span.IsRecording() {
			span.SetAttributes(spanLevelError)
		}
	}
	var r log.Record
	r.SetTimestamp(t)
	// The record is observed as it is made, at the end of the request:
	// setting it spares the SDK a clock read.
	r.SetObservedTimestamp(t)
	r.SetSeverity(log.Severity(level + severityOffset))
	r.SetSeverityText(level.String())
	r.SetBody(attribute.StringValue(msg))
	r.AddAttributes(kvs...)
	r.AddAttributes(attribute.String(RequestIDAttribute, rid))
	a.direct.Emit(ctx, r)
}

// message is the record's message, "GET /users/42 200": the method, the
// path and the status.
func (e *accessEntry) message() string {
	status := statusText(e.status)
	if e.msgBuf == nil || len(e.method)+len(e.path)+len(status)+2 > len(e.msgBuf) {
		return e.method + " " + e.path + " " + status
	}
	b := append(e.msgBuf[:0], e.method...)
	b = append(b, ' ')
	b = append(b, e.path...)
	b = append(b, ' ')
	b = append(b, status...)
	// The bytes are never written again, so the string may share them.
	return unsafe.String(&b[0], len(b))
}

// accessAttrs is the most attributes a record gets from [accessEntry.attributes].
const accessAttrs = 5

// attributes fills buf with the record's attributes and returns them: the
// route (when a pattern matched), the status, the duration in milliseconds,
// the response body size and, on errors, error.type. The request id and the
// trace come from the context.
func (e *accessEntry) attributes(buf *[accessAttrs]attribute.KeyValue) []attribute.KeyValue {
	n := 0
	if e.route != "" {
		buf[n] = semconv.HTTPRouteKey.String(e.route)
		n++
	}
	buf[n] = semconv.HTTPResponseStatusCodeKey.Int64(int64(e.status))
	buf[n+1] = attribute.Float64(durationMillisKey, float64(e.elapsed.Microseconds())/1000)
	buf[n+2] = semconv.HTTPResponseBodySizeKey.Int64(e.written)
	n += 3
	if e.errType != "" {
		buf[n] = semconv.ErrorTypeKey.String(e.errType)
		n++
	}
	return buf[:n]
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
