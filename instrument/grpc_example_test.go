package instrument_test

import (
	"context"
	"fmt"
	"net"
	"sort"
	"strings"

	"go.opentelemetry.io/otel/log/logtest"
	"go.opentelemetry.io/otel/propagation"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/sdk/trace/tracetest"
	"google.golang.org/grpc"
	"google.golang.org/grpc/credentials/insecure"
	"google.golang.org/grpc/health"
	healthpb "google.golang.org/grpc/health/grpc_health_v1"
	"google.golang.org/grpc/metadata"

	"github.com/observe-go/observe/instrument"
)

// A gRPC server and client, both instrumented. The caller's request id
// goes out as x-request-id metadata, and comes back in the response header;
// the spans of both sides and the server's access log record carry it.
// (The health service is left out by default: this example brings it back
// to have a service to call.)
func ExampleGRPCServerOptions() {
	spans := tracetest.NewSpanRecorder()
	tp := sdktrace.NewTracerProvider(sdktrace.WithSpanProcessor(spans))
	logs := logtest.NewRecorder()
	prop := propagation.TraceContext{}

	srv := grpc.NewServer(instrument.GRPCServerOptions(
		instrument.WithTracerProvider(tp), instrument.WithLoggerProvider(logs), instrument.WithPropagator(prop),
		instrument.WithGRPCHealthAndReflection())...)
	healthpb.RegisterHealthServer(srv, health.NewServer())
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		fmt.Println(err)
		return
	}
	served := make(chan error, 1)
	go func() { served <- srv.Serve(ln) }()

	conn, err := grpc.NewClient(ln.Addr().String(),
		grpc.WithTransportCredentials(insecure.NewCredentials()),
		grpc.WithStatsHandler(instrument.GRPCClientHandler(
			instrument.WithTracerProvider(tp), instrument.WithPropagator(prop),
			instrument.WithGRPCHealthAndReflection())))
	if err != nil {
		fmt.Println(err)
		return
	}
	ctx := instrument.ContextWithRequestID(context.Background(), "req-42")
	var header metadata.MD
	if _, err := healthpb.NewHealthClient(conn).Check(ctx, &healthpb.HealthCheckRequest{}, grpc.Header(&header)); err != nil {
		fmt.Println(err)
	}
	_ = conn.Close()
	srv.GracefulStop() // every RPC has ended when it returns
	<-served

	fmt.Println("response header x-request-id:", header.Get("x-request-id"))
	var lines []string
	for _, s := range spans.Ended() {
		for _, kv := range s.Attributes() {
			if kv.Key == instrument.RequestIDAttribute {
				lines = append(lines, fmt.Sprintf("%s span %s, request id %s", s.SpanKind(), s.Name(), kv.Value.AsString()))
			}
		}
	}
	sort.Strings(lines)
	fmt.Println(strings.Join(lines, "\n"))
	for _, recs := range logs.Result() {
		for _, r := range recs {
			body := r.Body.AsString()
			fmt.Println("access log:", r.SeverityText, body[:strings.LastIndexByte(body, ' ')], "...")
		}
	}
	// Output:
	// response header x-request-id: [req-42]
	// client span grpc.health.v1.Health/Check, request id req-42
	// server span grpc.health.v1.Health/Check, request id req-42
	// access log: INFO /grpc.health.v1.Health/Check OK ...
}
