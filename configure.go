package observe

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/promhttp"
	"go.opentelemetry.io/contrib/instrumentation/runtime"
	"go.opentelemetry.io/otel"
	otellog "go.opentelemetry.io/otel/log"
	"go.opentelemetry.io/otel/log/global"
	lognoop "go.opentelemetry.io/otel/log/noop"
	"go.opentelemetry.io/otel/metric"
	metricnoop "go.opentelemetry.io/otel/metric/noop"
	"go.opentelemetry.io/otel/propagation"
	sdklog "go.opentelemetry.io/otel/sdk/log"
	sdkmetric "go.opentelemetry.io/otel/sdk/metric"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/trace"
	tracenoop "go.opentelemetry.io/otel/trace/noop"

	"github.com/observe-go/observe/bridge"
	"github.com/observe-go/observe/internal/errhandler"
	"github.com/observe-go/observe/internal/procmetrics"
	"github.com/observe-go/observe/internal/settings"
	"github.com/observe-go/observe/internal/sinks"
	"github.com/observe-go/observe/internal/version"
)

// errorInterval is how often one distinct internal error may be written.
const errorInterval = time.Minute

// Telemetry holds the providers that [Configure] made. Its methods are safe
// for concurrent use, and they all work when the SDK is disabled.
type Telemetry struct {
	tp trace.TracerProvider
	mp metric.MeterProvider
	lp otellog.LoggerProvider

	sdkTP *sdktrace.TracerProvider
	sdkMP *sdkmetric.MeterProvider
	sdkLP *sdklog.LoggerProvider
	// sharedMP holds the readers of sdkMP's shared aggregation (see
	// sinks.Sinks.SharedReaders), or is nil.
	sharedMP *sdkmetric.MeterProvider
	// accessLP emits the records of the HTTP and gRPC access logs.
	accessLP otellog.LoggerProvider

	propagator     propagation.TextMapPropagator
	settings       *settings.Settings
	logger         *slog.Logger
	metricsHandler http.Handler
	slogDefault    *slogDefault // what WithSlogDefault replaced, or nil
	// globals is set when Configure registered the providers as the
	// OpenTelemetry globals; errors is then the error handler it set.
	globals bool
	errors  *errhandler.Handler

	shutdownOnce sync.Once
	shutdownErr  error
}

