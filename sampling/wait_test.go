package sampling

import (
	"context"
	"errors"
	"slices"
	"strings"
	"testing"
	"time"

	"go.opentelemetry.io/otel/log"
	"go.opentelemetry.io/otel/sdk/trace/tracetest"
)

func TestTailMaxWait(t *testing.T) {
	for _, tc := range []struct {
		name     string
		duration time.Duration
		want     string
	}{
		{"duration rule off", 0, "dropped/rate"},
		{"open longer than Duration", 10 * time.Second, "kept/duration"},
		{"Duration longer than MaxWait", 20 * time.Second, "dropped/rate"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			p := newPipeline(t, Tail{MaxWait: 10 * time.Second, Duration: tc.duration})
			ctx, root := p.tracer.Start(context.Background(), "root")
			_, c := p.tracer.Start(ctx, "child")
			c.End()
			p.log(ctx, log.SeverityInfo, "held")
			p.clock.Advance(10*time.Second - 1)
			p.tail.sweep()
			if tc.duration == 0 || tc.duration > 10*time.Second {
				if n := len(p.spans.GetSpans()) + len(p.logs.bodies()); n != 0 {
					t.Fatalf("exported %d items before MaxWait; want none", n)
				}
			}
			if got := p.counts(t, MetricTraces); len(got) != 0 && tc.want != "kept/duration" {
				t.Fatalf("%s = %v before MaxWait; want nothing decided", MetricTraces, got)
			}
			p.clock.Advance(1)
			p.tail.sweep()
			if got := p.counts(t, MetricTraces); got[tc.want] != 1 || len(got) != 1 {
				t.Fatalf("%s = %v; want %s: 1", MetricTraces, got, tc.want)
			}
			if got := p.gauge(t, MetricBufferTraces); got != 0 {
				t.Fatalf("%s = %d after MaxWait; want 0", MetricBufferTraces, got)
			}
			// The root ends after the decision, and follows it.
			root.End()
			p.log(ctx, log.SeverityError, "after the decision")
			names := p.exportedNames(root.SpanContext().TraceID())
			if tc.want == "kept/duration" {
				if !slices.Equal(names, []string{"child", "root"}) || len(p.logs.bodies()) != 2 {
					t.Fatalf("exported %q and records %q; want the trace whole", names, p.logs.bodies())
				}
				return
			}
			if len(names) != 0 || len(p.logs.bodies()) != 0 {
				t.Fatalf("exported %q and records %q; want nothing of the dropped trace", names, p.logs.bodies())
			}
			if got := p.counts(t, MetricSpansDropped); got["rate"] != 2 {
				t.Errorf("%s = %v; want rate: 2", MetricSpansDropped, got)
			}
		})
	}
}

func TestTailKeepsASlowTraceBeforeItEnds(t *testing.T) {
	p := newPipeline(t, Tail{Duration: time.Second})
	ctx, root := p.tracer.Start(context.Background(), "slow")
	_, c := p.tracer.Start(ctx, "child")
	c.End()
	p.clock.Advance(time.Second)
	p.tail.sweep()
	if got := p.exportedNames(root.SpanContext().TraceID()); !slices.Equal(got, []string{"child"}) {
		t.Fatalf("exported %q once the root was open for Duration; want the held child", got)
	}
	root.End()
	if got := p.exportedNames(root.SpanContext().TraceID()); !slices.Equal(got, []string{"child", "slow"}) {
		t.Fatalf("exported %q; want the trace whole", got)
	}
}

func TestTailForceFlushDecidesNothing(t *testing.T) {
	p := newPipeline(t, Tail{})
	ctx, root := p.tracer.Start(context.Background(), "root")
	_, c := p.tracer.Start(ctx, "child")
	c.End()
	if err := p.tp.ForceFlush(context.Background()); err != nil {
		t.Fatalf("ForceFlush: %v", err)
	}
	if err := p.lp.ForceFlush(context.Background()); err != nil {
		t.Fatalf("log ForceFlush: %v", err)
	}
	if n := len(p.spans.GetSpans()); n != 0 {
		t.Fatalf("exported %d spans of an incomplete trace on ForceFlush; want none", n)
	}
	if got := p.gauge(t, MetricBufferTraces); got != 1 {
		t.Fatalf("%s = %d; want the trace still held", MetricBufferTraces, got)
	}
	root.End()
}

func TestTailShutdownDecidesWhatIsHeld(t *testing.T) {
	p := newPipeline(t, Tail{Duration: time.Minute}, withRecorder())
	ctx1, slow := p.tracer.Start(context.Background(), "slow")
	_, c1 := p.tracer.Start(ctx1, "slow child")
	c1.End()
	p.log(ctx1, log.SeverityInfo, "slow record")
	p.clock.Advance(time.Minute)
	ctx2, ordinary := p.tracer.Start(context.Background(), "ordinary")
	_, c2 := p.tracer.Start(ctx2, "ordinary child")
	c2.End()
	p.log(ctx2, log.SeverityInfo, "ordinary record")

	// Shutdown decides with what it knows: slow's root has been open for
	// Duration, ordinary's has not. (The sweeper would have kept slow
	// already; this processor sweeps only when told.)
	if err := p.tp.Shutdown(context.Background()); err != nil {
		t.Fatalf("Shutdown: %v", err)
	}
	ex := p.exported()
	if got := ex[slow.SpanContext().TraceID()]; got != 1 {
		t.Errorf("slow: exported %d spans; want its ended child", got)
	}
	if got := ex[ordinary.SpanContext().TraceID()]; got != 0 {
		t.Errorf("ordinary: exported %d spans; want none", got)
	}
	if got := p.logs.bodies(); !slices.Equal(got, []string{"slow record"}) {
		t.Errorf("exported records %q; want the slow trace's", got)
	}
	if got := p.counts(t, MetricTraces); got["kept/duration"] != 1 || got["dropped/rate"] != 1 {
		t.Errorf("%s = %v; want kept/duration 1, dropped/rate 1", MetricTraces, got)
	}
	// After Shutdown the processor passes nothing on.
	p.tail.OnEnd(tracetest.SpanStub{Name: "after", SpanContext: slow.SpanContext()}.Snapshot())
	if got := len(p.rec.Ended()); got != 1 {
		t.Errorf("recorded %d spans after Shutdown; want no new one", got)
	}
	if got := p.counts(t, MetricSpansDropped); got["shutdown"] != 1 {
		t.Errorf("%s = %v; want shutdown: 1", MetricSpansDropped, got)
	}
	if err := p.tail.Shutdown(context.Background()); err != nil {
		t.Errorf("second Shutdown: %v; want nil", err)
	}
	slow.End()
	ordinary.End()
}

func TestTailShutdownHonoursItsDeadline(t *testing.T) {
	p := newPipeline(t, Tail{})
	ctx, root := p.tracer.Start(context.Background(), "root")
	_, c := p.tracer.Start(ctx, "child")
	c.End()
	done, cancel := context.WithCancel(context.Background())
	cancel()
	err := p.tail.Shutdown(done)
	if !errors.Is(err, context.Canceled) || !strings.Contains(err.Error(), "sampling") {
		t.Fatalf("Shutdown = %v; want an error wrapping context.Canceled", err)
	}
	if got := p.counts(t, MetricTraces); got["dropped/shutdown"] != 1 {
		t.Errorf("%s = %v; want dropped/shutdown: 1", MetricTraces, got)
	}
	if got := p.counts(t, MetricSpansDropped); got["shutdown"] != 1 {
		t.Errorf("%s = %v; want shutdown: 1", MetricSpansDropped, got)
	}
	root.End()
}
