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
	attrs := [...]slog.Attr{
		slog.String(string(semconv.HTTPRouteKey), e.route),
		slog.Int(string(semconv.HTTPResponseStatusCodeKey), e.status),
		slog.Float64(durationMillisKey, e.millis()),
		slog.Int64(string(semconv.HTTPResponseBodySizeKey), e.written),
		slog.String(string(semconv.ErrorTypeKey), e.errType),
	}
	n := len(attrs)
	if e.errType == "" {
		n--
	}
	a.slog.LogAttrs(e.ctx, e.level, e.message(), attrs[:n]...)
}

// message is the record's message, "GET /users/42 200": the method, the
// path and the status. The attributes are the route, the status, the
// duration in milliseconds, the response body size and, on errors,
// error.type; the request id and the trace come from the context. With the
// request id that makes five attributes, which the Logs SDK keeps without
// an allocation of their own.
func (e *accessEntry) message() string {
	return e.method + " " + e.path + " " + statusText(e.status)
}

func (e *accessEntry) millis() float64 { return float64(e.elapsed.Microseconds()) / 1000 }

// emitDirect builds the record of e for the OpenTelemetry Logs API and
// emits it to e.logger.
func emitDirect(e *accessEntry) {
	var r log.Record
	r.SetTimestamp(e.time)
	r.SetSeverity(log.Severity(e.level + severityOffset))
	r.SetSeverityText(e.level.String())
	r.SetBody(attribute.StringValue(e.message()))
	attrs := [...]attribute.KeyValue{
		semconv.HTTPRouteKey.String(e.route),
		semconv.HTTPResponseStatusCodeKey.Int64(int64(e.status)),
		attribute.Float64(durationMillisKey, e.millis()),
		semconv.HTTPResponseBodySizeKey.Int64(e.written),
		semconv.ErrorTypeKey.String(e.errType),
	}
	n := len(attrs)
	if e.errType == "" {
		n--
	}
	r.AddAttributes(attrs[:n]...)
	e.logger.Emit(e.ctx, r)
}
