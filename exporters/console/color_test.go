package console_test

import (
	"context"
	"strings"
	"testing"

	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/codes"
	"go.opentelemetry.io/otel/log"
	"go.opentelemetry.io/otel/trace"

	"github.com/observe-go/observe/exporters/console"
)

// colorWorkload writes a bit of everything: nesting, levels, attributes,
// errors, and names holding escape sequences.
func colorWorkload(p *pipeline) {
	bg := context.Background()
	ctx, s := p.tracer.Start(bg, "GET /\x1b[2J", at(0), trace.WithAttributes(attribute.String("k", "v")))
	emit(ctx, p.logger, log.SeverityError, "", "failed \x1b]0;title\x07")
	emit(ctx, p.logger, log.SeverityWarn, "", "warned")
	emit(ctx, p.logger, log.SeverityDebug, "", "debugged")
	ctxB, b := p.tracer.Start(bg, "other", at(ms))
	_, c := p.tracer.Start(ctxB, "child", at(ms))
	c.End(at(2 * ms))
	emit(ctx, p.logger, log.SeverityInfo, "", "back")
	s.SetStatus(codes.Error, "boom")
	s.End(at(3 * ms))
	b.End(at(4 * ms))
}

func TestColor(t *testing.T) {
	tests := []struct {
		name  string
		opts  []console.Option
		check func(t *testing.T, out string)
	}{
		{
			name: "no escape bytes without colour",
			opts: nil,
			check: func(t *testing.T, out string) {
				if i := strings.IndexByte(out, 0x1b); i >= 0 {
					t.Errorf("escape byte at %d in:\n%s", i, out)
				}
			},
		},
		{
			name: "no escape bytes without colour, with timestamps",
			opts: []console.Option{console.WithTimestamps(true)},
			check: func(t *testing.T, out string) {
				if strings.IndexByte(out, 0x1b) >= 0 {
					t.Errorf("escape byte in:\n%s", out)
				}
				if !strings.HasPrefix(out, "15:04:05.000       GET /") {
					t.Errorf("first line lacks the start time column:\n%s", out)
				}
			},
		},
		{
			name: "ANSI sequences with colour",
			opts: []console.Option{console.WithColor(true)},
			check: func(t *testing.T, out string) {
				for _, want := range []string{
					"\x1b[31mERROR\x1b[0m",                // error level red
					"\x1b[33mWARN \x1b[0m",                // warn level yellow
					"\x1b[2mDEBUG\x1b[0m",                 // debug level dim
					"\x1b[1mchild\x1b[0m",                 // span names bold
					"\x1b[2m k=v\x1b[0m",                  // attributes dim
					"\x1b[31m error: boom\x1b[0m",         // error status red
					"\x1b[2m      ↳ GET /\\x1b[2J\x1b[0m", // reprinted ancestor dimmed
				} {
					if !strings.Contains(out, want) {
						t.Errorf("output lacks %q:\n%q", want, out)
					}
				}
				// The escape sequences carried by telemetry stay escaped.
				for _, bad := range []string{"\x1b[2J", "\x1b]0;"} {
					if strings.Contains(out, bad) {
						t.Errorf("output carries raw %q", bad)
					}
				}
			},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p := newPipeline(t, tt.opts...)
			colorWorkload(p)
			tt.check(t, strings.Join(p.lines(t), "\n"))
		})
	}
}
