package console

import (
	"time"

	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/codes"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/trace"
)

// maxIndent caps the indentation, in levels, of deeply nested lines.
const maxIndent = 32

// blankLevel fills the level column of span and metric lines.
const blankLevel = "     "

// A pretty line is: [time ]level indent text. The methods below whose names
// end in Locked are called with c.mu held; they append to b and return it.

// appendPrefix appends the time column, the level column and the
// indentation. With plain set it writes no colour, for lines the caller
// colours as a whole.
func (c *Console) appendPrefix(b []byte, t time.Time, level, color string, depth int, plain bool) []byte {
	colored := c.cfg.color && !plain
	if c.cfg.timestamps {
		if colored {
			b = append(b, ansiDim...)
		}
		b = t.Local().AppendFormat(b, timeLayout)
		if colored {
			b = append(b, ansiReset...)
		}
		b = append(b, ' ')
	}
	if colored && color != "" {
		b = append(b, color...)
		b = append(b, level...)
		b = append(b, ansiReset...)
	} else {
		b = append(b, level...)
	}
	b = append(b, ' ')
	for i := 0; i < depth && i < maxIndent; i++ {
		b = append(b, "  "...)
	}
	return b
}

// parentLocked returns the tracked parent of a span or record, if any.
func (c *Console) parentLocked(tr trace.TraceID, parent trace.SpanID) (openSpan, bool) {
	if !parent.IsValid() {
		return openSpan{}, false
	}
	e, ok := c.open[parent]
	if !ok || e.trace != tr {
		return openSpan{}, false
	}
	return e, true
}

// contextLocked is called before a line of trace tr whose parent span is
// parent is written. If the previous line belonged to another trace, it
// reprints the chain of open ancestors, dimmed and marked with ↳, so the
// reader sees where the line belongs.
func (c *Console) contextLocked(b []byte, tr trace.TraceID, parent trace.SpanID) []byte {
	if tr == c.lastTrace {
		return b
	}
	c.lastTrace = tr
	var chainBuf [16]openSpan
	chain := chainBuf[:0]
	for id := parent; id.IsValid() && len(chain) < maxOpen; {
		e, ok := c.open[id]
		if !ok || e.trace != tr {
			break
		}
		chain = append(chain, e)
		id = e.parent
	}
	for i := len(chain) - 1; i >= 0; i-- {
		e := chain[i]
		if c.cfg.color {
			b = append(b, ansiDim...)
		}
		b = c.appendPrefix(b, e.span.StartTime(), blankLevel, "", e.depth, true)
		b = append(b, "↳ "...)
		b = appendEscaped(b, e.span.Name())
		b = appendKind(b, e.span.SpanKind())
		if c.cfg.color {
			b = append(b, ansiReset...)
		}
		b = append(b, '\n')
	}
	return b
}

// openLocked writes the opening line of the pending span id, because a
// child span or a log record is about to be written inside it.
func (c *Console) openLocked(b []byte, id trace.SpanID, e openSpan) []byte {
	b = c.contextLocked(b, e.trace, e.parent)
	e.opened = true
	e.shown = e.span.Attributes()
	c.open[id] = e
	b = c.appendPrefix(b, e.span.StartTime(), blankLevel, "", e.depth, false)
	b = c.appendName(b, e.span.Name())
	b = appendKind(b, e.span.SpanKind())
	b = c.appendAttrs(b, e.shown, nil)
	return append(b, '\n')
}

func (c *Console) appendName(b []byte, name string) []byte {
	if c.cfg.color {
		b = append(b, ansiBold...)
		b = appendEscaped(b, name)
		return append(b, ansiReset...)
	}
	return appendEscaped(b, name)
}

func appendKind(b []byte, k trace.SpanKind) []byte {
	switch k {
	case trace.SpanKindServer:
		return append(b, " [server]"...)
	case trace.SpanKindClient:
		return append(b, " [client]"...)
	}
	return b
}

// appendAttrs appends attrs as key=value pairs, at most maxAttrs of them,
// leaving out those equal to one in skip.
func (c *Console) appendAttrs(b []byte, attrs, skip []attribute.KeyValue) []byte {
	n := 0
	for _, kv := range attrs {
		if shownBefore(kv, skip) {
			continue
		}
		if n == 0 && c.cfg.color {
			b = append(b, ansiDim...)
		}
		if n == maxAttrs {
			b = append(b, " …"...)
			n++
			break
		}
		b = appendKV(b, string(kv.Key), kv.Value)
		n++
	}
	if n > 0 && c.cfg.color {
		b = append(b, ansiReset...)
	}
	return b
}

func shownBefore(kv attribute.KeyValue, shown []attribute.KeyValue) bool {
	for _, s := range shown {
		if s.Key == kv.Key {
			return valueEqual(s.Value, kv.Value)
		}
	}
	return false
}

func valueEqual(a, b attribute.Value) bool {
	if a.Type() != b.Type() {
		return false
	}
	switch a.Type() {
	case attribute.BOOL:
		return a.AsBool() == b.AsBool()
	case attribute.INT64:
		return a.AsInt64() == b.AsInt64()
	case attribute.FLOAT64:
		return a.AsFloat64() == b.AsFloat64()
	case attribute.STRING:
		return a.AsString() == b.AsString()
	case attribute.EMPTY:
		return true
	}
	return a.String() == b.String()
}

// appendSpanEnd appends what follows a span's attributes: the type and
// message of its exception events, and its status if it is Error.
func (c *Console) appendSpanEnd(b []byte, s sdktrace.ReadOnlySpan) []byte {
	for _, ev := range s.Events() {
		if ev.Name != "exception" {
			continue
		}
		for _, kv := range ev.Attributes {
			if kv.Key == "exception.type" || kv.Key == "exception.message" {
				if c.cfg.color {
					b = append(b, ansiRed...)
				}
				b = appendKV(b, string(kv.Key), kv.Value)
				if c.cfg.color {
					b = append(b, ansiReset...)
				}
			}
		}
	}
	if st := s.Status(); st.Code == codes.Error {
		if c.cfg.color {
			b = append(b, ansiRed...)
		}
		b = append(b, " error"...)
		if st.Description != "" {
			b = append(b, ": "...)
			b = appendEscaped(b, st.Description)
		}
		if c.cfg.color {
			b = append(b, ansiReset...)
		}
	}
	return b
}

// appendLeaf appends the text of the single line of a span inside which
// nothing was written: name, kind, duration, attributes, exceptions, status.
func (c *Console) appendLeaf(b []byte, s sdktrace.ReadOnlySpan) []byte {
	b = c.appendName(b, s.Name())
	b = appendKind(b, s.SpanKind())
	b = append(b, ' ')
	b = appendDuration(b, s.EndTime().Sub(s.StartTime()))
	b = c.appendAttrs(b, s.Attributes(), nil)
	return c.appendSpanEnd(b, s)
}

// appendClosing appends the text of a closing line: └ name, duration, the
// attributes not shown on the opening line, exceptions and status.
func (c *Console) appendClosing(b []byte, s sdktrace.ReadOnlySpan, shown []attribute.KeyValue) []byte {
	b = append(b, "└ "...)
	b = c.appendName(b, s.Name())
	b = append(b, ' ')
	b = appendDuration(b, s.EndTime().Sub(s.StartTime()))
	b = c.appendAttrs(b, s.Attributes(), shown)
	return c.appendSpanEnd(b, s)
}
