package console_test

import (
	"context"
	"encoding/json"
	"math"
	"testing"
	"time"

	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/log"
	sdklog "go.opentelemetry.io/otel/sdk/log"
	"go.opentelemetry.io/otel/trace"

	"github.com/observe-go/observe/exporters/console"
)

func TestJSONLogLine(t *testing.T) {
	sc := trace.NewSpanContext(trace.SpanContextConfig{
		TraceID:    trace.TraceID{0x4b, 0xf9, 0x2f, 0x35, 0x77, 0xb3, 0x4d, 0xa6, 0xa3, 0xce, 0x92, 0x9d, 0x0e, 0x0e, 0x47, 0x36},
		SpanID:     trace.SpanID{0x00, 0xf0, 0x67, 0xaa, 0x0b, 0xa9, 0x02, 0xb7},
		TraceFlags: trace.FlagsSampled,
	})
	inSpan := trace.ContextWithSpanContext(context.Background(), sc)
	ts := time.Date(2025, 1, 2, 15, 4, 5, 123456789, time.FixedZone("CET", 3600))
	record := func(sev log.Severity, text string, body attribute.Value, attrs ...attribute.KeyValue) log.Record {
		var r log.Record
		r.SetTimestamp(ts)
		r.SetSeverity(sev)
		r.SetSeverityText(text)
		r.SetBody(body)
		r.AddAttributes(attrs...)
		return r
	}
	for _, tc := range []struct {
		name string
		ctx  context.Context
		rec  log.Record
		want string
	}{
		{
			name: "in a span with a request id",
			ctx:  inSpan,
			rec:  record(log.SeverityWarn, "WARN", attribute.StringValue("disk almost full"), attribute.Int("free_mb", 12), attribute.String("observe.request_id", "req-42")),
			want: `{"time":"2025-01-02T14:04:05.123456789Z","level":"WARN","msg":"disk almost full","trace_id":"4bf92f3577b34da6a3ce929d0e0e4736","span_id":"00f067aa0ba902b7","request_id":"req-42","free_mb":12}`,
		},
		{
			name: "outside any span",
			ctx:  context.Background(),
			rec:  record(log.SeverityError, "", attribute.StringValue("failed")),
			want: `{"time":"2025-01-02T14:04:05.123456789Z","level":"ERROR","msg":"failed"}`,
		},
		{
			name: "level from the severity text",
			ctx:  context.Background(),
			rec:  record(log.SeverityError3, "ERROR+2", attribute.StringValue("x")),
			want: `{"time":"2025-01-02T14:04:05.123456789Z","level":"ERROR+2","msg":"x"}`,
		},
		{
			name: "no level, map body",
			ctx:  context.Background(),
			rec:  record(0, "", attribute.MapValue(attribute.String("k", "v"))),
			want: `{"time":"2025-01-02T14:04:05.123456789Z","msg":{"k":"v"}}`,
		},
		{
			name: "reserved keys are prefixed",
			ctx:  inSpan,
			rec: record(log.SeverityInfo, "INFO", attribute.StringValue("m"),
				attribute.String("msg", "a"), attribute.String("trace_id", "b"), attribute.String("request_id", "c"), attribute.Int("time", 1)),
			want: `{"time":"2025-01-02T14:04:05.123456789Z","level":"INFO","msg":"m","trace_id":"4bf92f3577b34da6a3ce929d0e0e4736","span_id":"00f067aa0ba902b7","attr.msg":"a","attr.trace_id":"b","attr.request_id":"c","attr.time":1}`,
		},
		{
			name: "every value type",
			ctx:  context.Background(),
			rec: record(log.SeverityInfo, "INFO", attribute.StringValue("types"),
				attribute.Bool("b", true), attribute.Float64("f", 0.25), attribute.Float64("nan", math.NaN()), attribute.Float64("inf", math.Inf(-1)),
				attribute.Int64Slice("ints", []int64{1, 2}), attribute.StringSlice("strs", []string{"a", "b"}),
				attribute.BoolSlice("bools", []bool{true}), attribute.Float64Slice("floats", []float64{1.5}),
				attribute.Slice("mixed", attribute.IntValue(1), attribute.StringValue("x")),
				attribute.ByteSlice("raw", []byte("hi")),
				attribute.Map("card", attribute.String("brand", "visa"), attribute.Map("exp", attribute.Int("year", 2027)))),
			want: `{"time":"2025-01-02T14:04:05.123456789Z","level":"INFO","msg":"types","b":true,"f":0.25,"nan":"NaN","inf":"-Inf","ints":[1,2],"strs":["a","b"],"bools":[true],"floats":[1.5],"mixed":[1,"x"],"raw":"aGk=","card":{"brand":"visa","exp":{"year":2027}}}`,
		},
		{
			name: "escaping",
			ctx:  context.Background(),
			rec: record(log.SeverityInfo, "INFO", attribute.StringValue("line\nbreak \"quoted\" \\ tab\t \x1b[31mred \u202e bidi \xff bad é"),
				attribute.String("k\"ey", "\u0085")),
			want: `{"time":"2025-01-02T14:04:05.123456789Z","level":"INFO","msg":"line\nbreak \"quoted\" \\ tab\t \u001b[31mred \u202e bidi \ufffd bad é","k\"ey":"\u0085"}`,
		},
	} {
		t.Run(tc.name, func(t *testing.T) {
			p := newPipeline(t, console.WithFormat(console.FormatJSON), console.WithTimestamps(true))
			p.logger.Emit(tc.ctx, tc.rec)
			lines := p.lines(t)
			if len(lines) != 1 {
				t.Fatalf("got %d lines; want 1:\n%q", len(lines), lines)
			}
			if lines[0] != tc.want {
				t.Errorf("line\n got %s\nwant %s", lines[0], tc.want)
			}
			var m map[string]any
			if err := json.Unmarshal([]byte(lines[0]), &m); err != nil {
				t.Errorf("not a JSON object: %v", err)
			}
		})
	}
}

func TestJSONLogLineTimes(t *testing.T) {
	observed := time.Date(2025, 6, 7, 8, 9, 10, 0, time.UTC)
	clock := time.Date(2030, 1, 1, 0, 0, 0, 0, time.UTC)
	for _, tc := range []struct {
		name       string
		timestamps bool
		observed   bool
		want       string
	}{
		{"observed time when no timestamp", true, true, `{"time":"2025-06-07T08:09:10Z","level":"INFO","msg":"m"}`},
		{"clock when no time at all", true, false, `{"time":"2030-01-01T00:00:00Z","level":"INFO","msg":"m"}`},
		{"no time column", false, true, `{"level":"INFO","msg":"m"}`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			buf := &syncBuffer{}
			c := console.New(buf, console.WithFormat(console.FormatJSON), console.WithTimestamps(tc.timestamps), console.WithClock(func() time.Time { return clock }), console.WithFlushInterval(time.Hour))
			proc := c.LogProcessor()
			t.Cleanup(func() { _ = proc.Shutdown(context.Background()) })
			var r sdklog.Record
			if tc.observed {
				r.SetObservedTimestamp(observed)
			}
			r.SetSeverity(log.SeverityInfo)
			r.SetBody(attribute.StringValue("m"))
			if err := proc.OnEmit(context.Background(), &r); err != nil {
				t.Fatal(err)
			}
			if err := c.Flush(context.Background()); err != nil {
				t.Fatal(err)
			}
			if got := buf.String(); got != tc.want+"\n" {
				t.Errorf("got %s want %s", got, tc.want)
			}
		})
	}
}
