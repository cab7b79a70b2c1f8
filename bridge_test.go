package observe_test

import (
	"context"
	"io"
	"log"
	"log/slog"
	"slices"
	"strings"
	"sync"
	"testing"
	"testing/slogtest"

	"go.opentelemetry.io/otel/attribute"
	sdklog "go.opentelemetry.io/otel/sdk/log"
	"go.opentelemetry.io/otel/sdk/trace/tracetest"
	"go.opentelemetry.io/otel/trace"

	"github.com/observe-go/observe"
	"github.com/observe-go/observe/internal/requestid"
)

// logRecorder is a log processor that keeps a copy of every record, for
// checking what reaches the exporters. The SDK has no in-memory one.
type logRecorder struct {
	mu      sync.Mutex
	records []sdklog.Record
}

func (r *logRecorder) OnEmit(_ context.Context, rec *sdklog.Record) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.records = append(r.records, rec.Clone())
	return nil
}

func (r *logRecorder) Enabled(context.Context, sdklog.EnabledParameters) bool { return true }
func (r *logRecorder) Shutdown(context.Context) error                         { return nil }
func (r *logRecorder) ForceFlush(context.Context) error                       { return nil }

func (r *logRecorder) Records() []sdklog.Record {
	r.mu.Lock()
	defer r.mu.Unlock()
	return slices.Clone(r.records)
}

func recordAttr(r sdklog.Record, key string) (string, bool) {
	var v string
	var ok bool
	r.WalkAttributes(func(kv attribute.KeyValue) bool {
		if string(kv.Key) == key {
			v, ok = kv.Value.Emit(), true
			return false
		}
		return true
	})
	return v, ok
}

func TestLoggerCorrelationOnEveryOutput(t *testing.T) {
	for _, tc := range []struct {
		name      string
		inSpan    bool
		requestID string
	}{
		{name: "outside spans and requests"},
		{name: "in a span", inSpan: true},
		{name: "in a request", requestID: "req-7f3a"},
		{name: "in a span of a request", inSpan: true, requestID: "req-7f3a"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var jsonOut, prettyOut syncBuffer
			rec := &logRecorder{}
			tel := configure(t, map[string]string{"OBSERVE_CONSOLE_FORMAT": "json"},
				observe.WithConsoleWriter(&jsonOut), observe.WithLogProcessor(rec), observe.WithTracesExporters("none"))
			pretty := configure(t, nil, observe.WithConsoleWriter(&prettyOut), observe.WithTracesExporters("none"))

			ctx := context.Background()
			if tc.requestID != "" {
				ctx = requestid.NewContext(ctx, tc.requestID)
			}
			var tid, sid string
			if tc.inSpan {
				var span trace.Span
				ctx, span = tel.TracerProvider().Tracer("t").Start(ctx, "pay")
				defer span.End()
				tid, sid = span.SpanContext().TraceID().String(), span.SpanContext().SpanID().String()
			}
			tel.Logger().WarnContext(ctx, "card declined", "order_id", 42)
			pretty.Logger().WarnContext(ctx, "card declined", "order_id", 42)
			for _, x := range []*observe.Telemetry{tel, pretty} {
				if err := x.ForceFlush(context.Background()); err != nil {
					t.Fatal(err)
				}
			}

			// The OpenTelemetry record, as exporters receive it.
			rs := rec.Records()
			if len(rs) != 1 {
				t.Fatalf("%d records reached the processor; want 1", len(rs))
			}
			r := rs[0]
			if got := hexOrEmpty(r.TraceID().IsValid(), r.TraceID().String()); got != tid {
				t.Errorf("record trace id %q; want %q", got, tid)
			}
			if got := hexOrEmpty(r.SpanID().IsValid(), r.SpanID().String()); got != sid {
				t.Errorf("record span id %q; want %q", got, sid)
			}
			if got, _ := recordAttr(r, "observe.request_id"); got != tc.requestID {
				t.Errorf("record observe.request_id %q; want %q", got, tc.requestID)
			}

			// The console's JSON line.
			lines := jsonLines(t, jsonOut.String())
			if len(lines) != 1 {
				t.Fatalf("%d JSON lines; want 1:\n%s", len(lines), jsonOut.String())
			}
			l := lines[0]
			for key, want := range map[string]string{"trace_id": tid, "span_id": sid, "request_id": tc.requestID} {
				got, ok := l[key]
				if want == "" && ok {
					t.Errorf("JSON line has %s=%v; want none", key, got)
				}
				if want != "" && got != want {
					t.Errorf("JSON line %s=%v; want %s", key, got, want)
				}
			}
			if l["level"] != "WARN" || l["msg"] != "card declined" || l["order_id"] != float64(42) || l["time"] == nil {
				t.Errorf("JSON line = %v", l)
			}

			// The pretty console shows the request id among the attributes.
			line := prettyOut.String()
			if has := strings.Contains(line, "observe.request_id="+tc.requestID); has != (tc.requestID != "") {
				t.Errorf("pretty line %q shows the request id: %v; want %v", line, has, tc.requestID != "")
			}
		})
	}
}

