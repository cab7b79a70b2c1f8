package instrument_test

import (
	"context"
	"fmt"
	"log/slog"
	"regexp"
	"strings"
	"sync"
	"testing"

	"go.opentelemetry.io/otel/attribute"
	otelcodes "go.opentelemetry.io/otel/codes"
	"go.opentelemetry.io/otel/log"
	"go.opentelemetry.io/otel/log/logtest"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/trace"
	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	healthpb "google.golang.org/grpc/health/grpc_health_v1"
	"google.golang.org/grpc/metadata"
	reflectionpb "google.golang.org/grpc/reflection/grpc_reflection_v1"
	"google.golang.org/grpc/stats"
	"google.golang.org/grpc/status"

	"github.com/observe-go/observe/bridge"
	"github.com/observe-go/observe/instrument"
)

var uuidPattern = regexp.MustCompile(`^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$`)

// A unary call through an instrumented client and server: one trace of a
// client and a server span, the request id of the caller's context in the
// handler, the response header, both spans and the access log record, and
// the duration metrics of both sides.
func TestGRPCUnaryCall(t *testing.T) {
	tel := newGRPCTelemetry(t)
	r := startRig(t, tel.serverOptions(), tel.clientOption())

	var header metadata.MD
	ctx := instrument.ContextWithRequestID(context.Background(), "req-ok-1")
	got, err := r.say(ctx, "id", grpc.Header(&header))
	if err != nil {
		t.Fatal(err)
	}
	if got != "req-ok-1" {
		t.Errorf("the handler saw request id %q, want req-ok-1", got)
	}
	if v := header.Get(instrument.RequestIDMetadataKey); len(v) != 1 || v[0] != "req-ok-1" {
		t.Errorf("response header x-request-id = %q, want [req-ok-1]", v)
	}
	r.stop()

	spans := tel.spans.Ended()
	client, server := only(t, spans, "client"), only(t, spans, "server")
	if client.SpanContext().TraceID() != server.SpanContext().TraceID() || server.Parent().SpanID() != client.SpanContext().SpanID() {
		t.Error("the server span is not the child of the client span")
	}
	for _, s := range []sdktrace.ReadOnlySpan{client, server} {
		if s.Name() != "observe.test.Echo/Say" {
			t.Errorf("%s span named %q", s.SpanKind(), s.Name())
		}
		a := attrMap(s.Attributes())
		for k, want := range map[attribute.Key]string{
			"rpc.system.name":             "grpc",
			"rpc.method":                  "observe.test.Echo/Say",
			"rpc.response.status_code":    "OK",
			instrument.RequestIDAttribute: "req-ok-1",
		} {
			if a[k].AsString() != want {
				t.Errorf("%s span: %s = %q, want %q", s.SpanKind(), k, a[k].Emit(), want)
			}
		}
		if _, ok := a["error.type"]; ok || s.Status().Code != otelcodes.Unset {
			t.Errorf("%s span of a successful call: status %v, error.type %q", s.SpanKind(), s.Status(), a["error.type"].Emit())
		}
		if len(s.Events()) != 0 {
			t.Errorf("%s span has events %v", s.SpanKind(), s.Events())
		}
	}

	recs := tel.accessLog(t)
	if len(recs) != 1 {
		t.Fatalf("got %d access log records, want 1", len(recs))
	}
	rec := recs[0]
	if body := rec.Body.AsString(); !regexp.MustCompile(`^/observe\.test\.Echo/Say OK [0-9.]+(µs|ms|s)$`).MatchString(body) {
		t.Errorf("access log body %q", body)
	}
	if rec.Severity != log.SeverityInfo {
		t.Errorf("severity %v, want INFO", rec.Severity)
	}
	attrs := recordAttrs(rec)
	for k, want := range map[string]string{
		"rpc.system.name":             "grpc",
		"rpc.method":                  "observe.test.Echo/Say",
		"rpc.response.status_code":    "OK",
		instrument.RequestIDAttribute: "req-ok-1",
	} {
		if attrs[k] != want {
			t.Errorf("access log %s = %q, want %q", k, attrs[k], want)
		}
	}
	if _, ok := attrs["duration_ms"]; !ok {
		t.Error("access log lacks duration_ms")
	}
	if sc := trace.SpanContextFromContext(rec.Context); sc.SpanID() != server.SpanContext().SpanID() {
		t.Error("the access log record was not emitted in the server span")
	}

	rm := tel.collect(t)
	server0 := points(t, rm, "rpc.server.call.duration")
	want := attribute.NewSet(
		attribute.String("rpc.system.name", "grpc"),
		attribute.String("rpc.method", "observe.test.Echo/Say"),
		attribute.String("rpc.response.status_code", "OK"),
	)
	if p, ok := server0[want.Equivalent()]; !ok || p.count != 1 || len(server0) != 1 {
		t.Errorf("rpc.server.call.duration points %v, want one for %v", server0, want.ToSlice())
	}
	if n := histogramCount(t, rm, "rpc.client.call.duration"); n != 1 {
		t.Errorf("rpc.client.call.duration counted %d calls, want 1", n)
	}
}

