package observe

import (
	"context"
	"errors"
	"log/slog"
	"net/http"
	"strconv"
	"sync"

	"go.opentelemetry.io/contrib/processors/minsev"
	otellog "go.opentelemetry.io/otel/log"
	"go.opentelemetry.io/otel/metric"
	sdklog "go.opentelemetry.io/otel/sdk/log"
	sdkmetric "go.opentelemetry.io/otel/sdk/metric"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"

	"github.com/observe-go/observe/internal/selfobs"
	"github.com/observe-go/observe/internal/settings"
	"github.com/observe-go/observe/internal/sinks"
	"github.com/observe-go/observe/sampling"
)

// pipeline is what [compose] made: the one processor at the head of each
// signal's chain, and the metric readers.
type pipeline struct {
	span    sdktrace.SpanProcessor
	log     sdklog.Processor
	readers []sdkmetric.Reader

	metricsHandler http.Handler
	sinks          *sinks.Sinks
	queues         selfobs.Queues
}

// compose builds every signal's pipeline from s, in two steps: the sinks
// and the metric readers first, which the MeterProvider needs; then, given
// that MeterProvider for the stages' own metrics, the chains of spans and
// log records ([pipeline.chains]). On error nothing composed so far is left
// running.
func compose(ctx context.Context, s *settings.Settings) (*pipeline, error) {
	sk, err := sinks.Build(ctx, s)
	if err != nil {
		return nil, err
	}
	p := &pipeline{sinks: sk, metricsHandler: sk.MetricsHandler}
	p.readers = append(sk.MetricReaders[:len(sk.MetricReaders):len(sk.MetricReaders)], s.MetricReaders...)
	return p, nil
}

// chains composes the span and log record pipelines. For both it is, in
// order:
//
//	record -> [level threshold: logs] -> [scrub] -> fan-out:
//	    console (sees every span and record as it happens)
//	    [tail sampler] -> fan-out: batch(otlp) | batch(registered exporters) |
//	                               the user's processors and exporters
//
// Metrics skip the threshold, scrubbing and sampling: their attributes are
// bounded and they stay full-fidelity. mp records the stages' own metrics.
func (p *pipeline) chains(s *settings.Settings, mp metric.MeterProvider) error {
	sk := p.sinks

	// Every exporter is batched behind a gate that counts what a full
	// queue drops, and wrapped to count what a failed export loses.
	batchSpans := func(name string, exp sdktrace.SpanExporter, r *selfobs.Retry) sdktrace.SpanProcessor {
		q := p.queues.New(selfobs.Traces, name, s.SpanQueue)
		if r != nil {
			q.OnShutdown(r.Close)
		}
		return q.SpanProcessor(sdktrace.NewBatchSpanProcessor(q.SpanExporter(exp), s.BatchSpan...))
	}
	batchLogs := func(name string, exp sdklog.Exporter, r *selfobs.Retry) sdklog.Processor {
		q := p.queues.New(selfobs.Logs, name, s.LogQueue)
		if r != nil {
			q.OnShutdown(r.Close)
		}
		return q.LogProcessor(sdklog.NewBatchProcessor(q.LogExporter(exp), s.BatchLog...))
	}

	// Spans.
	var exported []sdktrace.SpanProcessor
	for _, e := range sk.SpanExporters {
		exp := sk.Lost.SpanExporter(e.Name, e.Exporter)
		if s.WrapSpanExporter != nil {
			exp = s.WrapSpanExporter(e.Name, exp)
		}
		exported = append(exported, batchSpans(e.Name, exp, e.Retry))
	}
	exported = append(exported, s.SpanProcessors...)
	for i, e := range s.SpanExporters {
		name := optionName("WithSpanExporter", i)
		exported = append(exported, batchSpans(name, sk.Lost.SpanExporter(name, e), nil))
	}
	spanTail := spanFanOut(exported)

	// Log records.
	var logExported []sdklog.Processor
	for _, e := range sk.LogExporters {
		exp := sk.Lost.LogExporter(e.Name, e.Exporter)
		if s.WrapLogExporter != nil {
			exp = s.WrapLogExporter(e.Name, exp)
		}
		logExported = append(logExported, batchLogs(e.Name, exp, e.Retry))
	}
	logExported = append(logExported, s.LogProcessors...)
	for i, e := range s.LogExporters {
		name := optionName("WithLogExporter", i)
		logExported = append(logExported, batchLogs(name, sk.Lost.LogExporter(name, e), nil))
	}
	logTail := logFanOut(logExported)

	if s.TailOn && spanTail != nil {
		tail, err := sampling.NewTailProcessor(s.TailSampling, spanTail, sampling.WithMeterProvider(mp))
		if err != nil {
			return err
		}
		spanTail = tail
		if logTail != nil {
			logTail = tail.LogProcessor(logTail)
		}
	}

	p.span = spanFanOut(append(sk.SpanPrinters[:len(sk.SpanPrinters):len(sk.SpanPrinters)], spanTail))
	head := logFanOut(append(sk.LogPrinters[:len(sk.LogPrinters):len(sk.LogPrinters)], logTail))
	if s.Scrub {
		// First, so that the console and every exporter get scrubbed
		// data.
		switch {
		case p.span == nil:
		case len(sk.SpanPrinters) == 0 && len(s.SpanProcessors) == 0:
			// Only batch processors (and the tail sampler, which reads
			// the span context) follow: nothing reads a span at start.
			p.span = s.Scrubber.EndSpanProcessor(p.span)
		default:
			p.span = s.Scrubber.SpanProcessor(p.span)
		}
		if head != nil {
			head = s.Scrubber.LogProcessor(head)
		}
	}
	p.log = minsev.NewLogProcessor(head, severityOf{s.LogLevel})

	// The sinks' own counters, on the Telemetry's metrics.
	_, err1 := sk.Lost.RegisterMetrics(mp)
	_, err2 := p.queues.RegisterMetrics(mp)
	errs := []error{err1, err2}
	for _, c := range sk.Consoles {
		_, err := c.RegisterMetrics(mp)
		errs = append(errs, err)
	}
	return errors.Join(errs...)
}

