package sinks

import (
	"context"
	"errors"
	"fmt"
	"sync"

	sdklog "go.opentelemetry.io/otel/sdk/log"
	sdkmetric "go.opentelemetry.io/otel/sdk/metric"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"

	"github.com/observe-go/observe/internal/selfobs"
	"github.com/observe-go/observe/internal/settings"
)

// ErrDuplicate is returned when a name is registered twice or is one of the
// built-in names.
var ErrDuplicate = errors.New("exporter name already registered")

// spanFactory, metricFactory and logFactory make the sink a name stands
// for. Built-in names and registered ones live in the same tables.
type (
	spanFactory   func(ctx context.Context, b *builder) (spanSink, error)
	metricFactory func(ctx context.Context, b *builder) (sdkmetric.Reader, error)
	logFactory    func(ctx context.Context, b *builder) (logSink, error)
)

// spanSink is what one span exporter name gives: a printer that sees every
// span as it starts and ends (the console), or an exporter to batch.
type spanSink struct {
	printer  sdktrace.SpanProcessor
	exporter sdktrace.SpanExporter
	retry    *selfobs.Retry
}

// logSink is what one log exporter name gives.
type logSink struct {
	printer  sdklog.Processor
	exporter sdklog.Exporter
	retry    *selfobs.Retry
}

// registry holds every exporter name of each signal, built-in and
// registered.
var registry = struct {
	sync.RWMutex
	spans   map[string]spanFactory
	metrics map[string]metricFactory
	logs    map[string]logFactory
	builtin map[string]bool
}{
	spans:   map[string]spanFactory{},
	metrics: map[string]metricFactory{},
	logs:    map[string]logFactory{},
	builtin: map[string]bool{},
}

func register[F any](m map[string]F, name string, f F) error {
	if err := checkName(name); err != nil {
		return err
	}
	registry.Lock()
	defer registry.Unlock()
	if _, ok := m[name]; ok || registry.builtin[name] {
		return fmt.Errorf("%w: %q", ErrDuplicate, name)
	}
	m[name] = f
	return nil
}

func checkName(name string) error {
	if name == "" {
		return errors.New("exporter name is empty")
	}
	for _, c := range name {
		if !(c >= 'a' && c <= 'z' || c >= '0' && c <= '9' || c == '_' || c == '-' || c == '.' || c == '/') {
			return fmt.Errorf("exporter name %q: use lower-case letters, digits and _-./", name)
		}
	}
	return nil
}

// RegisterSpanExporter makes name stand for the span exporter f makes,
// which is batched by the OTEL_BSP_* settings.
func RegisterSpanExporter(name string, f func(context.Context, func(string) (string, bool)) (sdktrace.SpanExporter, error)) error {
	if f == nil {
		return errors.New("nil SpanExporterFactory")
	}
	return register(registry.spans, name, func(ctx context.Context, b *builder) (spanSink, error) {
		e, err := f(ctx, b.s.Lookup)
		return spanSink{exporter: e}, err
	})
}

// RegisterMetricReader makes name stand for the metric reader f makes.
func RegisterMetricReader(name string, f func(context.Context, func(string) (string, bool)) (sdkmetric.Reader, error)) error {
	if f == nil {
		return errors.New("nil MetricReaderFactory")
	}
	return register(registry.metrics, name, func(ctx context.Context, b *builder) (sdkmetric.Reader, error) {
		return f(ctx, b.s.Lookup)
	})
}

// RegisterLogExporter makes name stand for the log exporter f makes, which
// is batched by the OTEL_BLRP_* settings.
func RegisterLogExporter(name string, f func(context.Context, func(string) (string, bool)) (sdklog.Exporter, error)) error {
	if f == nil {
		return errors.New("nil LogExporterFactory")
	}
	return register(registry.logs, name, func(ctx context.Context, b *builder) (logSink, error) {
		e, err := f(ctx, b.s.Lookup)
		return logSink{exporter: e}, err
	})
}

// registerBuiltin adds a built-in name to the tables of the signals it
// serves (nil factories are skipped) and reserves it for all of them.
func registerBuiltin(name string, s spanFactory, m metricFactory, l logFactory) {
	registry.Lock()
	defer registry.Unlock()
	registry.builtin[name] = true
	if s != nil {
		registry.spans[name] = s
	}
	if m != nil {
		registry.metrics[name] = m
	}
	if l != nil {
		registry.logs[name] = l
	}
}

// Known reports whether name is an exporter of sig, built in or registered.
func Known(sig settings.Signal, name string) bool {
	registry.RLock()
	defer registry.RUnlock()
	var ok bool
	switch sig {
	case settings.Traces:
		_, ok = registry.spans[name]
	case settings.Metrics:
		_, ok = registry.metrics[name]
	case settings.Logs:
		_, ok = registry.logs[name]
	}
	return ok
}

func lookup[F any](m map[string]F, name string) F {
	registry.RLock()
	defer registry.RUnlock()
	return m[name]
}