// The server keeps a well-formed incoming x-request-id and replaces any
// other with a new UUID; the handler, the response header, the span and
// the access log agree on the id.
func TestGRPCServerRequestID(t *testing.T) {
	for _, tc := range []struct {
		name, incoming string
		kept           bool
	}{
		{"well-formed", "abc-123.x:y_z", true},
		{"markup", "<script>", false},
		{"too long", strings.Repeat("a", 129), false},
		{"none", "", false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			tel := newGRPCTelemetry(t)
			// A plain client: the test sets the metadata itself.
			r := startRig(t, tel.serverOptions())
			ctx := context.Background()
			if tc.incoming != "" {
				ctx = metadata.AppendToOutgoingContext(ctx, "x-request-id", tc.incoming)
			}
			var header metadata.MD
			got, err := r.say(ctx, "id", grpc.Header(&header))
			if err != nil {
				t.Fatal(err)
			}
			r.stop()
			if tc.kept && got != tc.incoming {
				t.Errorf("handler saw %q, want the incoming %q", got, tc.incoming)
			}
			if !tc.kept && !uuidPattern.MatchString(got) {
				t.Errorf("handler saw %q, want a new UUID", got)
			}
			if h := header.Get("x-request-id"); len(h) != 1 || h[0] != got {
				t.Errorf("response header %q, want [%s]", h, got)
			}
			server := only(t, tel.spans.Ended(), "server")
			if v := attrMap(server.Attributes())[instrument.RequestIDAttribute].AsString(); v != got {
				t.Errorf("span request id %q, want %q", v, got)
			}
			if v := recordAttrs(tel.accessLog(t)[0])[instrument.RequestIDAttribute]; v != got {
				t.Errorf("access log request id %q, want %q", v, got)
			}
		})
	}
}

// The client sends the context's request id unless the call carries one
// already or propagation is off.
func TestGRPCClientRequestIDPropagation(t *testing.T) {
	for _, tc := range []struct {
		name     string
		ctx      func() context.Context
		opts     []instrument.GRPCClientOption
		want     string // "" for a new id made by the server
		spanAttr string // request id on the client span
	}{
		{"from context", func() context.Context {
			return instrument.ContextWithRequestID(context.Background(), "req-ctx")
		}, nil, "req-ctx", "req-ctx"},
		{"already in metadata", func() context.Context {
			ctx := instrument.ContextWithRequestID(context.Background(), "req-ctx")
			return metadata.AppendToOutgoingContext(ctx, "x-request-id", "req-mine")
		}, nil, "req-mine", "req-ctx"},
		{"propagation off", func() context.Context {
			return instrument.ContextWithRequestID(context.Background(), "req-ctx")
		}, []instrument.GRPCClientOption{instrument.WithoutRequestIDPropagation()}, "", "req-ctx"},
		{"no request id", context.Background, nil, "", ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			tel := newGRPCTelemetry(t)
			r := startRig(t, tel.serverOptions(), tel.clientOption(tc.opts...))
			got, err := r.say(tc.ctx(), "id")
			if err != nil {
				t.Fatal(err)
			}
			r.stop()
			if tc.want != "" && got != tc.want {
				t.Errorf("server saw %q, want %q", got, tc.want)
			}
			if tc.want == "" && !uuidPattern.MatchString(got) {
				t.Errorf("server saw %q, want a new UUID", got)
			}
			client := only(t, tel.spans.Ended(), "client")
			if v := attrMap(client.Attributes())[instrument.RequestIDAttribute].AsString(); v != tc.spanAttr {
				t.Errorf("client span request id %q, want %q", v, tc.spanAttr)
			}
		})
	}
}

