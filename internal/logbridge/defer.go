package logbridge

import (
	"fmt"
	"sync"
	"sync/atomic"
	"time"

	"go.opentelemetry.io/otel"
	"go.opentelemetry.io/otel/log"
)

// A Deferral lets the records meant for one LoggerProvider be built and
// emitted off the request path, by [Queue]s that its owner flushes before
// the provider itself. observe's Telemetry makes one for its provider when
// no exporter prints records as they come (the console must see a request's
// records inside its span).
type Deferral struct {
	provider log.LoggerProvider
	closed   atomic.Bool
	mu       sync.Mutex
	queues   map[string]flusher
}

type flusher interface{ flush() }

var deferrals sync.Map // log.LoggerProvider → *Deferral

// Defer returns the Deferral of p, made on first use. Its owner must call
// [Deferral.Close] before shutting p down.
func Defer(p log.LoggerProvider) *Deferral {
	d, _ := deferrals.LoadOrStore(p, &Deferral{provider: p})
	return d.(*Deferral)
}

// DeferralOf returns the open Deferral of p, or nil: records for p must
// then be emitted when they are made.
func DeferralOf(p log.LoggerProvider) *Deferral {
	if p == nil {
		return nil
	}
	d, ok := deferrals.Load(p)
	if !ok || d.(*Deferral).closed.Load() {
		return nil
	}
	return d.(*Deferral)
}

// Flush emits every record queued so far.
func (d *Deferral) Flush() {
	d.mu.Lock()
	qs := make([]flusher, 0, len(d.queues))
	for _, q := range d.queues {
		qs = append(qs, q)
	}
	d.mu.Unlock()
	for _, q := range qs {
		q.flush()
	}
}

// Close flushes d for the last time and forgets it: queues then hand
// records back to be emitted at once.
func (d *Deferral) Close() {
	d.closed.Store(true)
	deferrals.CompareAndDelete(d.provider, d)
	d.Flush()
}

// Tuning of [Queue].
const (
	// queueLinger is how long a record may wait for others.
	queueLinger = 20 * time.Millisecond
	// queueBatch is the number of waiting records that starts a drain at
	// once.
	queueBatch = 256
	// queueMax bounds the waiting records; beyond it they are dropped and
	// counted, as the SDK's batch processor does with a full queue.
	queueMax = 4096
)

// A Queue holds entries of type E until a drain, run on a timer's
// goroutine, hands them to emit in the order they came. Adding an entry
// takes a mutex and copies it: no allocation, no work of the SDK's.
type Queue[E any] struct {
	d    *Deferral
	emit func(*E)

	mu      sync.Mutex
	pending []E
	timer   *time.Timer
	dropped uint64

	// drainMu makes drains run one at a time, so that records keep their
	// order and a flush returns after a drain under way.
	drainMu sync.Mutex
	spare   []E
}

// QueueOf returns the Queue of d named key, made with emit on first use.
// Everything that asks for the same key shares one queue, so that callers
// made in numbers (a handler wrapped per request) do not add queues; an
// entry must therefore carry all that emit needs.
func QueueOf[E any](d *Deferral, key string, emit func(*E)) *Queue[E] {
	d.mu.Lock()
	defer d.mu.Unlock()
	if q, ok := d.queues[key].(*Queue[E]); ok {
		return q
	}
	q := &Queue[E]{d: d, emit: emit}
	q.timer = time.AfterFunc(time.Hour, q.flush)
	q.timer.Stop()
	if d.queues == nil {
		d.queues = map[string]flusher{}
	}
	d.queues[key] = q
	return q
}

// Add queues e. It returns false, having kept nothing, once the Deferral
// is closed: the caller emits e itself.
func (q *Queue[E]) Add(e *E) bool {
	if q.d.closed.Load() {
		return false
	}
	q.mu.Lock()
	switch n := len(q.pending); {
	case n >= queueMax:
		q.dropped++
	case n == 0:
		q.pending = append(q.pending, *e)
		q.timer.Reset(queueLinger)
	case n+1 == queueBatch:
		q.pending = append(q.pending, *e)
		q.timer.Reset(0)
	default:
		q.pending = append(q.pending, *e)
	}
	q.mu.Unlock()
	return true
}

// flush emits the entries queued so far.
func (q *Queue[E]) flush() {
	q.drainMu.Lock()
	defer q.drainMu.Unlock()
	q.mu.Lock()
	batch, dropped := q.pending, q.dropped
	q.pending, q.dropped = q.spare[:0], 0
	q.mu.Unlock()
	if dropped > 0 {
		otel.Handle(fmt.Errorf("observe: %d log records dropped: more than %d were waiting to be emitted", dropped, queueMax))
	}
	var zero E
	for i := range batch {
		q.emit(&batch[i])
		batch[i] = zero
	}
	q.spare = batch[:0]
}
