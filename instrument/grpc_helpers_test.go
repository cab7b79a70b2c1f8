package instrument_test

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"strconv"
	"strings"
	"testing"

	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/log/logtest"
	"go.opentelemetry.io/otel/propagation"
	"go.opentelemetry.io/otel/sdk/metric/metricdata"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/credentials/insecure"
	"google.golang.org/grpc/health"
	healthpb "google.golang.org/grpc/health/grpc_health_v1"
	"google.golang.org/grpc/reflection"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/types/known/wrapperspb"

	"github.com/observe-go/observe/instrument"
)

// The test service, observe.test.Echo, is declared by hand (no protoc):
// its messages are protobuf's well-known StringValue.
//
//	Say(StringValue) StringValue: "id" answers the request id the handler
//	  sees; "code:N" fails with status code N; "panic" panics with "boom";
//	  "log" logs "handling" through the server's logger and answers "ok".
//	Count(StringValue) stream StringValue: sends N messages for "N"; "panic"
//	  panics after the first.
const (
	sayMethod   = "/observe.test.Echo/Say"
	countMethod = "/observe.test.Echo/Count"
)

type echoServer struct {
	log *slog.Logger
}

var echoDesc = grpc.ServiceDesc{
	ServiceName: "observe.test.Echo",
	HandlerType: (*any)(nil),
	Methods:     []grpc.MethodDesc{{MethodName: "Say", Handler: sayHandler}},
	Streams:     []grpc.StreamDesc{{StreamName: "Count", Handler: countHandler, ServerStreams: true}},
}

func sayHandler(srv any, ctx context.Context, dec func(any) error, interceptor grpc.UnaryServerInterceptor) (any, error) {
	in := new(wrapperspb.StringValue)
	if err := dec(in); err != nil {
		return nil, err
	}
	s := srv.(*echoServer)
	if interceptor == nil {
		return s.say(ctx, in)
	}
	return interceptor(ctx, in, &grpc.UnaryServerInfo{Server: srv, FullMethod: sayMethod}, func(ctx context.Context, req any) (any, error) {
		return s.say(ctx, req.(*wrapperspb.StringValue))
	})
}

func (s *echoServer) say(ctx context.Context, in *wrapperspb.StringValue) (*wrapperspb.StringValue, error) {
	v := in.GetValue()
	switch {
	case v == "id":
		return wrapperspb.String(instrument.RequestIDFromContext(ctx)), nil
	case v == "panic":
		panic("boom")
	case v == "log":
		s.log.InfoContext(ctx, "handling")
		return wrapperspb.String("ok"), nil
	case strings.HasPrefix(v, "code:"):
		n, _ := strconv.Atoi(strings.TrimPrefix(v, "code:"))
		return nil, status.Error(codes.Code(n), "failed on purpose")
	}
	return wrapperspb.String(v), nil
}

func countHandler(srv any, stream grpc.ServerStream) error {
	in := new(wrapperspb.StringValue)
	if err := stream.RecvMsg(in); err != nil {
		return err
	}
	if in.GetValue() == "panic" {
		_ = stream.SendMsg(wrapperspb.String("1"))
		panic("boom")
	}
	n, err := strconv.Atoi(in.GetValue())
	if err != nil {
		return status.Error(codes.InvalidArgument, "not a number")
	}
	for i := 1; i <= n; i++ {
		if err := stream.SendMsg(wrapperspb.String(strconv.Itoa(i))); err != nil {
			return err
		}
	}
	return nil
}

// rig is a real gRPC server on loopback, serving the echo, health and
// reflection services, and a client connection to it.
type rig struct {
	conn   *grpc.ClientConn
	srv    *grpc.Server
	served chan error
}

// startRig starts a server with serverOpts and dials it with dialOpts; the
// test's clean-up stops both.
func startRig(t *testing.T, serverOpts []grpc.ServerOption, dialOpts ...grpc.DialOption) *rig {
	t.Helper()
	return startRigWith(t, &echoServer{log: slog.New(slog.DiscardHandler)}, serverOpts, dialOpts...)
}

func startRigWith(t *testing.T, echo *echoServer, serverOpts []grpc.ServerOption, dialOpts ...grpc.DialOption) *rig {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	srv := grpc.NewServer(serverOpts...)
	srv.RegisterService(&echoDesc, echo)
	healthpb.RegisterHealthServer(srv, health.NewServer())
	reflection.Register(srv)
	r := &rig{srv: srv, served: make(chan error, 1)}
	go func() { r.served <- srv.Serve(ln) }()
	conn, err := grpc.NewClient(ln.Addr().String(), append([]grpc.DialOption{grpc.WithTransportCredentials(insecure.NewCredentials())}, dialOpts...)...)
	if err != nil {
		srv.Stop()
		t.Fatal(err)
	}
	r.conn = conn
	t.Cleanup(r.stop)
	return r
}