// Status codes: the server counts only Unknown, DeadlineExceeded,
// Unimplemented, Internal, Unavailable and DataLoss as its failures (span
// status Error, error.type, an ERROR record); the client counts every code
// but OK.
func TestGRPCStatusCodes(t *testing.T) {
	tel := newGRPCTelemetry(t)
	r := startRig(t, tel.serverOptions(), tel.clientOption())
	type result struct {
		code        codes.Code
		serverError bool
	}
	cases := []result{
		{codes.OK, false}, {codes.Canceled, false}, {codes.InvalidArgument, false},
		{codes.NotFound, false}, {codes.AlreadyExists, false}, {codes.PermissionDenied, false},
		{codes.ResourceExhausted, false}, {codes.FailedPrecondition, false}, {codes.Aborted, false},
		{codes.OutOfRange, false}, {codes.Unauthenticated, false},
		{codes.Unknown, true}, {codes.DeadlineExceeded, true}, {codes.Unimplemented, true},
		{codes.Internal, true}, {codes.Unavailable, true}, {codes.DataLoss, true},
	}
	for _, c := range cases {
		ctx := instrument.ContextWithRequestID(context.Background(), fmt.Sprintf("code-%d", c.code))
		if _, err := r.say(ctx, fmt.Sprintf("code:%d", c.code)); status.Code(err) != c.code {
			t.Fatalf("code:%d answered %v", c.code, err)
		}
	}
	r.stop()

	spans := map[string]sdktrace.ReadOnlySpan{}
	for _, s := range tel.spans.Ended() {
		spans[s.SpanKind().String()+" "+attrMap(s.Attributes())[instrument.RequestIDAttribute].AsString()] = s
	}
	logs := map[string]logtest.Record{}
	for _, rec := range tel.accessLog(t) {
		logs[recordAttrs(rec)[instrument.RequestIDAttribute]] = rec
	}
	for _, c := range cases {
		rid := fmt.Sprintf("code-%d", c.code)
		canonical := strings.ToUpper(regexp.MustCompile(`([a-z])([A-Z])`).ReplaceAllString(c.code.String(), "${1}_${2}"))
		if c.code == codes.Canceled {
			canonical = "CANCELLED"
		}
		server, client, rec := spans["server "+rid], spans["client "+rid], logs[rid]
		if server == nil || client == nil || rec.Body.Type() == attribute.INVALID {
			t.Errorf("%v: missing a span or the record", c.code)
			continue
		}
		sa := attrMap(server.Attributes())
		if got := sa["rpc.response.status_code"].AsString(); got != canonical {
			t.Errorf("%v: server rpc.response.status_code %q, want %q", c.code, got, canonical)
		}
		wantStatus, wantLevel, wantErrType := otelcodes.Unset, log.SeverityInfo, ""
		if c.serverError {
			wantStatus, wantLevel, wantErrType = otelcodes.Error, log.SeverityError, canonical
		}
		if server.Status().Code != wantStatus {
			t.Errorf("%v: server span status %v, want %v", c.code, server.Status().Code, wantStatus)
		}
		if got := sa["error.type"].AsString(); got != wantErrType {
			t.Errorf("%v: server span error.type %q, want %q", c.code, got, wantErrType)
		}
		if rec.Severity != wantLevel {
			t.Errorf("%v: access log severity %v, want %v", c.code, rec.Severity, wantLevel)
		}
		if got := recordAttrs(rec)["error.type"]; got != wantErrType {
			t.Errorf("%v: access log error.type %q, want %q", c.code, got, wantErrType)
		}
		if !strings.HasPrefix(rec.Body.AsString(), sayMethod+" "+c.code.String()+" ") {
			t.Errorf("%v: access log body %q", c.code, rec.Body.AsString())
		}
		wantClient := otelcodes.Error
		if c.code == codes.OK {
			wantClient = otelcodes.Unset
		}
		if client.Status().Code != wantClient {
			t.Errorf("%v: client span status %v, want %v", c.code, client.Status().Code, wantClient)
		}
	}
}

