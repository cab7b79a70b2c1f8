package errhandler

import (
	"errors"
	"strings"
	"testing"
	"time"
)

func TestHandlerRateLimits(t *testing.T) {
	var out strings.Builder
	now := time.Date(2026, 1, 1, 12, 0, 0, 0, time.UTC)
	h := New(&out, time.Minute, func() time.Time { return now })

	refused := errors.New("export failed: connection refused")
	for range 100 {
		h.Handle(refused)
	}
	h.Handle(errors.New("other failure"))
	h.Handle(nil)
	if got, want := out.String(), "observe: export failed: connection refused\nobserve: other failure\n"; got != want {
		t.Fatalf("inside the interval:\ngot  %q\nwant %q", got, want)
	}

	out.Reset()
	now = now.Add(61 * time.Second)
	h.Handle(refused)
	want := "observe: export failed: connection refused (repeated 99 more times since 12:00:00)\n"
	if got := out.String(); got != want {
		t.Fatalf("after the interval:\ngot  %q\nwant %q", got, want)
	}
}

func TestHandlerBoundsMemory(t *testing.T) {
	var out strings.Builder
	h := New(&out, time.Hour, nil)
	for i := range 10 * maxKeys {
		h.Handle(errors.New(strings.Repeat("x", i%50) + time.Duration(i).String()))
	}
	if len(h.seen) > maxKeys {
		t.Fatalf("remembers %d errors, want at most %d", len(h.seen), maxKeys)
	}
	if got := strings.Count(out.String(), "\n"); got != 10*maxKeys {
		t.Fatalf("wrote %d lines for %d distinct errors", got, 10*maxKeys)
	}
}
