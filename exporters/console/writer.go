package console

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"sync"
	"time"

	"go.opentelemetry.io/otel"
)

const (
	// bufferLimit is how many bytes of lines may wait in memory for the
	// destination, besides the chunk being written. A line that would take
	// the buffer past it is dropped and counted, unless the buffer is
	// empty.
	bufferLimit = 1 << 20
	// maxSpare is the largest buffer kept for reuse after a write. It
	// matches bufferLimit so that a console under steady load reuses its
	// two buffers instead of growing new ones.
	maxSpare = bufferLimit
)

// bufWriter collects lines in memory; its own goroutine writes them to w
// in chunks: when the buffer passes flushThreshold, when a flush waits,
// and otherwise an interval after the first line of a chunk. Callers never
// wait for w: a line that does not fit in the buffer is dropped and
// counted.
//
// The goroutine is started by the first line buffered and returns when it
// finds the buffer empty, so an idle writer runs nothing. Chunks reach w in
// the order in which their lines were buffered.
type bufWriter struct {
	w        io.Writer
	interval time.Duration
	limit    int

	mu      sync.Mutex
	buf     []byte
	lines   [numSignals]int64 // lines in buf, by signal
	spare   []byte
	writing []byte        // the chunk being written, nil when none
	running bool          // the write goroutine exists
	exited  chan struct{} // closed when the running goroutine returns
	wake    chan struct{} // capacity 1: write now, not at the interval
	closed  bool          // write without waiting for the interval
	failing bool          // the last background write failed

	taken    uint64        // chunks taken from buf
	written  uint64        // chunks whose write returned
	progress chan struct{} // closed and replaced when a write returns
	waiters  int           // flush calls waiting
	failedAt uint64        // value of written after the last failed write
	failErr  error         // error of the last failed write

	drops drops
}

func newBufWriter(w io.Writer, interval time.Duration) *bufWriter {
	return &bufWriter{
		w:        w,
		interval: interval,
		limit:    bufferLimit,
		wake:     make(chan struct{}, 1),
		progress: make(chan struct{}),
		drops:    drops{firstDelay: firstReportDelay, interval: reportInterval, limit: bufferLimit},
	}
}

// append buffers p, one or more whole lines of signal sig, or drops it if
// the buffer is full. It never waits for the destination.
func (b *bufWriter) append(sig signal, p []byte) {
	b.mu.Lock()
	n := len(b.buf)
	if n > 0 && n+len(p) > b.limit {
		b.mu.Unlock()
		b.drops.add(sig, p)
		return
	}
	b.buf = append(b.buf, p...)
	b.lines[sig] += lineCount(p)
	if !b.running {
		b.running = true
		b.exited = make(chan struct{})
		go b.run(b.exited)
	} else if n < flushThreshold && len(b.buf) >= flushThreshold {
		b.kickLocked()
	}
	b.mu.Unlock()
}

// kickLocked asks the goroutine to write without waiting for the interval.
func (b *bufWriter) kickLocked() {
	select {
	case b.wake <- struct{}{}:
	default:
	}
}

// run writes the buffer to w until it finds it empty.
func (b *bufWriter) run(exited chan struct{}) {
	defer close(exited)
	// A wake-up left from before this goroutine is stale: waiting flushes
	// and a full buffer are seen below.
	select {
	case <-b.wake:
	default:
	}
	timer := time.NewTimer(b.interval)
	defer timer.Stop()
	for {
		b.mu.Lock()
		if len(b.buf) == 0 {
			b.running = false
			b.mu.Unlock()
			return
		}
		urgent := b.closed || b.waiters > 0 || len(b.buf) >= flushThreshold
		b.mu.Unlock()
		if !urgent {
			timer.Reset(b.interval)
			select {
			case <-timer.C:
			case <-b.wake:
			}
		}

		b.mu.Lock()
		data := b.buf
		b.buf, b.spare = b.spare[:0], nil
		lines := b.lines
		b.lines = [numSignals]int64{}
		b.writing = data
		b.taken++
		b.mu.Unlock()

		_, err := b.w.Write(data)
		if err != nil {
			// The chunk is lost: its lines are counted, and the error
			// says so.
			for sig, n := range lines {
				b.drops.failed[sig].Add(n)
			}
			err = &writeError{err: err}
		}

		b.mu.Lock()
		b.writing = nil
		b.written++
		close(b.progress)
		b.progress = make(chan struct{})
		if b.spare == nil && cap(data) <= maxSpare {
			b.spare = data[:0]
		}
		// A waiting flush returns the error; otherwise it goes to
		// otel.Handle, once until a write succeeds again.
		report := false
		switch {
		case err == nil:
			b.failing = false
		case b.waiters > 0:
			b.failedAt, b.failErr = b.written, err
		default:
			report = !b.failing
			b.failing = true
		}
		b.mu.Unlock()
		if report {
			otel.Handle(err)
		}
	}
}

