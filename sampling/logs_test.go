package sampling

import (
	"context"
	"slices"
	"testing"
	"time"

	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/codes"
	sdklog "go.opentelemetry.io/otel/sdk/log"

	"go.opentelemetry.io/otel/log"
	"go.opentelemetry.io/otel/trace"
)

func TestTailLogsFollowTheirTrace(t *testing.T) {
	p := newPipeline(t, Tail{})

	// A record outside any trace, and one of a trace this process never
	// started, pass at once.
	p.log(context.Background(), log.SeverityInfo, "no trace")
	remote := trace.ContextWithRemoteSpanContext(context.Background(), trace.NewSpanContext(trace.SpanContextConfig{
		TraceID: trace.TraceID{9, 9}, SpanID: trace.SpanID{9}, TraceFlags: trace.FlagsSampled, Remote: true,
	}))
	p.log(remote, log.SeverityInfo, "foreign trace")
	if got := p.logs.bodies(); !slices.Equal(got, []string{"no trace", "foreign trace"}) {
		t.Fatalf("exported %q; want the two records without a trace here, at once", got)
	}

	// Records of a trace wait with it, and are dropped with it.
	ctx, root := p.tracer.Start(context.Background(), "ordinary")
	p.log(ctx, log.SeverityInfo, "ordinary 1")
	p.log(ctx, log.SeverityInfo, "ordinary 2")
	if got := p.logs.bodies(); len(got) != 2 {
		t.Fatalf("exported %q while the trace is open; want the records held", got)
	}
	root.End()
	p.log(ctx, log.SeverityInfo, "ordinary after the end")

	// A record at the level keeps its trace at once: what the trace holds
	// is passed on before its root ends.
	ctx, root = p.tracer.Start(context.Background(), "warned")
	_, child := p.tracer.Start(ctx, "child")
	p.log(ctx, log.SeverityInfo, "warned 1")
	child.End()
	if n := len(p.spans.GetSpans()); n != 0 {
		t.Fatalf("exported %d spans before the warning; want none", n)
	}
	p.log(ctx, log.SeverityWarn, "warned 2")
	if got := p.exportedNames(root.SpanContext().TraceID()); !slices.Equal(got, []string{"child"}) {
		t.Fatalf("exported spans %q after the warning; want the held child", got)
	}
	p.log(ctx, log.SeverityInfo, "warned 3")
	root.End()
	p.log(ctx, log.SeverityInfo, "warned after the end")

	want := []string{"no trace", "foreign trace", "warned 1", "warned 2", "warned 3", "warned after the end"}
	if got := p.logs.bodies(); !slices.Equal(got, want) {
		t.Errorf("exported records %q; want %q", got, want)
	}
	if got := p.exportedNames(root.SpanContext().TraceID()); !slices.Equal(got, []string{"child", "warned"}) {
		t.Errorf("exported spans %q; want child, warned", got)
	}
	if got := p.counts(t, MetricLogRecordsDropped); got["rate"] != 3 {
		t.Errorf("%s = %v; want rate: 3", MetricLogRecordsDropped, got)
	}
	if got := p.counts(t, MetricTraces); got["kept/level"] != 1 || got["dropped/rate"] != 1 {
		t.Errorf("%s = %v; want kept/level 1 and dropped/rate 1", MetricTraces, got)
	}
}

func TestTailLogShutdownDecidesHeldTraces(t *testing.T) {
	p := newPipeline(t, Tail{Duration: time.Second})
	ctx, slow := p.tracer.Start(context.Background(), "slow")
	_, c := p.tracer.Start(ctx, "slow child")
	c.End()
	p.log(ctx, log.SeverityInfo, "slow held")
	p.clock.Advance(2 * time.Second)
	ctx2, fast := p.tracer.Start(context.Background(), "fast")
	p.log(ctx2, log.SeverityInfo, "fast held")

	// The log side shuts down first: the held traces are decided with what
	// is known, and the records of the kept one reach the exporter before
	// it shuts down.
	if err := p.lp.Shutdown(context.Background()); err != nil {
		t.Fatalf("log Shutdown: %v", err)
	}
	if got := p.logs.bodies(); !slices.Equal(got, []string{"slow held"}) {
		t.Fatalf("exported records %q; want the slow trace's (kept: open longer than Duration)", got)
	}
	slow.End()
	fast.End()
	if got := p.exportedNames(slow.SpanContext().TraceID()); !slices.Equal(got, []string{"slow child", "slow"}) {
		t.Errorf("exported %q; want the slow trace whole", got)
	}
	if got := p.exportedNames(fast.SpanContext().TraceID()); len(got) != 0 {
		t.Errorf("exported %q; want nothing of the fast trace", got)
	}

	// Spans go on being sampled; records are no longer passed on.
	ctx3, root3 := p.tracer.Start(context.Background(), "after")
	_, c3 := p.tracer.Start(ctx3, "failed")
	c3.SetStatus(codes.Error, "")
	c3.End()
	p.log(ctx3, log.SeverityError, "after the log side shut down")
	root3.End()
	if got := p.exportedNames(root3.SpanContext().TraceID()); !slices.Equal(got, []string{"failed", "after"}) {
		t.Errorf("exported %q; want the failed trace started after the log side shut down", got)
	}
	// The provider no longer calls its processors; a record given to the
	// companion itself is not passed on, and counted.
	var r sdklog.Record
	r.SetTraceID(root3.SpanContext().TraceID())
	r.SetBody(attribute.StringValue("given to the companion after its Shutdown"))
	if err := p.logComp.OnEmit(context.Background(), &r); err != nil {
		t.Errorf("OnEmit after Shutdown: %v", err)
	}
	if got := p.logs.bodies(); len(got) != 1 {
		t.Errorf("exported records %q after the log side shut down; want no new one", got)
	}
	if got := p.counts(t, MetricLogRecordsDropped); got["shutdown"] != 1 || got["rate"] != 1 {
		t.Errorf("%s = %v; want shutdown 1 and rate 1", MetricLogRecordsDropped, got)
	}
}

func TestTailForgetsOldDecisions(t *testing.T) {
	// MaxTraces 1 remembers the least number of decisions, 1 024.
	p := newPipeline(t, Tail{MaxTraces: 1}, withIDs(newSeededIDs(5)))
	ctx, old := p.tracer.Start(context.Background(), "old")
	old.End()
	p.log(ctx, log.SeverityInfo, "dropped: the decision is remembered")
	for range 4 * minRemembered {
		_, s := p.tracer.Start(context.Background(), "newer")
		s.End()
	}
	p.log(ctx, log.SeverityInfo, "passed: the decision is forgotten")
	if got := p.logs.bodies(); !slices.Equal(got, []string{"passed: the decision is forgotten"}) {
		t.Fatalf("exported %q; want only the record that came after its trace's decision was forgotten", got)
	}
}
