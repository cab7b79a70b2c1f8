package instrument

import (
	"context"

	"go.opentelemetry.io/contrib/instrumentation/google.golang.org/grpc/otelgrpc"
	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/propagation"
	"go.opentelemetry.io/otel/trace"
	"google.golang.org/grpc/stats"

	"github.com/observe-go/observe/internal/requestid"
)

// GRPCClientHandler returns a gRPC stats handler for clients
// (grpc.WithStatsHandler) that gives every RPC, following the RPC semantic
// conventions, a CLIENT span from contrib's otelgrpc named
// "pkg.Service/Method" with rpc.system.name, rpc.method,
// rpc.response.status_code, server.address, server.port and the context's
// request id as observe.request_id (status Error for every code but OK),
// and the metric rpc.client.call.duration (seconds). The trace context goes
// out in the call's metadata, and so does the context's request id (see
// [RequestIDFromContext]) as x-request-id, unless the call's outgoing
// metadata has one already or [WithoutRequestIDPropagation] is given,
// so that a server instrumented with [GRPCServerHandler] keeps it.
//
// Calls to the health checking and reflection services are left out (see
// [WithGRPCHealthAndReflection]).
func GRPCClientHandler(opts ...GRPCClientOption) stats.Handler {
	c := newGRPCClientConfig(opts)
	tp, mp, prop := c.providers.resolve()
	if !c.noRequestID {
		prop = propagation.NewCompositeTextMapPropagator(prop, requestIDPropagator{})
	}
	return &grpcClient{
		next: otelgrpc.NewClientHandler(
			otelgrpc.WithTracerProvider(tp),
			otelgrpc.WithMeterProvider(mp),
			otelgrpc.WithPropagators(prop),
		),
		filter: c.grpcFilter,
	}
}

// grpcClient adds the request id to otelgrpc's client handler, and leaves
// the filtered calls out.
type grpcClient struct {
	next   stats.Handler
	filter grpcFilter
}

// clientRecordedKey marks the context of a call: true when it is recorded,
// false when a filter left it out. The mark sits on top of the context, so
// that the stats of the call find it at once.
type clientRecordedKey struct{}

func (h *grpcClient) TagConn(ctx context.Context, info *stats.ConnTagInfo) context.Context {
	return h.next.TagConn(ctx, info)
}

func (h *grpcClient) HandleConn(ctx context.Context, s stats.ConnStats) { h.next.HandleConn(ctx, s) }

func (h *grpcClient) TagRPC(ctx context.Context, info *stats.RPCTagInfo) context.Context {
	if h.filter.skip(info) {
		return context.WithValue(ctx, clientRecordedKey{}, false)
	}
	ctx = h.next.TagRPC(ctx, info)
	if rid := requestid.FromContext(ctx); rid != "" {
		if span := trace.SpanFromContext(ctx); span.IsRecording() {
			span.SetAttributes(attribute.String(RequestIDAttribute, rid))
		}
	}
	return context.WithValue(ctx, clientRecordedKey{}, true)
}

func (h *grpcClient) HandleRPC(ctx context.Context, s stats.RPCStats) {
	// Without the mark, otelgrpc would take the caller's span for the
	// call's and end it.
	if recorded, _ := ctx.Value(clientRecordedKey{}).(bool); recorded {
		h.next.HandleRPC(ctx, s)
	}
}

// requestIDPropagator writes the context's request id into the outgoing
// metadata that otelgrpc has merged, unless it holds one already. It reads
// nothing: the server side reads x-request-id itself.
type requestIDPropagator struct{}

func (requestIDPropagator) Inject(ctx context.Context, carrier propagation.TextMapCarrier) {
	if id := requestid.FromContext(ctx); id != "" && carrier.Get(RequestIDMetadataKey) == "" {
		carrier.Set(RequestIDMetadataKey, id)
	}
}

func (requestIDPropagator) Extract(ctx context.Context, _ propagation.TextMapCarrier) context.Context {
	return ctx
}

func (requestIDPropagator) Fields() []string { return []string{RequestIDMetadataKey} }