// recovering is a recovery interceptor, as a server puts in front of
// observe's: it answers a panic with Internal and keeps the value.
type recovering struct {
	mu     sync.Mutex
	values []any
}

func (rc *recovering) unary(ctx context.Context, req any, _ *grpc.UnaryServerInfo, h grpc.UnaryHandler) (_ any, err error) {
	defer rc.recover(&err)
	return h(ctx, req)
}

func (rc *recovering) stream(srv any, ss grpc.ServerStream, _ *grpc.StreamServerInfo, h grpc.StreamHandler) (err error) {
	defer rc.recover(&err)
	return h(srv, ss)
}

func (rc *recovering) recover(err *error) {
	if p := recover(); p != nil {
		rc.mu.Lock()
		rc.values = append(rc.values, p)
		rc.mu.Unlock()
		*err = status.Error(codes.Internal, "panic")
	}
}

// A panicking handler: the span gets an exception event with the stack and
// status Error, the access log an ERROR record with the panic's type, and
// the panic goes on to the recovery interceptor in front, with its value.
func TestGRPCPanicRecordedAndRaisedAgain(t *testing.T) {
	tel := newGRPCTelemetry(t)
	rc := &recovering{}
	opts := append([]grpc.ServerOption{grpc.ChainUnaryInterceptor(rc.unary), grpc.ChainStreamInterceptor(rc.stream)}, tel.serverOptions()...)
	r := startRig(t, opts, tel.clientOption())
	if _, err := r.say(context.Background(), "panic"); status.Code(err) != codes.Internal {
		t.Fatalf("unary panic answered %v, want Internal", err)
	}
	if _, err := r.count(context.Background(), "panic"); status.Code(err) != codes.Internal {
		t.Fatalf("stream panic answered %v, want Internal", err)
	}
	r.stop()

	if len(rc.values) != 2 || rc.values[0] != "boom" || rc.values[1] != "boom" {
		t.Errorf("the recovery interceptor got %v, want the value boom twice", rc.values)
	}
	servers := spansOfKind(tel.spans.Ended(), "server")
	if len(servers) != 2 {
		t.Fatalf("got %d server spans, want 2", len(servers))
	}
	for _, s := range servers {
		if s.Status().Code != otelcodes.Error {
			t.Errorf("%s: status %v, want Error", s.Name(), s.Status())
		}
		var ev *sdktrace.Event
		for i := range s.Events() {
			if s.Events()[i].Name == "exception" {
				ev = &s.Events()[i]
			}
		}
		if ev == nil {
			t.Errorf("%s: no exception event", s.Name())
			continue
		}
		a := attrMap(ev.Attributes)
		if a["exception.type"].AsString() != "string" || a["exception.message"].AsString() != "boom" {
			t.Errorf("%s: exception %v", s.Name(), ev.Attributes)
		}
		frame := map[string]string{"observe.test.Echo/Say": "echoServer).say", "observe.test.Echo/Count": "countHandler"}[s.Name()]
		if st := a["exception.stacktrace"].AsString(); frame == "" || !strings.Contains(st, frame) {
			t.Errorf("%s: the stack does not show the handler:\n%s", s.Name(), st)
		}
		if got := attrMap(s.Attributes())["error.type"].AsString(); got != "string" {
			t.Errorf("%s: error.type %q, want the panic's type", s.Name(), got)
		}
	}
	for _, rec := range tel.accessLog(t) {
		if rec.Severity != log.SeverityError || recordAttrs(rec)["error.type"] != "string" || !strings.Contains(rec.Body.AsString(), " Internal ") {
			t.Errorf("access log after a panic: %v %q %v", rec.Severity, rec.Body.AsString(), recordAttrs(rec))
		}
	}
}

