package selfobs

import (
	"context"
	"fmt"
	"strings"
	"sync"
	"sync/atomic"

	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/metric"
)

// Names of the signals, as the signal attribute and the messages write
// them.
const (
	Traces  = "traces"
	Logs    = "logs"
	Metrics = "metrics"
)

const (
	scopeName     = "github.com/observe-go/observe/internal/selfobs"
	droppedMetric = "observe.exporter.dropped"
)

// Lost counts the items that failed exports lost, by signal and exporter.
// Its methods wrap exporters; the zero value is ready to use. It is safe
// for concurrent use.
type Lost struct {
	mu       sync.Mutex
	counters []*counter
}

// counter counts the items lost by one exporter of one signal.
type counter struct {
	signal, exporter string
	attrs            metric.ObserveOption
	n                atomic.Int64
}

// counter returns the counter of the signal's exporter called name,
// creating it on first use.
func (l *Lost) counter(signal, name string) *counter {
	l.mu.Lock()
	defer l.mu.Unlock()
	for _, c := range l.counters {
		if c.signal == signal && c.exporter == name {
			return c
		}
	}
	c := &counter{signal: signal, exporter: name, attrs: metric.WithAttributeSet(attribute.NewSet(
		attribute.String("signal", signal),
		attribute.String("exporter", name),
	))}
	l.counters = append(l.counters, c)
	return c
}

// lose counts n items lost by a failed export and returns the error to
// report in place of err.
func (c *counter) lose(n int64, err error) error {
	total := c.n.Add(n)
	return &ExportError{Signal: c.signal, Exporter: c.exporter, Lost: n, Total: total, Err: err}
}

// RegisterMetrics registers with mp the observable counter
// observe.exporter.dropped of the items lost by every exporter this Lost
// wrapped, before or after the call. Unregister the returned registration,
// or shut mp down, to stop reporting.
func (l *Lost) RegisterMetrics(mp metric.MeterProvider) (metric.Registration, error) {
	meter := mp.Meter(scopeName)
	ctr, err := meter.Int64ObservableCounter(droppedMetric,
		metric.WithUnit("{item}"),
		metric.WithDescription("Spans, log records or metric data points lost because an export failed."))
	if err != nil {
		return nil, fmt.Errorf("selfobs: registering %s: %w", droppedMetric, err)
	}
	reg, err := meter.RegisterCallback(func(_ context.Context, o metric.Observer) error {
		l.mu.Lock()
		counters := l.counters
		l.mu.Unlock()
		for _, c := range counters {
			o.ObserveInt64(ctr, c.n.Load(), c.attrs)
		}
		return nil
	}, ctr)
	if err != nil {
		return nil, fmt.Errorf("selfobs: registering %s: %w", droppedMetric, err)
	}
	return reg, nil
}

// ExportError is the error of a failed export: it names the signal and the
// exporter and says how many items were lost.
type ExportError struct {
	// Signal is "traces", "logs" or "metrics".
	Signal string
	// Exporter is the name the exporter was wrapped with, such as "otlp".
	Exporter string
	// Lost is the number of items of this export.
	Lost int64
	// Total is the number of items the exporter has lost since it was
	// wrapped, this export's included.
	Total int64
	// Err is the exporter's error.
	Err error
}

// Error reads "traces export to otlp failed, 512 spans lost (1536 in
// total): " followed by the exporter's error, without the "traces export: "
// that the OTLP trace exporter puts before it.
func (e *ExportError) Error() string {
	return fmt.Sprintf("%s export to %s failed, %d %s lost (%d in total): %s",
		e.Signal, e.Exporter, e.Lost, itemName(e.Signal, e.Lost), e.Total,
		strings.TrimPrefix(e.Err.Error(), e.Signal+" export: "))
}

// Unwrap returns the exporter's error.
func (e *ExportError) Unwrap() error { return e.Err }

func itemName(signal string, n int64) string {
	var one, many string
	switch signal {
	case Traces:
		one, many = "span", "spans"
	case Logs:
		one, many = "log record", "log records"
	default:
		one, many = "data point", "data points"
	}
	if n == 1 {
		return one
	}
	return many
}

// label names the signal and the exporter in the error of a Shutdown or
// ForceFlush.
func label(signal, name, op string, err error) error {
	if err == nil {
		return nil
	}
	return fmt.Errorf("%s exporter %s: %s: %w", signal, name, op, err)
}
