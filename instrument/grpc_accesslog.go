package instrument

import (
	"context"
	"log/slog"
	"strconv"
	"time"

	"go.opentelemetry.io/otel/attribute"
	semconv "go.opentelemetry.io/otel/semconv/v1.43.0"
	"google.golang.org/grpc/codes"
)

// rpcEntry is what the access log record of an RPC says.
type rpcEntry struct {
	// ctx is the RPC's context, for the trace and the processors.
	ctx        context.Context
	time       time.Time
	level      slog.Level
	fullMethod string // "/pkg.Service/Method", as the client sent it
	method     string // rpc.method: "pkg.Service/Method", or _OTHER
	original   string // rpc.method_original, when method is _OTHER
	code       codes.Code
	elapsed    time.Duration
	errType    string
	rid        string
}

// rpcAttrs is the most attributes a record gets from [rpcEntry.attributes].
const rpcAttrs = 6

// message is the record's message, "/pkg.Service/Method OK 1.2ms": the
// method, the status code and the duration.
func (e *rpcEntry) message() string {
	var buf [128]byte
	b := append(buf[:0], e.fullMethod...)
	b = append(b, ' ')
	b = append(b, e.code.String()...)
	b = append(b, ' ')
	b = appendDuration(b, e.elapsed)
	return string(b)
}

// appendDuration writes d for people: "312µs", "1.2ms", "2.35s".
func appendDuration(b []byte, d time.Duration) []byte {
	switch {
	case d < time.Millisecond:
		return append(strconv.AppendInt(b, d.Microseconds(), 10), "µs"...)
	case d < time.Second:
		return append(strconv.AppendFloat(b, float64(d)/float64(time.Millisecond), 'f', 1, 64), "ms"...)
	}
	return append(strconv.AppendFloat(b, d.Seconds(), 'f', 2, 64), 's')
}

// attributes fills buf with the record's attributes and returns them:
// rpc.system.name, rpc.method (and rpc.method_original for an unknown
// method), rpc.response.status_code, duration_ms and, on errors,
// error.type. The request id and the trace come from the context.
func (e *rpcEntry) attributes(buf *[rpcAttrs]attribute.KeyValue) []attribute.KeyValue {
	buf[0] = semconv.RPCSystemNameGRPC
	buf[1] = semconv.RPCMethod(e.method)
	n := 2
	if e.original != "" {
		buf[n] = semconv.RPCMethodOriginal(e.original)
		n++
	}
	buf[n] = semconv.RPCResponseStatusCode(codeName(e.code))
	buf[n+1] = attribute.Float64(durationMillisKey, float64(e.elapsed.Microseconds())/1000)
	n += 2
	if e.errType != "" {
		buf[n] = semconv.ErrorTypeKey.String(e.errType)
		n++
	}
	return buf[:n]
}

// writeRPC emits the record of e, as [accessLog.write] does for HTTP. It
// is called while the RPC's span is open.
func (a *accessLog) writeRPC(e *rpcEntry) {
	var kvs [rpcAttrs]attribute.KeyValue
	a.emit(e.ctx, e.time, e.level, e.message(), e.attributes(&kvs), e.rid)
}
