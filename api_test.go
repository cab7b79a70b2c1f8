package observe_test

import (
	"context"
	"errors"
	"fmt"
	"io"
	"strings"
	"testing"
	"time"

	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/codes"
	sdkmetric "go.opentelemetry.io/otel/sdk/metric"
	"go.opentelemetry.io/otel/sdk/metric/metricdata"
	"go.opentelemetry.io/otel/sdk/trace/tracetest"
	"go.opentelemetry.io/otel/trace"
	"google.golang.org/grpc/stats"

	"github.com/observe-go/observe"
)

// RecordError marks the current span failed: an exception event and
// status Error with the error's message; nil or no span changes nothing.
func TestRecordError(t *testing.T) {
	for _, tc := range []struct {
		name       string
		err        error
		opts       []trace.EventOption
		wantStatus codes.Code
		wantStack  bool
	}{
		{"error", fmt.Errorf("charge card: %w", errors.New("declined")), nil, codes.Error, false},
		{"with stack", errors.New("declined"), []trace.EventOption{trace.WithStackTrace(true)}, codes.Error, true},
		{"nil", nil, nil, codes.Unset, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			rec := tracetest.NewSpanRecorder()
			tel := configure(t, nil, observe.WithSpanProcessor(rec))
			ctx, span := tel.Tracer("shop").Start(context.Background(), "checkout")
			observe.RecordError(ctx, tc.err, tc.opts...)
			span.End()
			s := rec.Ended()[0]
			if s.Status().Code != tc.wantStatus {
				t.Errorf("status %v, want %v", s.Status(), tc.wantStatus)
			}
			if tc.err == nil {
				if len(s.Events()) != 0 || s.Status().Description != "" {
					t.Errorf("nil error recorded: %v %v", s.Events(), s.Status())
				}
				return
			}
			if s.Status().Description != tc.err.Error() {
				t.Errorf("status description %q, want %q", s.Status().Description, tc.err.Error())
			}
			if len(s.Events()) != 1 || s.Events()[0].Name != "exception" {
				t.Fatalf("events %v, want one exception", s.Events())
			}
			a := map[attribute.Key]string{}
			for _, kv := range s.Events()[0].Attributes {
				a[kv.Key] = kv.Value.Emit()
			}
			if a["exception.message"] != tc.err.Error() || a["exception.type"] == "" {
				t.Errorf("exception %v", a)
			}
			if has := strings.Contains(a["exception.stacktrace"], "TestRecordError"); has != tc.wantStack {
				t.Errorf("stack trace present: %v, want %v", has, tc.wantStack)
			}
		})
	}
}

// Without a span in the context RecordError does nothing, and does not
// panic.
func TestRecordErrorWithoutSpan(t *testing.T) {
	observe.RecordError(context.Background(), errors.New("lost"))
	ctx := trace.ContextWithSpanContext(context.Background(), trace.SpanContext{})
	observe.RecordError(ctx, errors.New("lost"))
}

// Tracer and Meter of a Telemetry use its providers, under the scope named.
func TestTelemetryTracerAndMeter(t *testing.T) {
	rec := tracetest.NewSpanRecorder()
	reader := sdkmetric.NewManualReader()
	tel := configure(t, nil, observe.WithSpanProcessor(rec), observe.WithMetricReader(reader))
	_, span := tel.Tracer("example.com/shop").Start(context.Background(), "checkout")
	span.End()
	orders, err := tel.Meter("example.com/shop").Int64Counter("orders.created")
	if err != nil {
		t.Fatal(err)
	}
	orders.Add(context.Background(), 3)

	if s := rec.Ended(); len(s) != 1 || s[0].InstrumentationScope().Name != "example.com/shop" {
		t.Errorf("spans %v, want one of scope example.com/shop", s)
	}
	if got := counterValue(t, reader, "example.com/shop", "orders.created"); got != 3 {
		t.Errorf("orders.created = %d, want 3", got)
	}
}

// The package functions use the globals that Configure registers.
func TestGlobalTracerAndMeter(t *testing.T) {
	rec := tracetest.NewSpanRecorder()
	reader := sdkmetric.NewManualReader()
	configureWithGlobals(t, nil, io.Discard, observe.WithSpanProcessor(rec), observe.WithMetricReader(reader))
	_, span := observe.Tracer("example.com/jobs").Start(context.Background(), "nightly")
	span.End()
	runs, err := observe.Meter("example.com/jobs").Int64Counter("jobs.run")
	if err != nil {
		t.Fatal(err)
	}
	runs.Add(context.Background(), 1)
	if s := rec.Ended(); len(s) != 1 || s[0].InstrumentationScope().Name != "example.com/jobs" {
		t.Errorf("spans %v, want one of scope example.com/jobs", s)
	}
	if got := counterValue(t, reader, "example.com/jobs", "jobs.run"); got != 1 {
		t.Errorf("jobs.run = %d, want 1", got)
	}
}

func counterValue(t *testing.T, reader *sdkmetric.ManualReader, scope, name string) int64 {
	t.Helper()
	var rm metricdata.ResourceMetrics
	if err := reader.Collect(context.Background(), &rm); err != nil {
		t.Fatal(err)
	}
	for _, sm := range rm.ScopeMetrics {
		if sm.Scope.Name != scope {
			continue
		}
		for _, m := range sm.Metrics {
			if m.Name == name {
				var n int64
				for _, dp := range m.Data.(metricdata.Sum[int64]).DataPoints {
					n += dp.Value
				}
				return n
			}
		}
	}
	t.Fatalf("no metric %s under scope %s", name, scope)
	return 0
}

// Telemetry.GRPCServerHandler records into the Telemetry's providers, not
// the globals.
func TestTelemetryGRPCServerHandler(t *testing.T) {
	rec := tracetest.NewSpanRecorder()
	logs := &logRecorder{}
	tel := configure(t, map[string]string{"OTEL_LOGS_EXPORTER": "none"}, observe.WithSpanProcessor(rec), observe.WithLogProcessor(logs))
	h := tel.GRPCServerHandler()
	ctx := h.TagRPC(context.Background(), &stats.RPCTagInfo{FullMethodName: "/shop.Orders/Place"})
	start := time.Now()
	h.HandleRPC(ctx, &stats.Begin{BeginTime: start})
	h.HandleRPC(ctx, &stats.End{BeginTime: start, EndTime: start.Add(2 * time.Millisecond)})
	if s := rec.Ended(); len(s) != 1 || s[0].Name() != "shop.Orders/Place" {
		t.Fatalf("spans %v, want shop.Orders/Place", s)
	}
	recs := logs.Records()
	if len(recs) != 1 || recs[0].Body().AsString() != "/shop.Orders/Place OK 2.0ms" {
		t.Errorf("access log %v", bodiesOf(recs))
	}
}