// optionName names the i-th exporter given with the option in
// self-telemetry and error messages: "WithSpanExporter",
// "WithSpanExporter#2"...
func optionName(option string, i int) string {
	if i == 0 {
		return option
	}
	return option + "#" + strconv.Itoa(i+1)
}

// severityOf turns a slog level into the OpenTelemetry severity of the
// threshold, read at every record, so that a *slog.LevelVar changes it at
// run time.
type severityOf struct{ l slog.Leveler }

// severityOffset maps slog levels onto OpenTelemetry severities, as the
// contrib slog bridge does: INFO is 9, ERROR 17.
const severityOffset = slog.Level(otellog.SeverityDebug) - slog.LevelDebug

func (s severityOf) Severity() otellog.Severity {
	return otellog.Severity(s.l.Level() + severityOffset)
}

// spanFanOut returns one processor that hands every span to each of ps, in
// order. Nil entries are left out; a single processor is returned as it is.
func spanFanOut(ps []sdktrace.SpanProcessor) sdktrace.SpanProcessor {
	var out spanProcessors
	for _, p := range ps {
		if p != nil {
			out = append(out, p)
		}
	}
	switch len(out) {
	case 0:
		return nil
	case 1:
		return out[0]
	}
	return out
}

type spanProcessors []sdktrace.SpanProcessor

func (ps spanProcessors) OnStart(ctx context.Context, s sdktrace.ReadWriteSpan) {
	for _, p := range ps {
		p.OnStart(ctx, s)
	}
}

func (ps spanProcessors) OnEnd(s sdktrace.ReadOnlySpan) {
	for _, p := range ps {
		p.OnEnd(s)
	}
}

func (ps spanProcessors) ForceFlush(ctx context.Context) error {
	return concurrently(len(ps), func(i int) error { return ps[i].ForceFlush(ctx) })
}

func (ps spanProcessors) Shutdown(ctx context.Context) error {
	return concurrently(len(ps), func(i int) error { return ps[i].Shutdown(ctx) })
}

// logFanOut is [spanFanOut] for log processors.
func logFanOut(ps []sdklog.Processor) sdklog.Processor {
	var out logProcessors
	for _, p := range ps {
		if p != nil {
			out = append(out, p)
		}
	}
	switch len(out) {
	case 0:
		return nil
	case 1:
		return out[0]
	}
	return out
}

type logProcessors []sdklog.Processor

// Enabled reports whether any of ps will take a record of param.
func (ps logProcessors) Enabled(ctx context.Context, param sdklog.EnabledParameters) bool {
	for _, p := range ps {
		if p.Enabled(ctx, param) {
			return true
		}
	}
	return false
}

// OnEmit hands r to each of ps in order; a processor may change r for
// those after it, as the SDK allows.
func (ps logProcessors) OnEmit(ctx context.Context, r *sdklog.Record) error {
	var errs []error
	for _, p := range ps {
		if err := p.OnEmit(ctx, r); err != nil {
			errs = append(errs, err)
		}
	}
	return errors.Join(errs...)
}

func (ps logProcessors) ForceFlush(ctx context.Context) error {
	return concurrently(len(ps), func(i int) error { return ps[i].ForceFlush(ctx) })
}

func (ps logProcessors) Shutdown(ctx context.Context) error {
	return concurrently(len(ps), func(i int) error { return ps[i].Shutdown(ctx) })
}

// concurrently runs f for 0..n-1 at once, so that a slow sink does not use
// up the deadline of the others, and joins the errors.
func concurrently(n int, f func(i int) error) error {
	errs := make([]error, n)
	var wg sync.WaitGroup
	for i := range n {
		wg.Go(func() { errs[i] = f(i) })
	}
	wg.Wait()
	return errors.Join(errs...)
}