// Configure sets up traces, metrics and logs for the service, and, unless
// [WithoutGlobals] is given, registers them, the propagator and a
// rate-limited error handler as the OpenTelemetry globals. Call it once in
// main and defer [Telemetry.Shutdown].
//
// Options beat environment variables, which beat the defaults. Configure
// reads these variables (through [WithEnvLookup] when given):
//
//   - OTEL_SDK_DISABLED: true gives no-op providers; false (default).
//   - OTEL_SERVICE_NAME: service.name; default the executable's name.
//   - OTEL_RESOURCE_ATTRIBUTES: key=value,... with percent-encoded values.
//   - OBSERVE_ENVIRONMENT: deployment.environment.name.
//   - OTEL_PROPAGATORS: tracecontext, baggage, b3, b3multi, none;
//     default tracecontext,baggage.
//   - OTEL_TRACES_SAMPLER: always_on, always_off, traceidratio,
//     parentbased_always_on (default), parentbased_always_off,
//     parentbased_traceidratio; OTEL_TRACES_SAMPLER_ARG: the ratio, 0 to 1,
//     default 1.
//   - OTEL_TRACES_EXPORTER, OTEL_LOGS_EXPORTER: otlp, console, stdout, none
//     or a registered name, comma-separated; default otlp when an OTLP
//     endpoint is set, else console.
//   - OTEL_METRICS_EXPORTER: otlp, prometheus, console, stdout, none or a
//     registered name; default otlp when an OTLP endpoint is set, else none.
//   - OTEL_EXPORTER_OTLP_ENDPOINT (a base URL), _PROTOCOL (grpc or
//     http/protobuf, the default), _HEADERS (key=value,... percent-encoded),
//     _TIMEOUT (milliseconds, default 10000), _COMPRESSION (gzip or none),
//     and their per-signal forms OTEL_EXPORTER_OTLP_TRACES_*, _METRICS_*,
//     _LOGS_* (a per-signal endpoint is used as it is).
//   - OTEL_EXPORTER_PROMETHEUS_HOST (default localhost) and _PORT (default
//     9464): where the prometheus exporter serves /metrics.
//   - OTEL_METRIC_EXPORT_INTERVAL (default 60000) and _TIMEOUT (default
//     30000), in milliseconds.
//   - OTEL_METRICS_PRODUCERS: prometheus (bridge client_golang's
//     prometheus.DefaultGatherer, see [WithPrometheusBridge]) or none
//     (default), comma-separated.
//   - OTEL_BSP_SCHEDULE_DELAY, _EXPORT_TIMEOUT, _MAX_QUEUE_SIZE,
//     _MAX_EXPORT_BATCH_SIZE and the same OTEL_BLRP_* for logs.
//   - OBSERVE_LOG_LEVEL: debug, info (default), warn, error.
//   - OBSERVE_CONSOLE_FORMAT: pretty (default) or json.
//   - NO_COLOR: any non-empty value turns the console's colours off.
//   - OBSERVE_HTTP_EXCLUDED_URLS: comma-separated regular expressions of
//     request paths that [InstrumentHTTP] serves without telemetry.
//   - OBSERVE_RUNTIME_METRICS: true (default) or false: the Go runtime and
//     process metrics (see [WithoutRuntimeMetrics]).
//
// A bad value makes Configure return an error naming the variable or option
// and the value (never a secret); every bad value is reported at once, and
// anything already started is shut down. An unreachable backend is not an
// error: exports fail later and are reported through the error handler.
func Configure(opts ...Option) (*Telemetry, error) {
	s, err := settings.Resolve(newOptions(opts), sinks.Known)
	if err != nil {
		return nil, err
	}
	if s.Disabled {
		return disabledTelemetry(&s), nil
	}
	ctx := context.Background()
	res, err := newResource(ctx, s.Resource)
	if err != nil {
		return nil, fmt.Errorf("observe: %w", err)
	}
	p, err := compose(ctx, &s)
	if err != nil {
		return nil, fmt.Errorf("observe: %w", err)
	}

	mpOpts := []sdkmetric.Option{sdkmetric.WithResource(res), sdkmetric.WithView(s.Views...)}
	for _, rd := range p.readers {
		mpOpts = append(mpOpts, sdkmetric.WithReader(rd))
	}
	sdkMP := sdkmetric.NewMeterProvider(mpOpts...)
	// The readers of the shared aggregation are registered where nothing
	// is recorded: they read sdkMP's through their producer.
	var sharedMP *sdkmetric.MeterProvider
	if shared := p.sinks.SharedReaders; len(shared) > 0 {
		opts := []sdkmetric.Option{sdkmetric.WithResource(res)}
		for _, rd := range shared {
			opts = append(opts, sdkmetric.WithReader(rd))
		}
		sharedMP = sdkmetric.NewMeterProvider(opts...)
	}
	if err := p.chains(&s, sdkMP); err != nil {
		return nil, errors.Join(fmt.Errorf("observe: %w", err), metricsProviders{sharedMP, sdkMP}.Shutdown(ctx), p.sinks.Shutdown(ctx))
	}
	tpOpts := []sdktrace.TracerProviderOption{sdktrace.WithResource(res), sdktrace.WithSampler(s.Sampler)}
	if p.span != nil {
		tpOpts = append(tpOpts, sdktrace.WithSpanProcessor(p.span))
	}
	lpOpts := []sdklog.LoggerProviderOption{sdklog.WithResource(res), sdklog.WithProcessor(p.log)}

	t := &Telemetry{
		sdkTP:          sdktrace.NewTracerProvider(tpOpts...),
		sdkMP:          sdkMP,
		sharedMP:       sharedMP,
		sdkLP:          sdklog.NewLoggerProvider(lpOpts...),
		propagator:     s.Propagator,
		settings:       &s,
		metricsHandler: p.metricsHandler,
	}
	t.tp, t.mp, t.lp = t.sdkTP, t.sdkMP, t.sdkLP
	// The access logs observe builds itself have keys it knows to be
	// unique: they go to the same processors through a provider that does
	// not de-duplicate them, which spares a map per record.
	t.accessLP = sdklog.NewLoggerProvider(sdklog.WithResource(res), sdklog.WithProcessor(borrowed{p.log}), sdklog.WithAllowKeyDuplication())
	if *s.RuntimeMetrics {
		// Observable instruments: they cost nothing until a reader
		// collects.
		err := errors.Join(
			runtime.Start(runtime.WithMeterProvider(t.mp)),
			procmetrics.Start(t.mp, version.Version))
		if err != nil {
			_ = t.each(ctx, func(ctx context.Context, p flusher) error { return p.Shutdown(ctx) })
			return nil, fmt.Errorf("observe: runtime metrics: %w", err)
		}
	}
	t.logger = slog.New(bridge.NewHandler(s.LogScope,
		bridge.WithLoggerProvider(t.lp),
		bridge.WithLevel(s.LogLevel)))
	if s.SlogDefault {
		t.slogDefault = setSlogDefault(t.logger)
	}

	if !s.NoGlobals {
		t.errors = errhandler.New(s.ErrorOut, errorInterval, nil)
		otel.SetErrorHandler(t.errors)
		otel.SetTracerProvider(t.tp)
		otel.SetMeterProvider(t.mp)
		global.SetLoggerProvider(t.lp)
		otel.SetTextMapPropagator(s.Propagator)
		t.globals = true
		current.Store(t)
	}
	return t, nil
}

