package instrument_test

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"regexp"
	"strconv"
	"strings"
	"testing"

	"go.opentelemetry.io/otel/baggage"
	"go.opentelemetry.io/otel/codes"
	"go.opentelemetry.io/otel/propagation"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/trace"

	"github.com/observe-go/observe/instrument"
	"github.com/observe-go/observe/internal/requestid"
)

var uuidRE = regexp.MustCompile(`^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$`)

func TestHTTPHandlerContinuesTraceparent(t *testing.T) {
	const (
		traceID = "4bf92f3577b34da6a3ce929b0e0e4736"
		spanID  = "00f067aa0ba902b7"
	)
	prop := propagation.NewCompositeTextMapPropagator(propagation.TraceContext{}, propagation.Baggage{})
	tests := []struct {
		name        string
		traceparent string
		wantParent  bool
	}{
		{name: "sampled parent", traceparent: "00-" + traceID + "-" + spanID + "-01", wantParent: true},
		{name: "no parent", traceparent: "", wantParent: false},
		{name: "malformed parent", traceparent: "00-zz-" + spanID + "-01", wantParent: false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			tel := newTelemetry(t)
			var gotBaggage string
			var handlerSC trace.SpanContext
			h := tel.handler(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				gotBaggage = baggage.FromContext(r.Context()).Member("tenant").Value()
				handlerSC = trace.SpanContextFromContext(r.Context())
			}), instrument.WithPropagator(prop))
			r := httptest.NewRequest(http.MethodGet, "/", nil)
			if tt.traceparent != "" {
				r.Header.Set("traceparent", tt.traceparent)
			}
			r.Header.Set("baggage", "tenant=acme")
			serveOne(h, r)

			s := tel.ended(t, 1)[0]
			if gotBaggage != "acme" {
				t.Errorf("baggage tenant in handler = %q, want acme", gotBaggage)
			}
			if !handlerSC.Equal(s.SpanContext()) {
				t.Errorf("handler's span context %v is not the server span's %v", handlerSC, s.SpanContext())
			}
			if !tt.wantParent {
				if s.Parent().IsValid() {
					t.Errorf("parent = %v, want none", s.Parent())
				}
				return
			}
			if got := s.SpanContext().TraceID().String(); got != traceID {
				t.Errorf("trace id = %s, want %s", got, traceID)
			}
			if got := s.Parent().SpanID().String(); got != spanID {
				t.Errorf("parent span id = %s, want %s", got, spanID)
			}
			if !s.Parent().IsRemote() {
				t.Error("parent is not remote")
			}
		})
	}
}

func TestHTTPHandlerRequestID(t *testing.T) {
	tests := []struct {
		name   string
		header *string // nil: no header
		keep   bool
	}{
		{name: "none", header: nil, keep: false},
		{name: "uuid", header: ptr("3f2b8a1c-9d4e-4f6a-8b7c-1d2e3f4a5b6c"), keep: true},
		{name: "all allowed characters", header: ptr("abc-123_x.y:z"), keep: true},
		{name: "128 characters", header: ptr(strings.Repeat("a", 128)), keep: true},
		{name: "markup", header: ptr("<script>"), keep: false},
		{name: "space", header: ptr("has space"), keep: false},
		{name: "129 characters", header: ptr(strings.Repeat("a", 129)), keep: false},
		{name: "control character", header: ptr("\x01"), keep: false},
		{name: "empty", header: ptr(""), keep: false},
		{name: "non-ASCII", header: ptr("caf\u00e9"), keep: false},
		{name: "log line injection", header: ptr("id\nlevel=ERROR"), keep: false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			tel := newTelemetry(t)
			var inHandler string
			h := tel.handler(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				inHandler = requestid.FromContext(r.Context())
			}))
			r := httptest.NewRequest(http.MethodGet, "/", nil)
			if tt.header != nil {
				r.Header.Set(instrument.RequestIDHeader, *tt.header)
			}
			w := serveOne(h, r)
			got := w.Header().Get(instrument.RequestIDHeader)
			if tt.keep {
				if got != *tt.header {
					t.Errorf("response request id = %q, want %q kept", got, *tt.header)
				}
			} else {
				if !uuidRE.MatchString(got) {
					t.Errorf("response request id = %q, want a new UUID", got)
				}
			}
			if inHandler != got {
				t.Errorf("request id in the handler's context = %q, want %q", inHandler, got)
			}
			span := attrMap(tel.ended(t, 1)[0].Attributes())
			if v := span[instrument.RequestIDAttribute].AsString(); v != got {
				t.Errorf("span %s = %q, want %q", instrument.RequestIDAttribute, v, got)
			}
		})
	}

	t.Run("generated ids differ", func(t *testing.T) {
		h := instrument.HTTPHandler(http.NotFoundHandler(), instrument.WithoutAccessLog())
		seen := map[string]bool{}
		for range 100 {
			id := serveOne(h, httptest.NewRequest(http.MethodGet, "/", nil)).Header().Get(instrument.RequestIDHeader)
			if seen[id] {
				t.Fatalf("request id %q generated twice", id)
			}
			seen[id] = true
		}
	})
}

