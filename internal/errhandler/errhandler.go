// Package errhandler reports errors that have no caller to return to (the
// SDK's export failures, background servers) without flooding the output.
package errhandler

import (
	"fmt"
	"io"
	"sync"
	"time"
)

// maxKeys bounds how many distinct errors are remembered at once.
const maxKeys = 256

// Handler writes each distinct error at most once per interval. Repeats
// inside the interval are counted, and the count is written with the next
// line for that error.
type Handler struct {
	mu       sync.Mutex
	w        io.Writer
	interval time.Duration
	now      func() time.Time
	seen     map[string]*entry
}

type entry struct {
	last       time.Time
	suppressed int
}

// New returns a Handler that writes to w at most one line per distinct
// error message per interval.
func New(w io.Writer, interval time.Duration, now func() time.Time) *Handler {
	if now == nil {
		now = time.Now
	}
	return &Handler{w: w, interval: interval, now: now, seen: make(map[string]*entry)}
}

// Handle implements otel.ErrorHandler.
func (h *Handler) Handle(err error) {
	if err == nil {
		return
	}
	msg := err.Error()
	h.mu.Lock()
	defer h.mu.Unlock()
	t := h.now()
	e, ok := h.seen[msg]
	if ok && t.Sub(e.last) < h.interval {
		e.suppressed++
		return
	}
	if !ok {
		if len(h.seen) >= maxKeys {
			h.evict(t)
		}
		e = &entry{}
		h.seen[msg] = e
	}
	line := "observe: " + msg
	if e.suppressed > 0 {
		line += fmt.Sprintf(" (repeated %d more times since %s)", e.suppressed, e.last.Format(time.TimeOnly))
	}
	e.last, e.suppressed = t, 0
	_, _ = io.WriteString(h.w, line+"\n")
}

// evict forgets errors whose interval is over, or every error when none is.
func (h *Handler) evict(t time.Time) {
	for k, e := range h.seen {
		if t.Sub(e.last) >= h.interval {
			delete(h.seen, k)
		}
	}
	if len(h.seen) >= maxKeys {
		clear(h.seen)
	}
}