// A server-streaming RPC gets one span on each side for the whole stream,
// without message events, and one access log record.
func TestGRPCStreamOneSpan(t *testing.T) {
	tel := newGRPCTelemetry(t)
	r := startRig(t, tel.serverOptions(), tel.clientOption())
	got, err := r.count(instrument.ContextWithRequestID(context.Background(), "req-stream"), "5")
	if err != nil || len(got) != 5 {
		t.Fatalf("Count(5) = %v, %v", got, err)
	}
	r.stop()
	spans := tel.spans.Ended()
	if len(spans) != 2 {
		t.Fatalf("got spans %v, want one client and one server span", spanNames(spans))
	}
	for _, s := range spans {
		if s.Name() != "observe.test.Echo/Count" || len(s.Events()) != 0 {
			t.Errorf("%s span %q with %d events", s.SpanKind(), s.Name(), len(s.Events()))
		}
		if v := attrMap(s.Attributes())[instrument.RequestIDAttribute].AsString(); v != "req-stream" {
			t.Errorf("%s span request id %q", s.SpanKind(), v)
		}
	}
	recs := tel.accessLog(t)
	if len(recs) != 1 || !strings.HasPrefix(recs[0].Body.AsString(), countMethod+" OK ") {
		t.Errorf("access log %v, want one record for the stream", recs)
	}
}

// The stream interceptor sends the request id in the response header.
func TestGRPCStreamResponseHeader(t *testing.T) {
	tel := newGRPCTelemetry(t)
	r := startRig(t, tel.serverOptions(), tel.clientOption())
	ctx := instrument.ContextWithRequestID(context.Background(), "req-stream-h")
	stream, err := r.conn.NewStream(ctx, &echoDesc.Streams[0], countMethod)
	if err != nil {
		t.Fatal(err)
	}
	if err := stream.SendMsg(wrapString("1")); err != nil {
		t.Fatal(err)
	}
	_ = stream.CloseSend()
	h, err := stream.Header()
	if err != nil {
		t.Fatal(err)
	}
	if v := h.Get("x-request-id"); len(v) != 1 || v[0] != "req-stream-h" {
		t.Errorf("stream response header x-request-id %q", v)
	}
	for stream.RecvMsg(wrapString("")) == nil {
	}
}

// Calls to the health and reflection services leave no telemetry by
// default, and do with WithGRPCHealthAndReflection.
func TestGRPCHealthAndReflectionLeftOut(t *testing.T) {
	for _, tc := range []struct {
		name string
		opt  []instrument.GRPCOption
		want int // spans per call on each side
	}{
		{"default", nil, 0},
		{"WithGRPCHealthAndReflection", []instrument.GRPCOption{instrument.WithGRPCHealthAndReflection()}, 1},
	} {
		t.Run(tc.name, func(t *testing.T) {
			tel := newGRPCTelemetry(t)
			var so []instrument.GRPCServerOption
			var co []instrument.GRPCClientOption
			for _, o := range tc.opt {
				so, co = append(so, o), append(co, o)
			}
			r := startRig(t, tel.serverOptions(so...), tel.clientOption(co...))
			ctx := context.Background()
			if _, err := healthpb.NewHealthClient(r.conn).Check(ctx, &healthpb.HealthCheckRequest{}); err != nil {
				t.Fatal(err)
			}
			rs, err := reflectionpb.NewServerReflectionClient(r.conn).ServerReflectionInfo(ctx)
			if err != nil {
				t.Fatal(err)
			}
			if err := rs.Send(&reflectionpb.ServerReflectionRequest{MessageRequest: &reflectionpb.ServerReflectionRequest_ListServices{}}); err != nil {
				t.Fatal(err)
			}
			resp, err := rs.Recv()
			if err != nil || len(resp.GetListServicesResponse().GetService()) == 0 {
				t.Fatalf("reflection answered %v, %v", resp, err)
			}
			_ = rs.CloseSend()
			if _, err := rs.Recv(); err == nil {
				t.Fatal("reflection stream did not end")
			}
			r.stop()

			spans := tel.spans.Ended()
			if len(spansOfKind(spans, "server")) != 2*tc.want || len(spansOfKind(spans, "client")) != 2*tc.want {
				t.Errorf("spans %v, want %d per side", spanNames(spans), 2*tc.want)
			}
			if n := len(tel.accessLog(t)); n != 2*tc.want {
				t.Errorf("%d access log records, want %d", n, 2*tc.want)
			}
			if n := histogramCount(t, tel.collect(t), "rpc.server.call.duration"); n != uint64(2*tc.want) {
				t.Errorf("rpc.server.call.duration counted %d calls, want %d", n, 2*tc.want)
			}
		})
	}
}

