package console

import (
	"context"
	"io"
	"testing"
	"time"

	"go.opentelemetry.io/otel/attribute"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/trace"
)

func TestAppendDuration(t *testing.T) {
	tests := []struct {
		d    time.Duration
		want string
	}{
		{-time.Second, "0ns"},
		{0, "0ns"},
		{850, "850ns"},
		{time.Microsecond, "1µs"},
		{812 * time.Microsecond, "812µs"},
		{999_400, "999µs"},
		{999_600, "1.00ms"},
		{1_234_000, "1.23ms"},
		{12_340_000, "12.3ms"},
		{123_400_000, "123ms"},
		{999_600_000, "1.00s"},
		{1_520_000_000, "1.52s"},
		{1_050_000_000, "1.05s"},
		{12_300_000_000, "12.3s"},
		{90 * time.Second, "1m30s"},
		{3*time.Hour + 2*time.Minute + 1*time.Second, "3h2m1s"},
	}
	for _, tt := range tests {
		if got := string(appendDuration(nil, tt.d)); got != tt.want {
			t.Errorf("appendDuration(%d) = %q, want %q", tt.d, got, tt.want)
		}
	}
}

func TestAppendEscaped(t *testing.T) {
	tests := []struct {
		name, in, want string
	}{
		{"plain", "GET /users/{id}", "GET /users/{id}"},
		{"unicode kept", "héllo 世界 ✓", "héllo 世界 ✓"},
		{"newline and tab", "a\nb\tc\r", `a\nb\tc\r`},
		{"escape sequence", "\x1b[31mred", `\x1b[31mred`},
		{"delete", "a\x7fb", `a\x7fb`},
		{"C1 control", "a\u009bb", `a\u009bb`},
		{"bidi override", "abc\u202edef", `abc\u202edef`},
		{"line separator", "a\u2028b", `a\u2028b`},
		{"invalid UTF-8", "a\xffb", `a\xffb`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := string(appendEscaped(nil, tt.in)); got != tt.want {
				t.Errorf("appendEscaped(%q) = %q, want %q", tt.in, got, tt.want)
			}
		})
	}
}

func TestAppendValue(t *testing.T) {
	tests := []struct {
		name string
		v    attribute.Value
		want string
	}{
		{"bare string", attribute.StringValue("/users/{id}"), `/users/{id}`},
		{"string with space", attribute.StringValue("a b"), `"a b"`},
		{"empty string", attribute.StringValue(""), `""`},
		{"string with quote", attribute.StringValue(`a"b`), `"a\"b"`},
		{"string with escape", attribute.StringValue("\x1b[0m"), `"\x1b[0m"`},
		{"string with bidi override", attribute.StringValue("a\u202eb"), `"a\u202eb"`},
		{"unicode string", attribute.StringValue("naïve"), `naïve`},
		{"int", attribute.Int64Value(-42), `-42`},
		{"float", attribute.Float64Value(1.5), `1.5`},
		{"bool", attribute.BoolValue(false), `false`},
		{"int slice", attribute.Int64SliceValue([]int64{1, 2}), `[1,2]`},
		{"empty", attribute.Value{}, `""`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := string(appendValue(nil, tt.v)); got != tt.want {
				t.Errorf("appendValue = %s, want %s", got, tt.want)
			}
		})
	}
}

func TestOpenSpansBounded(t *testing.T) {
	c := New(io.Discard, WithFlushInterval(time.Hour))
	tp := sdktrace.NewTracerProvider(sdktrace.WithSpanProcessor(c.SpanProcessor()))
	defer func() { _ = tp.Shutdown(context.Background()) }()
	tracer := tp.Tracer("test")

	spans := make([]trace.Span, maxOpen+100)
	for i := range spans {
		_, spans[i] = tracer.Start(context.Background(), "open")
	}
	c.mu.Lock()
	n := len(c.open)
	c.mu.Unlock()
	if n != maxOpen {
		t.Errorf("tracking %d open spans, want the bound %d", n, maxOpen)
	}
	for _, s := range spans {
		s.End()
	}
	c.mu.Lock()
	n = len(c.open)
	c.mu.Unlock()
	if n != 0 {
		t.Errorf("%d spans still tracked after all ended", n)
	}
}