// disabledTelemetry is the Telemetry of OTEL_SDK_DISABLED=true. Its
// MetricsHandler still serves the gatherers of WithPrometheusBridge, which
// are the application's own metrics.
func disabledTelemetry(s *settings.Settings) *Telemetry {
	return &Telemetry{
		tp:             tracenoop.NewTracerProvider(),
		mp:             metricnoop.NewMeterProvider(),
		lp:             lognoop.NewLoggerProvider(),
		propagator:     propagation.NewCompositeTextMapPropagator(),
		settings:       s,
		logger:         slog.New(slog.DiscardHandler),
		metricsHandler: promhttp.HandlerFor(prometheus.Gatherers(s.Gatherers), promhttp.HandlerOpts{ErrorHandling: promhttp.ContinueOnError}),
	}
}

// TracerProvider returns the TracerProvider; it is the global one unless
// [WithoutGlobals] was given.
func (t *Telemetry) TracerProvider() trace.TracerProvider { return t.tp }

// MeterProvider returns the MeterProvider.
func (t *Telemetry) MeterProvider() metric.MeterProvider { return t.mp }

// LoggerProvider returns the OpenTelemetry LoggerProvider.
func (t *Telemetry) LoggerProvider() otellog.LoggerProvider { return t.lp }

// Propagator returns the propagator chosen by OTEL_PROPAGATORS or
// [WithPropagator].
func (t *Telemetry) Propagator() propagation.TextMapPropagator { return t.propagator }

// Logger returns a [*slog.Logger] whose records go to the LoggerProvider
// (and so to the console and OTLP exporters) with the trace and span ids of
// the context they are logged with (use InfoContext, WarnContext...) and the
// request id that observe's HTTP middleware put in it. Records below
// OBSERVE_LOG_LEVEL (or [WithLogLevel]; info by default) are dropped before
// any output sees them, and a warning or error logged in a span sets the
// span's observe.level attribute: the handler is [bridge.NewHandler], whose
// documentation gives the rules. [WithSlogDefault] makes it slog's default
// logger. It is never nil; with OTEL_SDK_DISABLED=true it discards
// everything.
func (t *Telemetry) Logger() *slog.Logger { return t.logger }

