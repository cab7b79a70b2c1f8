package instrument

import (
	"context"
	"fmt"
	"runtime/debug"

	otelcodes "go.opentelemetry.io/otel/codes"
	semconv "go.opentelemetry.io/otel/semconv/v1.43.0"
	"go.opentelemetry.io/otel/trace"
	"google.golang.org/grpc"
)

// GRPCServerOptions returns the server options that instrument a gRPC
// server completely: [GRPCServerHandler] with opts as its stats handler,
// and [GRPCUnaryServerInterceptor] and [GRPCStreamServerInterceptor]
// chained after the interceptors given before them:
//
//	srv := grpc.NewServer(instrument.GRPCServerOptions()...)
//
// Give a recovery interceptor before these options, so that it wraps
// observe's: observe records the panic, then the recovery answers it.
func GRPCServerOptions(opts ...GRPCServerOption) []grpc.ServerOption {
	return []grpc.ServerOption{
		grpc.StatsHandler(GRPCServerHandler(opts...)),
		grpc.ChainUnaryInterceptor(GRPCUnaryServerInterceptor()),
		grpc.ChainStreamInterceptor(GRPCStreamServerInterceptor()),
	}
}

// GRPCUnaryServerInterceptor returns the interceptor that does, for unary
// RPCs, what [GRPCServerHandler] cannot do from a stats handler:
//
//   - it sets the RPC's request id as the x-request-id response header;
//   - when the handler panics, it adds an exception event with the stack
//     to the RPC's span, sets the span's status to Error and makes the
//     access log record an ERROR with the panic's type as error.type, then
//     panics again with the same value.
//
// A panic goes on as it would without observe: grpc-go does not recover
// from panics, so without a recovery interceptor in front of this one the
// process ends (and what was not exported yet with it); with one, the RPC
// ends with the code the recovery answers, and the span and the access log
// show both the panic and that code.
//
// The interceptor works with the stats handler of the same server, and
// passes RPCs it did not instrument (filtered ones, or no handler) through
// untouched.
func GRPCUnaryServerInterceptor() grpc.UnaryServerInterceptor {
	return unaryServerInterceptor
}

// GRPCStreamServerInterceptor returns the interceptor that does for
// streaming RPCs what [GRPCUnaryServerInterceptor] does for unary ones.
func GRPCStreamServerInterceptor() grpc.StreamServerInterceptor {
	return streamServerInterceptor
}

func unaryServerInterceptor(ctx context.Context, req any, _ *grpc.UnaryServerInfo, handler grpc.UnaryHandler) (any, error) {
	rpc := serverRPCFrom(ctx)
	if rpc == nil {
		return handler(ctx, req)
	}
	// An error means the header was sent already, by an interceptor in
	// front of this one: there is nothing left to do about it.
	_ = grpc.SetHeader(ctx, rpc.header())
	defer rpc.repanic(ctx)
	return handler(ctx, req)
}

func streamServerInterceptor(srv any, ss grpc.ServerStream, _ *grpc.StreamServerInfo, handler grpc.StreamHandler) error {
	ctx := ss.Context()
	rpc := serverRPCFrom(ctx)
	if rpc == nil {
		return handler(srv, ss)
	}
	_ = ss.SetHeader(rpc.header())
	defer rpc.repanic(ctx)
	return handler(srv, ss)
}

// repanic records a panic of the handler, if any, and panics again. It
// must be deferred directly, for recover to see the panic.
func (rpc *serverRPC) repanic(ctx context.Context) {
	p := recover()
	if p == nil {
		return
	}
	rpc.panicType = fmt.Sprintf("%T", p)
	span := trace.SpanFromContext(ctx)
	span.AddEvent(semconv.ExceptionEventName, trace.WithAttributes(
		semconv.ExceptionType(rpc.panicType),
		semconv.ExceptionMessage(fmt.Sprint(p)),
		semconv.ExceptionStacktrace(string(debug.Stack())),
	))
	span.SetStatus(otelcodes.Error, "")
	panic(p)
}
