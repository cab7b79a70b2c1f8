package bridge_test

import (
	"context"
	"io"
	"log/slog"
	"testing"

	"go.opentelemetry.io/contrib/bridges/otelslog"

	"github.com/observe-go/observe/bridge"
	"github.com/observe-go/observe/internal/requestid"
)

// logOrder logs the record every benchmark of this file writes: a message
// and five attributes, with a context that holds a span and a request id.
func logOrder(ctx context.Context, l *slog.Logger, level slog.Level) {
	l.LogAttrs(ctx, level, "order placed",
		slog.Int("order_id", 1001),
		slog.Float64("amount", 42.5),
		slog.String("currency", "EUR"),
		slog.String("payment_method", "card"),
		slog.Int("items", 3))
}

// BenchmarkHandler compares the bridge with slog's JSON handler and with
// otelslog alone, on the same record. The OpenTelemetry handlers send to a
// LoggerProvider that drops every record, so that only the handlers are
// measured; the root package's BenchmarkLogger measures the whole pipeline.
func BenchmarkHandler(b *testing.B) {
	ctx := requestid.NewContext(spanContext(context.Background()), "req-42")
	for _, bc := range []struct {
		name    string
		handler slog.Handler
		level   slog.Level
	}{
		{"slog.JSONHandler", slog.NewJSONHandler(io.Discard, nil), slog.LevelInfo},
		{"otelslog", otelslog.NewHandler("bench", otelslog.WithLoggerProvider(discardProvider{})), slog.LevelInfo},
		{"bridge", bridge.NewHandler("bench", bridge.WithLoggerProvider(discardProvider{})), slog.LevelInfo},
		{"WithCorrelation(JSONHandler)", bridge.WithCorrelation(slog.NewJSONHandler(io.Discard, nil)), slog.LevelInfo},
		{"slog.JSONHandler/below-level", slog.NewJSONHandler(io.Discard, nil), slog.LevelDebug},
		{"bridge/below-level", bridge.NewHandler("bench", bridge.WithLoggerProvider(discardProvider{})), slog.LevelDebug},
	} {
		b.Run(bc.name, func(b *testing.B) {
			l := slog.New(bc.handler)
			b.ReportAllocs()
			for b.Loop() {
				logOrder(ctx, l, bc.level)
			}
		})
	}
}

// BenchmarkBelowLevel is the cost of a call below the level (a
// [*slog.LevelVar] at info), which the bridge must keep under 10ns and 0
// allocations. slog.DiscardHandler, disabled at every level, is the floor
// that slog itself costs.
func BenchmarkBelowLevel(b *testing.B) {
	var lv slog.LevelVar
	ctx := spanContext(context.Background())
	for _, bc := range []struct {
		name    string
		handler slog.Handler
	}{
		{"bridge", bridge.NewHandler("bench", bridge.WithLoggerProvider(discardProvider{}), bridge.WithLevel(&lv))},
		{"slog.DiscardHandler", slog.DiscardHandler},
	} {
		l := slog.New(bc.handler)
		b.Run(bc.name+"/Debug", func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				l.Debug("cache miss", "key", "user:42", "size", 512)
			}
		})
		b.Run(bc.name+"/DebugContext", func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				l.DebugContext(ctx, "cache miss", "key", "user:42")
			}
		})
		b.Run(bc.name+"/Enabled", func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				_ = l.Enabled(ctx, slog.LevelDebug)
			}
		})
	}
}
