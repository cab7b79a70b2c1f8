package sampling

import (
	"context"
	"encoding/binary"
	"math"
	"testing"

	"go.opentelemetry.io/otel/propagation"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/trace"
)

// keptBySpec says whether the consistent probability sampling
// specification keeps trace id at rate: its lowest 56 bits R against the
// threshold (1 - rate) * 2^56.
func keptBySpec(id trace.TraceID, rate float64) bool {
	r := binary.BigEndian.Uint64(id[8:]) & (1<<56 - 1)
	return float64(r) >= (1-rate)*(1<<56)
}

func TestTailKeepsTheRateOfOrdinaryTraces(t *testing.T) {
	for _, tc := range []struct {
		rate float64
		n    int
	}{{0, 2000}, {0.01, 20_000}, {0.25, 20_000}, {1, 2000}} {
		rate, n := tc.rate, tc.n
		t.Run("", func(t *testing.T) {
			p := newPipeline(t, Tail{Rate: rate}, withIDs(newSeededIDs(7)))
			ids := make([]trace.TraceID, n)
			for i := range ids {
				ctx, root := p.tracer.Start(context.Background(), "root")
				_, c := p.tracer.Start(ctx, "child")
				c.End()
				root.End()
				ids[i] = root.SpanContext().TraceID()
			}
			exported := p.exported()
			kept := 0
			for _, id := range ids {
				got := exported[id]
				if got != 0 && got != 2 {
					t.Fatalf("trace %s exported %d of its 2 spans; want all or none", id, got)
				}
				if (got == 2) != keptBySpec(id, rate) {
					t.Fatalf("trace %s kept = %v at rate %v; the specification says %v", id, got == 2, rate, !(got == 2))
				}
				if got == 2 {
					kept++
				}
			}
			// The seeded ids must look random: the count is within five
			// standard deviations of the binomial mean.
			mean, sd := float64(n)*rate, math.Sqrt(float64(n)*rate*(1-rate))
			if math.Abs(float64(kept)-mean) > 5*sd+0.5 {
				t.Errorf("kept %d of %d traces at rate %v; want %.0f ± %.0f", kept, n, rate, mean, 5*sd)
			}
			c := p.counts(t, MetricTraces)
			if c["kept/rate"] != int64(kept) || c["dropped/rate"] != int64(n-kept) {
				t.Errorf("%s = %v; want kept/rate %d and dropped/rate %d", MetricTraces, c, kept, n-kept)
			}
		})
	}
}

func TestTailTwoServicesDecideTheSame(t *testing.T) {
	a := newPipeline(t, Tail{Rate: 0.5}, withIDs(newSeededIDs(11)))
	b := newPipeline(t, Tail{Rate: 0.5}, withIDs(newSeededIDs(12)))
	prop := propagation.TraceContext{}
	const n = 2000
	for range n {
		// a calls b: b sees the trace through traceparent only.
		ctx, client := a.tracer.Start(context.Background(), "client", trace.WithSpanKind(trace.SpanKindClient))
		carrier := propagation.MapCarrier{}
		prop.Inject(ctx, carrier)
		_, server := b.tracer.Start(prop.Extract(context.Background(), carrier), "server", trace.WithSpanKind(trace.SpanKindServer))
		server.End()
		client.End()
	}
	ka, kb := a.exported(), b.exported()
	if len(ka) == 0 || len(ka) == n {
		t.Fatalf("a kept %d of %d traces; want a share", len(ka), n)
	}
	if len(ka) != len(kb) {
		t.Fatalf("a kept %d traces, b %d; want the same traces", len(ka), len(kb))
	}
	for id := range ka {
		if kb[id] == 0 {
			t.Fatalf("trace %s kept by a, dropped by b", id)
		}
	}
}

func TestTailHonoursExplicitRandomness(t *testing.T) {
	// The trace id's bits say drop at any rate below 1; the "ot" trace
	// state's rv says keep at rate 0.5.
	id := trace.TraceID{0: 0xff, 15: 0x01}
	for _, tc := range []struct {
		tracestate string
		want       bool
	}{
		{"", false},
		{"ot=rv:f0000000000000", true},
		{"vendor=x,ot=th:8;rv:f0000000000000", true},
		{"ot=rv:00000000000001", false},
		{"ot=rv:f00000000000000", false}, // 15 digits: not a valid rv, the id decides
		{"ot=rv:zz000000000000", false},
	} {
		ts, err := trace.ParseTraceState(tc.tracestate)
		if err != nil {
			t.Fatalf("ParseTraceState(%q): %v", tc.tracestate, err)
		}
		p := newPipeline(t, Tail{Rate: 0.5})
		parent := trace.NewSpanContext(trace.SpanContextConfig{
			TraceID: id, SpanID: trace.SpanID{1}, TraceFlags: trace.FlagsSampled, TraceState: ts, Remote: true,
		})
		_, s := p.tracer.Start(trace.ContextWithRemoteSpanContext(context.Background(), parent), "server")
		s.End()
		if got := p.exported()[id] == 1; got != tc.want {
			t.Errorf("tracestate %q: kept = %v; want %v", tc.tracestate, got, tc.want)
		}
	}
}

func TestThresholdFor(t *testing.T) {
	for _, tc := range []struct {
		rate float64
		want uint64
	}{
		{0, 1 << 56},
		{math.NaN(), 1 << 56},
		{1, 0},
		{0.5, 1 << 55},
		{0.25, 3 << 54},
	} {
		if got := thresholdFor(tc.rate); got != tc.want {
			t.Errorf("thresholdFor(%v) = %#x; want %#x", tc.rate, got, tc.want)
		}
	}
}

var _ sdktrace.IDGenerator = (*seededIDs)(nil)
