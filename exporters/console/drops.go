package console

import (
	"context"
	"fmt"
	"sync"
	"sync/atomic"
	"time"

	"go.opentelemetry.io/otel"
	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/metric"
)

const (
	// firstReportDelay is how long after a first drop the drops are
	// reported, so that a burst is reported as one count.
	firstReportDelay = time.Second
	// reportInterval is the least time between two reports of drops.
	reportInterval = 10 * time.Second
)

// signal is the kind of telemetry a line belongs to.
type signal uint8

const (
	sigTraces signal = iota
	sigLogs
	sigMetrics
	numSignals
)

// String returns the name of the signal as the signal attribute and the
// messages write it.
func (s signal) String() string {
	switch s {
	case sigTraces:
		return "traces"
	case sigLogs:
		return "logs"
	case sigMetrics:
		return "metrics"
	}
	return "unknown"
}

// drops counts the lines dropped because the buffer was full, by signal,
// and reports them to otel.Handle: firstDelay after the first drop, then
// at most once per interval while drops go on.
//
// Lines lost because a write to the destination failed are counted apart,
// in failed: the write's error reports them.
type drops struct {
	n      [numSignals]atomic.Int64
	failed [numSignals]atomic.Int64
	armed  atomic.Bool // a report is scheduled

	firstDelay, interval time.Duration
	limit                int // the buffer's size, for the message

	mu       sync.Mutex
	timer    *time.Timer
	last     time.Time // time of the last report
	reported [numSignals]int64
}

// add counts the lines of p as dropped and schedules a report if none is.
func (d *drops) add(sig signal, p []byte) {
	d.n[sig].Add(lineCount(p))
	if d.armed.CompareAndSwap(false, true) {
		d.schedule()
	}
}

// schedule arms the report timer. It is called by whoever set armed.
func (d *drops) schedule() {
	d.mu.Lock()
	defer d.mu.Unlock()
	delay := d.firstDelay
	if !d.last.IsZero() {
		if wait := d.interval - time.Since(d.last); wait > delay {
			delay = wait
		}
	}
	d.timer = time.AfterFunc(delay, d.report)
}

// report is the timer's callback.
func (d *drops) report() {
	d.mu.Lock()
	d.timer = nil
	d.last = time.Now()
	errs := d.collectLocked()
	d.mu.Unlock()
	for _, err := range errs {
		otel.Handle(err)
	}
	d.armed.Store(false)
	// Lines dropped while the report was being made are reported at the
	// next interval.
	if d.pending() && d.armed.CompareAndSwap(false, true) {
		d.schedule()
	}
}

// flush stops the timer and reports at once the drops not yet reported.
func (d *drops) flush() {
	d.mu.Lock()
	if d.timer != nil && d.timer.Stop() {
		d.timer = nil
		d.armed.Store(false)
	}
	errs := d.collectLocked()
	if len(errs) > 0 {
		d.last = time.Now()
	}
	d.mu.Unlock()
	for _, err := range errs {
		otel.Handle(err)
	}
}

func (d *drops) pending() bool {
	d.mu.Lock()
	defer d.mu.Unlock()
	for sig := range numSignals {
		if d.n[sig].Load() != d.reported[sig] {
			return true
		}
	}
	return false
}

// collectLocked returns one error per signal with drops not yet reported,
// and marks them reported.
func (d *drops) collectLocked() []error {
	var errs []error
	for sig := range numSignals {
		total := d.n[sig].Load()
		if n := total - d.reported[sig]; n > 0 {
			errs = append(errs, &DropError{Signal: sig.String(), Lines: n, Total: total, bufferSize: d.limit})
			d.reported[sig] = total
		}
	}
	return errs
}

// DropError is what a [Console] passes to otel.Handle when it has dropped
// lines because its output did not take them as fast as they came.
type DropError struct {
	// Signal is "traces", "logs" or "metrics".
	Signal string
	// Lines is the number of lines dropped since the last report.
	Lines int64
	// Total is the number of lines of the signal dropped since the Console
	// was created.
	Total int64

	bufferSize int
}

// Error says how many lines of which signal were dropped, and why.
func (e *DropError) Error() string {
	lines := "lines"
	if e.Lines == 1 {
		lines = "line"
	}
	return fmt.Sprintf("console: %d %s of %s dropped (%d in total): the output is not being read fast enough and the %d KiB buffer is full",
		e.Lines, lines, e.Signal, e.Total, e.bufferSize>>10)
}

// droppedMetric is the name of the counter registered by
// [Console.RegisterMetrics].
const droppedMetric = "observe.console.dropped"

// scopeName is the instrumentation scope of the Console's own metrics.
const scopeName = "github.com/observe-go/observe/exporters/console"

// RegisterMetrics registers with mp an observable counter of the lines the
// Console dropped, because its output did not take them as fast as they
// came or because writing them failed:
//
//	observe.console.dropped  {line}  signal="traces"|"logs"|"metrics"
//
// in the instrumentation scope github.com/observe-go/observe/exporters/console.
// It is a method, not an option of [New], because the MeterProvider that
// reports it is usually built after the Console: it reads from the
// Console's [Console.MetricExporter]. Unregister the returned registration,
// or shut mp down, to stop reporting.
func (c *Console) RegisterMetrics(mp metric.MeterProvider) (metric.Registration, error) {
	meter := mp.Meter(scopeName)
	ctr, err := meter.Int64ObservableCounter(droppedMetric,
		metric.WithUnit("{line}"),
		metric.WithDescription("Lines the console dropped: its output was not read fast enough, or writing to it failed."))
	if err != nil {
		return nil, fmt.Errorf("console: registering %s: %w", droppedMetric, err)
	}
	var sets [numSignals]metric.ObserveOption
	for sig := range numSignals {
		sets[sig] = metric.WithAttributeSet(attribute.NewSet(attribute.String("signal", sig.String())))
	}
	d := &c.out.drops
	reg, err := meter.RegisterCallback(func(_ context.Context, o metric.Observer) error {
		for sig := range numSignals {
			o.ObserveInt64(ctr, d.n[sig].Load()+d.failed[sig].Load(), sets[sig])
		}
		return nil
	}, ctr)
	if err != nil {
		return nil, fmt.Errorf("console: registering %s: %w", droppedMetric, err)
	}
	return reg, nil
}
