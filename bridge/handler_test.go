package bridge_test

import (
	"context"
	"log/slog"
	"testing"
	"testing/slogtest"
	"time"

	"go.opentelemetry.io/otel/log"
	"go.opentelemetry.io/otel/log/logtest"
	"go.opentelemetry.io/otel/trace"

	"github.com/observe-go/observe/bridge"
)

// requestIDAttr is the attribute the HTTP middleware and the handler use
// for the request id.
const requestIDAttr = "observe.request_id"

func TestHandlerSlogtest(t *testing.T) {
	for _, c := range contexts() {
		t.Run(c.name, func(t *testing.T) {
			var rec *logtest.Recorder
			slogtest.Run(t, func(*testing.T) slog.Handler {
				rec = logtest.NewRecorder()
				return ctxHandler{c.ctx, bridge.NewHandler("test", bridge.WithLoggerProvider(rec))}
			}, func(t *testing.T) map[string]any {
				rs := records(rec)
				if len(rs) != 1 {
					t.Fatalf("recorded %d records; want 1", len(rs))
				}
				return recordMap(rs[0])
			})
		})
	}
}

func TestHandlerConversion(t *testing.T) {
	rec := logtest.NewRecorder()
	logger := slog.New(bridge.NewHandler("shop", bridge.WithLoggerProvider(rec), bridge.WithLevel(slog.LevelDebug)))
	ts := time.Date(2025, 3, 4, 5, 6, 7, 0, time.UTC)
	for _, l := range []slog.Level{slog.LevelDebug, slog.LevelInfo, slog.LevelWarn, slog.LevelError, slog.LevelError + 2} {
		r := slog.NewRecord(ts, l, "payment failed", 0)
		r.AddAttrs(slog.Int("order_id", 42), slog.Group("card", slog.String("brand", "visa")))
		if err := logger.Handler().Handle(context.Background(), r); err != nil {
			t.Fatalf("Handle: %v", err)
		}
	}
	got := rec.Result()[logtest.Scope{Name: "shop"}]
	want := []struct {
		sev  log.Severity
		text string
	}{
		{log.SeverityDebug, "DEBUG"}, {log.SeverityInfo, "INFO"}, {log.SeverityWarn, "WARN"},
		{log.SeverityError, "ERROR"}, {log.SeverityError3, "ERROR+2"},
	}
	if len(got) != len(want) {
		t.Fatalf("scope shop has %d records; want %d", len(got), len(want))
	}
	for i, w := range want {
		r := got[i]
		if r.Severity != w.sev || r.SeverityText != w.text {
			t.Errorf("record %d: severity %v %q; want %v %q", i, r.Severity, r.SeverityText, w.sev, w.text)
		}
		if !r.Timestamp.Equal(ts) || r.Body.AsString() != "payment failed" {
			t.Errorf("record %d: time %v body %v", i, r.Timestamp, r.Body)
		}
		m := recordMap(r)
		if m["order_id"] != int64(42) || m["card"].(map[string]any)["brand"] != "visa" {
			t.Errorf("record %d: attributes %v", i, m)
		}
	}
}

func TestHandlerCorrelation(t *testing.T) {
	for _, c := range contexts() {
		for _, grouped := range []bool{false, true} {
			name := c.name
			if grouped {
				name += " in a group"
			}
			t.Run(name, func(t *testing.T) {
				rec := logtest.NewRecorder()
				logger := slog.New(bridge.NewHandler("test", bridge.WithLoggerProvider(rec)))
				if grouped {
					logger = logger.WithGroup("http").With("route", "/orders")
				}
				logger.WarnContext(c.ctx, "slow", "ms", 950)
				rs := records(rec)
				if len(rs) != 1 {
					t.Fatalf("recorded %d records; want 1", len(rs))
				}
				r := rs[0]
				sc := trace.SpanContextFromContext(r.Context)
				if sc.IsValid() != c.span || (c.span && (sc.TraceID() != traceID || sc.SpanID() != spanID)) {
					t.Errorf("record context has span context %v; want the span: %v", sc, c.span)
				}
				v, ok := attr(r, requestIDAttr)
				if ok != c.requestID || (ok && v.AsString() != "req-42") {
					t.Errorf("top-level %s = %v (present %v); want present %v", requestIDAttr, v, ok, c.requestID)
				}
				if grouped {
					g, _ := attr(r, "http")
					if m := value(g).(map[string]any); m["route"] != "/orders" || m["ms"] != int64(950) || m[requestIDAttr] != nil {
						t.Errorf("group http = %v; want route and ms only", m)
					}
				}
			})
		}
	}
}

