package instrument_test

import (
	"context"
	"sort"
	"strings"
	"testing"

	"go.opentelemetry.io/contrib/instrumentation/google.golang.org/grpc/otelgrpc"
	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/propagation"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"google.golang.org/grpc"
)

// The same calls through otelgrpc alone and through observe's handlers,
// with the same providers: observe keeps every span attribute, status and
// metric stream otelgrpc makes, and only adds (the request id, error.type
// on server spans). The one difference in what is recorded is a call to a
// method the server does not have, which otelgrpc leaves with a span that
// never ends and no metric.
func TestGRPCParityWithOtelgrpc(t *testing.T) {
	prop := otelgrpc.WithPropagators(propagation.TraceContext{})
	anchor := newGRPCTelemetry(t)
	ar := startRig(t,
		[]grpc.ServerOption{grpc.StatsHandler(otelgrpc.NewServerHandler(otelgrpc.WithTracerProvider(anchor.tp), otelgrpc.WithMeterProvider(anchor.mp), prop))},
		grpc.WithStatsHandler(otelgrpc.NewClientHandler(otelgrpc.WithTracerProvider(anchor.tp), otelgrpc.WithMeterProvider(anchor.mp), prop)))
	ours := newGRPCTelemetry(t)
	or := startRig(t, ours.serverOptions(), ours.clientOption())

	calls := []struct {
		name string
		do   func(r *rig) error
	}{
		{"ok", func(r *rig) error { _, err := r.say(context.Background(), "x"); return err }},
		{"not found", func(r *rig) error { _, err := r.say(context.Background(), "code:5"); return err }},
		{"internal", func(r *rig) error { _, err := r.say(context.Background(), "code:13"); return err }},
		{"stream", func(r *rig) error { _, err := r.count(context.Background(), "3"); return err }},
		{"bad argument stream", func(r *rig) error { _, err := r.count(context.Background(), "x"); return err }},
	}
	for _, c := range calls {
		ea, eo := c.do(ar), c.do(or)
		if (ea == nil) != (eo == nil) || ea != nil && ea.Error() != eo.Error() {
			t.Errorf("%s: otelgrpc answered %v, observe %v", c.name, ea, eo)
		}
	}
	// The unknown method goes last: otelgrpc's span for it never ends.
	_ = ar.conn.Invoke(context.Background(), "/observe.test.Echo/Nope", wrapString("x"), wrapString(""))
	_ = or.conn.Invoke(context.Background(), "/observe.test.Echo/Nope", wrapString("x"), wrapString(""))
	ar.stop()
	or.stop()

	// Spans are matched by kind, name and status code: a client span may
	// end before or after its server span.
	as, os := spanIndex(anchor.spans.Ended()), spanIndex(ours.spans.Ended())
	added := map[attribute.Key]bool{"observe.request_id": true, "error.type": true, "observe.level": true}
	if len(as) != 2*len(calls)+1 || len(os) != 2*len(calls)+2 {
		t.Fatalf("ended spans: otelgrpc %d, observe %d; want %d and %d", len(as), len(os), 2*len(calls)+1, 2*len(calls)+2)
	}
	if len(anchor.spans.Started()) != len(as)+1 {
		t.Errorf("otelgrpc: %d spans started, %d ended; want its unknown-method span left open", len(anchor.spans.Started()), len(as))
	}
	for key, a := range as {
		o, ok := os[key]
		if !ok {
			t.Errorf("observe has no span %s", key)
			continue
		}
		if a.Status() != o.Status() || len(a.Events()) != len(o.Events()) {
			t.Errorf("%s: otelgrpc %v with %d events, observe %v with %d", key, a.Status(), len(a.Events()), o.Status(), len(o.Events()))
		}
		oa := attrMap(o.Attributes())
		for _, kv := range a.Attributes() {
			if kv.Key == "server.port" {
				continue // the two servers listen on different ports
			}
			if got, ok := oa[kv.Key]; !ok || got != kv.Value {
				t.Errorf("%s: otelgrpc sets %s=%s, observe %s", key, kv.Key, kv.Value.Emit(), got.Emit())
			}
		}
		for k := range oa {
			if _, ok := attrMap(a.Attributes())[k]; !ok && !added[k] {
				t.Errorf("%s: observe adds %s", key, k)
			}
		}
	}
	unknown, ok := os["SERVER grpc UNIMPLEMENTED"]
	if !ok || attrMap(unknown.Attributes())["rpc.method"].AsString() != "_OTHER" {
		t.Errorf("observe's unknown-method span missing or wrong: %v", unknown)
	}

	am, om := anchor.collect(t), ours.collect(t)
	for _, name := range []string{"rpc.server.call.duration", "rpc.client.call.duration"} {
		a, o := pointSets(t, points(t, am, name)), pointSets(t, points(t, om, name))
		if name == "rpc.server.call.duration" {
			a = append(a, `error.type=UNIMPLEMENTED,rpc.method=_OTHER,rpc.response.status_code=UNIMPLEMENTED,rpc.system.name=grpc x1`)
			sort.Strings(a)
		}
		if len(a) != len(o) {
			t.Errorf("%s: otelgrpc points %v, observe %v", name, a, o)
			continue
		}
		for i := range a {
			if a[i] != o[i] {
				t.Errorf("%s: otelgrpc point %s, observe %s", name, a[i], o[i])
			}
		}
	}
}

// pointSets renders data points without server.port, sorted.
func pointSets(t *testing.T, ps map[attribute.Distinct]pointOf) []string {
	t.Helper()
	var out []string
	for _, p := range ps {
		var kvs []attribute.KeyValue
		for _, kv := range p.set.ToSlice() {
			if kv.Key != "server.port" {
				kvs = append(kvs, kv)
			}
		}
		s := attribute.NewSet(kvs...)
		out = append(out, s.Encoded(attribute.DefaultEncoder())+" x"+itoa(p.count))
	}
	sort.Strings(out)
	return out
}

func itoa(n uint64) string {
	return attribute.Int64Value(int64(n)).Emit()
}

// spanIndex keys spans by kind, name and rpc.response.status_code.
func spanIndex(spans []sdktrace.ReadOnlySpan) map[string]sdktrace.ReadOnlySpan {
	m := make(map[string]sdktrace.ReadOnlySpan, len(spans))
	for _, s := range spans {
		m[strings.ToUpper(s.SpanKind().String())+" "+s.Name()+" "+attrMap(s.Attributes())["rpc.response.status_code"].AsString()] = s
	}
	return m
}
