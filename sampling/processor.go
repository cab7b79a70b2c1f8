package sampling

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"sync/atomic"
	"time"

	"go.opentelemetry.io/otel"
	"go.opentelemetry.io/otel/codes"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/trace"
)

// TailProcessor is a span processor that keeps or drops each trace whole,
// after it has seen it: it holds the ended spans of a trace, and with
// [TailProcessor.LogProcessor] its log records, until the trace is
// complete, then passes all of them on to the next processors or none.
//
// A trace is complete when its local root (a span whose parent is
// missing or remote) has ended and every span of the trace started in this
// process has ended, so a child that ends after its root is part of the
// decision. A trace also gets its decision when MaxWait has passed since its
// first span started here; a trace still open then has lasted at least
// MaxWait, which the duration rule counts. A trace known to be kept (an
// error, a record at the level, a root open longer than Duration) is
// decided at once and what it holds is passed on; its later spans and
// records pass straight through. The rules are those of [Tail]. A span's
// status and events are seen when it ends: an error on a span still open
// when its trace is decided (at MaxWait or Shutdown) does not count.
//
// Traces whose id falls in the kept share Rate are kept from their first
// span and never held. Spans that are not sampled pass straight to the
// next processor, which ignores them as it would without this one.
//
// The decisions of the last 4×MaxTraces traces decided (at least 1 024, at
// most 131 072, about 64 bytes each) are remembered, so that spans and log
// records that arrive after the decision follow it: a child that ends after
// MaxWait, an access log written after its request's span ended, a span
// started by work left running after the trace was decided. Those of a
// trace not started in this process, or decided too long ago to be
// remembered, pass straight on.
//
// When a bound of [Tail] is reached, the trace that would exceed it is kept
// at once: what it holds is passed on, and the rest of it passes straight
// through; a new trace that finds MaxTraces traces waiting is kept without
// being held. Memory does not grow past the bounds: the heap the processor
// holds is about MaxBytes at most (the sizes of spans and records are
// estimated on the high side), plus the remembered decisions. Each overflow
// is counted (see the package documentation) and reported to [otel.Handle],
// at most once every five seconds, with the counts since the last report.
//
// A TailProcessor is safe for concurrent use. It runs one goroutine,
// which [TailProcessor.Shutdown] ends.
type TailProcessor struct {
	cfg       Tail
	next      sdktrace.SpanProcessor
	now       func() time.Time
	epoch     time.Time // the origin of clock
	tel       *telemetry
	threshold uint64

	shards [numShards]shard

	traceCount atomic.Int64 // entries in the table
	bytes      atomic.Int64 // approximate bytes held, entries included

	closed       atomic.Bool
	shutdownOnce sync.Once
	stop         chan struct{}
	done         chan struct{}
}

var _ sdktrace.SpanProcessor = (*TailProcessor)(nil)

// Bounds of the number of decisions remembered: 4×MaxTraces within these.
const (
	minRemembered = 1 << 10
	maxRemembered = 1 << 17
)

// entryBytes is the approximate cost of a trace in the table, before
// anything is held for it.
const entryBytes = 256

// NewTailProcessor returns a TailProcessor that samples with t and passes
// what it keeps to next. It returns an error if t is not valid (see
// [Tail.Validate]) or next is nil.
func NewTailProcessor(t Tail, next sdktrace.SpanProcessor, opts ...TailOption) (*TailProcessor, error) {
	if err := t.Validate(); err != nil {
		return nil, err
	}
	if next == nil {
		return nil, errors.New("sampling: NewTailProcessor needs a next span processor, got nil")
	}
	c := tailConfig{meterProvider: otel.GetMeterProvider(), now: time.Now}
	for _, o := range opts {
		c = o.apply(c)
	}
	p := &TailProcessor{
		cfg:       t.withDefaults(),
		next:      next,
		now:       c.now,
		epoch:     c.now(),
		threshold: thresholdFor(t.Rate),
	}
	tel, err := newTelemetry(c.meterProvider, p)
	if err != nil {
		return nil, err
	}
	p.tel = tel
	remember := min(maxRemembered, max(minRemembered, 4*p.cfg.MaxTraces)) / numShards
	for i := range p.shards {
		p.shards[i].init(remember)
	}
	if !c.manualSweep {
		p.stop, p.done = make(chan struct{}), make(chan struct{})
		go p.run(sweepInterval(p.cfg.MaxWait))
	}
	return p, nil
}

