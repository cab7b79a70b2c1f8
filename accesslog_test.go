package observe_test

import (
	"context"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	sdklog "go.opentelemetry.io/otel/sdk/log"
	"go.opentelemetry.io/otel/sdk/trace/tracetest"

	"github.com/observe-go/observe"
	"github.com/observe-go/observe/instrument"
)

func accessMux() *http.ServeMux {
	mux := http.NewServeMux()
	mux.HandleFunc("GET /users/{id}", func(w http.ResponseWriter, r *http.Request) {
		_, _ = w.Write([]byte("user " + r.PathValue("id")))
	})
	return mux
}

// accessRecords returns the access log records among recs: those whose
// message starts with the method.
func accessRecords(recs []sdklog.Record) []sdklog.Record {
	var out []sdklog.Record
	for _, r := range recs {
		if strings.HasPrefix(r.Body().AsString(), "GET ") {
			out = append(out, r)
		}
	}
	return out
}

// With an OTLP-like pipeline the access log record is emitted off the
// request path; ForceFlush and Shutdown deliver it, with the trace and
// request id of its request.
func TestAccessLogDeferredUntilFlush(t *testing.T) {
	for _, end := range []string{"ForceFlush", "Shutdown"} {
		t.Run(end, func(t *testing.T) {
			rec := &logRecorder{}
			spans := tracetest.NewSpanRecorder()
			tel := configure(t, nil, observe.WithLogsExporters("none"), observe.WithTracesExporters("none"),
				observe.WithLogProcessor(rec), observe.WithSpanProcessor(spans))
			h := tel.InstrumentHTTP(accessMux())
			r := httptest.NewRequest(http.MethodGet, "/users/7", nil)
			r.Header.Set(instrument.RequestIDHeader, "req-deferred")
			h.ServeHTTP(httptest.NewRecorder(), r)

			ctx := context.Background()
			var err error
			if end == "ForceFlush" {
				err = tel.ForceFlush(ctx)
			} else {
				err = tel.Shutdown(ctx)
			}
			if err != nil {
				t.Fatalf("%s: %v", end, err)
			}
			got := accessRecords(rec.Records())
			if len(got) != 1 {
				t.Fatalf("after %s: %d access log records, want 1", end, len(got))
			}
			if id, _ := recordAttr(got[0], "observe.request_id"); id != "req-deferred" {
				t.Errorf("observe.request_id = %q, want req-deferred", id)
			}
			ss := spans.Ended()
			if len(ss) != 1 {
				t.Fatalf("got %d spans, want 1", len(ss))
			}
			if sc := ss[0].SpanContext(); got[0].TraceID() != sc.TraceID() || got[0].SpanID() != sc.SpanID() {
				t.Errorf("record trace %v/%v, want the server span's %v/%v",
					got[0].TraceID(), got[0].SpanID(), sc.TraceID(), sc.SpanID())
			}
		})
	}
}

// With a console the record is emitted before the request returns, so the
// console prints it inside its span.
func TestAccessLogInOrderOnTheConsole(t *testing.T) {
	var out syncBuffer
	rec := &logRecorder{}
	tel := configure(t, nil, observe.WithConsoleWriter(&out), observe.WithLogProcessor(rec))
	h := tel.InstrumentHTTP(accessMux())
	h.ServeHTTP(httptest.NewRecorder(), httptest.NewRequest(http.MethodGet, "/users/7", nil))
	if n := len(accessRecords(rec.Records())); n != 1 {
		t.Fatalf("before any flush: %d access log records, want 1", n)
	}
	if err := tel.ForceFlush(context.Background()); err != nil {
		t.Fatal(err)
	}
	text := out.String()
	logAt, spanAt := strings.Index(text, "GET /users/7 200"), strings.Index(text, "GET /users/{id}")
	closeAt := strings.LastIndex(text, "└")
	if logAt < 0 || spanAt < 0 || closeAt < 0 {
		t.Fatalf("console output lacks the span, its end or the access log:\n%s", text)
	}
	if !(spanAt < logAt && logAt < closeAt) {
		t.Errorf("the access log is not printed inside its span:\n%s", text)
	}
}
