// Package sinks builds the exporters that the settings name: the sinks at
// the end of each signal's pipeline. It also holds the one registry of
// exporter names, built-in and registered, that package exporters adds to.
package sinks

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"reflect"
	"strings"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/promhttp"
	"go.opentelemetry.io/otel"
	promexporter "go.opentelemetry.io/otel/exporters/prometheus"
	sdklog "go.opentelemetry.io/otel/sdk/log"
	sdkmetric "go.opentelemetry.io/otel/sdk/metric"
	"go.opentelemetry.io/otel/sdk/metric/metricdata"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"

	"github.com/observe-go/observe/exporters/console"
	"github.com/observe-go/observe/internal/env"
	"github.com/observe-go/observe/internal/selfobs"
	"github.com/observe-go/observe/internal/settings"
)

// Named is an exporter with the name that chose it, and the retries of
// its exports when observe makes them (OTLP), to be closed when shutdown
// begins.
type Named[E any] struct {
	Name     string
	Exporter E
	Retry    *selfobs.Retry
}

// Sinks are the exporters of the three signals, ready to be composed.
type Sinks struct {
	// SpanPrinters and LogPrinters write every span and record as it
	// comes (the console); they are processors, not exporters, because
	// they print a span when it starts.
	SpanPrinters []sdktrace.SpanProcessor
	LogPrinters  []sdklog.Processor
	// SpanExporters and LogExporters are to be batched.
	SpanExporters []Named[sdktrace.SpanExporter]
	LogExporters  []Named[sdklog.Exporter]
	// MetricReaders are to be registered on the MeterProvider the
	// application records through. They include the Prometheus reader
	// behind MetricsHandler, or the shared aggregation that reader reads.
	MetricReaders []sdkmetric.Reader
	// SharedReaders read the shared aggregation (one of MetricReaders)
	// instead of aggregating every measurement again: the Prometheus
	// reader, and the periodic readers whose exporters want what it holds
	// (cumulative sums and explicit-bucket histograms). They are to be
	// registered on a MeterProvider of their own, with the same resource
	// and no instruments, shut down before the one that records; nil when
	// there is no sharing.
	SharedReaders []sdkmetric.Reader

	// MetricsHandler serves the Prometheus exposition of every metric
	// recorded through a MeterProvider that has MetricReaders, whatever
	// exporters are in use.
	MetricsHandler http.Handler
	// PrometheusAddr is the address the prometheus exporter listens on,
	// or nil when it is not in use.
	PrometheusAddr net.Addr

	// Lost counts what failed exports lost; the metric exporters are
	// wrapped by it already, the span and log exporters are the
	// composer's to wrap.
	Lost *selfobs.Lost
	// Consoles are the consoles in use, whose dropped lines are counted.
	Consoles []*console.Console
}

// Shutdown shuts down every sink. Use it only for sinks that were not
// handed to providers, whose own Shutdown does this.
func (s *Sinks) Shutdown(ctx context.Context) error {
	var errs []error
	for _, p := range s.SpanPrinters {
		errs = append(errs, p.Shutdown(ctx))
	}
	for _, e := range s.SpanExporters {
		errs = append(errs, e.Exporter.Shutdown(ctx))
	}
	for _, p := range s.LogPrinters {
		errs = append(errs, p.Shutdown(ctx))
	}
	for _, e := range s.LogExporters {
		errs = append(errs, e.Exporter.Shutdown(ctx))
	}
	for _, r := range append(s.SharedReaders[:len(s.SharedReaders):len(s.SharedReaders)], s.MetricReaders...) {
		if err := r.Shutdown(ctx); !errors.Is(err, sdkmetric.ErrReaderNotRegistered) {
			errs = append(errs, err)
		}
	}
	return errors.Join(errs...)
}

