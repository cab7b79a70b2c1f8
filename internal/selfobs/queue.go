package selfobs

import (
	"context"
	"fmt"
	"runtime"
	"sync"
	"sync/atomic"
	"time"

	"go.opentelemetry.io/otel"
	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/metric"
	sdklog "go.opentelemetry.io/otel/sdk/log"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
)

const queueDroppedMetric = "observe.queue.dropped"

// How soon a drop is reported, and how often after that.
const (
	firstReport = time.Second
	nextReport  = 10 * time.Second
)

// Queues counts what the batch processors in front of the exporters could
// not take. Each batch processor is gated by a [Queue] that admits an item
// only while fewer than the processor's queue size are waiting to reach
// the exporter, so the processor itself never drops silently: every drop
// is counted here, reported through otel.Handle within a second or so of
// the first one, and observable as observe.queue.dropped. The zero value is
// ready to use.
type Queues struct {
	mu     sync.Mutex
	queues []*Queue
}

// Queue gates one batch processor. Create it with [Queues.New].
type Queue struct {
	signal, exporter string
	max              int64
	attrs            metric.ObserveOption

	pending   atomic.Int64 // admitted, not yet handed to the exporter
	dropped   atomic.Int64
	exporting atomic.Int32 // exports under way

	mu       sync.Mutex
	before   []func()    // run when shutdown begins
	reported int64       // dropped, as last reported
	timer    *time.Timer // a report to come, or nil
	last     time.Time   // when the last report was made
}

// New returns the Queue of the signal's exporter called name, whose batch
// processor holds at most max items.
func (qs *Queues) New(signal, name string, max int) *Queue {
	q := &Queue{signal: signal, exporter: name, max: int64(max), attrs: metric.WithAttributeSet(attribute.NewSet(
		attribute.String("signal", signal),
		attribute.String("exporter", name),
	))}
	qs.mu.Lock()
	qs.queues = append(qs.queues, q)
	qs.mu.Unlock()
	return q
}

// RegisterMetrics registers with mp the observable counter
// observe.queue.dropped of the items every Queue dropped.
func (qs *Queues) RegisterMetrics(mp metric.MeterProvider) (metric.Registration, error) {
	meter := mp.Meter(scopeName)
	ctr, err := meter.Int64ObservableCounter(queueDroppedMetric,
		metric.WithUnit("{item}"),
		metric.WithDescription("Spans or log records dropped because the export queue was full, or still queued when Shutdown's deadline passed."))
	if err != nil {
		return nil, fmt.Errorf("selfobs: registering %s: %w", queueDroppedMetric, err)
	}
	return meter.RegisterCallback(func(_ context.Context, o metric.Observer) error {
		qs.mu.Lock()
		queues := qs.queues
		qs.mu.Unlock()
		for _, q := range queues {
			o.ObserveInt64(ctr, q.dropped.Load(), q.attrs)
		}
		return nil
	}, ctr)
}

// OnShutdown makes f run when the gated processor's Shutdown begins, before
// the processor exports what it holds (such as [Retry.Close], so that those
// exports are tried once).
func (q *Queue) OnShutdown(f func()) {
	q.mu.Lock()
	q.before = append(q.before, f)
	q.mu.Unlock()
}

func (q *Queue) shuttingDown() {
	q.mu.Lock()
	fs := q.before
	q.mu.Unlock()
	for _, f := range fs {
		f()
	}
}

// Dropped returns how many items q dropped.
func (q *Queue) Dropped() int64 { return q.dropped.Load() }

// admit reserves a place for one item, or counts it as dropped.
//
// Past half the queue with no export under way, the batch processor's
// goroutines are not waiting for their exporter but for a CPU, which the
// goroutines that record keep busy: the caller then yields its processor
// so that the queue drains instead of overflowing, a few times at most, or
// up to nearlyFullYields times when the queue is nearly full. An export
// under way, which may be waiting for the backend, limits the caller to a
// few yields near full and none before: it never waits for an exporter.
func (q *Queue) admit() bool {
	for {
		p := q.pending.Load()
		if p >= q.max {
			q.drop(1)
			return false
		}
		if q.pending.CompareAndSwap(p, p+1) {
			if p >= q.max/2 {
				q.yield(p >= q.max-q.max/8)
			}
			return true
		}
	}
}

// Bounds on the yields of one admit.
const (
	halfFullYields   = 4
	nearlyFullYields = 64
)

func (q *Queue) yield(nearlyFull bool) {
	budget := halfFullYields
	if nearlyFull {
		budget = nearlyFullYields
	}
	for i := 0; i < budget && q.pending.Load() >= q.max/2; i++ {
		if q.exporting.Load() > 0 && (!nearlyFull || i >= halfFullYields) {
			return
		}
		runtime.Gosched()
	}
}

