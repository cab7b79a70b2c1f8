package observe

import (
	"google.golang.org/grpc"
	"google.golang.org/grpc/stats"

	"github.com/observe-go/observe/instrument"
)

// GRPCServerHandler returns [instrument.GRPCServerHandler] with t's
// providers and propagator, whether or not they are the globals: give it to
// grpc.StatsHandler, or use [Telemetry.GRPCServerOptions]. The access log
// goes to t's LoggerProvider, with the same level threshold as
// [Telemetry.Logger]. Options are passed on, and beat those defaults.
func (t *Telemetry) GRPCServerHandler(opts ...instrument.GRPCServerOption) stats.Handler {
	return instrument.GRPCServerHandler(append(t.grpcProviders(), opts...)...)
}

// GRPCServerOptions returns [instrument.GRPCServerOptions] with t's
// providers and propagator: the stats handler of
// [Telemetry.GRPCServerHandler] and the interceptors that send the request
// id back and record panics.
//
//	srv := grpc.NewServer(tel.GRPCServerOptions()...)
func (t *Telemetry) GRPCServerOptions(opts ...instrument.GRPCServerOption) []grpc.ServerOption {
	return instrument.GRPCServerOptions(append(t.grpcProviders(), opts...)...)
}

// GRPCClientHandler returns [instrument.GRPCClientHandler] with t's
// providers and propagator, for grpc.WithStatsHandler:
//
//	conn, err := grpc.NewClient(target, grpc.WithStatsHandler(tel.GRPCClientHandler()), ...)
//
// Options are passed on, and beat those defaults.
func (t *Telemetry) GRPCClientHandler(opts ...instrument.GRPCClientOption) stats.Handler {
	base := []instrument.GRPCClientOption{
		instrument.WithTracerProvider(t.tp),
		instrument.WithMeterProvider(t.mp),
		instrument.WithLoggerProvider(t.accessLog()),
		instrument.WithPropagator(t.propagator),
	}
	return instrument.GRPCClientHandler(append(base, opts...)...)
}

func (t *Telemetry) grpcProviders() []instrument.GRPCServerOption {
	return []instrument.GRPCServerOption{
		instrument.WithTracerProvider(t.tp),
		instrument.WithMeterProvider(t.mp),
		instrument.WithLoggerProvider(t.accessLog()),
		instrument.WithPropagator(t.propagator),
	}
}