func ptr[T any](v T) *T { return &v }

func TestValidRequestID(t *testing.T) {
	tests := []struct {
		name string
		id   string
		want bool
	}{
		{"uuid", "3f2b8a1c-9d4e-4f6a-8b7c-1d2e3f4a5b6c", true},
		{"letters digits and punctuation", "abc-123_x.y:z", true},
		{"single character", "a", true},
		{"upper case", "ABC", true},
		{"128 characters", strings.Repeat("x", 128), true},
		{"empty", "", false},
		{"129 characters", strings.Repeat("x", 129), false},
		{"markup", "<script>", false},
		{"space", "has space", false},
		{"control character", "\x01", false},
		{"tab", "a\tb", false},
		{"newline", "a\nb", false},
		{"DEL", "a\x7fb", false},
		{"non-ASCII", "caf\u00e9", false},
		{"slash", "a/b", false},
		{"quote", `a"b`, false},
		{"equals", "a=b", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := instrument.ValidRequestID(tt.id); got != tt.want {
				t.Errorf("ValidRequestID(%q) = %v, want %v", tt.id, got, tt.want)
			}
		})
	}
}

type boomError struct{ msg string }

func (e *boomError) Error() string { return e.msg }

// servePanicking calls h and returns what it panicked with.
func servePanicking(h http.Handler, w http.ResponseWriter, r *http.Request) (p any) {
	defer func() { p = recover() }()
	h.ServeHTTP(w, r)
	return nil
}

