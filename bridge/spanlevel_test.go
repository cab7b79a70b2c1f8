package bridge_test

import (
	"context"
	"log/slog"
	"sync"
	"testing"

	"go.opentelemetry.io/otel/log/logtest"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/sdk/trace/tracetest"
	"go.opentelemetry.io/otel/trace"

	"github.com/observe-go/observe/bridge"
)

func spanLevel(s sdktrace.ReadOnlySpan) (string, bool) {
	for _, kv := range s.Attributes() {
		if kv.Key == bridge.SpanLevelAttribute {
			return kv.Value.AsString(), true
		}
	}
	return "", false
}

func TestSpanLevelRaisedByWarnings(t *testing.T) {
	for _, tc := range []struct {
		name   string
		levels []slog.Level
		want   string // "" for no attribute
	}{
		{"info", []slog.Level{slog.LevelInfo}, ""},
		{"debug enabled", []slog.Level{slog.LevelDebug}, ""},
		{"warn", []slog.Level{slog.LevelInfo, slog.LevelWarn}, "warn"},
		{"error", []slog.Level{slog.LevelError}, "error"},
		{"above error", []slog.Level{slog.LevelError + 4}, "error"},
		{"warn then error", []slog.Level{slog.LevelWarn, slog.LevelError}, "error"},
		{"error then warn", []slog.Level{slog.LevelError, slog.LevelWarn, slog.LevelInfo}, "error"},
		{"between warn and error", []slog.Level{slog.LevelWarn + 2}, "warn"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			sr := tracetest.NewSpanRecorder()
			tp := sdktrace.NewTracerProvider(sdktrace.WithSpanProcessor(sr))
			logger := slog.New(bridge.NewHandler("test", bridge.WithLoggerProvider(logtest.NewRecorder()), bridge.WithLevel(slog.LevelDebug)))
			ctx, span := tp.Tracer("t").Start(context.Background(), "op")
			for _, l := range tc.levels {
				logger.Log(ctx, l, "record")
			}
			span.End()
			got, ok := spanLevel(sr.Ended()[0])
			if tc.want == "" && ok {
				t.Errorf("span has %s=%q; want none", bridge.SpanLevelAttribute, got)
			}
			if tc.want != "" && got != tc.want {
				t.Errorf("%s = %q; want %q", bridge.SpanLevelAttribute, got, tc.want)
			}
		})
	}
}

func TestSpanLevelOnlyOnRecordingSpans(t *testing.T) {
	sr := tracetest.NewSpanRecorder()
	tp := sdktrace.NewTracerProvider(sdktrace.WithSpanProcessor(sr), sdktrace.WithSampler(sdktrace.NeverSample()))
	logger := slog.New(bridge.NewHandler("test", bridge.WithLoggerProvider(logtest.NewRecorder())))
	ctx, span := tp.Tracer("t").Start(context.Background(), "op")
	logger.ErrorContext(ctx, "failed")
	span.End()
	if n := len(sr.Ended()); n != 0 {
		t.Fatalf("%d spans recorded with a never sampler", n)
	}
	// A remote span context, which no one records, is left alone too.
	logger.ErrorContext(spanContext(context.Background()), "failed")
	// A record below the level does not touch the span.
	tp2 := sdktrace.NewTracerProvider(sdktrace.WithSpanProcessor(sr))
	ctx, span = tp2.Tracer("t").Start(context.Background(), "op")
	slog.New(bridge.NewHandler("test", bridge.WithLoggerProvider(logtest.NewRecorder()), bridge.WithLevel(slog.LevelError))).WarnContext(ctx, "below")
	span.End()
	if lvl, ok := spanLevel(sr.Ended()[0]); ok {
		t.Errorf("a dropped warning set %s=%q", bridge.SpanLevelAttribute, lvl)
	}
}

func TestSpanLevelConcurrentSafe(t *testing.T) {
	sr := tracetest.NewSpanRecorder()
	tp := sdktrace.NewTracerProvider(sdktrace.WithSpanProcessor(sr))
	logger := slog.New(bridge.NewHandler("test", bridge.WithLoggerProvider(discardProvider{})))
	ctx, span := tp.Tracer("t").Start(context.Background(), "op")
	var wg sync.WaitGroup
	for i := range 8 {
		wg.Go(func() {
			for j := range 100 {
				l := slog.LevelWarn
				if i == 3 && j == 50 {
					l = slog.LevelError
				}
				logger.Log(ctx, l, "record")
			}
		})
	}
	wg.Wait()
	span.End()
	if got, _ := spanLevel(sr.Ended()[0]); got != "error" {
		t.Fatalf("%s = %q after one error among warnings; want error", bridge.SpanLevelAttribute, got)
	}
}

func TestSpanLevelManySpans(t *testing.T) {
	// More spans than the level table keeps per generation: each still gets
	// its own level, and the error of the first survives a later warning.
	sr := tracetest.NewSpanRecorder()
	tp := sdktrace.NewTracerProvider(sdktrace.WithSpanProcessor(sr))
	logger := slog.New(bridge.NewHandler("test", bridge.WithLoggerProvider(discardProvider{})))
	firstCtx, first := tp.Tracer("t").Start(context.Background(), "first")
	logger.ErrorContext(firstCtx, "failed")
	var spans []trace.Span
	for range 6000 {
		ctx, s := tp.Tracer("t").Start(context.Background(), "other")
		logger.WarnContext(ctx, "slow")
		spans = append(spans, s)
	}
	logger.WarnContext(firstCtx, "slow")
	first.End()
	for _, s := range spans {
		s.End()
	}
	ended := sr.Ended()
	if got, _ := spanLevel(ended[0]); ended[0].Name() != "first" || got != "error" {
		t.Errorf("first span %s = %q; want error", bridge.SpanLevelAttribute, got)
	}
	for _, s := range ended[1:] {
		if got, _ := spanLevel(s); got != "warn" {
			t.Fatalf("span %s = %q; want warn", bridge.SpanLevelAttribute, got)
		}
	}
}