// sweepInterval is how often the sweeper looks for traces to decide.
func sweepInterval(maxWait time.Duration) time.Duration {
	return min(time.Second, max(10*time.Millisecond, maxWait/10))
}

func (p *TailProcessor) run(every time.Duration) {
	defer close(p.done)
	t := time.NewTicker(every)
	defer t.Stop()
	for {
		select {
		case <-p.stop:
			return
		case <-t.C:
			p.sweep()
		}
	}
}

// clock returns the nanoseconds since the processor was made, on its
// monotonic clock.
func (p *TailProcessor) clock() int64 {
	return int64(p.now().Sub(p.epoch))
}

func isLocalRoot(parent trace.SpanContext) bool {
	return !parent.IsValid() || parent.IsRemote()
}

// OnStart counts s among the open spans of its trace, and calls OnStart of
// the next processor.
func (p *TailProcessor) OnStart(ctx context.Context, s sdktrace.ReadWriteSpan) {
	if p.closed.Load() {
		return
	}
	if sc := s.SpanContext(); sc.IsSampled() {
		p.started(sc, isLocalRoot(s.Parent()))
	}
	p.next.OnStart(ctx, s)
}

func (p *TailProcessor) started(sc trace.SpanContext, root bool) {
	id := sc.TraceID()
	sh := &p.shards[shardIndex(id)]
	sh.mu.Lock()
	if e := sh.traces[id]; e != nil {
		e.open++
		if root {
			e.roots++
		}
		sh.mu.Unlock()
		return
	}
	if _, ok := sh.recall(id); ok || sh.closed {
		sh.mu.Unlock()
		return
	}
	if randomness(sc) >= p.threshold {
		// In the kept share: kept whatever happens, so nothing is held.
		sh.mu.Unlock()
		if root {
			p.tel.decided(true, reasonRate)
		}
		return
	}
	if b, ok := p.reserve(); !ok {
		sh.remember(id, true)
		sh.mu.Unlock()
		p.tel.overflowed(b)
		return
	}
	e := &entry{id: id, created: p.clock(), open: 1, orphan: !root}
	if root {
		e.roots = 1
	}
	sh.add(e)
	sh.mu.Unlock()
}

// reserve takes a place in the table, or names the bound that refuses it.
func (p *TailProcessor) reserve() (bound, bool) {
	if p.traceCount.Add(1) > int64(p.cfg.MaxTraces) {
		p.traceCount.Add(-1)
		return boundTraces, false
	}
	if !p.takeBytes(entryBytes) {
		p.traceCount.Add(-1)
		return boundBytes, false
	}
	return 0, true
}

// takeBytes counts size more bytes as held, unless that would pass
// MaxBytes.
func (p *TailProcessor) takeBytes(size int64) bool {
	if p.bytes.Add(size) > p.cfg.MaxBytes {
		p.bytes.Add(-size)
		return false
	}
	return true
}

// release is what a decision lets go of: the held spans and records, to
// pass on or discard, and what to count.
type release struct {
	keep   bool
	reason reason // reasonNone: nothing newly decided
	bound  bound  // for reasonOverflow
	spans  []sdktrace.ReadOnlySpan
	logs   []heldRecord
	// span is the span in hand when the decision was taken; it comes
	// after what was held.
	span sdktrace.ReadOnlySpan
	// shutdown marks items discarded because the processor shut down.
	shutdown bool
}

// settle decides e and takes what it holds. The caller holds the shard's
// lock.
func (p *TailProcessor) settle(e *entry, keep bool, r reason) release {
	rel := release{keep: keep, reason: r, spans: e.spans, logs: e.logs}
	e.state = dropped
	if keep {
		e.state = kept
	}
	e.spans, e.logs = nil, nil
	p.bytes.Add(-e.bytes)
	e.bytes = 0
	return rel
}