func TestHTTPHandlerPanic(t *testing.T) {
	tests := []struct {
		name      string
		value     any
		writeOK   bool // the handler wrote a 200 before panicking
		wantCode  int
		wantBody  string
		wantEvent bool
		wantErr   bool // span status Error
		wantLevel slog.Level
	}{
		{
			name: "custom error before writing", value: &boomError{"boom"},
			wantCode: 500, wantBody: "Internal Server Error\n", wantEvent: true, wantErr: true, wantLevel: slog.LevelError,
		},
		{
			name: "string after writing 200", value: "late boom", writeOK: true,
			wantCode: 200, wantBody: "partial", wantEvent: true, wantErr: true, wantLevel: slog.LevelError,
		},
		{
			name: "ErrAbortHandler", value: http.ErrAbortHandler,
			wantCode: 200, wantBody: "", wantEvent: false, wantErr: false, wantLevel: slog.LevelInfo,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			tel := newTelemetry(t)
			h := tel.handler(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				if tt.writeOK {
					w.WriteHeader(http.StatusOK)
					_, _ = w.Write([]byte("partial"))
				}
				panic(tt.value)
			}))
			w := httptest.NewRecorder()
			p := servePanicking(h, w, httptest.NewRequest(http.MethodGet, "/panic", nil))
			if p != tt.value {
				t.Fatalf("re-raised panic = %#v, want the same value %#v", p, tt.value)
			}
			if w.Code != tt.wantCode || w.Body.String() != tt.wantBody {
				t.Errorf("response = %d %q, want %d %q", w.Code, w.Body.String(), tt.wantCode, tt.wantBody)
			}
			if tt.value == http.ErrAbortHandler && w.Header().Get("Content-Type") != "" {
				t.Errorf("aborted response got Content-Type %q", w.Header().Get("Content-Type"))
			}

			s := tel.ended(t, 1)[0]
			var exc []sdktrace.Event
			for _, e := range s.Events() {
				if e.Name == "exception" {
					exc = append(exc, e)
				}
			}
			if !tt.wantEvent {
				if len(exc) != 0 {
					t.Errorf("got %d exception events, want none", len(exc))
				}
			} else {
				if len(exc) != 1 {
					t.Fatalf("got %d exception events, want 1", len(exc))
				}
				ea := attrMap(exc[0].Attributes)
				if got, want := ea["exception.type"].AsString(), fmt.Sprintf("%T", tt.value); got != want {
					t.Errorf("exception.type = %q, want %q", got, want)
				}
				if got, want := ea["exception.message"].AsString(), fmt.Sprint(tt.value); got != want {
					t.Errorf("exception.message = %q, want %q", got, want)
				}
				st := ea["exception.stacktrace"].AsString()
				if !strings.Contains(st, "TestHTTPHandlerPanic") {
					t.Errorf("exception.stacktrace does not show the panicking handler:\n%s", st)
				}
			}
			if got := s.Status().Code == codes.Error; got != tt.wantErr {
				t.Errorf("span status = %v, want Error: %v", s.Status(), tt.wantErr)
			}
			if tt.wantErr {
				if _, ok := attrMap(s.Attributes())["error.type"]; !ok {
					t.Error("error.type missing on a panicking request")
				}
			}
			recs := tel.logs.records()
			if len(recs) != 1 {
				t.Fatalf("got %d access log records, want 1", len(recs))
			}
			if recs[0].record.Level != tt.wantLevel {
				t.Errorf("access log level = %v, want %v", recs[0].record.Level, tt.wantLevel)
			}
		})
	}

	t.Run("server keeps running", func(t *testing.T) {
		tel := newTelemetry(t)
		mux := http.NewServeMux()
		mux.HandleFunc("/panic", func(http.ResponseWriter, *http.Request) { panic(&boomError{"boom"}) })
		mux.HandleFunc("/abort", func(http.ResponseWriter, *http.Request) { panic(http.ErrAbortHandler) })
		mux.HandleFunc("/ok", func(w http.ResponseWriter, _ *http.Request) { _, _ = w.Write([]byte("ok")) })
		srv := httptest.NewUnstartedServer(tel.handler(mux))
		srv.Config.ErrorLog = discardLog()
		srv.Start()
		defer srv.Close()
		resp, err := srv.Client().Get(srv.URL + "/panic")
		if err != nil {
			t.Fatalf("GET /panic: %v (the 500 never reached the client)", err)
		}
		body, err := io.ReadAll(resp.Body)
		resp.Body.Close()
		if resp.StatusCode != http.StatusInternalServerError || string(body) != "Internal Server Error\n" || err != nil {
			t.Errorf("GET /panic = %d %q (read error %v), want a complete 500", resp.StatusCode, body, err)
		}
		if _, err := srv.Client().Get(srv.URL + "/abort"); err == nil {
			t.Error("GET /abort got a response, want the connection aborted as without the middleware")
		}
		resp, err = srv.Client().Get(srv.URL + "/ok")
		if err != nil {
			t.Fatalf("GET /ok: %v", err)
		}
		resp.Body.Close()
		if resp.StatusCode != http.StatusOK {
			t.Errorf("GET /ok = %d, want 200", resp.StatusCode)
		}
	})
}

