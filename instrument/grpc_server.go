package instrument

import (
	"context"
	"fmt"
	"log/slog"
	"sync/atomic"
	"time"

	"go.opentelemetry.io/contrib/instrumentation/google.golang.org/grpc/otelgrpc"
	"go.opentelemetry.io/otel"
	"go.opentelemetry.io/otel/attribute"
	otelcodes "go.opentelemetry.io/otel/codes"
	"go.opentelemetry.io/otel/metric"
	"go.opentelemetry.io/otel/propagation"
	semconv "go.opentelemetry.io/otel/semconv/v1.43.0"
	"go.opentelemetry.io/otel/semconv/v1.43.0/rpcconv"
	"go.opentelemetry.io/otel/trace"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/metadata"
	"google.golang.org/grpc/stats"
	"google.golang.org/grpc/status"
)

// RequestIDMetadataKey is the gRPC metadata key that carries the request
// id, read from the incoming call and sent back in the response header.
const RequestIDMetadataKey = "x-request-id"

// GRPCServerHandler returns a gRPC stats handler for servers
// (grpc.StatsHandler) that gives every RPC, following the RPC semantic
// conventions:
//
//   - a SERVER span from contrib's otelgrpc, named "pkg.Service/Method",
//     continuing the trace of the incoming metadata, with rpc.system.name,
//     rpc.method, rpc.response.status_code, server.address, server.port,
//     and, from observe, the request id as observe.request_id and
//     error.type on errors; status Error for the codes the conventions
//     count as server errors (Unknown, DeadlineExceeded, Unimplemented,
//     Internal, Unavailable, DataLoss). A streaming RPC gets one span for
//     the whole stream, without message events;
//   - the metric rpc.server.call.duration (seconds) with bounded
//     attributes: rpc.system.name, rpc.method, rpc.response.status_code and
//     error.type;
//   - a request id: a well-formed incoming x-request-id (1 to 128 letters,
//     digits, '-', '_', '.', ':') is kept, otherwise a new UUID is made; it
//     is put in the RPC's context ([RequestIDFromContext] returns it, and
//     observe's log bridge adds it to every record logged with that
//     context) and on the span;
//   - one access log record, "/pkg.Service/Method OK 1.2ms", at ERROR for
//     the server-error codes above (and panics) and INFO otherwise, with
//     rpc.system.name, rpc.method, rpc.response.status_code, duration_ms,
//     error.type on errors and the request id, emitted with the RPC's
//     context while its span is open.
//
// A call to a method the server does not have is recorded as the
// conventions ask, which otelgrpc alone does not do: rpc.method is _OTHER
// (the name the client sent is in rpc.method_original on the span), the
// span is named "grpc", and it ends with the Unimplemented answer.
//
// A stats handler cannot write response metadata nor see a handler panic:
// install [GRPCUnaryServerInterceptor] and [GRPCStreamServerInterceptor]
// as well (or use [GRPCServerOptions], which gives all three) to send the
// request id back in the x-request-id response header and to record
// panics on the span.
//
// Calls to the health checking and reflection services are left out (see
// [WithGRPCHealthAndReflection]). The variable OTEL_SEMCONV_STABILITY_OPT_IN
// is read by otelgrpc: rpc/old or rpc/dup bring back the older
// rpc.server.duration metric and attributes.
func GRPCServerHandler(opts ...GRPCServerOption) stats.Handler {
	c := newGRPCServerConfig(opts)
	tp, mp, prop := c.providers.resolve()
	h := &grpcServer{
		next: otelgrpc.NewServerHandler(
			otelgrpc.WithTracerProvider(tp),
			otelgrpc.WithMeterProvider(mp),
			otelgrpc.WithPropagators(prop),
		),
		filter: c.grpcFilter,
	}
	// Calls to unknown methods go to the instrument otelgrpc records into,
	// made the same way, so that they are one metric stream.
	meter := mp.Meter(otelgrpc.ScopeName,
		metric.WithInstrumentationVersion(otelgrpc.Version),
		metric.WithSchemaURL(semconv.SchemaURL))
	d, err := rpcconv.NewServerCallDuration(meter, metric.WithExplicitBucketBoundaries(otelgrpcBuckets...))
	if err != nil {
		otel.Handle(fmt.Errorf("instrument: gRPC server metrics: %w", err))
	}
	h.unknown = d.Inst()
	if !c.noLog {
		h.alog = &accessLog{slog: c.logger}
		if c.logger == nil {
			h.alog = &accessLog{direct: c.providers.logger()}
		}
	}
	return h
}

