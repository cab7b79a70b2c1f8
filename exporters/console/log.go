package console

import (
	"context"

	"go.opentelemetry.io/otel/attribute"
	sdklog "go.opentelemetry.io/otel/sdk/log"
	"go.opentelemetry.io/otel/trace"
)

// logProcessor writes log records in the pretty format, indented under the
// span they were emitted in.
type logProcessor struct {
	part
}

var _ sdklog.Processor = (*logProcessor)(nil)

// Enabled reports whether the processor still writes records.
func (p *logProcessor) Enabled(context.Context, sdklog.EnabledParameters) bool {
	return !p.stopped.Load()
}

// OnEmit writes r as one line. If r was emitted inside a pending span, that
// span's opening line is written first.
func (p *logProcessor) OnEmit(_ context.Context, r *sdklog.Record) error {
	if p.stopped.Load() || r == nil {
		return nil
	}
	c := p.c
	t := r.Timestamp()
	if t.IsZero() {
		t = r.ObservedTimestamp()
	}
	if t.IsZero() && c.cfg.timestamps {
		t = c.cfg.now()
	}
	level, color := levelName(int(r.Severity()), r.SeverityText())

	text := getBuf()
	*text = appendMessage(*text, r)
	*text = c.appendRecordAttrs(*text, r)
	line := getBuf()

	tr, sid := r.TraceID(), r.SpanID()
	c.mu.Lock()
	b := *line
	depth := 0
	if pe, ok := c.parentLocked(tr, sid); ok {
		depth = pe.depth + 1
		if !pe.opened {
			b = c.openLocked(b, sid, pe)
		}
	} else {
		sid = trace.SpanID{}
	}
	b = c.contextLocked(b, tr, sid)
	b = c.appendPrefix(b, t, level, color, depth, false)
	b = append(b, *text...)
	b = append(b, '\n')
	c.out.append(sigLogs, b)
	c.mu.Unlock()

	*line = b
	putBuf(line)
	putBuf(text)
	return nil
}

// appendMessage appends the record's body, or its event name if the body is
// empty.
func appendMessage(b []byte, r *sdklog.Record) []byte {
	body := r.Body()
	switch body.Type() {
	case attribute.STRING:
		return appendEscaped(b, body.AsString())
	case attribute.EMPTY:
		return appendEscaped(b, r.EventName())
	default:
		return appendEscaped(b, body.String())
	}
}

func (c *Console) appendRecordAttrs(b []byte, r *sdklog.Record) []byte {
	n := 0
	r.WalkAttributes(func(kv attribute.KeyValue) bool {
		if n == 0 && c.cfg.color {
			b = append(b, ansiDim...)
		}
		if n == maxAttrs {
			b = append(b, " …"...)
			n++
			return false
		}
		b = appendKV(b, string(kv.Key), kv.Value)
		n++
		return true
	})
	if n > 0 && c.cfg.color {
		b = append(b, ansiReset...)
	}
	return b
}
