package console_test

import (
	"bytes"
	"context"
	"errors"
	"strings"
	"sync"
	"testing"
	"time"

	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/codes"
	"go.opentelemetry.io/otel/log"
	sdklog "go.opentelemetry.io/otel/sdk/log"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/trace"

	"github.com/observe-go/observe/exporters/console"
)

// t0 is the start of every span in these tests; explicit start and end
// times make durations stable.
var t0 = time.Date(2025, 1, 2, 15, 4, 5, 0, time.Local)

// at returns a span start or end option at t0 plus d.
func at(d time.Duration) trace.SpanEventOption { return trace.WithTimestamp(t0.Add(d)) }

const ms = time.Millisecond

// pipeline is a Console wired to the SDK's providers, writing to buf.
type pipeline struct {
	buf    *syncBuffer
	c      *console.Console
	tracer trace.Tracer
	logger log.Logger
}

func newPipeline(t *testing.T, opts ...console.Option) *pipeline {
	t.Helper()
	buf := &syncBuffer{}
	opts = append([]console.Option{
		console.WithTimestamps(false),
		console.WithFlushInterval(time.Hour),
	}, opts...)
	c := console.New(buf, opts...)
	tp := sdktrace.NewTracerProvider(sdktrace.WithSpanProcessor(c.SpanProcessor()))
	lp := sdklog.NewLoggerProvider(sdklog.WithProcessor(c.LogProcessor()))
	t.Cleanup(func() {
		if err := tp.Shutdown(context.Background()); err != nil {
			t.Errorf("TracerProvider.Shutdown: %v", err)
		}
		if err := lp.Shutdown(context.Background()); err != nil {
			t.Errorf("LoggerProvider.Shutdown: %v", err)
		}
	})
	return &pipeline{buf: buf, c: c, tracer: tp.Tracer("test"), logger: lp.Logger("test")}
}

// lines flushes the Console and returns the lines written so far.
func (p *pipeline) lines(t *testing.T) []string {
	t.Helper()
	if err := p.c.Flush(context.Background()); err != nil {
		t.Fatalf("Flush: %v", err)
	}
	s := p.buf.String()
	if s == "" {
		return nil
	}
	if !strings.HasSuffix(s, "\n") {
		t.Fatalf("output does not end in a newline: %q", s)
	}
	return strings.Split(strings.TrimSuffix(s, "\n"), "\n")
}

func emit(ctx context.Context, l log.Logger, sev log.Severity, text, msg string, attrs ...attribute.KeyValue) {
	var r log.Record
	r.SetSeverity(sev)
	r.SetSeverityText(text)
	r.SetBody(attribute.StringValue(msg))
	r.AddAttributes(attrs...)
	l.Emit(ctx, r)
}

// syncBuffer is a bytes.Buffer safe for the Console's timer and the test
// to use at once.
type syncBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *syncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *syncBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