// flush waits until the lines buffered before the call are written, or
// until ctx is done. It returns the error of a write it waited for, or an
// error wrapping ctx's that says how many lines are still waiting.
func (b *bufWriter) flush(ctx context.Context) error {
	return b.wait(ctx, false)
}

// wait is flush; with closing, it also marks the writer closed.
func (b *bufWriter) wait(ctx context.Context, closing bool) error {
	b.mu.Lock()
	if closing {
		b.closed = true
		b.kickLocked()
	}
	start, target := b.written, b.taken
	if len(b.buf) > 0 {
		target++
	}
	if start >= target {
		b.mu.Unlock()
		return nil
	}
	b.waiters++
	b.kickLocked()
	for b.written < target {
		ch := b.progress
		b.mu.Unlock()
		select {
		case <-ch:
		case <-ctx.Done():
			b.mu.Lock()
			b.waiters--
			n := bytes.Count(b.buf, newline) + bytes.Count(b.writing, newline)
			b.mu.Unlock()
			return &pendingError{lines: n, err: context.Cause(ctx)}
		}
		b.mu.Lock()
	}
	b.waiters--
	var err error
	if b.failedAt > start {
		err = b.failErr
	}
	b.mu.Unlock()
	return err
}

// close writes out what is buffered, reports drops not reported yet, and
// waits until the goroutine has returned, or until ctx is done. Lines
// buffered later are written at once, without waiting for the interval.
// If ctx ends first, the goroutine stays, blocked in w, and writes the
// rest when w returns.
func (b *bufWriter) close(ctx context.Context) error {
	err := b.wait(ctx, true)
	b.drops.flush()
	if err != nil {
		return err
	}
	b.mu.Lock()
	running, exited := b.running, b.exited
	b.mu.Unlock()
	if !running {
		return nil
	}
	select {
	case <-exited:
		return nil
	case <-ctx.Done():
		return context.Cause(ctx)
	}
}

// reopen makes the goroutine wait for the interval again.
func (b *bufWriter) reopen() {
	b.mu.Lock()
	b.closed = false
	b.mu.Unlock()
}

var newline = []byte{'\n'}

// lineCount returns the number of lines in p, at least 1.
func lineCount(p []byte) int64 {
	if n := bytes.Count(p, newline); n > 0 {
		return int64(n)
	}
	return 1
}

// writeError is the error of a write to the destination: the lines of the
// chunk are lost.
type writeError struct{ err error }

func (e *writeError) Error() string {
	return "console: writing to the output failed, lines lost: " + e.err.Error()
}

func (e *writeError) Unwrap() error { return e.err }

// pendingError is returned by a flush that ended with lines still waiting
// for the destination.
type pendingError struct {
	lines int
	err   error
}

func (e *pendingError) Error() string {
	return fmt.Sprintf("console: %d lines not written: the output did not accept them in time: %v", e.lines, e.err)
}

func (e *pendingError) Unwrap() error { return e.err }

// signalWriter is the io.Writer of the stdout exporters used by
// [FormatJSON]: they call Write once per JSON object.
type signalWriter struct {
	b   *bufWriter
	sig signal
}

// Write buffers p or drops it. It never fails: errors writing to the
// destination go to otel.Handle.
func (w signalWriter) Write(p []byte) (int, error) {
	w.b.append(w.sig, p)
	return len(p), nil
}
