package instrument_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/metadata"
	"google.golang.org/grpc/stats"
	"google.golang.org/grpc/status"

	"github.com/observe-go/observe/instrument"
)

// FuzzGRPCServerMetadata feeds the server handler an arbitrary method name,
// x-request-id and status code, for a method the server has (Begin, End)
// or not (a trailer alone): it must not panic, the context must carry a
// well-formed request id (the incoming one exactly when well-formed), and
// the one span, ended, and the one access log record must carry it; an
// unknown method's name never reaches rpc.method.
func FuzzGRPCServerMetadata(f *testing.F) {
	f.Add("/pkg.Service/Method", "req-1", true, uint32(0))
	f.Add("/pkg.Service/Method", "<script>", true, uint32(13))
	f.Add("no-slash", "", false, uint32(0))
	f.Add("/grpc.health.v1.Health/Check", "req-2", true, uint32(0))
	f.Add("/a/b/c", strings.Repeat("a", 129), false, uint32(99))
	f.Add("", "550e8400-e29b-41d4-a716-446655440000", true, uint32(4))
	f.Fuzz(func(t *testing.T, method, rid string, known bool, code uint32) {
		tel := newGRPCTelemetry(t)
		h := instrument.GRPCServerHandler(instrument.WithTracerProvider(tel.tp), instrument.WithMeterProvider(tel.mp), instrument.WithLoggerProvider(tel.logs))
		ctx := metadata.NewIncomingContext(context.Background(), metadata.MD{"x-request-id": {rid}})
		ctx = h.TagRPC(ctx, &stats.RPCTagInfo{FullMethodName: method})
		got := instrument.RequestIDFromContext(ctx)
		if strings.HasPrefix(method, "/grpc.health.v1.Health/") || strings.HasPrefix(method, "/grpc.reflection.") {
			if got != "" || len(tel.spans.Started()) != 0 {
				t.Fatalf("health or reflection call %q instrumented", method)
			}
			return
		}
		if instrument.ValidRequestID(rid) && got != rid || !instrument.ValidRequestID(rid) && !uuidPattern.MatchString(got) {
			t.Fatalf("incoming %q gave request id %q", rid, got)
		}
		start := time.Now()
		if known {
			h.HandleRPC(ctx, &stats.Begin{BeginTime: start})
			var err error
			if c := codes.Code(code); c != codes.OK {
				err = status.Error(c, "failed")
			}
			h.HandleRPC(ctx, &stats.End{BeginTime: start, EndTime: start.Add(time.Millisecond), Error: err})
		} else {
			h.HandleRPC(ctx, &stats.OutTrailer{})
		}
		spans := tel.spans.Ended()
		if len(spans) != 1 {
			t.Fatalf("%d spans ended, want 1", len(spans))
		}
		a := attrMap(spans[0].Attributes())
		if a[instrument.RequestIDAttribute].AsString() != got {
			t.Fatalf("span request id %q, want %q", a[instrument.RequestIDAttribute].AsString(), got)
		}
		if !known && (spans[0].Name() != "grpc" || a["rpc.method"].AsString() != "_OTHER") {
			t.Fatalf("unknown method %q: span %q, rpc.method %q", method, spans[0].Name(), a["rpc.method"].AsString())
		}
		recs := tel.accessLog(t)
		if len(recs) != 1 || recordAttrs(recs[0])[instrument.RequestIDAttribute] != got {
			t.Fatalf("access log %v, want one record with %q", recs, got)
		}
	})
}
