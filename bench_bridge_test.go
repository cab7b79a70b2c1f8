package observe_test

import (
	"context"
	"io"
	"log/slog"
	"testing"

	"go.opentelemetry.io/contrib/bridges/otelslog"
	sdklog "go.opentelemetry.io/otel/sdk/log"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"

	"github.com/observe-go/observe"
	"github.com/observe-go/observe/internal/requestid"
)

// discardExporter is a log exporter that drops what it is given, so that
// the batch processor in front of it costs what it costs before an OTLP
// exporter, without the network.
type discardExporter struct{}

func (discardExporter) Export(context.Context, []sdklog.Record) error { return nil }
func (discardExporter) Shutdown(context.Context) error                { return nil }
func (discardExporter) ForceFlush(context.Context) error              { return nil }

// BenchmarkLogger measures Telemetry.Logger, whose records fan out to the
// console (JSON or pretty, to io.Discard) and to a batch processor (as
// the OTLP exporter has, given with WithLogExporter), or go to the batch
// processor alone, against its two outputs alone on the same
// record: slog's JSON handler, and otelslog on a LoggerProvider with the
// same batch processor. The fan-out should cost no more than the sum of
// those two.
func BenchmarkLogger(b *testing.B) {
	newProvider := func(b *testing.B) *sdklog.LoggerProvider {
		lp := sdklog.NewLoggerProvider(sdklog.WithProcessor(sdklog.NewBatchProcessor(discardExporter{})))
		b.Cleanup(func() { _ = lp.Shutdown(context.Background()) })
		return lp
	}
	telemetry := func(b *testing.B, format string) *slog.Logger {
		logs := "console"
		if format == "" {
			logs = "none"
		}
		tel, err := observe.Configure(
			observe.WithEnvLookup(envMap(map[string]string{"OBSERVE_CONSOLE_FORMAT": format})),
			observe.WithoutGlobals(), observe.WithConsoleWriter(io.Discard),
			observe.WithLogsExporters(logs), observe.WithTracesExporters("none"),
			observe.WithLogExporter(discardExporter{}))
		if err != nil {
			b.Fatal(err)
		}
		b.Cleanup(func() { _ = tel.Shutdown(context.Background()) })
		return tel.Logger()
	}
	for _, bc := range []struct {
		name      string
		logger    func(*testing.B) *slog.Logger
		level     slog.Level
		requestID bool
	}{
		{"slog.JSONHandler", func(*testing.B) *slog.Logger { return slog.New(slog.NewJSONHandler(io.Discard, nil)) }, slog.LevelInfo, false},
		{"otelslog+batch", func(b *testing.B) *slog.Logger {
			return slog.New(otelslog.NewHandler("bench", otelslog.WithLoggerProvider(newProvider(b))))
		}, slog.LevelInfo, false},
		{"Telemetry.Logger/json+batch", func(b *testing.B) *slog.Logger { return telemetry(b, "json") }, slog.LevelInfo, false},
		{"Telemetry.Logger/pretty+batch", func(b *testing.B) *slog.Logger { return telemetry(b, "pretty") }, slog.LevelInfo, false},
		// Without a console, as when an OTLP endpoint is set.
		{"Telemetry.Logger/batch", func(b *testing.B) *slog.Logger { return telemetry(b, "") }, slog.LevelInfo, false},
		// A request id is one more attribute, which the baselines lack;
		// past five attributes it costs the record an allocation.
		{"Telemetry.Logger/json+batch+request_id", func(b *testing.B) *slog.Logger { return telemetry(b, "json") }, slog.LevelInfo, true},
		{"Telemetry.Logger/below-level", func(b *testing.B) *slog.Logger { return telemetry(b, "json") }, slog.LevelDebug, false},
	} {
		b.Run(bc.name, func(b *testing.B) {
			l := bc.logger(b)
			tp := sdktrace.NewTracerProvider()
			b.Cleanup(func() { _ = tp.Shutdown(context.Background()) })
			ctx := context.Background()
			if bc.requestID {
				ctx = requestid.NewContext(ctx, "req-42")
			}
			ctx, span := tp.Tracer("bench").Start(ctx, "op")
			defer span.End()
			b.ReportAllocs()
			for b.Loop() {
				l.LogAttrs(ctx, bc.level, "order placed",
					slog.Int("order_id", 1001),
					slog.Float64("amount", 42.5),
					slog.String("currency", "EUR"),
					slog.String("payment_method", "card"),
					slog.Int("items", 3))
			}
		})
	}
}
