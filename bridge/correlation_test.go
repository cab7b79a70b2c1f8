package bridge_test

import (
	"bytes"
	"context"
	"encoding/json"
	"log/slog"
	"strings"
	"testing"
	"testing/slogtest"

	"go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/sdk/trace/tracetest"

	"github.com/observe-go/observe/bridge"
)

func TestWithCorrelationSlogtest(t *testing.T) {
	for _, c := range contexts() {
		t.Run(c.name, func(t *testing.T) {
			var buf bytes.Buffer
			slogtest.Run(t, func(*testing.T) slog.Handler {
				buf.Reset()
				return ctxHandler{c.ctx, bridge.WithCorrelation(slog.NewJSONHandler(&buf, nil))}
			}, func(t *testing.T) map[string]any {
				var m map[string]any
				if err := json.Unmarshal(buf.Bytes(), &m); err != nil {
					t.Fatalf("output is not one JSON object: %v\n%s", err, buf.String())
				}
				return m
			})
		})
	}
}

func TestWithCorrelationIDs(t *testing.T) {
	shapes := []struct {
		name  string
		shape func(*slog.Logger) *slog.Logger
		check func(t *testing.T, m map[string]any)
	}{
		{"plain", func(l *slog.Logger) *slog.Logger { return l }, nil},
		{"with attrs", func(l *slog.Logger) *slog.Logger { return l.With("service", "shop") }, func(t *testing.T, m map[string]any) {
			if m["service"] != "shop" {
				t.Errorf("service = %v", m["service"])
			}
		}},
		{"groups", func(l *slog.Logger) *slog.Logger {
			return l.With("service", "shop").WithGroup("http").With("route", "/orders").WithGroup("req")
		}, func(t *testing.T, m map[string]any) {
			http, _ := m["http"].(map[string]any)
			req, _ := http["req"].(map[string]any)
			if m["service"] != "shop" || http["route"] != "/orders" || req["n"] != float64(1) {
				t.Errorf("groups not kept: %v", m)
			}
			for _, k := range []string{bridge.TraceIDKey, bridge.SpanIDKey, bridge.RequestIDKey} {
				if _, ok := http[k]; ok {
					t.Errorf("%s inside group http", k)
				}
				if _, ok := req[k]; ok {
					t.Errorf("%s inside group req", k)
				}
			}
		}},
	}
	for _, c := range contexts() {
		for _, s := range shapes {
			t.Run(c.name+"/"+s.name, func(t *testing.T) {
				var buf bytes.Buffer
				logger := s.shape(slog.New(bridge.WithCorrelation(slog.NewJSONHandler(&buf, nil))))
				logger.InfoContext(c.ctx, "hello", "n", 1)
				var m map[string]any
				if err := json.Unmarshal(buf.Bytes(), &m); err != nil {
					t.Fatalf("%v\n%s", err, buf.String())
				}
				want := map[string]any{}
				if c.span {
					want[bridge.TraceIDKey] = traceID.String()
					want[bridge.SpanIDKey] = spanID.String()
				}
				if c.requestID {
					want[bridge.RequestIDKey] = "req-42"
				}
				for _, k := range []string{bridge.TraceIDKey, bridge.SpanIDKey, bridge.RequestIDKey} {
					if m[k] != want[k] {
						t.Errorf("%s = %v; want %v\n%s", k, m[k], want[k], buf.String())
					}
				}
				if s.check != nil {
					s.check(t, m)
				}
			})
		}
	}
}

func TestWithCorrelationKeepsLevelsAndSpans(t *testing.T) {
	sr := tracetest.NewSpanRecorder()
	tp := trace.NewTracerProvider(trace.WithSpanProcessor(sr))
	var buf bytes.Buffer
	logger := slog.New(bridge.WithCorrelation(slog.NewJSONHandler(&buf, &slog.HandlerOptions{Level: slog.LevelError})))
	ctx, span := tp.Tracer("t").Start(context.Background(), "op")
	logger.WarnContext(ctx, "dropped by the wrapped handler")
	logger.ErrorContext(ctx, "kept")
	span.End()
	if strings.Contains(buf.String(), "dropped") || !strings.Contains(buf.String(), "kept") {
		t.Errorf("the wrapped handler's level was not kept:\n%s", buf.String())
	}
	for _, kv := range sr.Ended()[0].Attributes() {
		if kv.Key == bridge.SpanLevelAttribute {
			t.Errorf("WithCorrelation set %s on the span", kv.Key)
		}
	}
}

func TestWithCorrelationNilAndIdempotent(t *testing.T) {
	if bridge.WithCorrelation(nil) != nil {
		t.Error("WithCorrelation(nil) is not nil")
	}
	h := bridge.WithCorrelation(slog.DiscardHandler)
	if bridge.WithCorrelation(h) != h {
		t.Error("wrapping twice adds a second layer")
	}
}
