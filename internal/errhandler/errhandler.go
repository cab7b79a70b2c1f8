// Package errhandler reports errors that have no caller to return to (the
// SDK's export failures, background servers) without flooding the output.
//
// Errors are grouped into kinds: two messages are of one kind when they
// differ only in words holding digits (ports, addresses, counts, ids,
// durations). Each line starts with "observe: ". The first error of a kind
// is written at once; later ones at most once per interval, as the latest
// message followed by how many errors of the kind there were since the
// last line:
//
//	observe: traces export to otlp failed, 512 spans lost (512 in total): connection refused
//	observe: traces export to otlp failed, 512 spans lost (9216 in total): connection refused (18 times since 12:00:00)
//
// Errors of a kind that stop coming inside the interval are written by
// [Handler.Flush], or by the first Handle call after the interval.
package errhandler

import (
	"io"
	"strconv"
	"strings"
	"sync"
	"time"
)

const (
	// maxKeys bounds how many kinds of error are remembered at once.
	maxKeys = 256
	// maxQueued bounds the lines waiting while another goroutine writes.
	maxQueued = 64
)

// Handler writes each kind of error at most once per interval, counting
// the errors in between. It implements otel.ErrorHandler and is safe for
// concurrent use.
//
// Handle never waits for the writer behind another goroutine: while one
// goroutine writes (perhaps blocked on a full pipe), the lines of the
// others queue up, bounded, and that goroutine writes them after its own.
type Handler struct {
	interval time.Duration
	now      func() time.Time

	mu      sync.Mutex
	seen    map[string]*entry
	nextDue time.Time // earliest time an entry with a count is due
	queue   []string  // lines waiting for the writer
	lost    int       // lines dropped because the queue was full

	writeMu sync.Mutex // held by the goroutine writing to w
	w       io.Writer
}

type entry struct {
	last       time.Time // when a line of this kind was written
	suppressed int       // errors of the kind since, not written
	latest     string    // message of the latest suppressed error
}

// New returns a Handler that writes to w at most one line per kind of error
// per interval. now is the clock; nil means [time.Now].
func New(w io.Writer, interval time.Duration, now func() time.Time) *Handler {
	if now == nil {
		now = time.Now
	}
	return &Handler{w: w, interval: interval, now: now, seen: make(map[string]*entry)}
}

// Handle writes err, or counts it if a line of its kind was written less
// than the interval ago. It implements otel.ErrorHandler.
func (h *Handler) Handle(err error) {
	if err == nil {
		return
	}
	msg := err.Error()
	key := Key(msg)
	h.mu.Lock()
	t := h.now()
	e, ok := h.seen[key]
	switch {
	case !ok:
		if len(h.seen) >= maxKeys {
			h.evictLocked(t)
		}
		h.seen[key] = &entry{last: t}
		h.queueLocked(msg, 0, time.Time{})
	case t.Sub(e.last) < h.interval:
		if e.suppressed == 0 {
			if due := e.last.Add(h.interval); h.nextDue.IsZero() || due.Before(h.nextDue) {
				h.nextDue = due
			}
		}
		e.suppressed++
		e.latest = msg
	default:
		h.queueLocked(msg, e.suppressed+1, e.last)
		e.last, e.suppressed, e.latest = t, 0, ""
	}
	h.writeDueLocked(t)
	h.mu.Unlock()
	h.write()
}

// Flush writes a line for every kind of error counted since its last line,
// and returns once the lines are written or handed to the goroutine that
// is writing.
func (h *Handler) Flush() {
	h.mu.Lock()
	t := h.now()
	for _, e := range h.seen {
		h.writeEntryLocked(e, t)
	}
	h.nextDue = time.Time{}
	h.mu.Unlock()
	h.write()
}

// writeDueLocked queues a line for each kind whose count is due at t.
func (h *Handler) writeDueLocked(t time.Time) {
	if h.nextDue.IsZero() || t.Before(h.nextDue) {
		return
	}
	h.nextDue = time.Time{}
	for _, e := range h.seen {
		if e.suppressed == 0 {
			continue
		}
		due := e.last.Add(h.interval)
		if !t.Before(due) {
			h.writeEntryLocked(e, t)
		} else if h.nextDue.IsZero() || due.Before(h.nextDue) {
			h.nextDue = due
		}
	}
}

// writeEntryLocked queues e's latest message with its count, if it has one.
func (h *Handler) writeEntryLocked(e *entry, t time.Time) {
	if e.suppressed == 0 {
		return
	}
	h.queueLocked(e.latest, e.suppressed, e.last)
	e.last, e.suppressed, e.latest = t, 0, ""
}

// queueLocked formats a line: "observe: " and msg, and for n > 1 how many
// errors of the kind there were since the line written at since.
func (h *Handler) queueLocked(msg string, n int, since time.Time) {
	if len(h.queue) >= maxQueued {
		h.lost++
		return
	}
	var b strings.Builder
	b.WriteString("observe: ")
	b.WriteString(msg)
	if n > 1 {
		b.WriteString(" (")
		b.WriteString(strconv.Itoa(n))
		b.WriteString(" times since ")
		b.WriteString(since.Format(time.TimeOnly))
		b.WriteString(")")
	}
	b.WriteByte('\n')
	h.queue = append(h.queue, b.String())
}

// write writes the queued lines, unless another goroutine is writing: that
// one writes them after its own.
func (h *Handler) write() {
	for h.writeMu.TryLock() {
		h.mu.Lock()
		lines, lost := h.queue, h.lost
		h.queue, h.lost = nil, 0
		h.mu.Unlock()
		if lost > 0 {
			_, _ = io.WriteString(h.w, "observe: "+strconv.Itoa(lost)+" error lines not written: the error output was blocked\n")
		}
		for _, l := range lines {
			_, _ = io.WriteString(h.w, l)
		}
		h.writeMu.Unlock()
		// Lines queued while this goroutine wrote, by goroutines that
		// found writeMu held, are written on the next turn.
		h.mu.Lock()
		empty := len(h.queue) == 0 && h.lost == 0
		h.mu.Unlock()
		if empty {
			return
		}
	}
}

// evictLocked makes room for a new kind: it forgets the kind whose last
// line is the oldest, first writing its count if it has one.
func (h *Handler) evictLocked(t time.Time) {
	var oldest string
	var oe *entry
	for k, e := range h.seen {
		if oe == nil || e.last.Before(oe.last) {
			oldest, oe = k, e
		}
	}
	if oe != nil {
		h.writeEntryLocked(oe, t)
		delete(h.seen, oldest)
	}
}

// Key returns the kind of an error message: msg with every word that holds
// a digit replaced by "#". A word is a run of ASCII letters and digits,
// with dots inside it, so "dial tcp 127.0.0.1:4317", "dial tcp
// 10.0.0.7:4318" and "after 10.5s", "after 3s" are each one kind.
func Key(msg string) string {
	var b strings.Builder
	b.Grow(len(msg))
	for i := 0; i < len(msg); {
		j := i
		digit := false
		for j < len(msg) && (isAlnum(msg[j]) || j > i && msg[j] == '.' && j+1 < len(msg) && isAlnum(msg[j+1])) {
			digit = digit || msg[j] >= '0' && msg[j] <= '9'
			j++
		}
		switch {
		case j == i:
			b.WriteByte(msg[i])
			j++
		case digit:
			b.WriteByte('#')
		default:
			b.WriteString(msg[i:j])
		}
		i = j
	}
	return b.String()
}

func isAlnum(c byte) bool {
	return c >= '0' && c <= '9' || c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z'
}