// otelgrpcBuckets are the bucket boundaries otelgrpc gives its duration
// histograms.
var otelgrpcBuckets = []float64{0.005, 0.01, 0.025, 0.05, 0.075, 0.1, 0.25, 0.5, 0.75, 1, 2.5, 5, 7.5, 10}

// unknownMetricSet is the attribute set of a call to an unknown method.
var unknownMetricSet = metric.WithAttributeSet(attribute.NewSet(
	semconv.RPCSystemNameGRPC,
	semconv.RPCMethod(otherMethod),
	semconv.RPCResponseStatusCode(codeName(codes.Unimplemented)),
	semconv.ErrorTypeKey.String(codeName(codes.Unimplemented)),
))

// otherMethod is rpc.method for a method the server does not know.
const otherMethod = "_OTHER"

// resolve returns the providers of p, the globals for those unset.
func (p providers) resolve() (trace.TracerProvider, metric.MeterProvider, propagation.TextMapPropagator) {
	tp, mp, prop := p.tp, p.mp, p.propagator
	if tp == nil {
		tp = otel.GetTracerProvider()
	}
	if mp == nil {
		mp = otel.GetMeterProvider()
	}
	if prop == nil {
		prop = otel.GetTextMapPropagator()
	}
	return tp, mp, prop
}

// grpcServer adds observe's request id, access log and unknown-method
// handling to otelgrpc's server handler.
type grpcServer struct {
	next    stats.Handler
	filter  grpcFilter
	alog    *accessLog
	unknown metric.Float64Histogram
}

type serverRPCKey struct{}

// serverRPC is the state of one RPC. One allocation holds it and the two
// context layers observe adds: the request id, then the state itself.
type serverRPC struct {
	req        requestState
	ctx        rpcContext
	fullMethod string
	rid        string
	start      time.Time
	// began is set by stats.Begin, which grpc-go only sends for methods
	// the server has.
	began atomic.Bool
	// panicType is set by the interceptors when the handler panicked; it
	// is written and read on the RPC's goroutine.
	panicType string
}

// rpcContext is the context the handler's RPC runs with: it answers
// serverRPCKey with its RPC.
type rpcContext struct {
	context.Context
	rpc *serverRPC
}

func (c *rpcContext) Value(k any) any {
	if _, ok := k.(serverRPCKey); ok {
		return c.rpc
	}
	return c.Context.Value(k)
}

// String describes c, as the contexts of package context describe
// themselves.
func (c *rpcContext) String() string {
	return fmt.Sprintf("%v.WithValue(gRPC call %s)", c.Context, c.rpc.fullMethod)
}

func serverRPCFrom(ctx context.Context) *serverRPC {
	rpc, _ := ctx.Value(serverRPCKey{}).(*serverRPC)
	return rpc
}

func (h *grpcServer) TagConn(ctx context.Context, info *stats.ConnTagInfo) context.Context {
	return h.next.TagConn(ctx, info)
}

func (h *grpcServer) HandleConn(ctx context.Context, s stats.ConnStats) { h.next.HandleConn(ctx, s) }

func (h *grpcServer) TagRPC(ctx context.Context, info *stats.RPCTagInfo) context.Context {
	if h.filter.skip(info) {
		return ctx
	}
	rpc := &serverRPC{fullMethod: info.FullMethodName, start: time.Now()}
	if v := metadata.ValueFromIncomingContext(ctx, RequestIDMetadataKey); len(v) > 0 && ValidRequestID(v[0]) {
		rpc.rid = v[0]
	} else {
		rpc.rid = rpc.req.newRequestID()
	}
	rpc.req.ctx.Init(ctx, rpc.rid)
	ctx = h.next.TagRPC(&rpc.req.ctx, info)
	if span := trace.SpanFromContext(ctx); span.IsRecording() {
		span.SetAttributes(attribute.String(RequestIDAttribute, rpc.rid))
	}
	rpc.ctx = rpcContext{Context: ctx, rpc: rpc}
	return &rpc.ctx
}

func (h *grpcServer) HandleRPC(ctx context.Context, s stats.RPCStats) {
	rpc := serverRPCFrom(ctx)
	if rpc == nil {
		return
	}
	switch s := s.(type) {
	case *stats.Begin:
		rpc.began.Store(true)
	case *stats.OutTrailer:
		// grpc-go answers a call to a method it does not have with
		// Unimplemented, before Begin and without End.
		if !rpc.began.Load() {
			h.endUnknown(ctx, rpc)
			return
		}
	case *stats.End:
		h.end(ctx, rpc, s)
	}
	h.next.HandleRPC(ctx, s)
}

