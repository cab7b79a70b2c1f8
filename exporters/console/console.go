package console

import (
	"context"
	"io"
	"os"
	"sync"
	"sync/atomic"

	"go.opentelemetry.io/otel/attribute"
	sdklog "go.opentelemetry.io/otel/sdk/log"
	sdkmetric "go.opentelemetry.io/otel/sdk/metric"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/trace"
)

// maxOpen bounds the number of open spans a Console tracks. Spans started
// while it is reached are printed when they end, unnested.
const maxOpen = 10000

// Console writes spans, log records and metrics to an [io.Writer] for people
// to read, or as JSON. Its span processor, log processor and metric
// exporter share one buffered writer and one view of the open spans, so log
// records are indented under the span they were emitted in.
//
// A Console is safe for concurrent use. Create it with [New].
type Console struct {
	cfg config
	out *bufWriter

	// mu orders pretty lines and guards the open-span bookkeeping.
	mu        sync.Mutex
	open      map[trace.SpanID]openSpan
	lastTrace trace.TraceID // trace of the last line written

	partsMu sync.Mutex
	live    int // parts obtained and not shut down
	spans   sdktrace.SpanProcessor
	logs    sdklog.Processor
	metrics sdkmetric.Exporter
}

// openSpan is what a Console knows about a span that has started and not
// ended.
type openSpan struct {
	span   sdktrace.ReadWriteSpan
	trace  trace.TraceID
	parent trace.SpanID // zero unless the parent is tracked
	depth  int
	// opened is set once the span's opening line is written; shown holds
	// the attributes that line carried.
	opened bool
	shown  []attribute.KeyValue
}

// New returns a Console writing to w, or to [os.Stdout] if w is nil.
//
// Nothing is written until one of its parts, [Console.SpanProcessor],
// [Console.LogProcessor] or [Console.MetricExporter], is registered with an
// SDK provider or reader and receives telemetry.
func New(w io.Writer, opts ...Option) *Console {
	if w == nil {
		w = os.Stdout
	}
	cfg := newConfig(opts)
	return &Console{
		cfg:  cfg,
		out:  newBufWriter(w, cfg.flushInterval),
		open: make(map[trace.SpanID]openSpan),
	}
}

// Flush waits until everything buffered before the call is written to the
// destination, or until ctx is done, and returns the error of the write, if
// any. If ctx ends first, the error wraps ctx's error and says how many
// lines are still waiting; they are written when the destination takes
// them.
func (c *Console) Flush(ctx context.Context) error {
	return c.out.flush(ctx)
}

// SpanProcessor returns the Console's span processor. Every call returns the
// same processor, also after it has been shut down. Register it with
// [sdktrace.WithSpanProcessor]; it formats each span on the calling
// goroutine into the Console's buffer and never waits for the destination,
// so it needs no batching.
func (c *Console) SpanProcessor() sdktrace.SpanProcessor {
	c.partsMu.Lock()
	defer c.partsMu.Unlock()
	if c.spans == nil {
		c.acquireLocked()
		if c.cfg.format == FormatJSON {
			c.spans = newJSONSpanProcessor(c)
		} else {
			c.spans = &spanProcessor{part: part{c: c}}
		}
	}
	return c.spans
}

// LogProcessor returns the Console's log processor. Every call returns the
// same processor, also after it has been shut down. Register it with
// [sdklog.WithProcessor]; it formats each record on the calling goroutine
// into the Console's buffer and never waits for the destination, so it
// needs no batching.
func (c *Console) LogProcessor() sdklog.Processor {
	c.partsMu.Lock()
	defer c.partsMu.Unlock()
	if c.logs == nil {
		c.acquireLocked()
		if c.cfg.format == FormatJSON {
			c.logs = &jsonLogProcessor{part: part{c: c}}
		} else {
			c.logs = &logProcessor{part: part{c: c}}
		}
	}
	return c.logs
}

// MetricExporter returns the Console's metric exporter, for use with
// [sdkmetric.NewPeriodicReader]. Every call returns the same exporter, also
// after it has been shut down. It
// asks for cumulative temporality and the default aggregations.
func (c *Console) MetricExporter() sdkmetric.Exporter {
	c.partsMu.Lock()
	defer c.partsMu.Unlock()
	if c.metrics == nil {
		c.acquireLocked()
		if c.cfg.format == FormatJSON {
			c.metrics = newJSONMetricExporter(c)
		} else {
			c.metrics = &metricExporter{part: part{c: c}}
		}
	}
	return c.metrics
}

func (c *Console) acquireLocked() {
	c.live++
	if c.live == 1 {
		c.out.reopen()
	}
}

// release flushes the buffer for a part being shut down. When it was the
// last live part, it also reports the drops not yet reported and waits for
// the write goroutine to return, so that nothing of the Console keeps
// running. It returns by ctx's deadline whatever the destination does.
func (c *Console) release(ctx context.Context) error {
	c.partsMu.Lock()
	c.live--
	last := c.live == 0
	c.partsMu.Unlock()
	if last {
		return c.out.close(ctx)
	}
	return c.out.flush(ctx)
}

// part holds what the span processor, log processor and metric exporter
// share: their Console, their shutdown state, and their Shutdown and
// ForceFlush methods.
type part struct {
	c       *Console
	stopped atomic.Bool
}

// Shutdown writes out the Console's buffer, within ctx's deadline; from
// then on the part ignores what it receives. Only the first call has an
// effect.
func (p *part) Shutdown(ctx context.Context) error {
	if !p.stopped.CompareAndSwap(false, true) {
		return nil
	}
	return p.c.release(ctx)
}

// ForceFlush writes out the Console's buffer, within ctx's deadline.
func (p *part) ForceFlush(ctx context.Context) error {
	return p.c.out.flush(ctx)
}

var bufPool = sync.Pool{New: func() any {
	b := make([]byte, 0, 512)
	return &b
}}

func getBuf() *[]byte { return bufPool.Get().(*[]byte) }

func putBuf(b *[]byte) {
	if cap(*b) > 64<<10 {
		return
	}
	*b = (*b)[:0]
	bufPool.Put(b)
}
