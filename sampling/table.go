package sampling

import (
	"sync"

	sdklog "go.opentelemetry.io/otel/sdk/log"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/trace"
)

// numShards is the number of independently locked parts of the trace
// table; a power of two.
const numShards = 64

// state is where a trace stands.
type state uint8

const (
	waiting state = iota // buffering, undecided
	kept                 // decided: its spans and records pass on
	dropped              // decided: its spans and records are discarded
)

// entry is a trace that started in this process and is not complete yet.
// A decided entry holds nothing; it stays to count the open spans, so that
// spans ending after the decision follow it, until the trace completes or
// MaxWait passes.
type entry struct {
	id      trace.TraceID
	created int64 // the processor's clock at the first span
	open    int   // spans started and not ended
	roots   int   // local roots started and not ended
	// rootEnded is set when a local root has ended; orphan when the
	// first span seen has a parent in this process that the processor
	// never saw start, so no local root is expected.
	rootEnded, orphan bool
	state             state
	rootDur           int64 // the longest ended local root, in nanoseconds
	spans             []sdktrace.ReadOnlySpan
	logs              []heldRecord
	bytes             int64 // held in spans and logs, without entryBytes
	prev, next        *entry
}

// complete reports whether every span of the trace started here has ended,
// its local root included.
func (e *entry) complete() bool {
	return e.open <= 0 && (e.rootEnded || e.orphan)
}

// heldRecord is a log record waiting with its trace, and the companion
// processor that will pass it on.
type heldRecord struct {
	rec sdklog.Record
	to  *logProcessor
}

// memoBytes is about what a remembered decision costs: its place in the
// ring and in the map.
const memoBytes = 64

// memo is a remembered decision.
type memo struct {
	keep bool
}

// shard is one part of the trace table.
type shard struct {
	mu     sync.Mutex
	traces map[trace.TraceID]*entry
	// head and tail list the entries in order of creation, oldest first,
	// for the sweeper.
	head, tail *entry
	// recent remembers the decisions of the last len(ring) traces
	// completed or timed out, so that late spans and records follow them.
	recent    map[trace.TraceID]memo
	ring      []trace.TraceID // grows up to ringLimit, then wraps
	ringLimit int
	ringPos   int
	// closed is set when the processor shuts down: nothing is held after.
	closed bool
	_      [64]byte // keeps shards on separate cache lines
}

func (sh *shard) init(remember int) {
	sh.traces = make(map[trace.TraceID]*entry)
	sh.recent = make(map[trace.TraceID]memo)
	sh.ringLimit = remember
}

// add appends e to the table.
func (sh *shard) add(e *entry) {
	sh.traces[e.id] = e
	e.prev = sh.tail
	if sh.tail != nil {
		sh.tail.next = e
	} else {
		sh.head = e
	}
	sh.tail = e
}

// unlink takes e out of the table.
func (sh *shard) unlink(e *entry) {
	delete(sh.traces, e.id)
	if e.prev != nil {
		e.prev.next = e.next
	} else {
		sh.head = e.next
	}
	if e.next != nil {
		e.next.prev = e.prev
	} else {
		sh.tail = e.prev
	}
	e.prev, e.next = nil, nil
}

// remember stores the decision of trace id, forgetting the oldest one
// when the ring is full.
func (sh *shard) remember(id trace.TraceID, keep bool) {
	if _, ok := sh.recent[id]; ok {
		sh.recent[id] = memo{keep}
		return
	}
	if len(sh.ring) < sh.ringLimit {
		sh.ring = append(sh.ring, id)
	} else {
		delete(sh.recent, sh.ring[sh.ringPos])
		sh.ring[sh.ringPos] = id
		sh.ringPos = (sh.ringPos + 1) % len(sh.ring)
	}
	sh.recent[id] = memo{keep}
}

// recall returns the remembered decision of trace id.
func (sh *shard) recall(id trace.TraceID) (keep, ok bool) {
	m, ok := sh.recent[id]
	return m.keep, ok
}

// shardIndex returns the index of the shard of trace id.
func shardIndex(id trace.TraceID) int {
	return int(id[15]^id[11]^id[7]^id[3]) & (numShards - 1)
}
