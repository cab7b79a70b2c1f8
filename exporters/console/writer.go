package console

import (
	"io"
	"sync"
	"time"

	"go.opentelemetry.io/otel"
)

const (
	// maxBuffered is the size at which a writer that finds another write to
	// the destination in progress waits for it instead of buffering more.
	maxBuffered = 1 << 20
	// maxSpare is the largest buffer kept for reuse after a write.
	maxSpare = 256 << 10
)

// bufWriter collects lines in memory and writes them to w in large chunks:
// when the buffer passes flushThreshold, when flush is called, or from a
// timer armed by the first write after a flush.
//
// Lock order: mu, then writeMu. The buffer is swapped out under mu, and
// writeMu is taken before mu is released, so chunks reach w in the order
// in which they were buffered while new lines keep being appended.
type bufWriter struct {
	w        io.Writer
	interval time.Duration

	mu       sync.Mutex
	idle     sync.Cond // signalled when inflight drops, with mu
	buf      []byte
	spare    []byte
	timer    *time.Timer // armed timer, nil when none
	timerGen uint64      // incremented each time a timer is armed
	inflight int         // timer callbacks scheduled or running
	closed   bool        // no timers: every write goes straight to w
	failing  bool        // the last background write failed

	writeMu sync.Mutex
}

func newBufWriter(w io.Writer, interval time.Duration) *bufWriter {
	b := &bufWriter{w: w, interval: interval}
	b.idle.L = &b.mu
	return b
}

// Write appends p to the buffer. It implements io.Writer for the JSON
// encoders of the stdout exporters, which call it once per object. It
// never fails: errors writing to the destination go to otel.Handle.
func (b *bufWriter) Write(p []byte) (int, error) {
	b.append(p)
	b.flushIfFull()
	return len(p), nil
}

// append adds p to the buffer and arms the flush timer if needed.
func (b *bufWriter) append(p []byte) {
	b.mu.Lock()
	b.buf = append(b.buf, p...)
	if b.timer == nil && !b.closed {
		b.timerGen++
		gen := b.timerGen
		b.inflight++
		b.timer = time.AfterFunc(b.interval, func() { b.fire(gen) })
	}
	b.mu.Unlock()
}

// flushIfFull writes the buffer out when it has passed flushThreshold, or
// at once when the writer is closed. If another write to the destination is
// in progress it leaves the data to the timer, unless the buffer has grown
// past maxBuffered.
func (b *bufWriter) flushIfFull() {
	b.mu.Lock()
	n := len(b.buf)
	if n == 0 || (n < flushThreshold && !b.closed) {
		b.mu.Unlock()
		return
	}
	if n < maxBuffered && !b.closed {
		if !b.writeMu.TryLock() {
			b.mu.Unlock()
			return
		}
		b.writeLocked(true)
		return
	}
	b.writeMu.Lock()
	b.writeLocked(true)
}

// fire is the callback of the timer armed as number gen. If another write
// to the destination is in progress, it reschedules itself rather than make
// the writers appending to the buffer wait for that write.
func (b *bufWriter) fire(gen uint64) {
	b.mu.Lock()
	if b.writeMu.TryLock() {
		b.writeLocked(true)
	} else {
		if b.timer != nil && b.timerGen == gen && !b.closed {
			b.timer.Reset(b.interval)
			b.mu.Unlock()
			return
		}
		// A newer timer, or close, writes the buffer out.
		b.mu.Unlock()
	}
	b.mu.Lock()
	b.inflight--
	b.idle.Broadcast()
	b.mu.Unlock()
}

// flush writes out whatever is buffered and returns the write error, if any.
func (b *bufWriter) flush() error {
	b.mu.Lock()
	b.writeMu.Lock()
	return b.writeLocked(false)
}

// close flushes, stops arming timers and waits until no timer callback is
// scheduled or running. Later writes go straight to the destination.
func (b *bufWriter) close() error {
	b.mu.Lock()
	b.closed = true
	b.mu.Unlock()
	err := b.flush()
	b.mu.Lock()
	for b.inflight > 0 {
		b.idle.Wait()
	}
	b.mu.Unlock()
	return err
}

// reopen lets writes arm the flush timer again.
func (b *bufWriter) reopen() {
	b.mu.Lock()
	b.closed = false
	b.mu.Unlock()
}

// writeLocked stops the timer and writes the buffer to the destination. It
// is called with mu and writeMu held; it releases both. Background writes
// report errors to otel.Handle, once until a write succeeds again; other
// writes return them.
func (b *bufWriter) writeLocked(background bool) error {
	if b.timer != nil {
		if b.timer.Stop() {
			b.inflight--
			b.idle.Broadcast()
		}
		b.timer = nil
	}
	data := b.buf
	if len(data) == 0 {
		b.mu.Unlock()
		b.writeMu.Unlock()
		return nil
	}
	b.buf, b.spare = b.spare[:0], nil
	b.mu.Unlock()

	_, err := b.w.Write(data)
	b.writeMu.Unlock()

	b.mu.Lock()
	if b.spare == nil && cap(data) <= maxSpare {
		b.spare = data[:0]
	}
	report := background && err != nil && !b.failing
	if err == nil {
		b.failing = false
	} else if background {
		b.failing = true
	}
	b.mu.Unlock()
	if report {
		otel.Handle(err)
	}
	return err
}