// overflow keeps e's trace because holding more of it would pass bound b.
// The caller holds the shard's lock.
func (p *TailProcessor) overflow(e *entry, b bound) release {
	rel := p.settle(e, true, reasonOverflow)
	rel.bound = b
	return rel
}

// finish takes e, decided, out of the table and remembers its decision.
// The caller holds the shard's lock.
func (p *TailProcessor) finish(sh *shard, e *entry) {
	sh.unlink(e)
	sh.remember(e.id, e.state == kept)
	p.traceCount.Add(-1)
	p.bytes.Add(-entryBytes)
}

// verdict applies the duration and rate rules to a waiting trace at time
// now: the error and level rules decide at once, and the rate rule kept the
// traces of its share from the start, so what waits is kept only for its
// duration.
func (p *TailProcessor) verdict(e *entry, now int64) (bool, reason) {
	if d := int64(p.cfg.Duration); d > 0 {
		lasted := e.rootDur
		if e.roots > 0 || !e.rootEnded {
			lasted = max(lasted, now-e.created)
		}
		if lasted >= d {
			return true, reasonDuration
		}
	}
	return false, reasonRate
}

// OnEnd holds s until its trace is decided, or passes it on or discards it
// if the trace is decided already.
func (p *TailProcessor) OnEnd(s sdktrace.ReadOnlySpan) {
	if p.closed.Load() {
		p.tel.droppedItems(1, 0, true)
		return
	}
	sc := s.SpanContext()
	if !sc.IsSampled() {
		p.next.OnEnd(s)
		return
	}
	id := sc.TraceID()
	root := isLocalRoot(s.Parent())
	failed := hasError(s)
	sh := &p.shards[shardIndex(id)]
	sh.mu.Lock()
	e := sh.traces[id]
	if e == nil {
		keep, ok := sh.recall(id)
		closed := sh.closed
		sh.mu.Unlock()
		switch {
		case closed:
			p.tel.droppedItems(1, 0, true)
		case !ok || keep:
			p.next.OnEnd(s)
		default:
			p.tel.droppedItems(1, 0, false)
		}
		return
	}
	e.open--
	if root {
		e.roots--
		e.rootEnded = true
		e.rootDur = max(e.rootDur, int64(s.EndTime().Sub(s.StartTime())))
	}
	var rel release
	switch {
	case e.state != waiting:
		rel = release{keep: e.state == kept}
	case failed:
		rel = p.settle(e, true, reasonError)
	case len(e.spans) >= p.cfg.MaxSpansPerTrace:
		rel = p.overflow(e, boundSpans)
	default:
		size := spanBytes(s)
		if !p.takeBytes(size) {
			rel = p.overflow(e, boundBytes)
			break
		}
		if e.spans == nil {
			e.spans = make([]sdktrace.ReadOnlySpan, 0, 4)
		}
		e.spans = append(e.spans, s)
		e.bytes += size
		s = nil
	}
	if e.complete() {
		if e.state == waiting {
			keep, r := p.verdict(e, p.clock())
			rel = p.settle(e, keep, r)
		}
		p.finish(sh, e)
	}
	sh.mu.Unlock()
	rel.span = s
	p.emit(rel)
}

// hasError reports whether s has status Error or an exception event.
func hasError(s sdktrace.ReadOnlySpan) bool {
	if s.Status().Code == codes.Error {
		return true
	}
	for _, ev := range s.Events() {
		if ev.Name == "exception" {
			return true
		}
	}
	return false
}