// done frees the places of n items handed to the exporter.
func (q *Queue) done(n int) { q.pending.Add(-int64(n)) }

// drop counts n dropped items and makes sure a report comes.
func (q *Queue) drop(n int64) {
	q.dropped.Add(n)
	q.mu.Lock()
	defer q.mu.Unlock()
	if q.timer != nil {
		return
	}
	wait := firstReport
	if since := time.Since(q.last); since < nextReport {
		wait = max(wait, nextReport-since)
	}
	q.timer = time.AfterFunc(wait, q.report)
}

// report writes what was dropped since the last report.
func (q *Queue) report() {
	q.mu.Lock()
	q.timer = nil
	total := q.dropped.Load()
	n := total - q.reported
	q.reported, q.last = total, time.Now()
	q.mu.Unlock()
	if n > 0 {
		otel.Handle(&QueueError{Signal: q.signal, Exporter: q.exporter, Dropped: n, Total: total, Size: q.max})
	}
}

// closed counts the items still waiting when the processor was shut down:
// they never reached the exporter. It reports at once.
func (q *Queue) closed() {
	if n := q.pending.Swap(0); n > 0 {
		q.dropped.Add(n)
	}
	q.mu.Lock()
	if q.timer != nil {
		q.timer.Stop()
		q.timer = nil
	}
	q.mu.Unlock()
	q.report()
}

// QueueError reports items a full export queue dropped.
type QueueError struct {
	Signal, Exporter string
	Dropped, Total   int64
	Size             int64
}

func (e *QueueError) Error() string {
	return fmt.Sprintf("%s: %d %s dropped before export to %s (%d in total): the export queue of %d was full, or still held them at Shutdown; the exporter or its backend is slower than the application produces",
		e.Signal, e.Dropped, itemName(e.Signal, e.Dropped), e.Exporter, e.Total, e.Size)
}

// SpanProcessor gates bsp, a batch processor whose exporter is wrapped by
// [Queue.SpanExporter].
func (q *Queue) SpanProcessor(bsp sdktrace.SpanProcessor) sdktrace.SpanProcessor {
	return &gatedSpans{SpanProcessor: bsp, q: q}
}

type gatedSpans struct {
	sdktrace.SpanProcessor
	q *Queue
}

func (g *gatedSpans) OnEnd(s sdktrace.ReadOnlySpan) {
	// The batch processor takes sampled spans only.
	if !s.SpanContext().IsSampled() || g.q.admit() {
		g.SpanProcessor.OnEnd(s)
	}
}

func (g *gatedSpans) Shutdown(ctx context.Context) error {
	g.q.shuttingDown()
	err := g.SpanProcessor.Shutdown(ctx)
	g.q.closed()
	return err
}

// SpanExporter frees a place of q for every span handed to exp.
func (q *Queue) SpanExporter(exp sdktrace.SpanExporter) sdktrace.SpanExporter {
	return &queuedSpans{SpanExporter: exp, q: q}
}

type queuedSpans struct {
	sdktrace.SpanExporter
	q *Queue
}

func (e *queuedSpans) ExportSpans(ctx context.Context, spans []sdktrace.ReadOnlySpan) error {
	e.q.exporting.Add(1)
	defer e.q.exporting.Add(-1)
	e.q.done(len(spans))
	return e.SpanExporter.ExportSpans(ctx, spans)
}

// LogProcessor gates bp, a batch processor whose exporter is wrapped by
// [Queue.LogExporter].
func (q *Queue) LogProcessor(bp sdklog.Processor) sdklog.Processor {
	return &gatedLogs{Processor: bp, q: q}
}

type gatedLogs struct {
	sdklog.Processor
	q *Queue
}

func (g *gatedLogs) OnEmit(ctx context.Context, r *sdklog.Record) error {
	if !g.q.admit() {
		return nil
	}
	return g.Processor.OnEmit(ctx, r)
}

func (g *gatedLogs) Shutdown(ctx context.Context) error {
	g.q.shuttingDown()
	err := g.Processor.Shutdown(ctx)
	g.q.closed()
	return err
}

// LogExporter frees a place of q for every record handed to exp.
func (q *Queue) LogExporter(exp sdklog.Exporter) sdklog.Exporter {
	return &queuedLogs{Exporter: exp, q: q}
}

type queuedLogs struct {
	sdklog.Exporter
	q *Queue
}

func (e *queuedLogs) Export(ctx context.Context, records []sdklog.Record) error {
	e.q.exporting.Add(1)
	defer e.q.exporting.Add(-1)
	e.q.done(len(records))
	return e.Exporter.Export(ctx, records)
}
