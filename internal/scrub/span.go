package scrub

import (
	"context"

	"go.opentelemetry.io/otel/attribute"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
)

// SpanProcessor returns a span processor that hands next scrubbed spans:
//
//   - OnEnd: when anything in the span's attributes, events (exception
//     messages included), links' attributes or status description matches,
//     next gets a read-only span whose methods return the scrubbed data and
//     whose attributes list the redacted paths under [ScrubbedKey]; when
//     nothing matches, next gets the span itself, and nothing is allocated.
//   - OnStart: next gets the live span behind a view whose Attributes,
//     Events, Links and Status are scrubbed each time they are read, so a
//     processor that prints at start (the console) sees scrubbed data.
//     Writes go to the span. The view is always made: checking the
//     attributes at start would make the SDK copy them on the span's next
//     write, which costs more, and attributes set later would be missed.
//
// Shutdown and ForceFlush are next's. A nil next gets nothing.
// The span name and the resource are not scrubbed.
func (s *Scrubber) SpanProcessor(next sdktrace.SpanProcessor) sdktrace.SpanProcessor {
	if s == nil {
		s = defaultScrubber
	}
	return &spanProcessor{s: s, next: next, view: true}
}

// EndSpanProcessor is [Scrubber.SpanProcessor] for a next whose OnStart
// reads nothing of the span but its context and parent (batch processors,
// the tail sampler): next's OnStart gets the span itself, which spares the
// view its allocation. OnEnd is the same.
func (s *Scrubber) EndSpanProcessor(next sdktrace.SpanProcessor) sdktrace.SpanProcessor {
	if s == nil {
		s = defaultScrubber
	}
	return &spanProcessor{s: s, next: next}
}

type spanProcessor struct {
	s    *Scrubber
	next sdktrace.SpanProcessor
	view bool // whether OnStart hands next a scrubbing view
}

func (p *spanProcessor) OnStart(ctx context.Context, span sdktrace.ReadWriteSpan) {
	if p.next == nil {
		return
	}
	if !p.view {
		p.next.OnStart(ctx, span)
		return
	}
	p.next.OnStart(ctx, liveSpan{ReadWriteSpan: span, s: p.s})
}

func (p *spanProcessor) OnEnd(span sdktrace.ReadOnlySpan) {
	if p.next == nil {
		return
	}
	if sc, ok := p.s.scrubSpan(span); ok {
		p.next.OnEnd(sc)
		return
	}
	p.next.OnEnd(span)
}

func (p *spanProcessor) Shutdown(ctx context.Context) error {
	if p.next == nil {
		return nil
	}
	return p.next.Shutdown(ctx)
}

func (p *spanProcessor) ForceFlush(ctx context.Context) error {
	if p.next == nil {
		return nil
	}
	return p.next.ForceFlush(ctx)
}

// scrubbedSpan is a read-only span with scrubbed attributes, events, links
// and status.
type scrubbedSpan struct {
	sdktrace.ReadOnlySpan
	attrs  []attribute.KeyValue
	events []sdktrace.Event
	links  []sdktrace.Link
	status sdktrace.Status
}

func (s *scrubbedSpan) Attributes() []attribute.KeyValue { return s.attrs }
func (s *scrubbedSpan) Events() []sdktrace.Event         { return s.events }
func (s *scrubbedSpan) Links() []sdktrace.Link           { return s.links }
func (s *scrubbedSpan) Status() sdktrace.Status          { return s.status }

// scrubSpan returns a scrubbed view of span, or false when nothing in it
// matched.
func (s *Scrubber) scrubSpan(span sdktrace.ReadOnlySpan) (*scrubbedSpan, bool) {
	w := walker{s: s}
	w.push(step{key: "attributes"})
	attrs, aChanged := w.attrs(span.Attributes())
	w.pop()
	events, eChanged := w.events(span.Events())
	links, lChanged := w.links(span.Links())
	status := span.Status()
	w.push(step{key: "status.description"})
	d, dChanged := w.str(status.Description, modeFull)
	w.pop()
	if !aChanged && !eChanged && !lChanged && !dChanged {
		return nil, false
	}
	status.Description = d
	return &scrubbedSpan{
		ReadOnlySpan: span,
		attrs:        withScrubbed(attrs, aChanged, w.paths),
		events:       events,
		links:        links,
		status:       status,
	}, true
}

// withScrubbed returns attrs with the redacted paths added under
// ScrubbedKey (merged with any already there). attrs is not modified
// unless owned is true.
func withScrubbed(attrs []attribute.KeyValue, owned bool, paths []string) []attribute.KeyValue {
	for i, kv := range attrs {
		if kv.Key != ScrubbedKey {
			continue
		}
		merged := append([]string(nil), kv.Value.AsStringSlice()...)
		for _, p := range paths {
			if !containsString(merged, p) {
				merged = append(merged, p)
			}
		}
		if !owned {
			attrs = append([]attribute.KeyValue(nil), attrs...)
		}
		attrs[i] = attribute.StringSlice(ScrubbedKey, merged)
		return attrs
	}
	if !owned {
		attrs = attrs[:len(attrs):len(attrs)] // append copies
	}
	return append(attrs, attribute.StringSlice(ScrubbedKey, paths))
}

func containsString(l []string, s string) bool {
	for _, x := range l {
		if x == s {
			return true
		}
	}
	return false
}

func (w *walker) events(in []sdktrace.Event) ([]sdktrace.Event, bool) {
	var out []sdktrace.Event
	w.push(step{key: "events"})
	defer w.pop()
	for i, ev := range in {
		w.push(step{index: i})
		attrs, changed := w.attrs(ev.Attributes)
		w.pop()
		if !changed {
			continue
		}
		if out == nil {
			out = append([]sdktrace.Event(nil), in...)
		}
		out[i].Attributes = attrs
	}
	if out == nil {
		return in, false
	}
	return out, true
}

func (w *walker) links(in []sdktrace.Link) ([]sdktrace.Link, bool) {
	var out []sdktrace.Link
	w.push(step{key: "links"})
	defer w.pop()
	for i, l := range in {
		w.push(step{index: i})
		attrs, changed := w.attrs(l.Attributes)
		w.pop()
		if !changed {
			continue
		}
		if out == nil {
			out = append([]sdktrace.Link(nil), in...)
		}
		out[i].Attributes = attrs
	}
	if out == nil {
		return in, false
	}
	return out, true
}

// liveSpan is the view of a started span given to the next processor's
// OnStart: reads are scrubbed, writes go to the span.
type liveSpan struct {
	sdktrace.ReadWriteSpan
	s *Scrubber
}

func (l liveSpan) Attributes() []attribute.KeyValue {
	if sc, ok := l.s.scrubSpan(l.ReadWriteSpan); ok {
		return sc.attrs
	}
	return l.ReadWriteSpan.Attributes()
}

func (l liveSpan) Events() []sdktrace.Event {
	w := walker{s: l.s}
	events, _ := w.events(l.ReadWriteSpan.Events())
	return events
}

func (l liveSpan) Links() []sdktrace.Link {
	w := walker{s: l.s}
	links, _ := w.links(l.ReadWriteSpan.Links())
	return links
}

func (l liveSpan) Status() sdktrace.Status {
	st := l.ReadWriteSpan.Status()
	w := walker{s: l.s}
	w.push(step{key: "status.description"})
	st.Description, _ = w.str(st.Description, modeFull)
	return st
}
