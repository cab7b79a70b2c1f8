package console

import (
	"context"

	"go.opentelemetry.io/otel"
	"go.opentelemetry.io/otel/exporters/stdout/stdouttrace"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
)

// spanProcessor writes spans in the pretty format. Like the SDK's simple
// and batch processors, it leaves out spans that are not sampled.
//
// A started span is pending: nothing is written for it yet. When a child
// span starts or a log record is emitted inside a pending span, the span's
// opening line is written first and the span becomes opened; when it ends, a
// closing line follows. A span that ends while still pending gets a single
// line with its duration.
type spanProcessor struct {
	part
}

var _ sdktrace.SpanProcessor = (*spanProcessor)(nil)

// OnStart records s as pending, and writes the opening line of its parent if
// the parent is still pending.
func (p *spanProcessor) OnStart(_ context.Context, s sdktrace.ReadWriteSpan) {
	sc := s.SpanContext()
	if p.stopped.Load() || !sc.IsSampled() {
		return
	}
	c := p.c
	psc := s.Parent()
	e := openSpan{span: s, trace: sc.TraceID()}
	line := getBuf()

	c.mu.Lock()
	// A remote parent that is open here is a span of this process whose
	// context travelled through a request (a client calling a server in the
	// same process): it nests like a local parent.
	if pe, ok := c.parentLocked(e.trace, psc.SpanID()); ok {
		e.parent = psc.SpanID()
		e.depth = pe.depth + 1
		if !pe.opened {
			*line = c.openLocked(*line, e.parent, pe)
		}
	}
	if len(c.open) < maxOpen {
		c.open[sc.SpanID()] = e
	}
	if len(*line) > 0 {
		c.out.append(sigTraces, *line)
	}
	c.mu.Unlock()
	putBuf(line)
}

// OnEnd writes the span's single line if it is still pending, or its
// closing line if it was opened.
func (p *spanProcessor) OnEnd(s sdktrace.ReadOnlySpan) {
	sc := s.SpanContext()
	if p.stopped.Load() || !sc.IsSampled() {
		return
	}
	c := p.c
	psc := s.Parent()
	// Most spans are leaves: their text is formatted before taking the lock.
	text := getBuf()
	*text = c.appendLeaf(*text, s)
	line := getBuf()

	c.mu.Lock()
	e, tracked := c.open[sc.SpanID()]
	if tracked && e.trace == sc.TraceID() {
		delete(c.open, sc.SpanID())
	} else {
		tracked = false
		e = openSpan{trace: sc.TraceID()}
		if pe, ok := c.parentLocked(e.trace, psc.SpanID()); ok {
			e.parent = psc.SpanID()
			e.depth = pe.depth + 1
		}
	}
	b := c.contextLocked(*line, e.trace, e.parent)
	if tracked && e.opened {
		b = c.appendPrefix(b, s.EndTime(), blankLevel, "", e.depth, false)
		b = c.appendClosing(b, s, e.shown)
	} else {
		b = c.appendPrefix(b, s.StartTime(), blankLevel, "", e.depth, false)
		b = append(b, *text...)
	}
	b = append(b, '\n')
	c.out.append(sigTraces, b)
	c.mu.Unlock()

	*line = b
	putBuf(line)
	putBuf(text)
}

// jsonSpanProcessor writes each ended span as one JSON line through the
// stdouttrace exporter into the Console's buffer. It leaves
// out spans that are not sampled.
type jsonSpanProcessor struct {
	part
	exp *stdouttrace.Exporter
}

var _ sdktrace.SpanProcessor = (*jsonSpanProcessor)(nil)

func newJSONSpanProcessor(c *Console) *jsonSpanProcessor {
	opts := []stdouttrace.Option{stdouttrace.WithWriter(signalWriter{c.out, sigTraces})}
	if !c.cfg.timestamps {
		opts = append(opts, stdouttrace.WithoutTimestamps())
	}
	exp, err := stdouttrace.New(opts...)
	if err != nil {
		// Only the exporter's self-observability can fail; the exporter
		// works without it.
		otel.Handle(err)
	}
	return &jsonSpanProcessor{part: part{c: c}, exp: exp}
}

// OnStart does nothing: spans are written when they end.
func (*jsonSpanProcessor) OnStart(context.Context, sdktrace.ReadWriteSpan) {}

// OnEnd writes s as one JSON line.
func (p *jsonSpanProcessor) OnEnd(s sdktrace.ReadOnlySpan) {
	if p.stopped.Load() || !s.SpanContext().IsSampled() {
		return
	}
	if err := p.exp.ExportSpans(context.Background(), []sdktrace.ReadOnlySpan{s}); err != nil {
		otel.Handle(err)
	}
}
