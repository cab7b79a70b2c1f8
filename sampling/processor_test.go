package sampling

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"testing"
	"time"

	"go.opentelemetry.io/otel/codes"
	"go.opentelemetry.io/otel/log"
	"go.opentelemetry.io/otel/trace"
)

// fiveSpans makes a trace of a root and four children; mark is called on
// the last child, which ends after the root. It returns the trace id.
func fiveSpans(p *pipeline, mark func(ctx context.Context, s trace.Span)) trace.TraceID {
	ctx, root := p.tracer.Start(context.Background(), "root")
	for i := range 3 {
		_, c := p.tracer.Start(ctx, fmt.Sprintf("child%d", i))
		c.End()
	}
	lctx, late := p.tracer.Start(ctx, "late")
	root.End()
	if mark != nil {
		mark(lctx, late)
	}
	late.End()
	return root.SpanContext().TraceID()
}

func TestTailKeepsTracesThatMatterWhole(t *testing.T) {
	start := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	for _, tc := range []struct {
		name string
		cfg  Tail
		// trace makes the trace; it returns its id.
		trace    func(p *pipeline) trace.TraceID
		wantKept bool
		reason   string
	}{
		{"ordinary", Tail{}, func(p *pipeline) trace.TraceID { return fiveSpans(p, nil) }, false, "dropped/rate"},
		{"error status on a child ending after the root", Tail{}, func(p *pipeline) trace.TraceID {
			return fiveSpans(p, func(_ context.Context, s trace.Span) { s.SetStatus(codes.Error, "boom") })
		}, true, "kept/error"},
		{"exception event", Tail{}, func(p *pipeline) trace.TraceID {
			return fiveSpans(p, func(_ context.Context, s trace.Span) { s.RecordError(errors.New("boom")) })
		}, true, "kept/error"},
		{"warn record", Tail{}, func(p *pipeline) trace.TraceID {
			return fiveSpans(p, func(ctx context.Context, _ trace.Span) { p.log(ctx, log.SeverityWarn, "slow disk") })
		}, true, "kept/level"},
		{"info record below the default level", Tail{}, func(p *pipeline) trace.TraceID {
			return fiveSpans(p, func(ctx context.Context, _ trace.Span) { p.log(ctx, log.SeverityInfo, "hello") })
		}, false, "dropped/rate"},
		{"warn record below level error", Tail{Level: slog.LevelError}, func(p *pipeline) trace.TraceID {
			return fiveSpans(p, func(ctx context.Context, _ trace.Span) { p.log(ctx, log.SeverityWarn, "slow disk") })
		}, false, "dropped/rate"},
		{"debug record at level debug", Tail{Level: slog.LevelDebug}, func(p *pipeline) trace.TraceID {
			return fiveSpans(p, func(ctx context.Context, _ trace.Span) { p.log(ctx, log.SeverityDebug, "detail") })
		}, true, "kept/level"},
		{"root as long as Duration", Tail{Duration: 500 * time.Millisecond}, func(p *pipeline) trace.TraceID {
			ctx, root := p.tracer.Start(context.Background(), "root", trace.WithTimestamp(start))
			_, c := p.tracer.Start(ctx, "child", trace.WithTimestamp(start))
			root.End(trace.WithTimestamp(start.Add(500 * time.Millisecond)))
			c.End(trace.WithTimestamp(start.Add(time.Second)))
			return root.SpanContext().TraceID()
		}, true, "kept/duration"},
		{"root shorter than Duration, child longer", Tail{Duration: 500 * time.Millisecond}, func(p *pipeline) trace.TraceID {
			ctx, root := p.tracer.Start(context.Background(), "root", trace.WithTimestamp(start))
			_, c := p.tracer.Start(ctx, "child", trace.WithTimestamp(start))
			root.End(trace.WithTimestamp(start.Add(499 * time.Millisecond)))
			c.End(trace.WithTimestamp(start.Add(time.Second)))
			return root.SpanContext().TraceID()
		}, false, "dropped/rate"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			p := newPipeline(t, tc.cfg)
			id := tc.trace(p)
			// A record after the trace is decided follows the decision.
			ctx := trace.ContextWithSpanContext(context.Background(), trace.NewSpanContext(trace.SpanContextConfig{
				TraceID: id, SpanID: trace.SpanID{1}, TraceFlags: trace.FlagsSampled,
			}))
			p.log(ctx, log.SeverityInfo, "access log")
			names := p.exportedNames(id)
			logs := p.logs.bodies()
			if tc.wantKept {
				want := "child0,child1,child2,root,late"
				if tc.cfg.Duration > 0 {
					want = "root,child"
				}
				if got := strings.Join(names, ","); got != want {
					t.Fatalf("exported spans %s; want %s, the whole trace in end order", got, want)
				}
				if len(logs) == 0 || logs[len(logs)-1] != "access log" {
					t.Errorf("exported records %q; want the late access log last", logs)
				}
			} else if n := len(names); n != 0 || len(logs) != 0 {
				t.Fatalf("exported %d spans and the records %q; want none", n, logs)
			}
			if got := p.counts(t, MetricTraces); got[tc.reason] != 1 || len(got) != 1 {
				t.Errorf("%s = %v; want %s: 1", MetricTraces, got, tc.reason)
			}
		})
	}
}