func TestHTTPHandlerAccessLog(t *testing.T) {
	tests := []struct {
		name      string
		method    string
		target    string
		wantCode  int
		wantLevel slog.Level
		wantRoute string
	}{
		{"200", http.MethodGet, "/users/42", 200, slog.LevelInfo, "/users/{id}"},
		{"422", http.MethodPut, "/items/1", 422, slog.LevelInfo, "/items/{id}"},
		{"404", http.MethodGet, "/missing", 404, slog.LevelInfo, ""},
		{"500", http.MethodGet, "/fail", 500, slog.LevelError, "/fail"},
		{"503", http.MethodGet, "/unavailable", 503, slog.LevelError, "/unavailable"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			tel := newTelemetry(t)
			h := tel.handler(testMux())
			w := serveOne(h, httptest.NewRequest(tt.method, tt.target, nil))
			if w.Code != tt.wantCode {
				t.Fatalf("code = %d, want %d", w.Code, tt.wantCode)
			}
			recs := tel.logs.records()
			if len(recs) != 1 {
				t.Fatalf("got %d access log records, want exactly 1", len(recs))
			}
			rec := recs[0]
			if rec.record.Level != tt.wantLevel {
				t.Errorf("level = %v, want %v", rec.record.Level, tt.wantLevel)
			}
			attrs := rec.attrs()
			code, ok := attrs["http.response.status_code"]
			if !ok || code.Kind() != slog.KindInt64 || code.Int64() != int64(tt.wantCode) {
				t.Errorf("http.response.status_code = %v (kind %v), want int %d", code, code.Kind(), tt.wantCode)
			}
			// A request no pattern matched has no route: the attribute is
			// left out, as on the span and the metrics.
			if v, ok := attrs["http.route"]; ok != (tt.wantRoute != "") || ok && v.String() != tt.wantRoute {
				t.Errorf("http.route = %v (present %v), want %q", v, ok, tt.wantRoute)
			}
			// The message carries the method, the path and the status.
			if want := tt.method + " " + tt.target + " " + strconv.Itoa(tt.wantCode); rec.record.Message != want {
				t.Errorf("message = %q, want %q", rec.record.Message, want)
			}
			if _, ok := attrs["http.response.body.size"]; !ok {
				t.Error("http.response.body.size missing")
			}
			if v, ok := attrs["error.type"]; ok != (tt.wantCode >= 500) {
				t.Errorf("error.type = %v (present %v), want it only on 5xx", v, ok)
			} else if ok && v.String() != strconv.Itoa(tt.wantCode) {
				t.Errorf("error.type = %v, want %d", v, tt.wantCode)
			}

			// The record is emitted with the request's context: its trace
			// and request id are those of the span.
			s := tel.ended(t, 1)[0]
			if sc := trace.SpanContextFromContext(rec.ctx); !sc.Equal(s.SpanContext()) {
				t.Errorf("log context span = %v, want the server span %v", sc, s.SpanContext())
			}
			rid := attrMap(s.Attributes())[instrument.RequestIDAttribute].AsString()
			if got := requestid.FromContext(rec.ctx); got == "" || got != rid || got != w.Header().Get(instrument.RequestIDHeader) {
				t.Errorf("log context request id = %q, want %q", got, rid)
			}
		})
	}

	t.Run("WithoutAccessLog", func(t *testing.T) {
		tel := newTelemetry(t)
		h := tel.handler(testMux(), instrument.WithoutAccessLog())
		serveOne(h, httptest.NewRequest(http.MethodGet, "/users/1", nil))
		serveOne(h, httptest.NewRequest(http.MethodGet, "/fail", nil))
		if n := len(tel.logs.records()); n != 0 {
			t.Errorf("got %d records, want none", n)
		}
		if n := tel.logs.enabledCalls(); n != 0 {
			t.Errorf("Enabled called %d times, want never", n)
		}
		tel.ended(t, 2)
	})

	t.Run("level above INFO", func(t *testing.T) {
		tel := newTelemetry(t)
		logs := &strictHandler{t: t, captureHandler: newCaptureHandler(slog.LevelWarn)}
		h := tel.handler(testMux(), instrument.WithLogger(slog.New(logs)))
		serveOne(h, httptest.NewRequest(http.MethodGet, "/users/1", nil))
		serveOne(h, httptest.NewRequest(http.MethodPut, "/items/1", nil))
		if n := len(logs.records()); n != 0 {
			t.Errorf("got %d records at level WARN, want none", n)
		}
		if n := logs.enabledCalls(); n != 2 {
			t.Errorf("Enabled called %d times, want once per request", n)
		}
		serveOne(h, httptest.NewRequest(http.MethodGet, "/fail", nil))
		if recs := logs.records(); len(recs) != 1 || recs[0].record.Level != slog.LevelError {
			t.Errorf("a 500 with a WARN logger gave %d records, want one at ERROR", len(recs))
		}
	})

	t.Run("handler logs carry the request id", func(t *testing.T) {
		tel := newTelemetry(t)
		logger := slog.New(tel.logs)
		h := tel.handler(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			logger.InfoContext(r.Context(), "inside")
		}))
		r := httptest.NewRequest(http.MethodGet, "/", nil)
		r.Header.Set(instrument.RequestIDHeader, "req-77")
		serveOne(h, r)
		recs := tel.logs.records()
		if len(recs) != 2 {
			t.Fatalf("got %d records, want the handler's and the access log's", len(recs))
		}
		for _, rec := range recs {
			if got := requestid.FromContext(rec.ctx); got != "req-77" {
				t.Errorf("record %q: request id in context = %q, want req-77", rec.record.Message, got)
			}
		}
	})
}

// strictHandler fails the test if a record reaches Handle while Enabled
// said no.
type strictHandler struct {
	t *testing.T
	*captureHandler
}

func (h *strictHandler) Handle(ctx context.Context, r slog.Record) error {
	if r.Level < h.level {
		h.t.Errorf("Handle called with level %v below %v", r.Level, h.level)
	}
	return h.captureHandler.Handle(ctx, r)
}

func (h *strictHandler) WithAttrs([]slog.Attr) slog.Handler { return h }
func (h *strictHandler) WithGroup(string) slog.Handler      { return h }
