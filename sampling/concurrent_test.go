package sampling

import (
	"context"
	"fmt"
	"math/rand/v2"
	"sync"
	"testing"
	"time"

	"go.opentelemetry.io/otel/codes"
	"go.opentelemetry.io/otel/log"
	sdkmetric "go.opentelemetry.io/otel/sdk/metric"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/sdk/trace/tracetest"
	"go.opentelemetry.io/otel/trace"
)

func TestTailConcurrentSafe(t *testing.T) {
	const workers, perWorker, children = 8, 150, 3
	p := newPipeline(t, Tail{Rate: 0.3}, withIDs(newSeededIDs(3)))
	type want struct {
		id             trace.TraceID
		failed, warned bool
	}
	var mu sync.Mutex
	var traces []want
	var wg sync.WaitGroup
	for w := range workers {
		wg.Go(func() {
			r := rand.New(rand.NewPCG(uint64(w), 1))
			for i := range perWorker {
				ctx, root := p.tracer.Start(context.Background(), "root")
				tw := want{id: root.SpanContext().TraceID(), failed: r.IntN(5) == 0, warned: r.IntN(7) == 0}
				failing := r.IntN(children)
				var cw sync.WaitGroup
				for c := range children {
					// Children start before the root ends, and end in their
					// own goroutines, some after the root.
					cctx, span := p.tracer.Start(ctx, fmt.Sprintf("child%d", c))
					cw.Go(func() {
						p.log(cctx, log.SeverityInfo, "info")
						if tw.failed && c == failing {
							span.SetStatus(codes.Error, "boom")
						}
						if tw.warned && c == 0 {
							p.log(cctx, log.SeverityWarn, "warn")
						}
						span.End()
					})
				}
				if i%2 == 0 {
					root.End()
					cw.Wait()
				} else {
					cw.Wait()
					root.End()
				}
				mu.Lock()
				traces = append(traces, tw)
				mu.Unlock()
			}
		})
	}
	wg.Wait()

	spans, logs := p.exported(), p.logs.byTrace()
	kept := 0
	for _, tw := range traces {
		n := spans[tw.id]
		if n != 0 && n != children+1 {
			t.Fatalf("trace %s: exported %d of its %d spans; want all or none", tw.id, n, children+1)
		}
		if (tw.failed || tw.warned) && n == 0 {
			t.Fatalf("trace %s (failed %v, warned %v) dropped; want it kept", tw.id, tw.failed, tw.warned)
		}
		wantLogs := 0
		if n != 0 {
			kept++
			wantLogs = children
			if tw.warned {
				wantLogs++
			}
		}
		if logs[tw.id] != wantLogs {
			t.Fatalf("trace %s: exported %d records with %d spans; want %d", tw.id, logs[tw.id], n, wantLogs)
		}
	}
	if kept == 0 || kept == len(traces) {
		t.Fatalf("kept %d of %d traces; want some of the ordinary ones dropped", kept, len(traces))
	}
	if got := p.gauge(t, MetricBufferTraces); got != 0 {
		t.Errorf("%s = %d after every trace completed; want 0", MetricBufferTraces, got)
	}
}

// TestTailSweeperDecidesOnItsOwn runs the background sweeper on the real
// clock: a trace whose root never ends is decided once MaxWait has passed.
func TestTailSweeperDecidesOnItsOwn(t *testing.T) {
	rec := tracetest.NewSpanRecorder()
	reader := sdkmetric.NewManualReader()
	mp := sdkmetric.NewMeterProvider(sdkmetric.WithReader(reader))
	t.Cleanup(func() { _ = mp.Shutdown(context.Background()) })
	tail, err := NewTailProcessor(Tail{MaxWait: 20 * time.Millisecond, Duration: 10 * time.Millisecond}, rec, WithMeterProvider(mp))
	if err != nil {
		t.Fatal(err)
	}
	tp := sdktrace.NewTracerProvider(sdktrace.WithSpanProcessor(tail))
	ctx, root := tp.Tracer("t").Start(context.Background(), "never ends")
	_, c := tp.Tracer("t").Start(ctx, "child")
	c.End()
	deadline := time.Now().Add(10 * time.Second)
	for len(rec.Ended()) == 0 {
		if time.Now().After(deadline) {
			t.Fatal("the held child was not passed on within 10 s; want the sweeper to keep the slow trace")
		}
		time.Sleep(5 * time.Millisecond)
	}
	if err := tp.Shutdown(context.Background()); err != nil {
		t.Fatal(err)
	}
	_ = root
}