func hexOrEmpty(valid bool, s string) string {
	if !valid {
		return ""
	}
	return s
}

func TestLoggerThresholdOnEveryOutput(t *testing.T) {
	all := []string{"debug", "info", "warn", "error"}
	for _, tc := range []struct {
		name string
		vars map[string]string
		opts []observe.Option
		want []string
	}{
		{name: "default drops debug", want: all[1:]},
		{name: "OBSERVE_LOG_LEVEL=debug", vars: map[string]string{"OBSERVE_LOG_LEVEL": "debug"}, want: all},
		{name: "OBSERVE_LOG_LEVEL=warn", vars: map[string]string{"OBSERVE_LOG_LEVEL": "warn"}, want: all[2:]},
		{name: "OBSERVE_LOG_LEVEL=error", vars: map[string]string{"OBSERVE_LOG_LEVEL": "ERROR"}, want: all[3:]},
		{name: "option beats variable", vars: map[string]string{"OBSERVE_LOG_LEVEL": "debug"}, opts: []observe.Option{observe.WithLogLevel(slog.LevelWarn)}, want: all[2:]},
	} {
		for _, format := range []string{"json", "pretty"} {
			t.Run(tc.name+"/"+format, func(t *testing.T) {
				var out syncBuffer
				rec := &logRecorder{}
				vars := map[string]string{"OBSERVE_CONSOLE_FORMAT": format}
				for k, v := range tc.vars {
					vars[k] = v
				}
				tel := configure(t, vars, append([]observe.Option{observe.WithConsoleWriter(&out), observe.WithLogProcessor(rec)}, tc.opts...)...)
				ctx := context.Background()
				l := tel.Logger()
				l.DebugContext(ctx, "debug")
				l.InfoContext(ctx, "info")
				l.WarnContext(ctx, "warn")
				l.ErrorContext(ctx, "error")
				if err := tel.ForceFlush(ctx); err != nil {
					t.Fatal(err)
				}
				var otel []string
				for _, r := range rec.Records() {
					otel = append(otel, r.Body().AsString())
				}
				if !slices.Equal(otel, tc.want) {
					t.Errorf("records at the processor: %v; want %v", otel, tc.want)
				}
				var console []string
				for _, line := range strings.Split(strings.TrimSpace(out.String()), "\n") {
					for _, m := range all {
						if strings.Contains(line, `"msg":"`+m+`"`) || strings.HasSuffix(line, " "+m) {
							console = append(console, m)
						}
					}
				}
				if !slices.Equal(console, tc.want) {
					t.Errorf("console lines: %v; want %v\n%s", console, tc.want, out.String())
				}
			})
		}
	}
}

func TestLoggerRaisesSpanLevel(t *testing.T) {
	for _, tc := range []struct {
		name   string
		levels []slog.Level
		want   string
	}{
		{"info leaves the span alone", []slog.Level{slog.LevelInfo}, ""},
		{"warn", []slog.Level{slog.LevelInfo, slog.LevelWarn}, "warn"},
		{"error stays after a warning", []slog.Level{slog.LevelError, slog.LevelWarn}, "error"},
		{"dropped debug", []slog.Level{slog.LevelDebug}, ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			sr := tracetest.NewSpanRecorder()
			tel := configure(t, nil, observe.WithSpanProcessor(sr))
			ctx, span := tel.TracerProvider().Tracer("t").Start(context.Background(), "checkout")
			for _, l := range tc.levels {
				tel.Logger().Log(ctx, l, "step")
			}
			span.End()
			got := ""
			for _, kv := range sr.Ended()[0].Attributes() {
				if kv.Key == "observe.level" {
					got = kv.Value.AsString()
				}
			}
			if got != tc.want {
				t.Errorf("observe.level = %q; want %q", got, tc.want)
			}
		})
	}
}