// emit counts a decision and passes on or discards what it released. It
// is called without a shard's lock.
func (p *TailProcessor) emit(rel release) {
	switch {
	case rel.reason == reasonOverflow:
		p.tel.overflowed(rel.bound)
	case rel.reason != reasonNone:
		p.tel.decided(rel.keep, rel.reason)
	}
	nSpans, nLogs := len(rel.spans), len(rel.logs)
	if rel.span != nil {
		nSpans++
	}
	if !rel.keep {
		p.tel.droppedItems(nSpans, nLogs, rel.shutdown)
		return
	}
	if nSpans > 0 {
		if p.closed.Load() {
			p.tel.droppedItems(nSpans, 0, true)
		} else {
			for _, s := range rel.spans {
				p.next.OnEnd(s)
			}
			if rel.span != nil {
				p.next.OnEnd(rel.span)
			}
		}
	}
	for i := range rel.logs {
		h := &rel.logs[i]
		h.to.pass(context.Background(), &h.rec)
	}
}

// sweep decides the traces that have waited MaxWait, and keeps at once the
// waiting traces whose local root has been open longer than Duration.
func (p *TailProcessor) sweep() {
	now := p.now()
	nowNs := int64(now.Sub(p.epoch))
	wait, dur := int64(p.cfg.MaxWait), int64(p.cfg.Duration)
	first := wait
	if dur > 0 && dur < wait {
		first = dur
	}
	var rels []release
	for i := range p.shards {
		sh := &p.shards[i]
		sh.mu.Lock()
		for e := sh.head; e != nil && nowNs-e.created >= first; {
			next := e.next
			switch age := nowNs - e.created; {
			case age >= wait:
				if e.state == waiting {
					keep, r := p.verdict(e, nowNs)
					rels = append(rels, p.settle(e, keep, r))
				}
				p.finish(sh, e)
			case e.state == waiting && e.roots > 0:
				rels = append(rels, p.settle(e, true, reasonDuration))
			}
			e = next
		}
		sh.mu.Unlock()
		for _, rel := range rels {
			p.emit(rel)
		}
		clear(rels)
		rels = rels[:0]
	}
	p.tel.report(now, false)
}

// decideAll decides every trace in the table with what is known, and
// empties it. With close set, the table holds nothing after. Once ctx is
// done, the traces not decided yet are dropped and counted.
func (p *TailProcessor) decideAll(ctx context.Context, close bool) error {
	nowNs := p.clock()
	var rels []release
	for i := range p.shards {
		sh := &p.shards[i]
		late := ctx.Err() != nil
		sh.mu.Lock()
		for e := sh.head; e != nil; {
			next := e.next
			if e.state == waiting {
				if late {
					rel := p.settle(e, false, reasonShutdown)
					rel.shutdown = true
					rels = append(rels, rel)
				} else {
					keep, r := p.verdict(e, nowNs)
					rels = append(rels, p.settle(e, keep, r))
				}
			}
			p.finish(sh, e)
			e = next
		}
		if close {
			sh.closed = true
		}
		sh.mu.Unlock()
		for _, rel := range rels {
			p.emit(rel)
		}
		clear(rels)
		rels = rels[:0]
	}
	if err := ctx.Err(); err != nil {
		return fmt.Errorf("sampling: deciding the buffered traces: %w", err)
	}
	return nil
}

// ForceFlush flushes the next processor. Traces still waiting for their
// decision stay held: a trace is not decided before it is complete.
func (p *TailProcessor) ForceFlush(ctx context.Context) error {
	if p.closed.Load() {
		return nil
	}
	return p.next.ForceFlush(ctx)
}

// Shutdown decides every trace held, with what is known of it (the rules of
// [Tail] apply; a trace still open has lasted until now), passes on what is
// kept, and shuts the next processor down. Once ctx is done, the traces not
// decided yet are dropped, counted, and reported in the returned error.
// After Shutdown, the processor passes nothing on. Calls after the first
// return nil.
func (p *TailProcessor) Shutdown(ctx context.Context) error {
	first := false
	p.shutdownOnce.Do(func() { first = true })
	if !first {
		return nil
	}
	if p.stop != nil {
		close(p.stop)
		<-p.done
	}
	err := p.decideAll(ctx, true)
	p.closed.Store(true)
	p.tel.report(p.now(), true)
	return errors.Join(err, p.tel.reg.Unregister(), p.next.Shutdown(ctx))
}
