package bridge

import (
	"context"
	"log/slog"
	"slices"

	"go.opentelemetry.io/otel/trace"

	"github.com/observe-go/observe/internal/requestid"
)

// Keys of the attributes [WithCorrelation] adds to records.
const (
	// TraceIDKey holds the trace id, 32 lowercase hex digits.
	TraceIDKey = "trace_id"
	// SpanIDKey holds the span id, 16 lowercase hex digits.
	SpanIDKey = "span_id"
	// RequestIDKey holds the request id.
	RequestIDKey = "request_id"
)

// WithCorrelation returns a handler that passes each record to h with the
// trace id, span id and request id of the record's context added as
// attributes ([TraceIDKey], [SpanIDKey], [RequestIDKey]), each only when
// the context has it. Use it to keep a handler of one's own, such as
// [slog.NewJSONHandler], and still find its lines from a trace.
//
// The ids stay at the top level of the record: once a group is opened with
// WithGroup, the returned handler keeps the group's attributes itself and
// hands h complete records. Levels are left to h, and spans are not
// touched. A nil h gives nil.
func WithCorrelation(h slog.Handler) slog.Handler {
	if h == nil {
		return nil
	}
	if c, ok := h.(*correlationHandler); ok {
		return c
	}
	return &correlationHandler{next: h}
}

// correlationHandler adds correlation ids to records. Attributes added
// before the first group go to next through its WithAttrs; from the first
// group on they are kept in chain, because next would put the ids inside
// the group.
type correlationHandler struct {
	next  slog.Handler
	chain []groupOrAttrs
}

// groupOrAttrs is one WithGroup (group set) or WithAttrs (attrs set) call.
type groupOrAttrs struct {
	group string
	attrs []slog.Attr
}

func (h *correlationHandler) Enabled(ctx context.Context, l slog.Level) bool {
	return h.next.Enabled(ctx, l)
}

func (h *correlationHandler) Handle(ctx context.Context, r slog.Record) error {
	var ids [3]slog.Attr
	n := 0
	if sc := trace.SpanContextFromContext(ctx); sc.IsValid() {
		ids[0] = slog.String(TraceIDKey, sc.TraceID().String())
		ids[1] = slog.String(SpanIDKey, sc.SpanID().String())
		n = 2
	}
	if id := requestid.FromContext(ctx); id != "" {
		ids[n] = slog.String(RequestIDKey, id)
		n++
	}
	if len(h.chain) == 0 {
		if n == 0 {
			return h.next.Handle(ctx, r)
		}
		r = r.Clone()
		r.AddAttrs(ids[:n]...)
		return h.next.Handle(ctx, r)
	}

	// Rebuild the record with the open groups, innermost first.
	attrs := make([]slog.Attr, 0, r.NumAttrs())
	r.Attrs(func(a slog.Attr) bool {
		attrs = append(attrs, a)
		return true
	})
	for i := len(h.chain) - 1; i >= 0; i-- {
		g := h.chain[i]
		if g.group == "" {
			attrs = append(slices.Clip(g.attrs), attrs...)
			continue
		}
		if len(attrs) > 0 {
			attrs = []slog.Attr{{Key: g.group, Value: slog.GroupValue(attrs...)}}
		}
	}
	out := slog.NewRecord(r.Time, r.Level, r.Message, r.PC)
	out.AddAttrs(attrs...)
	out.AddAttrs(ids[:n]...)
	return h.next.Handle(ctx, out)
}

func (h *correlationHandler) WithAttrs(attrs []slog.Attr) slog.Handler {
	if len(attrs) == 0 {
		return h
	}
	if len(h.chain) == 0 {
		return &correlationHandler{next: h.next.WithAttrs(attrs)}
	}
	return &correlationHandler{next: h.next, chain: append(slices.Clip(h.chain), groupOrAttrs{attrs: slices.Clone(attrs)})}
}

func (h *correlationHandler) WithGroup(name string) slog.Handler {
	if name == "" {
		return h
	}
	return &correlationHandler{next: h.next, chain: append(slices.Clip(h.chain), groupOrAttrs{group: name})}
}
