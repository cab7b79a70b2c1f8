package sampling

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync/atomic"
	"time"

	"go.opentelemetry.io/otel"
	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/metric"
)

// Names of the processor's own metrics and of their attributes.
const (
	// MetricTraces counts the traces decided, by DecisionKey and
	// ReasonKey (and BoundKey for the reason "overflow").
	MetricTraces = "observe.sampling.traces"
	// MetricSpansDropped counts the spans not passed on, by ReasonKey:
	// "rate" for a dropped trace's spans, "shutdown" for those that came
	// after Shutdown or were still waiting when its deadline passed.
	MetricSpansDropped = "observe.sampling.spans.dropped"
	// MetricLogRecordsDropped counts the log records not passed on, by
	// ReasonKey, as MetricSpansDropped counts spans.
	MetricLogRecordsDropped = "observe.sampling.log_records.dropped"
	// MetricBufferTraces is the number of traces waiting for their
	// decision.
	MetricBufferTraces = "observe.sampling.buffer.traces"
	// MetricBufferBytes is the approximate size of what is held, in bytes.
	MetricBufferBytes = "observe.sampling.buffer.bytes"

	// DecisionKey is "kept" or "dropped".
	DecisionKey = "observe.sampling.decision"
	// ReasonKey is the rule that decided: "error", "level", "duration",
	// "rate" (the background share, which also names every dropped
	// trace), "overflow" (a bound was reached: kept without waiting) or
	// "shutdown" (still undecided when the Shutdown deadline passed:
	// dropped). A trace of the kept share is decided when it starts, so it
	// counts as "rate" whatever else it holds.
	ReasonKey = "observe.sampling.reason"
	// BoundKey names the bound an overflow reached: "max_traces",
	// "max_spans_per_trace", "max_logs_per_trace" or "max_bytes".
	BoundKey = "observe.sampling.bound"
)

// reason is the rule that decided a trace.
type reason uint8

const (
	reasonNone reason = iota
	reasonError
	reasonLevel
	reasonDuration
	reasonRate
	reasonOverflow
	reasonShutdown
	numReasons
)

var reasonNames = [numReasons]string{"", "error", "level", "duration", "rate", "overflow", "shutdown"}

// bound is what an overflow reached.
type bound uint8

const (
	boundTraces bound = iota
	boundSpans
	boundLogs
	boundBytes
	numBounds
)

var boundNames = [numBounds]string{"max_traces", "max_spans_per_trace", "max_logs_per_trace", "max_bytes"}

// telemetry holds the instruments and their precomputed attribute sets.
type telemetry struct {
	traces    metric.Int64Counter
	spansDrop metric.Int64Counter
	logsDrop  metric.Int64Counter
	reg       metric.Registration
	// The attribute sets are wrapped in slices once, so that Add needs no
	// allocation for its variadic options.
	kept        [numReasons][]metric.AddOption
	dropped     [numReasons][]metric.AddOption
	overflow    [numBounds][]metric.AddOption
	dropRate    []metric.AddOption
	dropShutdwn []metric.AddOption

	// pending counts the overflows not reported yet, by bound.
	pending    [numBounds]atomic.Int64
	lastReport atomic.Int64 // unix nanoseconds of the last report
}