// builder is the state of one Build: the settings, and the consoles made
// so far (traces, metrics and logs share one per format, so that records
// print inside their spans).
type builder struct {
	s        *settings.Settings
	consoles map[bool]*console.Console // by JSON format
	// serve is set when the prometheus exporter also serves
	// MetricsHandler on its own address.
	serve bool
	// shared is the aggregation the Prometheus reader and the periodic
	// readers of cumulative exporters read; made on first use.
	shared *sdkmetric.ManualReader
	// sharing are the periodic readers that read shared.
	sharing []sdkmetric.Reader
	// producer bridges the client_golang gatherers, shared by the
	// periodic readers; made on first use.
	producer     sdkmetric.Producer
	producerMade bool
	lost         *selfobs.Lost
}

func (b *builder) console(json bool) *console.Console {
	json = json || b.s.ConsoleJSON
	if c, ok := b.consoles[json]; ok {
		return c
	}
	f := console.FormatPretty
	if json {
		f = console.FormatJSON
	}
	c := console.New(b.s.Console, console.WithFormat(f), console.WithColor(!json && b.s.ConsoleColor))
	b.consoles[json] = c
	return c
}

// Build makes the sinks that s names. On error, whatever was made is shut
// down again: no port stays bound and no goroutine runs.
func Build(ctx context.Context, s *settings.Settings) (_ *Sinks, err error) {
	b := &builder{s: s, consoles: map[bool]*console.Console{}, lost: &selfobs.Lost{}}
	out := &Sinks{Lost: b.lost}
	defer func() {
		for _, c := range b.consoles {
			out.Consoles = append(out.Consoles, c)
		}
	}()
	defer func() {
		if err != nil {
			if out.SharedReaders == nil {
				out.SharedReaders = b.sharing
			}
			err = errors.Join(err, out.Shutdown(ctx))
		}
	}()

	for _, name := range s.Traces {
		sink, err := lookup(registry.spans, name)(ctx, b)
		if err != nil {
			return out, fmt.Errorf("traces exporter %s: %w", name, err)
		}
		if sink.printer != nil {
			out.SpanPrinters = append(out.SpanPrinters, sink.printer)
		}
		if sink.exporter != nil {
			out.SpanExporters = append(out.SpanExporters, Named[sdktrace.SpanExporter]{name, sink.exporter, sink.retry})
		}
	}
	for _, name := range s.Logs {
		sink, err := lookup(registry.logs, name)(ctx, b)
		if err != nil {
			return out, fmt.Errorf("logs exporter %s: %w", name, err)
		}
		if sink.printer != nil {
			out.LogPrinters = append(out.LogPrinters, sink.printer)
		}
		if sink.exporter != nil {
			out.LogExporters = append(out.LogExporters, Named[sdklog.Exporter]{name, sink.exporter, sink.retry})
		}
	}

	for _, name := range s.Metrics {
		rd, err := lookup(registry.metrics, name)(ctx, b)
		if err != nil {
			return out, fmt.Errorf("metrics exporter %s: %w", name, err)
		}
		if rd != nil {
			out.MetricReaders = append(out.MetricReaders, rd)
		}
	}
	// The private registry behind MetricsHandler is always there; the
	// prometheus exporter name also serves it on its own address. When a
	// cumulative periodic reader is in use, both read one aggregation;
	// otherwise the Prometheus reader aggregates for itself.
	reg := prometheus.NewRegistry()
	promOpts := []promexporter.Option{promexporter.WithRegisterer(reg)}
	if b.shared != nil {
		promOpts = append(promOpts, promexporter.WithProducer(aggregation{b.shared}))
	}
	promReader, err := promexporter.New(promOpts...)
	if err != nil {
		return out, fmt.Errorf("prometheus exporter: %w", err)
	}
	var prom sdkmetric.Reader = promReader
	out.MetricsHandler = metricsHandler(reg, s.Gatherers)
	if b.serve {
		rs, err := serveMetrics(promReader, out.MetricsHandler, s.PrometheusAddr)
		if err != nil {
			_ = promReader.Shutdown(ctx)
			return out, err
		}
		out.PrometheusAddr = rs.addr
		prom = rs
	}
	if b.shared != nil {
		out.MetricReaders = append(out.MetricReaders, b.shared)
		out.SharedReaders = append(b.sharing, prom)
	} else {
		out.MetricReaders = append(out.MetricReaders, prom)
	}
	return out, nil
}

