package sampling

import (
	"context"
	"errors"
	"log/slog"
	"sync/atomic"

	"go.opentelemetry.io/otel"
	"go.opentelemetry.io/otel/log"
	sdklog "go.opentelemetry.io/otel/sdk/log"
)

// LogProcessor returns the companion log processor of p, which passes the
// records it keeps to next. Put it in the log pipeline where p is in the
// span pipeline, in front of the exporting processors:
//   - a record with no trace id passes straight on;
//   - a record of a trace held by p waits with it (a copy is held: the SDK
//     reuses records) and follows its decision, kept or dropped together;
//     a record at or above [Tail.Level] marks its trace to keep;
//   - a record of a trace decided by p follows the decision; one of a trace
//     not started in this process, or decided too long ago to be
//     remembered, passes straight on.
//
// Shutting the companion down decides every trace held by p, as
// [TailProcessor.Shutdown] does (so that their records reach next before it
// shuts down), then shuts next down; p goes on sampling spans. After its
// Shutdown, the companion passes nothing on.
func (p *TailProcessor) LogProcessor(next sdklog.Processor) sdklog.Processor {
	return &logProcessor{p: p, next: next}
}

// logProcessor is the companion log processor of a TailProcessor.
type logProcessor struct {
	p      *TailProcessor
	next   sdklog.Processor
	closed atomic.Bool
}

var _ sdklog.Processor = (*logProcessor)(nil)

// severityOf maps a slog level to an OpenTelemetry severity, as the slog
// bridges do.
func severityOf(l slog.Leveler) log.Severity {
	return log.Severity(l.Level() + 9)
}

// Enabled reports whether next would process a record of param.
func (l *logProcessor) Enabled(ctx context.Context, param sdklog.EnabledParameters) bool {
	return !l.closed.Load() && l.next.Enabled(ctx, param)
}

// OnEmit holds r with its trace, passes it on, or discards it, as
// [TailProcessor.LogProcessor] describes.
func (l *logProcessor) OnEmit(ctx context.Context, r *sdklog.Record) error {
	p := l.p
	if l.closed.Load() {
		p.tel.droppedItems(0, 1, true)
		return nil
	}
	id := r.TraceID()
	if !id.IsValid() {
		return l.next.OnEmit(ctx, r)
	}
	high := r.Severity() >= severityOf(p.cfg.Level)
	sh := &p.shards[shardIndex(id)]
	sh.mu.Lock()
	e := sh.traces[id]
	if e == nil {
		keep, ok := sh.recall(id)
		sh.mu.Unlock()
		if ok && !keep {
			p.tel.droppedItems(0, 1, false)
			return nil
		}
		return l.next.OnEmit(ctx, r)
	}
	var rel release
	switch {
	case e.state == kept:
		sh.mu.Unlock()
		return l.next.OnEmit(ctx, r)
	case e.state == dropped:
		sh.mu.Unlock()
		p.tel.droppedItems(0, 1, false)
		return nil
	case high:
		rel = p.settle(e, true, reasonLevel)
	case len(e.logs) >= p.cfg.MaxLogsPerTrace:
		rel = p.overflow(e, boundLogs)
	default:
		size := recordBytes(r)
		if !p.takeBytes(size) {
			rel = p.overflow(e, boundBytes)
			break
		}
		e.logs = append(e.logs, heldRecord{rec: r.Clone(), to: l})
		e.bytes += size
		sh.mu.Unlock()
		return nil
	}
	sh.mu.Unlock()
	// Kept: what was held goes first, then r.
	p.emit(rel)
	return l.next.OnEmit(ctx, r)
}

// pass hands a kept record to next, unless the companion is shut down.
func (l *logProcessor) pass(ctx context.Context, r *sdklog.Record) {
	if l.closed.Load() {
		l.p.tel.droppedItems(0, 1, true)
		return
	}
	if err := l.next.OnEmit(ctx, r); err != nil {
		otel.Handle(err)
	}
}

// ForceFlush flushes next. Records waiting with their trace stay held.
func (l *logProcessor) ForceFlush(ctx context.Context) error {
	if l.closed.Load() {
		return nil
	}
	return l.next.ForceFlush(ctx)
}

// Shutdown decides every trace held by the TailProcessor, passes the kept
// records to next, and shuts next down. Calls after the first return nil.
func (l *logProcessor) Shutdown(ctx context.Context) error {
	if l.closed.Load() {
		return nil
	}
	err := l.p.decideAll(ctx, false)
	if !l.closed.CompareAndSwap(false, true) {
		return nil
	}
	return errors.Join(err, l.next.Shutdown(ctx))
}
