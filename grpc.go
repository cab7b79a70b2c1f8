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
	return instrument.GRPCServerHandler(withProviders(t, opts)...)
}

// GRPCServerOptions returns [instrument.GRPCServerOptions] with t's
// providers and propagator: the stats handler of
// [Telemetry.GRPCServerHandler] and the interceptors that send the request
// id back and record panics.
//
//	srv := grpc.NewServer(tel.GRPCServerOptions()...)
func (t *Telemetry) GRPCServerOptions(opts ...instrument.GRPCServerOption) []grpc.ServerOption {
	return instrument.GRPCServerOptions(withProviders(t, opts)...)
}

// GRPCClientHandler returns [instrument.GRPCClientHandler] with t's
// providers and propagator, for grpc.WithStatsHandler:
//
//	conn, err := grpc.NewClient(target, grpc.WithStatsHandler(tel.GRPCClientHandler()), ...)
//
// Options are passed on, and beat those defaults.
func (t *Telemetry) GRPCClientHandler(opts ...instrument.GRPCClientOption) stats.Handler {
	return instrument.GRPCClientHandler(withProviders(t, opts)...)
}