func init() {
	registerBuiltin("none",
		func(context.Context, *builder) (spanSink, error) { return spanSink{}, nil },
		func(context.Context, *builder) (sdkmetric.Reader, error) { return nil, nil },
		func(context.Context, *builder) (logSink, error) { return logSink{}, nil })
	for _, name := range []string{"console", "stdout"} {
		json := name == "stdout"
		registerBuiltin(name,
			func(_ context.Context, b *builder) (spanSink, error) {
				return spanSink{printer: b.console(json).SpanProcessor()}, nil
			},
			func(_ context.Context, b *builder) (sdkmetric.Reader, error) {
				return b.periodicReader(b.console(json).MetricExporter(), nil), nil
			},
			func(_ context.Context, b *builder) (logSink, error) {
				return logSink{printer: b.console(json).LogProcessor()}, nil
			})
	}
	registerBuiltin("otlp",
		func(ctx context.Context, b *builder) (spanSink, error) {
			e, err := newOTLPSpanExporter(ctx, b.s.OTLP[0])
			if err != nil {
				return spanSink{}, err
			}
			r := selfobs.NewRetry(selfobs.Traces, "otlp")
			return spanSink{exporter: r.SpanExporter(e), retry: r}, nil
		},
		func(ctx context.Context, b *builder) (sdkmetric.Reader, error) {
			e, err := newOTLPMetricExporter(ctx, b.s.OTLP[1])
			if err != nil {
				return nil, err
			}
			r := selfobs.NewRetry(selfobs.Metrics, "otlp")
			return b.periodicReader(b.lost.MetricExporter("otlp", r.MetricExporter(e)), r), nil
		},
		func(ctx context.Context, b *builder) (logSink, error) {
			e, err := newOTLPLogExporter(ctx, b.s.OTLP[2])
			if err != nil {
				return logSink{}, err
			}
			r := selfobs.NewRetry(selfobs.Logs, "otlp")
			return logSink{exporter: r.LogExporter(e), retry: r}, nil
		})
	registerBuiltin("prometheus", nil,
		func(_ context.Context, b *builder) (sdkmetric.Reader, error) {
			b.serve = true
			return nil, nil
		}, nil)
}

// closingReader ends its exporter's retries when its Shutdown begins, so
// that the last export is tried once.
type closingReader struct {
	sdkmetric.Reader
	retry *selfobs.Retry
}

// ForceFlush collects and exports now. Without it, the MeterProvider's
// ForceFlush would skip the reader: the Reader interface has none.
func (r closingReader) ForceFlush(ctx context.Context) error {
	if f, ok := r.Reader.(interface{ ForceFlush(context.Context) error }); ok {
		return f.ForceFlush(ctx)
	}
	return nil
}

func (r closingReader) Shutdown(ctx context.Context) error {
	r.retry.Close()
	return r.Reader.Shutdown(ctx)
}

// periodicReader returns a periodic reader of exp, whose retries (if any)
// end when its Shutdown begins. When exp wants what the shared aggregation
// holds, the reader reads it and is kept in b.sharing, and nil is
// returned: it is not to be registered where measurements are recorded.
func (b *builder) periodicReader(exp sdkmetric.Exporter, r *selfobs.Retry) sdkmetric.Reader {
	opts := b.periodic()
	share := wantsShared(exp)
	if share {
		if b.shared == nil {
			b.shared = sdkmetric.NewManualReader()
		}
		opts = append(opts[:len(opts):len(opts)], sdkmetric.WithProducer(aggregation{b.shared}))
	}
	var rd sdkmetric.Reader = sdkmetric.NewPeriodicReader(exp, opts...)
	if r != nil {
		rd = closingReader{Reader: rd, retry: r}
	}
	if share {
		b.sharing = append(b.sharing, rd)
		return nil
	}
	return rd
}