func TestHandlerLevelThreshold(t *testing.T) {
	var lv slog.LevelVar
	for _, tc := range []struct {
		name  string
		opts  []bridge.Option
		set   slog.Level // applied to lv before logging
		want  []string   // messages recorded
		debug bool       // Enabled at debug
	}{
		{name: "default info", want: []string{"info", "warn", "error"}},
		{name: "warn", opts: []bridge.Option{bridge.WithLevel(slog.LevelWarn)}, want: []string{"warn", "error"}},
		{name: "debug", opts: []bridge.Option{bridge.WithLevel(slog.LevelDebug)}, want: []string{"debug", "info", "warn", "error"}, debug: true},
		{name: "nil leveler keeps info", opts: []bridge.Option{bridge.WithLevel(nil)}, want: []string{"info", "warn", "error"}},
		{name: "level var at error", opts: []bridge.Option{bridge.WithLevel(&lv)}, set: slog.LevelError, want: []string{"error"}},
		{name: "level var lowered", opts: []bridge.Option{bridge.WithLevel(&lv)}, set: slog.LevelDebug, want: []string{"debug", "info", "warn", "error"}, debug: true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			lv.Set(tc.set)
			rec := logtest.NewRecorder()
			h := bridge.NewHandler("test", append([]bridge.Option{bridge.WithLoggerProvider(rec)}, tc.opts...)...)
			logger := slog.New(h)
			ctx := context.Background()
			if got := logger.Enabled(ctx, slog.LevelDebug); got != tc.debug {
				t.Errorf("Enabled(debug) = %v; want %v", got, tc.debug)
			}
			logger.Debug("debug")
			logger.Info("info")
			logger.Warn("warn")
			logger.Error("error")
			// A record handed to Handle directly is filtered too.
			_ = h.Handle(ctx, slog.NewRecord(time.Now(), slog.LevelDebug-4, "below everything", 0))
			var got []string
			for _, r := range records(rec) {
				got = append(got, r.Body.AsString())
			}
			if len(got) != len(tc.want) {
				t.Fatalf("recorded %v; want %v", got, tc.want)
			}
			for i := range got {
				if got[i] != tc.want[i] {
					t.Fatalf("recorded %v; want %v", got, tc.want)
				}
			}
		})
	}
}

func TestHandlerHonoursProviderEnabled(t *testing.T) {
	rec := logtest.NewRecorder(logtest.WithEnabledFunc(func(_ context.Context, p log.EnabledParameters) bool {
		return p.Severity >= log.SeverityError
	}))
	logger := slog.New(bridge.NewHandler("test", bridge.WithLoggerProvider(rec)))
	if logger.Enabled(context.Background(), slog.LevelWarn) {
		t.Error("Enabled(warn) is true although the provider takes errors only")
	}
	if !logger.Enabled(context.Background(), slog.LevelError) {
		t.Error("Enabled(error) is false")
	}
}

func TestHandlerBelowThresholdDoesNotAllocate(t *testing.T) {
	var lv slog.LevelVar
	logger := slog.New(bridge.NewHandler("test", bridge.WithLoggerProvider(discardProvider{}), bridge.WithLevel(&lv)))
	ctx := spanContext(context.Background())
	for _, tc := range []struct {
		name string
		log  func()
	}{
		{"Debug", func() { logger.Debug("cache miss", "key", "user:42", "size", 512) }},
		{"DebugContext", func() { logger.DebugContext(ctx, "cache miss", "key", "user:42") }},
		{"LogAttrs", func() { logger.LogAttrs(ctx, slog.LevelDebug, "cache miss", slog.String("key", "user:42")) }},
		{"Enabled", func() { _ = logger.Enabled(ctx, slog.LevelDebug) }},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if n := testing.AllocsPerRun(100, tc.log); n != 0 {
				t.Errorf("%s below the level allocates %v times; want 0", tc.name, n)
			}
		})
	}
}
