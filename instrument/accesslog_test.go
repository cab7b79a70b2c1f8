package instrument_test

import (
	"context"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/log"
	"go.opentelemetry.io/otel/log/logtest"

	"github.com/observe-go/observe/bridge"
	"github.com/observe-go/observe/instrument"
)

// opaque hides the type of its handler, so the middleware cannot see that
// observe's bridge is behind it and logs through slog.
type opaque struct{ slog.Handler }

// recorded returns the records of rec under one scope, in order.
func recorded(t *testing.T, rec *logtest.Recorder, scope string) []logtest.Record {
	t.Helper()
	for s, rs := range rec.Result() {
		if s.Name == scope {
			return rs
		}
	}
	return nil
}

// withoutLogger returns the options of tel without its slog logger, so that
// the access log goes to a LoggerProvider.
func (tel *telemetry) withoutLogger(extra ...instrument.ServerOption) []instrument.ServerOption {
	return append([]instrument.ServerOption{instrument.WithTracerProvider(tel.tp), instrument.WithMeterProvider(tel.mp)}, extra...)
}

// By default the access log goes straight to the OpenTelemetry Logs API of
// the LoggerProvider; the records must be those a slog logger on observe's
// bridge makes.
func TestAccessLogDirectMatchesSlog(t *testing.T) {
	const scope = "example.com/shop"
	direct, viaSlog := logtest.NewRecorder(), logtest.NewRecorder()
	tel := newTelemetry(t)
	hDirect := instrument.HTTPHandler(testMux(), tel.withoutLogger(instrument.WithLoggerProvider(direct))...)
	hSlog := tel.handler(testMux(), instrument.WithLogger(slog.New(opaque{bridge.NewHandler(scope, bridge.WithLoggerProvider(viaSlog))})))

	reqs := []struct{ method, target string }{
		{http.MethodGet, "/users/7?token=abc"},
		{http.MethodPut, "/items/3"},
		{http.MethodGet, "/fail"},
		{http.MethodGet, "/nowhere"},
		{"BREW", "/users/7"},
	}
	for i, q := range reqs {
		for _, h := range []http.Handler{hDirect, hSlog} {
			r := httptest.NewRequest(q.method, q.target, nil)
			r.Header.Set(instrument.RequestIDHeader, "rid-"+strconv.Itoa(i))
			serveOne(h, r)
		}
	}
	got, want := recorded(t, direct, instrument.ScopeName), recorded(t, viaSlog, scope)
	if len(got) != len(reqs) || len(want) != len(reqs) {
		t.Fatalf("got %d direct and %d slog records, want %d each", len(got), len(want), len(reqs))
	}
	for i := range got {
		g, w := got[i], want[i]
		name := w.Body.AsString()
		if g.Body != w.Body || g.Severity != w.Severity || g.SeverityText != w.SeverityText || g.EventName != w.EventName {
			t.Errorf("%s: direct record (%q, %v %q) differs from slog's (%q, %v %q)",
				name, g.Body.AsString(), g.Severity, g.SeverityText, w.Body.AsString(), w.Severity, w.SeverityText)
		}
		if d := g.Timestamp.Sub(w.Timestamp); g.Timestamp.IsZero() || d < -time.Second || d > time.Second {
			t.Errorf("%s: direct timestamp %v, slog's %v", name, g.Timestamp, w.Timestamp)
		}
		ga, wa := sortedAttrs(g.Attributes), sortedAttrs(w.Attributes)
		// Durations differ between two requests; compare their type only.
		for j := range ga {
			if ga[j].Key == "duration_ms" && j < len(wa) && wa[j].Key == "duration_ms" {
				if ga[j].Value.Type() != wa[j].Value.Type() {
					t.Errorf("%s: duration_ms is %v, slog's %v", name, ga[j].Value.Type(), wa[j].Value.Type())
				}
				ga[j].Value, wa[j].Value = attribute.Float64Value(0), attribute.Float64Value(0)
			}
		}
		if !slices.Equal(ga, wa) {
			t.Errorf("%s: direct attributes\n%v\nslog's\n%v", name, ga, wa)
		}
	}
	// The request id and the trace come along on the direct path too.
	for _, r := range got {
		if v, ok := attrValue(r.Attributes, instrument.RequestIDAttribute); !ok || !strings.HasPrefix(v.AsString(), "rid-") {
			t.Errorf("%s: %s = %v, want the request's id", r.Body.AsString(), instrument.RequestIDAttribute, v.Emit())
		}
	}
}

// A handler with attributes added keeps its attributes: the middleware
// then logs through slog.
func TestAccessLogKeepsHandlerAttributes(t *testing.T) {
	const scope = "example.com/shop"
	rec := logtest.NewRecorder()
	tel := newTelemetry(t)
	logger := slog.New(bridge.NewHandler(scope, bridge.WithLoggerProvider(rec))).With("component", "api")
	serveOne(tel.handler(testMux(), instrument.WithLogger(logger)), httptest.NewRequest(http.MethodGet, "/users/1", nil))
	rs := recorded(t, rec, scope)
	if len(rs) != 1 {
		t.Fatalf("got %d records, want 1", len(rs))
	}
	if v, ok := attrValue(rs[0].Attributes, "component"); !ok || v.AsString() != "api" {
		t.Errorf("component = %v, want api", v.Emit())
	}
}

// The provider decides on the direct path: one enabled from WARN on gets
// the 500s only.
func TestAccessLogDirectLevel(t *testing.T) {
	rec := logtest.NewRecorder(logtest.WithEnabledFunc(func(_ context.Context, p log.EnabledParameters) bool {
		return p.Severity >= log.SeverityWarn
	}))
	tel := newTelemetry(t)
	h := instrument.HTTPHandler(testMux(), tel.withoutLogger(instrument.WithLoggerProvider(rec))...)
	serveOne(h, httptest.NewRequest(http.MethodGet, "/users/1", nil))
	serveOne(h, httptest.NewRequest(http.MethodGet, "/fail", nil))
	rs := recorded(t, rec, instrument.ScopeName)
	if len(rs) != 1 || rs[0].SeverityText != "ERROR" {
		t.Fatalf("got %d records, want the 500's alone at ERROR", len(rs))
	}
}

func sortedAttrs(kvs []attribute.KeyValue) []attribute.KeyValue {
	out := slices.Clone(kvs)
	slices.SortFunc(out, func(a, b attribute.KeyValue) int { return strings.Compare(string(a.Key), string(b.Key)) })
	return out
}

func attrValue(kvs []attribute.KeyValue, key string) (attribute.Value, bool) {
	for _, kv := range kvs {
		if string(kv.Key) == key {
			return kv.Value, true
		}
	}
	return attribute.Value{}, false
}