// wantsShared reports whether exp takes, for every kind of instrument,
// the cumulative temporality and the default aggregation: what the shared
// aggregation (a ManualReader with its defaults) and the Prometheus
// reader hold.
func wantsShared(exp sdkmetric.Exporter) bool {
	for _, k := range []sdkmetric.InstrumentKind{
		sdkmetric.InstrumentKindCounter, sdkmetric.InstrumentKindUpDownCounter,
		sdkmetric.InstrumentKindHistogram, sdkmetric.InstrumentKindGauge,
		sdkmetric.InstrumentKindObservableCounter, sdkmetric.InstrumentKindObservableUpDownCounter,
		sdkmetric.InstrumentKindObservableGauge,
	} {
		if exp.Temporality(k) != metricdata.CumulativeTemporality ||
			!reflect.DeepEqual(exp.Aggregation(k), sdkmetric.DefaultAggregationSelector(k)) {
			return false
		}
	}
	return true
}

// aggregation produces what a registered reader has aggregated, for the
// readers that share it.
type aggregation struct{ r *sdkmetric.ManualReader }

func (a aggregation) Produce(ctx context.Context) ([]metricdata.ScopeMetrics, error) {
	var rm metricdata.ResourceMetrics
	err := a.r.Collect(ctx, &rm)
	return rm.ScopeMetrics, err
}

// periodic returns the periodic readers' options: the settings' interval
// and timeout, and the producers that bridge client_golang gatherers.
func (b *builder) periodic() []sdkmetric.PeriodicReaderOption {
	if !b.producerMade {
		b.producer, b.producerMade = newProducer(b.s.Gatherers), true
	}
	opts := b.s.Periodic
	if b.producer != nil {
		opts = append(opts[:len(opts):len(opts)], sdkmetric.WithProducer(b.producer))
	}
	return opts
}

// metricsHandler serves the registry's metrics, then those of the
// gatherers. A gatherer's error does not fail the scrape: what could be
// gathered is served and the error goes to otel.Handle.
func metricsHandler(reg *prometheus.Registry, gatherers []prometheus.Gatherer) http.Handler {
	var g prometheus.Gatherer = reg
	if len(gatherers) > 0 {
		all := prometheus.Gatherers{reg}
		for _, x := range gatherers {
			if x != nil {
				all = append(all, x)
			}
		}
		g = all
	}
	return promhttp.HandlerFor(g, promhttp.HandlerOpts{
		ErrorLog:      handleLogger{},
		ErrorHandling: promhttp.ContinueOnError,
	})
}

// handleLogger is the promhttp error log, sent to otel.Handle.
type handleLogger struct{}

func (handleLogger) Println(v ...any) {
	otel.Handle(fmt.Errorf("metrics handler: %s", strings.TrimSuffix(fmt.Sprintln(v...), "\n")))
}

// readerWithServer is the Prometheus reader that also serves /metrics on
// its own address until it is shut down.
type readerWithServer struct {
	sdkmetric.Reader
	addr   net.Addr
	server *http.Server
}

func serveMetrics(reader sdkmetric.Reader, h http.Handler, addr string) (*readerWithServer, error) {
	lis, err := (&net.ListenConfig{}).Listen(context.Background(), "tcp", addr)
	if err != nil {
		return nil, fmt.Errorf("prometheus exporter: listening on %s (%s, %s): %w", addr, env.PrometheusHost, env.PrometheusPort, err)
	}
	mux := http.NewServeMux()
	mux.Handle("/metrics", h)
	srv := &http.Server{
		Handler:           mux,
		ReadHeaderTimeout: 5 * time.Second,
		WriteTimeout:      30 * time.Second,
		IdleTimeout:       2 * time.Minute,
	}
	go func() {
		if err := srv.Serve(lis); err != nil && !errors.Is(err, http.ErrServerClosed) {
			otel.Handle(fmt.Errorf("prometheus exporter: the /metrics server on %s stopped: %w", lis.Addr(), err))
		}
	}()
	return &readerWithServer{Reader: reader, addr: lis.Addr(), server: srv}, nil
}

// Shutdown stops the server, then the reader.
func (rs *readerWithServer) Shutdown(ctx context.Context) error {
	return errors.Join(rs.server.Shutdown(ctx), rs.Reader.Shutdown(ctx))
}