// MetricsHandler serves the Prometheus exposition of every metric recorded
// through [Telemetry.MeterProvider], whatever OTEL_METRICS_EXPORTER says;
// mount it at /metrics. OpenTelemetry names are translated as the
// OpenTelemetry Prometheus exporter does: a counter app.requests is
// app_requests_total. The client_golang metrics bridged by
// [WithPrometheusBridge] or OTEL_METRICS_PRODUCERS follow, as their
// gatherer exposes them; each name appears once.
func (t *Telemetry) MetricsHandler() http.Handler { return t.metricsHandler }

// ForceFlush exports everything recorded so far, within ctx's deadline.
func (t *Telemetry) ForceFlush(ctx context.Context) error {
	if t.sdkTP == nil {
		return nil
	}
	return t.each(ctx, func(ctx context.Context, p flusher) error { return p.ForceFlush(ctx) })
}

// Shutdown flushes and stops every signal, within ctx's deadline, and joins
// the errors. Later calls return the first call's result. Telemetry recorded
// after Shutdown is dropped. If [WithSlogDefault] made [Telemetry.Logger]
// slog's default, Shutdown first puts back the default logger and the log
// package's output it replaced.
func (t *Telemetry) Shutdown(ctx context.Context) error {
	t.shutdownOnce.Do(func() {
		t.slogDefault.restore()
		if t.sdkTP == nil {
			return
		}
		if lp, ok := t.accessLP.(*sdklog.LoggerProvider); ok {
			// Its processors are sdkLP's, which shuts them down.
			_ = lp.Shutdown(ctx)
		}
		t.shutdownErr = t.each(ctx, func(ctx context.Context, p flusher) error { return p.Shutdown(ctx) })
		t.releaseGlobals()
		if t.errors != nil {
			// Counts of repeated errors still waiting are written now.
			t.errors.Flush()
		}
	})
	return t.shutdownErr
}

type flusher interface {
	ForceFlush(context.Context) error
	Shutdown(context.Context) error
}

// each runs f on the three providers at once, so that a slow one does not
// use up the others' share of the deadline.
func (t *Telemetry) each(ctx context.Context, f func(context.Context, flusher) error) error {
	providers := []struct {
		name string
		p    flusher
	}{{"traces", t.sdkTP}, {"metrics", metricsProviders{t.sharedMP, t.sdkMP}}, {"logs", t.sdkLP}}
	return concurrently(len(providers), func(i int) error {
		if err := f(ctx, providers[i].p); err != nil {
			return fmt.Errorf("observe: %s: %w", providers[i].name, err)
		}
		return nil
	})
}

// metricsProviders are the MeterProvider that records and the one whose
// readers read its shared aggregation (nil when there is none). The
// second flushes after the first, and shuts down before it: its readers'
// last collection reads the first's aggregation, which ends with it.
type metricsProviders struct {
	shared, recording *sdkmetric.MeterProvider
}

func (m metricsProviders) ForceFlush(ctx context.Context) error {
	err := m.recording.ForceFlush(ctx)
	if m.shared != nil {
		err = errors.Join(err, m.shared.ForceFlush(ctx))
	}
	return err
}

func (m metricsProviders) Shutdown(ctx context.Context) error {
	var err error
	if m.shared != nil {
		err = m.shared.Shutdown(ctx)
	}
	return errors.Join(err, m.recording.Shutdown(ctx))
}

// borrowed lends a processor to a second LoggerProvider: that provider's
// ForceFlush and Shutdown leave it to the one that owns it.
type borrowed struct{ sdklog.Processor }

func (borrowed) ForceFlush(context.Context) error { return nil }
func (borrowed) Shutdown(context.Context) error   { return nil }
