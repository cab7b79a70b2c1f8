package instrument_test

import (
	"context"
	"net"
	"testing"

	"go.opentelemetry.io/contrib/instrumentation/google.golang.org/grpc/otelgrpc"
	"google.golang.org/grpc"
	"google.golang.org/grpc/credentials/insecure"
	"google.golang.org/grpc/test/bufconn"
	"google.golang.org/protobuf/types/known/wrapperspb"

	"github.com/observe-go/observe/instrument"
)

// BenchmarkGRPCUnary compares, on the same unary call through a real gRPC
// server and client (grpc-go over an in-memory connection, so that the
// network does not drown the difference), with the providers of
// BenchmarkHTTPServer (observe.Configure's, counting exporters):
//
//   - bare: no instrumentation;
//   - otelgrpc: contrib's stats handlers on both sides;
//   - observe: Telemetry.GRPCServerOptions on the server (stats handler and
//     interceptors: span, metrics, request id in and out, access log record)
//     and Telemetry.GRPCClientHandler on the client (span, metrics, request
//     id sent);
//   - observe-nolog: the same without the access log.
//
// The figures are per call, both sides together. Each variant reports what
// reached the exporters per call, counted after Shutdown; a variant that
// delivered less than it should is reported as an error.
//
// Run: go test -run '^$' -bench BenchmarkGRPCUnary -benchmem ./instrument/
func BenchmarkGRPCUnary(b *testing.B) {
	for _, sampled := range []struct {
		name, sampler, arg string
		spans              float64 // spans per call that must arrive
	}{
		{"always", "always_on", "", 2},
		{"ratio1pct", "parentbased_traceidratio", "0.01", 0},
	} {
		for _, v := range []struct {
			name   string
			logs   float64
			spans  bool
			server func(e benchEnv) []grpc.ServerOption
			client func(e benchEnv) []grpc.DialOption
		}{
			{"bare", 0, false, func(benchEnv) []grpc.ServerOption { return nil }, func(benchEnv) []grpc.DialOption { return nil }},
			{"otelgrpc", 0, true, func(e benchEnv) []grpc.ServerOption {
				return []grpc.ServerOption{grpc.StatsHandler(otelgrpc.NewServerHandler(otelgrpcOptions(e)...))}
			}, func(e benchEnv) []grpc.DialOption {
				return []grpc.DialOption{grpc.WithStatsHandler(otelgrpc.NewClientHandler(otelgrpcOptions(e)...))}
			}},
			{"observe", 1, true, func(e benchEnv) []grpc.ServerOption { return e.tel.GRPCServerOptions() },
				func(e benchEnv) []grpc.DialOption {
					return []grpc.DialOption{grpc.WithStatsHandler(e.tel.GRPCClientHandler())}
				}},
			{"observe-nolog", 0, true, func(e benchEnv) []grpc.ServerOption {
				return e.tel.GRPCServerOptions(instrument.WithoutGRPCAccessLog())
			}, func(e benchEnv) []grpc.DialOption {
				return []grpc.DialOption{grpc.WithStatsHandler(e.tel.GRPCClientHandler())}
			}},
		} {
			b.Run(sampled.name+"/"+v.name, func(b *testing.B) {
				e := newBenchEnv(b, sampled.sampler, sampled.arg)
				conn, stop := benchRig(b, v.server(e), v.client(e))
				ctx := instrument.ContextWithRequestID(context.Background(), "req-bench")
				in, out := wrapperspb.String("x"), new(wrapperspb.StringValue)
				b.ReportAllocs()
				b.ResetTimer()
				n := 0
				for b.Loop() {
					if err := conn.Invoke(ctx, sayMethod, in, out); err != nil {
						b.Fatal(err)
					}
					n++
				}
				b.StopTimer()
				// Every server span has ended once the server has stopped.
				stop()
				want := sampled.spans
				if !v.spans {
					want = 0
				}
				e.report(b, n, want, v.logs, nil)
			})
		}
	}
}

func otelgrpcOptions(e benchEnv) []otelgrpc.Option {
	return []otelgrpc.Option{
		otelgrpc.WithTracerProvider(e.tel.TracerProvider()),
		otelgrpc.WithMeterProvider(e.tel.MeterProvider()),
		otelgrpc.WithPropagators(e.tel.Propagator()),
	}
}

// benchRig serves the echo service over an in-memory connection; stop
// closes the client and stops the server gracefully.
func benchRig(b *testing.B, serverOpts []grpc.ServerOption, dialOpts []grpc.DialOption) (*grpc.ClientConn, func()) {
	b.Helper()
	ln := bufconn.Listen(1 << 20)
	srv := grpc.NewServer(serverOpts...)
	srv.RegisterService(&echoDesc, &echoServer{})
	served := make(chan error, 1)
	go func() { served <- srv.Serve(ln) }()
	conn, err := grpc.NewClient("passthrough:///bufconn", append([]grpc.DialOption{
		grpc.WithTransportCredentials(insecure.NewCredentials()),
		grpc.WithContextDialer(func(ctx context.Context, _ string) (net.Conn, error) { return ln.DialContext(ctx) }),
	}, dialOpts...)...)
	if err != nil {
		b.Fatal(err)
	}
	stopped := false
	stop := func() {
		if stopped {
			return
		}
		stopped = true
		_ = conn.Close()
		srv.GracefulStop()
		<-served
	}
	b.Cleanup(stop)
	return conn, stop
}