func TestPretty(t *testing.T) {
	bg := context.Background()
	tests := []struct {
		name string
		run  func(p *pipeline)
		want []string
	}{
		{
			name: "leaf span is one line with duration and attributes",
			run: func(p *pipeline) {
				_, s := p.tracer.Start(bg, "work", at(0), trace.WithAttributes(
					attribute.Int("n", 3),
					attribute.String("who", "Ada Lovelace"),
					attribute.String("empty", ""),
					attribute.Bool("ok", true),
					attribute.Float64("ratio", 0.25),
					attribute.StringSlice("tags", []string{"a", "b"}),
				))
				s.End(at(1500 * time.Microsecond))
			},
			want: []string{
				`      work 1.50ms n=3 who="Ada Lovelace" empty="" ok=true ratio=0.25 tags=["a","b"]`,
			},
		},
		{
			name: "parent gets opening and closing lines around its child",
			run: func(p *pipeline) {
				ctx, parent := p.tracer.Start(bg, "parent", at(0), trace.WithAttributes(attribute.String("a", "1")))
				_, child := p.tracer.Start(ctx, "child", at(ms))
				child.End(at(2 * ms))
				parent.SetAttributes(attribute.String("a", "1"), attribute.Int("status", 200))
				parent.End(at(12300 * time.Microsecond))
			},
			want: []string{
				`      parent a=1`,
				`        child 1.00ms`,
				`      └ parent 12.3ms status=200`,
			},
		},
		{
			name: "three levels",
			run: func(p *pipeline) {
				ctx, a := p.tracer.Start(bg, "a", at(0))
				ctx2, b := p.tracer.Start(ctx, "b", at(ms))
				_, c := p.tracer.Start(ctx2, "c", at(2*ms))
				c.End(at(3 * ms))
				b.End(at(4 * ms))
				_, d := p.tracer.Start(ctx, "d", at(5*ms))
				d.End(at(1500 * ms))
				a.End(at(1520 * ms))
			},
			want: []string{
				`      a`,
				`        b`,
				`          c 1.00ms`,
				`        └ b 3.00ms`,
				`        d 1.50s`,
				`      └ a 1.52s`,
			},
		},
		{
			name: "log record is indented under its span",
			run: func(p *pipeline) {
				ctx, s := p.tracer.Start(bg, "handle", at(0))
				emit(ctx, p.logger, log.SeverityInfo, "", "loaded", attribute.Int("user.id", 42))
				emit(ctx, p.logger, log.SeverityWarn, "", "slow")
				s.End(at(812 * time.Microsecond))
				emit(bg, p.logger, log.SeverityError, "", "outside")
			},
			want: []string{
				`      handle`,
				`INFO    loaded user.id=42`,
				`WARN    slow`,
				`      └ handle 812µs`,
				`ERROR outside`,
			},
		},
		{
			name: "levels from severity number or text",
			run: func(p *pipeline) {
				emit(bg, p.logger, log.SeverityDebug, "", "d")
				emit(bg, p.logger, log.SeverityTrace2, "", "t")
				emit(bg, p.logger, log.SeverityFatal, "", "f")
				emit(bg, p.logger, 0, "warning", "w")
				emit(bg, p.logger, 0, "", "none")
			},
			want: []string{
				`DEBUG d`,
				`TRACE t`,
				`FATAL f`,
				`WARN  w`,
				`      none`,
			},
		},
		{
			name: "interleaved traces reprint the ancestor",
			run: func(p *pipeline) {
				ctxA, a := p.tracer.Start(bg, "GET /a", at(0), trace.WithSpanKind(trace.SpanKindServer))
				ctxB, b := p.tracer.Start(bg, "GET /b", at(ms), trace.WithSpanKind(trace.SpanKindServer))
				_, a1 := p.tracer.Start(ctxA, "query a1", at(2*ms), trace.WithSpanKind(trace.SpanKindClient))
				a1.End(at(3 * ms))
				_, b1 := p.tracer.Start(ctxB, "query b1", at(4*ms))
				b1.End(at(6 * ms))
				emit(ctxA, p.logger, log.SeverityInfo, "", "back in a")
				_, a2 := p.tracer.Start(ctxA, "query a2", at(7*ms))
				a2.End(at(10 * ms))
				b.End(at(21 * ms))
				a.End(at(30 * ms))
			},
			want: []string{
				`      GET /a [server]`,
				`        query a1 [client] 1.00ms`,
				`      GET /b [server]`,
				`        query b1 2.00ms`,
				`      ↳ GET /a [server]`,
				`INFO    back in a`,
				`        query a2 3.00ms`,
				`      └ GET /b 20.0ms`,
				`      └ GET /a 30.0ms`,
			},
		},
		{
			name: "interleaving reprints the whole open chain",
			run: func(p *pipeline) {
				ctxA, a := p.tracer.Start(bg, "root a", at(0))
				ctxM, m := p.tracer.Start(ctxA, "mid a", at(ms))
				_, l1 := p.tracer.Start(ctxM, "leaf a1", at(2*ms))
				l1.End(at(3 * ms))
				emit(bg, p.logger, log.SeverityInfo, "", "unrelated")
				_, l2 := p.tracer.Start(ctxM, "leaf a2", at(4*ms))
				l2.End(at(5 * ms))
				m.End(at(6 * ms))
				a.End(at(7 * ms))
			},
			want: []string{
				`      root a`,
				`        mid a`,
				`          leaf a1 1.00ms`,
				`INFO  unrelated`,
				`      ↳ root a`,
				`        ↳ mid a`,
				`          leaf a2 1.00ms`,
				`        └ mid a 5.00ms`,
				`      └ root a 7.00ms`,
			},
		},
		{
			name: "error status and exception event",
			run: func(p *pipeline) {
				_, s := p.tracer.Start(bg, "charge", at(0))
				s.RecordError(errors.New("card declined"))
				s.SetStatus(codes.Error, "payment failed")
				s.End(at(2 * ms))
			},
			want: []string{
				`      charge 2.00ms exception.type=*errors.errorString exception.message="card declined" error: payment failed`,
			},
		},
		{
			name: "control characters are escaped",
			run: func(p *pipeline) {
				ctx, s := p.tracer.Start(bg, "evil\n\x1b[31mname\u202e", at(0), trace.WithAttributes(
					attribute.String("k\x1b", "v\nw"),
					attribute.String("bad", "\xff"),
				))
				emit(ctx, p.logger, log.SeverityInfo, "", "line1\r\nline2\x07\u0085")
				s.End(at(ms))
			},
			want: []string{
				`      evil\n\x1b[31mname\u202e k\x1b="v\nw" bad="\xff"`,
				`INFO    line1\r\nline2\x07\u0085`,
				`      └ evil\n\x1b[31mname\u202e 1.00ms`,
			},
		},
		{
			name: "at most ten attributes",
			run: func(p *pipeline) {
				attrs := make([]attribute.KeyValue, 12)
				for i := range attrs {
					attrs[i] = attribute.Int(string(rune('a'+i)), i)
				}
				_, s := p.tracer.Start(bg, "many", at(0), trace.WithAttributes(attrs...))
				s.End(at(ms))
			},
			want: []string{
				`      many 1.00ms a=0 b=1 c=2 d=3 e=4 f=5 g=6 h=7 i=8 j=9 …`,
			},
		},
		{
			name: "remote parent starts at depth zero",
			run: func(p *pipeline) {
				sc := trace.NewSpanContext(trace.SpanContextConfig{
					TraceID:    trace.TraceID{1},
					SpanID:     trace.SpanID{2},
					TraceFlags: trace.FlagsSampled,
					Remote:     true,
				})
				ctx := trace.ContextWithRemoteSpanContext(bg, sc)
				_, s := p.tracer.Start(ctx, "continued", at(0))
				s.End(at(ms))
			},
			want: []string{
				`      continued 1.00ms`,
			},
		},
		{
			name: "remote parent open in this process nests",
			run: func(p *pipeline) {
				ctx, client := p.tracer.Start(bg, "GET", at(0))
				remote := trace.ContextWithRemoteSpanContext(bg, client.SpanContext().WithRemote(true))
				_, server := p.tracer.Start(remote, "GET /hello", at(ms))
				server.End(at(2 * ms))
				client.End(at(3 * ms))
				_ = ctx
			},
			want: []string{
				`      GET`,
				`        GET /hello 1.00ms`,
				`      └ GET 3.00ms`,
			},
		},
		{
			name: "child outliving its parent keeps its depth",
			run: func(p *pipeline) {
				ctx, parent := p.tracer.Start(bg, "parent", at(0))
				_, child := p.tracer.Start(ctx, "async", at(ms))
				parent.End(at(2 * ms))
				child.End(at(5 * ms))
			},
			want: []string{
				`      parent`,
				`      └ parent 2.00ms`,
				`        async 4.00ms`,
			},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p := newPipeline(t)
			tt.run(p)
			got := p.lines(t)
			if strings.Join(got, "\n") != strings.Join(tt.want, "\n") {
				t.Errorf("output mismatch\ngot:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(tt.want, "\n"))
			}
		})
	}
}
