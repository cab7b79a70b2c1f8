package instrument_test

import (
	"context"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/observe-go/observe/instrument"
)

// disabledHandler is the Enabled half of a slog.Handler that wants no
// record at any level; it counts how often it is asked.
type disabledHandler struct{ asked int }

func (h *disabledHandler) Enabled(_ context.Context, _ slog.Level) bool { h.asked++; return false }

// TestHTTPHandlerDisabledLogBuildsNothing checks that a request whose
// access log level is disabled costs no more allocations than one with the
// access log turned off: the record is not built.
func TestHTTPHandlerDisabledLogBuildsNothing(t *testing.T) {
	if raceEnabled {
		t.Skip("the race detector makes sync.Pool drop items, so allocation counts vary")
	}
	tel := newTelemetry(t)
	disabled := &disabledHandler{}
	tests := []struct {
		name string
		opt  instrument.ServerOption
	}{
		{"WithoutAccessLog", instrument.WithoutAccessLog()},
		{"logger above INFO", instrument.WithLogger(slog.New(disabledSlogHandler{disabled}))},
	}
	allocs := make([]float64, len(tests))
	for i, tt := range tests {
		h := tel.handler(testMux(), tt.opt)
		r := httptest.NewRequest(http.MethodGet, "/users/1", nil)
		w := httptest.NewRecorder()
		serve := func() {
			clear(w.Header())
			w.Body.Reset()
			h.ServeHTTP(w, r)
		}
		serve() // warm the caches
		allocs[i] = testing.AllocsPerRun(200, serve)
		t.Logf("%s: %v allocations per request", tt.name, allocs[i])
	}
	if disabled.asked == 0 {
		t.Fatal("the logger was never asked whether INFO is enabled")
	}
	if allocs[1] > allocs[0] {
		t.Errorf("a disabled access log costs %v allocations per request, WithoutAccessLog %v: the record is built anyway", allocs[1], allocs[0])
	}
}

type disabledSlogHandler struct{ *disabledHandler }

func (h disabledSlogHandler) Handle(context.Context, slog.Record) error {
	panic("Handle called on a disabled handler")
}
func (h disabledSlogHandler) WithAttrs([]slog.Attr) slog.Handler { return h }
func (h disabledSlogHandler) WithGroup(string) slog.Handler      { return h }