// A call to a method the server does not have: rpc.method _OTHER on the
// span and the metric (the name sent kept in rpc.method_original), a span
// named grpc that ends, and an ERROR record.
func TestGRPCUnknownMethod(t *testing.T) {
	tel := newGRPCTelemetry(t)
	r := startRig(t, tel.serverOptions(), tel.clientOption())
	for _, m := range []string{"/observe.test.Echo/Nope", "/no.such.Service/Call"} {
		err := r.conn.Invoke(context.Background(), m, wrapString("x"), wrapString(""))
		if status.Code(err) != codes.Unimplemented {
			t.Fatalf("%s answered %v", m, err)
		}
	}
	r.stop()

	servers := spansOfKind(tel.spans.Ended(), "server")
	if len(servers) != 2 {
		t.Fatalf("got %d ended server spans, want 2 (started: %d)", len(servers), len(tel.spans.Started()))
	}
	originals := map[string]bool{}
	for _, s := range servers {
		a := attrMap(s.Attributes())
		originals[a["rpc.method_original"].AsString()] = true
		if s.Name() != "grpc" || a["rpc.method"].AsString() != "_OTHER" ||
			a["rpc.response.status_code"].AsString() != "UNIMPLEMENTED" || s.Status().Code != otelcodes.Error {
			t.Errorf("span %q %v %v", s.Name(), s.Attributes(), s.Status())
		}
	}
	if !originals["observe.test.Echo/Nope"] || !originals["no.such.Service/Call"] {
		t.Errorf("rpc.method_original of the spans: %v", originals)
	}
	ps := points(t, tel.collect(t), "rpc.server.call.duration")
	want := attribute.NewSet(
		attribute.String("rpc.system.name", "grpc"),
		attribute.String("rpc.method", "_OTHER"),
		attribute.String("rpc.response.status_code", "UNIMPLEMENTED"),
		attribute.String("error.type", "UNIMPLEMENTED"),
	)
	if p, ok := ps[want.Equivalent()]; !ok || p.count != 2 || len(ps) != 1 {
		t.Errorf("rpc.server.call.duration points %v, want 2 calls under %v only", ps, want.ToSlice())
	}
	recs := tel.accessLog(t)
	if len(recs) != 2 {
		t.Fatalf("%d access log records, want 2", len(recs))
	}
	for _, rec := range recs {
		a := recordAttrs(rec)
		if rec.Severity != log.SeverityError || a["rpc.method"] != "_OTHER" || !strings.Contains(rec.Body.AsString(), " Unimplemented ") {
			t.Errorf("access log %v %q %v", rec.Severity, rec.Body.AsString(), a)
		}
	}
}

// WithGRPCFilter leaves the calls it refuses out on both sides.
func TestGRPCFilter(t *testing.T) {
	tel := newGRPCTelemetry(t)
	noCount := instrument.WithGRPCFilter(func(info *stats.RPCTagInfo) bool { return info.FullMethodName != countMethod })
	r := startRig(t, tel.serverOptions(noCount), tel.clientOption(noCount))
	ctx := instrument.ContextWithRequestID(context.Background(), "req-f")
	if _, err := r.count(ctx, "2"); err != nil {
		t.Fatal(err)
	}
	if _, err := r.say(ctx, "x"); err != nil {
		t.Fatal(err)
	}
	r.stop()
	for _, s := range tel.spans.Ended() {
		if s.Name() != "observe.test.Echo/Say" {
			t.Errorf("filtered call traced: %s", s.Name())
		}
	}
	if len(tel.spans.Ended()) != 2 || len(tel.accessLog(t)) != 1 {
		t.Errorf("got %v and %d records, want the Say call only", spanNames(tel.spans.Ended()), len(tel.accessLog(t)))
	}
}