// end records what observe adds at the end of a known RPC, while its span
// is still open; otelgrpc ends the span next.
func (h *grpcServer) end(ctx context.Context, rpc *serverRPC, s *stats.End) {
	code := codes.OK
	if s.Error != nil {
		code = status.Code(s.Error)
	}
	errType := rpc.panicType
	failed := serverError(code)
	if errType == "" && failed {
		errType = codeName(code)
	}
	if errType != "" {
		if span := trace.SpanFromContext(ctx); span.IsRecording() {
			span.SetAttributes(semconv.ErrorTypeKey.String(errType))
		}
	}
	if h.alog == nil {
		return
	}
	level := slog.LevelInfo
	if failed || rpc.panicType != "" {
		level = slog.LevelError
	}
	if !h.alog.enabled(ctx, level) {
		return
	}
	h.alog.writeRPC(&rpcEntry{
		ctx: ctx, time: s.EndTime, level: level, fullMethod: rpc.fullMethod,
		method: trimSlash(rpc.fullMethod), code: code, elapsed: s.EndTime.Sub(s.BeginTime),
		errType: errType, rid: rpc.rid,
	})
}

// endUnknown ends a call to a method the server does not have: otelgrpc
// never sees it end, and would name it by whatever the client sent.
func (h *grpcServer) endUnknown(ctx context.Context, rpc *serverRPC) {
	now := time.Now()
	elapsed := now.Sub(rpc.start)
	code := codes.Unimplemented
	span := trace.SpanFromContext(ctx)
	if span.IsRecording() {
		span.SetName(semconv.RPCSystemNameGRPC.Value.AsString())
		span.SetAttributes(
			semconv.RPCMethod(otherMethod),
			semconv.RPCMethodOriginal(trimSlash(rpc.fullMethod)),
			semconv.RPCResponseStatusCode(codeName(code)),
			semconv.ErrorTypeKey.String(codeName(code)),
		)
		span.SetStatus(otelcodes.Error, "unknown method")
	}
	if h.unknown.Enabled(ctx) {
		h.unknown.Record(ctx, elapsed.Seconds(), unknownMetricSet)
	}
	if h.alog != nil && h.alog.enabled(ctx, slog.LevelError) {
		h.alog.writeRPC(&rpcEntry{
			ctx: ctx, time: now, level: slog.LevelError, fullMethod: rpc.fullMethod,
			method: otherMethod, original: trimSlash(rpc.fullMethod), code: code, elapsed: elapsed,
			errType: codeName(code), rid: rpc.rid,
		})
	}
	span.End()
}

// serverError reports whether a server answering code failed, as the RPC
// conventions for gRPC count it: the other codes are the client's doing.
func serverError(code codes.Code) bool {
	switch code {
	case codes.Unknown, codes.DeadlineExceeded, codes.Unimplemented,
		codes.Internal, codes.Unavailable, codes.DataLoss:
		return true
	}
	return false
}

var codeNames = [...]string{
	codes.OK:                 "OK",
	codes.Canceled:           "CANCELLED",
	codes.Unknown:            "UNKNOWN",
	codes.InvalidArgument:    "INVALID_ARGUMENT",
	codes.DeadlineExceeded:   "DEADLINE_EXCEEDED",
	codes.NotFound:           "NOT_FOUND",
	codes.AlreadyExists:      "ALREADY_EXISTS",
	codes.PermissionDenied:   "PERMISSION_DENIED",
	codes.ResourceExhausted:  "RESOURCE_EXHAUSTED",
	codes.FailedPrecondition: "FAILED_PRECONDITION",
	codes.Aborted:            "ABORTED",
	codes.OutOfRange:         "OUT_OF_RANGE",
	codes.Unimplemented:      "UNIMPLEMENTED",
	codes.Internal:           "INTERNAL",
	codes.Unavailable:        "UNAVAILABLE",
	codes.DataLoss:           "DATA_LOSS",
	codes.Unauthenticated:    "UNAUTHENTICATED",
}

// codeName returns the name the conventions give a status code in
// rpc.response.status_code and error.type ("OK", "NOT_FOUND"...), as
// otelgrpc does.
func codeName(code codes.Code) string {
	if int(code) < len(codeNames) {
		return codeNames[code]
	}
	return fmt.Sprintf("CODE(%d)", uint32(code))
}

func trimSlash(fullMethod string) string {
	if len(fullMethod) > 0 && fullMethod[0] == '/' {
		return fullMethod[1:]
	}
	return fullMethod
}

// header returns the response header that carries the RPC's request id.
func (rpc *serverRPC) header() metadata.MD {
	return metadata.MD{RequestIDMetadataKey: []string{rpc.rid}}
}