// stop closes the client and stops the server gracefully: when it returns,
// every RPC the server handled has ended, and so have their spans.
func (r *rig) stop() {
	if r.srv == nil {
		return
	}
	_ = r.conn.Close()
	r.srv.GracefulStop()
	<-r.served
	r.srv = nil
}

func (r *rig) say(ctx context.Context, v string, opts ...grpc.CallOption) (string, error) {
	out := new(wrapperspb.StringValue)
	err := r.conn.Invoke(ctx, sayMethod, wrapperspb.String(v), out, opts...)
	return out.GetValue(), err
}

// count calls Count and returns the messages received.
func (r *rig) count(ctx context.Context, v string) ([]string, error) {
	stream, err := r.conn.NewStream(ctx, &echoDesc.Streams[0], countMethod)
	if err != nil {
		return nil, err
	}
	if err := stream.SendMsg(wrapperspb.String(v)); err != nil {
		return nil, err
	}
	if err := stream.CloseSend(); err != nil {
		return nil, err
	}
	var got []string
	for {
		m := new(wrapperspb.StringValue)
		if err := stream.RecvMsg(m); err != nil {
			if errors.Is(err, io.EOF) {
				return got, nil
			}
			return got, err
		}
		got = append(got, m.GetValue())
	}
}

// grpcTelemetry routes both handlers to tel and to a log recorder.
type grpcTelemetry struct {
	*telemetry
	logs *logtest.Recorder
}

func newGRPCTelemetry(t *testing.T) *grpcTelemetry {
	return &grpcTelemetry{telemetry: newTelemetry(t), logs: logtest.NewRecorder()}
}

func (g *grpcTelemetry) serverOptions(extra ...instrument.GRPCServerOption) []grpc.ServerOption {
	return instrument.GRPCServerOptions(append([]instrument.GRPCServerOption{
		instrument.WithTracerProvider(g.tp),
		instrument.WithMeterProvider(g.mp),
		instrument.WithLoggerProvider(g.logs),
		instrument.WithPropagator(propagation.TraceContext{}),
	}, extra...)...)
}

func (g *grpcTelemetry) clientOption(extra ...instrument.GRPCClientOption) grpc.DialOption {
	return grpc.WithStatsHandler(instrument.GRPCClientHandler(append([]instrument.GRPCClientOption{
		instrument.WithTracerProvider(g.tp),
		instrument.WithMeterProvider(g.mp),
		instrument.WithPropagator(propagation.TraceContext{}),
	}, extra...)...))
}

// accessLog returns the access log records, in order.
func (g *grpcTelemetry) accessLog(t *testing.T) []logtest.Record {
	t.Helper()
	return recorded(t, g.logs, instrument.ScopeName)
}

func spansOfKind(spans []sdktrace.ReadOnlySpan, kind string) []sdktrace.ReadOnlySpan {
	var out []sdktrace.ReadOnlySpan
	for _, s := range spans {
		if s.SpanKind().String() == kind {
			out = append(out, s)
		}
	}
	return out
}

// only returns the one span of the kind, or fails.
func only(t *testing.T, spans []sdktrace.ReadOnlySpan, kind string) sdktrace.ReadOnlySpan {
	t.Helper()
	got := spansOfKind(spans, kind)
	if len(got) != 1 {
		t.Fatalf("got %d %s spans, want 1: %v", len(got), kind, spanNames(spans))
	}
	return got[0]
}

// recordAttrs flattens a log record's attributes for comparisons.
func recordAttrs(r logtest.Record) map[string]string {
	m := make(map[string]string, len(r.Attributes))
	for _, kv := range r.Attributes {
		m[string(kv.Key)] = kv.Value.String()
	}
	return m
}

// points returns the attribute sets and counts of the data points of the
// histogram name.
func points(t *testing.T, rm metricdata.ResourceMetrics, name string) map[attribute.Distinct]pointOf {
	t.Helper()
	out := map[attribute.Distinct]pointOf{}
	m, ok := findMetric(rm, name)
	if !ok {
		return out
	}
	h, ok := m.Data.(metricdata.Histogram[float64])
	if !ok {
		t.Fatalf("%s is a %T, not a float64 histogram", name, m.Data)
	}
	for _, dp := range h.DataPoints {
		out[dp.Attributes.Equivalent()] = pointOf{set: dp.Attributes, count: dp.Count}
	}
	return out
}

type pointOf struct {
	set   attribute.Set
	count uint64
}

func (p pointOf) String() string { return fmt.Sprintf("%v x%d", p.set.ToSlice(), p.count) }

func wrapString(s string) *wrapperspb.StringValue { return wrapperspb.String(s) }
