package sampling

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"go.opentelemetry.io/otel/log"
	"go.opentelemetry.io/otel/trace"
)

func TestTailMaxTraces(t *testing.T) {
	errs := catchErrors(t)
	p := newPipeline(t, Tail{MaxTraces: 2})
	var roots []trace.Span
	var ctxs []context.Context
	for i := range 3 {
		ctx, r := p.tracer.Start(context.Background(), fmt.Sprintf("root%d", i))
		roots, ctxs = append(roots, r), append(ctxs, ctx)
	}
	if got := p.gauge(t, MetricBufferTraces); got != 2 {
		t.Errorf("%s = %d; want 2, the bound", MetricBufferTraces, got)
	}
	// The third trace found the table full: kept without being held.
	for i, ctx := range ctxs {
		_, c := p.tracer.Start(ctx, fmt.Sprintf("child%d", i))
		c.End()
		p.log(ctx, log.SeverityInfo, fmt.Sprintf("record%d", i))
	}
	if got := p.exportedNames(roots[2].SpanContext().TraceID()); !slices.Equal(got, []string{"child2"}) {
		t.Fatalf("exported %q of the overflowing trace; want its child at once", got)
	}
	if got := p.logs.bodies(); !slices.Equal(got, []string{"record2"}) {
		t.Fatalf("exported records %q; want the overflowing trace's", got)
	}
	for _, r := range roots {
		r.End()
	}
	for i, r := range roots {
		want := 0
		if i == 2 {
			want = 2
		}
		if got := len(p.exportedNames(r.SpanContext().TraceID())); got != want {
			t.Errorf("trace %d: exported %d spans; want %d", i, got, want)
		}
	}
	if got := p.counts(t, MetricTraces); got["max_traces/kept/overflow"] != 1 || got["dropped/rate"] != 2 {
		t.Errorf("%s = %v; want max_traces/kept/overflow 1, dropped/rate 2", MetricTraces, got)
	}

	// The overflow is reported once, with its count, at the next sweep.
	p.tail.sweep()
	p.tail.sweep()
	got := errs.all()
	if len(got) != 1 || !strings.Contains(got[0].Error(), "traces: 1 overflowed") || !strings.Contains(got[0].Error(), "max_traces: 1") {
		t.Fatalf("otel.Handle got %v; want one report of 1 trace over max_traces", got)
	}
	// The next report waits five seconds.
	_, r := p.tracer.Start(context.Background(), "a")
	_, r2 := p.tracer.Start(context.Background(), "b")
	_, r3 := p.tracer.Start(context.Background(), "overflows")
	p.clock.Advance(4 * time.Second)
	p.tail.sweep()
	if n := len(errs.all()); n != 1 {
		t.Fatalf("otel.Handle called %d times within 5 s; want 1", n)
	}
	p.clock.Advance(time.Second)
	p.tail.sweep()
	if got := errs.all(); len(got) != 2 || !strings.Contains(got[1].Error(), "max_traces: 1") {
		t.Fatalf("otel.Handle got %v; want a second report after 5 s", got)
	}
	r.End()
	r2.End()
	r3.End()
}

func TestTailMaxSpansPerTrace(t *testing.T) {
	p := newPipeline(t, Tail{MaxSpansPerTrace: 3})
	ctx, root := p.tracer.Start(context.Background(), "root")
	for i := range 5 {
		_, c := p.tracer.Start(ctx, fmt.Sprintf("c%d", i))
		c.End()
		if i == 2 && len(p.spans.GetSpans()) != 0 {
			t.Fatalf("exported spans with 3 held; want none before the bound is passed")
		}
	}
	// The fourth span passed the bound: the trace is kept, what it held
	// passed on, and the rest passes straight through.
	id := root.SpanContext().TraceID()
	if got := p.exportedNames(id); !slices.Equal(got, []string{"c0", "c1", "c2", "c3", "c4"}) {
		t.Fatalf("exported %q; want c0..c4 in end order", got)
	}
	root.End()
	if got := len(p.exportedNames(id)); got != 6 {
		t.Fatalf("exported %d spans; want the 6 of the trace", got)
	}
	if got := p.counts(t, MetricTraces); got["max_spans_per_trace/kept/overflow"] != 1 || len(got) != 1 {
		t.Errorf("%s = %v; want max_spans_per_trace/kept/overflow 1", MetricTraces, got)
	}
}

func TestTailMaxLogsPerTrace(t *testing.T) {
	p := newPipeline(t, Tail{MaxLogsPerTrace: 2})
	ctx, root := p.tracer.Start(context.Background(), "root")
	_, c := p.tracer.Start(ctx, "child")
	c.End()
	for i := range 4 {
		p.log(ctx, log.SeverityInfo, fmt.Sprint(i))
	}
	if got := p.logs.bodies(); !slices.Equal(got, []string{"0", "1", "2", "3"}) {
		t.Fatalf("exported records %q; want the 4 in order", got)
	}
	root.End()
	if got := p.exportedNames(root.SpanContext().TraceID()); !slices.Equal(got, []string{"child", "root"}) {
		t.Fatalf("exported %q; want the trace whole", got)
	}
	if got := p.counts(t, MetricTraces); got["max_logs_per_trace/kept/overflow"] != 1 || len(got) != 1 {
		t.Errorf("%s = %v; want max_logs_per_trace/kept/overflow 1", MetricTraces, got)
	}
}

func TestTailMaxBytes(t *testing.T) {
	const maxBytes = 4 << 10
	p := newPipeline(t, Tail{MaxBytes: maxBytes})
	var roots []trace.Span
	for i := range 4 {
		ctx, root := p.tracer.Start(context.Background(), fmt.Sprintf("root%d", i))
		roots = append(roots, root)
		for j := range 3 {
			_, c := p.tracer.Start(ctx, strings.Repeat("x", 200))
			c.End()
			p.log(ctx, log.SeverityInfo, strings.Repeat("y", 100*j))
			if got := p.gauge(t, MetricBufferBytes); got > maxBytes {
				t.Fatalf("%s = %d; want at most MaxBytes, %d", MetricBufferBytes, got, maxBytes)
			}
		}
	}
	for _, r := range roots {
		r.End()
	}
	c := p.counts(t, MetricTraces)
	if c["max_bytes/kept/overflow"] == 0 || c["max_bytes/kept/overflow"]+c["dropped/rate"] != 4 {
		t.Fatalf("%s = %v; want some of the 4 traces kept for max_bytes, the rest dropped", MetricTraces, c)
	}
	ex := p.exported()
	for _, r := range roots {
		if n := ex[r.SpanContext().TraceID()]; n != 0 && n != 4 {
			t.Errorf("trace %s exported %d of its 4 spans; want all or none", r.SpanContext().TraceID(), n)
		}
	}
	if got := len(p.spans.GetSpans()); got != 4*int(c["max_bytes/kept/overflow"]) {
		t.Errorf("exported %d spans; want 4 per overflowing trace", got)
	}
	if got := p.gauge(t, MetricBufferBytes); got != 0 {
		t.Errorf("%s = %d after every trace was decided; want 0", MetricBufferBytes, got)
	}
}