// The request id reaches the records the handler logs through observe's
// slog bridge with the RPC's context.
func TestGRPCHandlerLogsCarryRequestID(t *testing.T) {
	tel := newGRPCTelemetry(t)
	appLogs := logtest.NewRecorder()
	echo := &echoServer{log: slog.New(bridge.NewHandler("shop", bridge.WithLoggerProvider(appLogs)))}
	r := startRigWith(t, echo, tel.serverOptions(), tel.clientOption())
	if _, err := r.say(instrument.ContextWithRequestID(context.Background(), "req-log"), "log"); err != nil {
		t.Fatal(err)
	}
	r.stop()
	recs := recorded(t, appLogs, "shop")
	if len(recs) != 1 || recordAttrs(recs[0])[instrument.RequestIDAttribute] != "req-log" {
		t.Errorf("handler records %v, want one with the request id req-log", recs)
	}
}

// WithGRPCLogger sends the access log through slog, with the RPC's context;
// WithoutGRPCAccessLog turns it off.
func TestGRPCAccessLogOptions(t *testing.T) {
	tel := newGRPCTelemetry(t)
	capture := newCaptureHandler(slog.LevelInfo)
	r := startRig(t, tel.serverOptions(instrument.WithGRPCLogger(slog.New(capture))), tel.clientOption())
	if _, err := r.say(instrument.ContextWithRequestID(context.Background(), "req-slog"), "code:13"); status.Code(err) != codes.Internal {
		t.Fatal(err)
	}
	r.stop()
	entries := capture.records()
	if len(entries) != 1 {
		t.Fatalf("%d slog records, want 1", len(entries))
	}
	e := entries[0]
	a := e.attrs()
	if e.record.Level != slog.LevelError || !strings.HasPrefix(e.record.Message, sayMethod+" Internal ") ||
		a["rpc.response.status_code"].String() != "INTERNAL" || a["error.type"].String() != "INTERNAL" {
		t.Errorf("slog record %v %q %v", e.record.Level, e.record.Message, a)
	}
	if instrument.RequestIDFromContext(e.ctx) != "req-slog" || !trace.SpanContextFromContext(e.ctx).IsValid() {
		t.Error("the slog record's context lacks the request id or the span")
	}
	if len(tel.accessLog(t)) != 0 {
		t.Error("records went to the LoggerProvider as well")
	}

	tel2 := newGRPCTelemetry(t)
	r2 := startRig(t, tel2.serverOptions(instrument.WithoutGRPCAccessLog()), tel2.clientOption())
	if _, err := r2.say(context.Background(), "x"); err != nil {
		t.Fatal(err)
	}
	r2.stop()
	if n := len(tel2.accessLog(t)); n != 0 {
		t.Errorf("WithoutGRPCAccessLog: %d records", n)
	}
	if len(spansOfKind(tel2.spans.Ended(), "server")) != 1 {
		t.Error("WithoutGRPCAccessLog turned the span off too")
	}
}

// The interceptors alone (no stats handler) pass calls through untouched.
func TestGRPCInterceptorsWithoutHandler(t *testing.T) {
	r := startRig(t, []grpc.ServerOption{
		grpc.ChainUnaryInterceptor(instrument.GRPCUnaryServerInterceptor()),
		grpc.ChainStreamInterceptor(instrument.GRPCStreamServerInterceptor()),
	})
	var header metadata.MD
	if got, err := r.say(context.Background(), "hi", grpc.Header(&header)); err != nil || got != "hi" {
		t.Fatalf("say = %q, %v", got, err)
	}
	if len(header.Get("x-request-id")) != 0 {
		t.Error("a request id was sent without the stats handler")
	}
	if got, err := r.count(context.Background(), "2"); err != nil || len(got) != 2 {
		t.Fatalf("count = %v, %v", got, err)
	}
}
