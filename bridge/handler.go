package bridge

import (
	"context"
	"log/slog"

	"go.opentelemetry.io/contrib/bridges/otelslog"
	"go.opentelemetry.io/otel"
)

// Handler is an [slog.Handler] that sends records at or above its level to
// an OpenTelemetry LoggerProvider, with the request id of their context, and
// raises the level of the span they are logged in. Create it with
// [NewHandler]; the package documentation lists the rules it follows.
//
// A Handler is safe for concurrent use.
type Handler struct {
	level slog.Leveler
	next  slog.Handler
}

var _ slog.Handler = (*Handler)(nil)

// NewHandler returns a Handler whose records come from the instrumentation
// scope name (the package or program that logs, such as
// "github.com/acme/shop"). See [WithLoggerProvider], [WithLevel] and
// [WithSource] for its options.
func NewHandler(name string, opts ...Option) *Handler {
	c := newConfig(opts)
	p := c.provider
	if p == nil {
		p = otel.GetLoggerProvider()
	}
	cp := correlatingProvider{next: p}
	h := &Handler{
		level: c.level,
		next: otelslog.NewHandler(name,
			otelslog.WithLoggerProvider(cp),
			otelslog.WithVersion(c.version),
			otelslog.WithSource(c.source)),
	}
	return h
}

// Enabled reports whether a record at level l would be sent: l is at or
// above the handler's level and the LoggerProvider accepts it. The level is
// compared first, so a disabled level costs one comparison.
func (h *Handler) Enabled(ctx context.Context, l slog.Level) bool {
	return l >= h.level.Level() && h.next.Enabled(ctx, l)
}

// Handle sends r to the LoggerProvider unless it is below the handler's
// level. It never returns an error: a record that cannot be delivered is
// the provider's to report.
func (h *Handler) Handle(ctx context.Context, r slog.Record) error {
	if r.Level < h.level.Level() {
		return nil
	}
	return h.next.Handle(ctx, r)
}

// WithAttrs returns a Handler whose records also carry attrs.
func (h *Handler) WithAttrs(attrs []slog.Attr) slog.Handler {
	if len(attrs) == 0 {
		return h
	}
	return &Handler{level: h.level, next: h.next.WithAttrs(attrs)}
}

// WithGroup returns a Handler that puts the attributes added later in the
// group name. An empty name returns h.
func (h *Handler) WithGroup(name string) slog.Handler {
	if name == "" {
		return h
	}
	return &Handler{level: h.level, next: h.next.WithGroup(name)}
}
