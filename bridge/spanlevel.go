package bridge

import (
	"context"
	"sync"

	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/log"
	"go.opentelemetry.io/otel/trace"

	"github.com/observe-go/observe/internal/keys"
)

// SpanLevelAttribute is the span attribute that holds the highest level,
// "warn" or "error", of the records logged inside the span by [NewHandler].
const SpanLevelAttribute = keys.SpanLevel

// Values of [SpanLevelAttribute].
var (
	spanLevelWarn  = attribute.String(SpanLevelAttribute, "warn")
	spanLevelError = attribute.String(SpanLevelAttribute, "error")
)

type spanLevel uint8

const (
	levelNone spanLevel = iota
	levelWarn
	levelError
)

// spanKey identifies a span across providers.
type spanKey struct {
	trace trace.TraceID
	span  trace.SpanID
}

// spanLevelGeneration bounds each generation of [levels].
const spanLevelGeneration = 4096

// levels remembers the level last set on recent spans, so that a warning
// after an error does not lower the attribute. The span API cannot read an
// attribute back, hence this table. It holds two generations of at most
// spanLevelGeneration spans each: when the current one is full it becomes
// the old one and the previous old one is dropped, which bounds the memory
// and keeps every span at least spanLevelGeneration insertions.
var levels = struct {
	sync.Mutex
	cur, old map[spanKey]spanLevel
}{cur: map[spanKey]spanLevel{}}

// raiseSpanLevel sets [SpanLevelAttribute] on the recording span of ctx to
// the level of sev, unless the span already has that level or a higher one.
func raiseSpanLevel(ctx context.Context, sev log.Severity) {
	span := trace.SpanFromContext(ctx)
	if !span.IsRecording() {
		return
	}
	lvl, kv := levelWarn, spanLevelWarn
	if sev >= log.SeverityError1 {
		lvl, kv = levelError, spanLevelError
	}
	sc := span.SpanContext()
	key := spanKey{sc.TraceID(), sc.SpanID()}

	levels.Lock()
	defer levels.Unlock()
	prev, ok := levels.cur[key]
	if !ok {
		prev = levels.old[key]
	}
	if prev >= lvl {
		return
	}
	if len(levels.cur) >= spanLevelGeneration {
		levels.old, levels.cur = levels.cur, make(map[spanKey]spanLevel, spanLevelGeneration)
	}
	levels.cur[key] = lvl
	// Set under the lock, so that concurrent records cannot overtake each
	// other and leave the lower level on the span.
	span.SetAttributes(kv)
}