func newTelemetry(mp metric.MeterProvider, p *TailProcessor) (*telemetry, error) {
	m := mp.Meter("github.com/observe-go/observe/sampling")
	t := &telemetry{}
	var errs [5]error
	t.traces, errs[0] = m.Int64Counter(MetricTraces, metric.WithUnit("{trace}"),
		metric.WithDescription("Traces decided by the tail sampler, by decision and reason."))
	t.spansDrop, errs[1] = m.Int64Counter(MetricSpansDropped, metric.WithUnit("{span}"),
		metric.WithDescription("Spans the tail sampler did not pass on."))
	t.logsDrop, errs[2] = m.Int64Counter(MetricLogRecordsDropped, metric.WithUnit("{record}"),
		metric.WithDescription("Log records the tail sampler did not pass on."))
	bt, err3 := m.Int64ObservableUpDownCounter(MetricBufferTraces, metric.WithUnit("{trace}"),
		metric.WithDescription("Traces waiting for their tail-sampling decision."))
	bb, err4 := m.Int64ObservableUpDownCounter(MetricBufferBytes, metric.WithUnit("By"),
		metric.WithDescription("Approximate size of the spans and log records held by the tail sampler."))
	errs[3] = errors.Join(err3, err4)
	if err := errors.Join(errs[:]...); err != nil {
		return nil, fmt.Errorf("sampling: creating the tail sampler's metrics: %w", err)
	}
	t.reg, errs[4] = m.RegisterCallback(func(_ context.Context, o metric.Observer) error {
		o.ObserveInt64(bt, p.traceCount.Load())
		o.ObserveInt64(bb, p.bytes.Load())
		return nil
	}, bt, bb)
	if errs[4] != nil {
		return nil, fmt.Errorf("sampling: registering the tail sampler's metrics: %w", errs[4])
	}
	for r := reasonError; r < numReasons; r++ {
		t.kept[r] = attrs(attribute.String(DecisionKey, "kept"), attribute.String(ReasonKey, reasonNames[r]))
		t.dropped[r] = attrs(attribute.String(DecisionKey, "dropped"), attribute.String(ReasonKey, reasonNames[r]))
	}
	for b := range numBounds {
		t.overflow[b] = attrs(attribute.String(DecisionKey, "kept"), attribute.String(ReasonKey, "overflow"),
			attribute.String(BoundKey, boundNames[b]))
	}
	t.dropRate = attrs(attribute.String(ReasonKey, "rate"))
	t.dropShutdwn = attrs(attribute.String(ReasonKey, "shutdown"))
	return t, nil
}

func attrs(kvs ...attribute.KeyValue) []metric.AddOption {
	return []metric.AddOption{metric.WithAttributeSet(attribute.NewSet(kvs...))}
}

// decided counts one decided trace.
func (t *telemetry) decided(keep bool, r reason) {
	if keep {
		t.traces.Add(context.Background(), 1, t.kept[r]...)
		return
	}
	t.traces.Add(context.Background(), 1, t.dropped[r]...)
}

// overflowed counts one trace kept because a bound was reached.
func (t *telemetry) overflowed(b bound) {
	t.traces.Add(context.Background(), 1, t.overflow[b]...)
	t.pending[b].Add(1)
}

// droppedItems counts the spans and records of a trace not passed on.
func (t *telemetry) droppedItems(spans, logs int, shutdown bool) {
	opt := t.dropRate
	if shutdown {
		opt = t.dropShutdwn
	}
	if spans > 0 {
		t.spansDrop.Add(context.Background(), int64(spans), opt...)
	}
	if logs > 0 {
		t.logsDrop.Add(context.Background(), int64(logs), opt...)
	}
}

// reportInterval is the least time between two overflow reports.
const reportInterval = 5 * time.Second

// report hands the overflows counted since the last report to otel.Handle,
// in one error, if reportInterval has passed since then or force is set.
func (t *telemetry) report(now time.Time, force bool) {
	last := t.lastReport.Load()
	if !force && now.UnixNano()-last < int64(reportInterval) {
		return
	}
	var parts []string
	var total int64
	for b := range numBounds {
		if n := t.pending[b].Swap(0); n > 0 {
			total += n
			parts = append(parts, fmt.Sprintf("%s: %d", boundNames[b], n))
		}
	}
	if total == 0 {
		return
	}
	t.lastReport.Store(now.UnixNano())
	otel.Handle(fmt.Errorf("observe/sampling: traces: %d overflowed the tail sampler's bounds (%s) and were kept without waiting for their decision; raise the bounds of sampling.Tail, or lower the traffic kept", total, strings.Join(parts, ", ")))
}