func TestWithSlogDefault(t *testing.T) {
	prevSlog, prevOut, prevFlags := slog.Default(), log.Writer(), log.Flags()
	t.Cleanup(func() {
		slog.SetDefault(prevSlog)
		log.SetOutput(prevOut)
		log.SetFlags(prevFlags)
	})

	var out syncBuffer
	tel, err := observe.Configure(observe.WithEnvLookup(envMap(map[string]string{"OBSERVE_CONSOLE_FORMAT": "json"})), observe.WithoutGlobals(),
		observe.WithConsoleWriter(&out), observe.WithSlogDefault())
	if err != nil {
		t.Fatal(err)
	}
	if slog.Default() != tel.Logger() {
		t.Fatal("slog.Default() is not Telemetry.Logger()")
	}
	ctx, span := tel.TracerProvider().Tracer("t").Start(context.Background(), "job")
	slog.InfoContext(ctx, "from slog", "n", 1)
	slog.Debug("dropped at info")
	log.Printf("from the log package")
	span.End()
	if err := tel.Shutdown(context.Background()); err != nil {
		t.Fatal(err)
	}
	lines := jsonLines(t, out.String())
	var msgs []any
	for _, l := range lines {
		if l["msg"] != nil {
			msgs = append(msgs, l["msg"])
		}
	}
	if len(msgs) != 2 || msgs[0] != "from slog" || msgs[1] != "from the log package" {
		t.Fatalf("console got %v; want the slog and log lines only:\n%s", msgs, out.String())
	}
	for _, l := range lines {
		if l["msg"] == "from slog" && l["trace_id"] != span.SpanContext().TraceID().String() {
			t.Errorf("slog.InfoContext line has trace_id %v", l["trace_id"])
		}
	}

	// Shutdown put back what was there.
	if slog.Default() != prevSlog {
		t.Error("slog default not restored by Shutdown")
	}
	if log.Writer() != prevOut || log.Flags() != prevFlags {
		t.Errorf("log package output/flags not restored: %v %v", log.Writer(), log.Flags())
	}
}

func TestWithSlogDefaultLeavesALaterDefault(t *testing.T) {
	prevSlog, prevOut, prevFlags := slog.Default(), log.Writer(), log.Flags()
	t.Cleanup(func() {
		slog.SetDefault(prevSlog)
		log.SetOutput(prevOut)
		log.SetFlags(prevFlags)
	})
	tel := configure(t, nil, observe.WithSlogDefault())
	mine := slog.New(slog.NewTextHandler(io.Discard, nil))
	slog.SetDefault(mine)
	if err := tel.Shutdown(context.Background()); err != nil {
		t.Fatal(err)
	}
	if slog.Default() != mine {
		t.Error("Shutdown replaced a default set after Configure")
	}
}

func TestWithSlogDefaultWhenDisabled(t *testing.T) {
	prev := slog.Default()
	tel := configure(t, map[string]string{"OTEL_SDK_DISABLED": "true"}, observe.WithSlogDefault())
	if slog.Default() != prev {
		slog.SetDefault(prev)
		t.Fatal("a disabled SDK replaced slog's default with a discarding logger")
	}
	tel.Logger().Info("discarded")
}

func envMap(m map[string]string) func(string) (string, bool) {
	return func(k string) (string, bool) {
		v, ok := m[k]
		return v, ok
	}
}

// TestLoggerSlogtest runs testing/slogtest on Telemetry.Logger's handler,
// reading back what reaches the SDK's processors.
func TestLoggerSlogtest(t *testing.T) {
	var rec *logRecorder
	slogtest.Run(t, func(t *testing.T) slog.Handler {
		rec = &logRecorder{}
		return configure(t, nil, observe.WithLogProcessor(rec), observe.WithLogsExporters("none")).Logger().Handler()
	}, func(t *testing.T) map[string]any {
		rs := rec.Records()
		if len(rs) != 1 {
			t.Fatalf("%d records reached the processor; want 1", len(rs))
		}
		r := rs[0]
		m := map[string]any{slog.LevelKey: r.SeverityText(), slog.MessageKey: r.Body().AsString()}
		if !r.Timestamp().IsZero() {
			m[slog.TimeKey] = r.Timestamp()
		}
		r.WalkAttributes(func(kv attribute.KeyValue) bool {
			m[string(kv.Key)] = attrValue(kv.Value)
			return true
		})
		return m
	})
}

func attrValue(v attribute.Value) any {
	if v.Type() != attribute.MAP {
		return v.AsInterface()
	}
	m := map[string]any{}
	for _, kv := range v.AsMap() {
		m[string(kv.Key)] = attrValue(kv.Value)
	}
	return m
}
