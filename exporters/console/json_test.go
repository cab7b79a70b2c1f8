package console_test

import (
	"context"
	"encoding/json"
	"regexp"
	"testing"
	"time"

	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/log"
	sdkmetric "go.opentelemetry.io/otel/sdk/metric"

	"github.com/observe-go/observe/exporters/console"
)

var (
	traceIDRe = regexp.MustCompile(`^[0-9a-f]{32}$`)
	spanIDRe  = regexp.MustCompile(`^[0-9a-f]{16}$`)
)

func TestJSON(t *testing.T) {
	for _, timestamps := range []bool{false, true} {
		name := "without timestamps"
		if timestamps {
			name = "with timestamps"
		}
		t.Run(name, func(t *testing.T) {
			p := newPipeline(t, console.WithFormat(console.FormatJSON), console.WithTimestamps(timestamps))
			mp := sdkmetric.NewMeterProvider(sdkmetric.WithReader(
				sdkmetric.NewPeriodicReader(p.c.MetricExporter(), sdkmetric.WithInterval(time.Hour))))
			t.Cleanup(func() { _ = mp.Shutdown(context.Background()) })

			ctx, parent := p.tracer.Start(context.Background(), "parent\nname")
			_, child := p.tracer.Start(ctx, "child")
			child.End()
			emit(ctx, p.logger, log.SeverityInfo, "", "hello", attribute.Int("n", 1))
			parent.End()
			counter, err := mp.Meter("test").Int64Counter("requests")
			if err != nil {
				t.Fatal(err)
			}
			counter.Add(ctx, 3)
			if err := mp.ForceFlush(context.Background()); err != nil {
				t.Fatalf("ForceFlush: %v", err)
			}

			lines := p.lines(t)
			if len(lines) != 4 {
				t.Fatalf("got %d lines, want 4 (child, log, parent, metrics):\n%q", len(lines), lines)
			}
			objs := make([]map[string]any, len(lines))
			for i, l := range lines {
				if err := json.Unmarshal([]byte(l), &objs[i]); err != nil {
					t.Fatalf("line %d is not one JSON object: %v\n%s", i, err, l)
				}
			}

			child0, record, parent0, metrics := objs[0], objs[1], objs[2], objs[3]
			if child0["Name"] != "child" || parent0["Name"] != "parent\nname" {
				t.Errorf("span names: got %v and %v", child0["Name"], parent0["Name"])
			}
			traceID := parent0["SpanContext"].(map[string]any)["TraceID"].(string)
			if !traceIDRe.MatchString(traceID) {
				t.Errorf("span TraceID %q is not 32 lowercase hex digits", traceID)
			}
			if got := child0["Parent"].(map[string]any)["SpanID"]; got != parent0["SpanContext"].(map[string]any)["SpanID"] {
				t.Errorf("child's parent SpanID %v does not match the parent", got)
			}
			if got := record["trace_id"]; got != traceID {
				t.Errorf("log trace_id = %v, want %v", got, traceID)
			}
			if sid, _ := record["span_id"].(string); !spanIDRe.MatchString(sid) || sid != parent0["SpanContext"].(map[string]any)["SpanID"] {
				t.Errorf("log span_id %q is not the parent's, in 16 lowercase hex digits", sid)
			}
			if record["msg"] != "hello" || record["level"] != "INFO" || record["n"] != float64(1) {
				t.Errorf("log line = %v; want msg hello, level INFO, n 1", record)
			}
			if _, ok := metrics["ScopeMetrics"]; !ok {
				t.Errorf("metrics line lacks ScopeMetrics: %v", metrics)
			}
			_, hasTime := record["time"]
			if hasTime != timestamps {
				t.Errorf("log record has time: %v, want %v", hasTime, timestamps)
			}
		})
	}
}
