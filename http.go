package observe

import (
	"net/http"
	"sync/atomic"

	"go.opentelemetry.io/otel"
	otellog "go.opentelemetry.io/otel/log"
	"go.opentelemetry.io/otel/log/global"
	lognoop "go.opentelemetry.io/otel/log/noop"
	metricnoop "go.opentelemetry.io/otel/metric/noop"
	tracenoop "go.opentelemetry.io/otel/trace/noop"

	"github.com/observe-go/observe/instrument"
)

// current is the Telemetry whose providers are the OpenTelemetry globals,
// from its Configure to its Shutdown.
var current atomic.Pointer[Telemetry]

// InstrumentHTTP wraps h with [instrument.HTTPHandler]. Between [Configure]
// (without [WithoutGlobals]) and that Telemetry's Shutdown it uses the
// Telemetry's providers, propagator and settings, as
// [Telemetry.InstrumentHTTP] does; otherwise the OpenTelemetry globals.
// Options are passed on, and beat those defaults. See
// [instrument.HTTPHandler] for the span, metrics, request id and access log
// each request gets.
func InstrumentHTTP(h http.Handler, opts ...instrument.ServerOption) http.Handler {
	if t := current.Load(); t != nil {
		return t.InstrumentHTTP(h, opts...)
	}
	return instrument.HTTPHandler(h, opts...)
}

// InstrumentHTTP wraps h with [instrument.HTTPHandler] using t's providers,
// propagator and settings (OBSERVE_HTTP_EXCLUDED_URLS as Configure read
// it), whether or not they are the globals. The access log goes to t's
// LoggerProvider, with the same level threshold as [Telemetry.Logger].
// Options are passed on, and beat those defaults.
func (t *Telemetry) InstrumentHTTP(h http.Handler, opts ...instrument.ServerOption) http.Handler {
	// The settings hold the excluded URLs already: the handler reads no
	// environment of its own.
	settings := []instrument.ServerOption{instrument.WithEnvLookup(noEnv), instrument.WithExcludedURLs(t.settings.ExcludedURLs...)}
	return instrument.HTTPHandler(h, withProviders(t, append(settings, opts...))...)
}

// HTTPClient returns a copy of c (nil means [http.DefaultClient]) whose
// transport is wrapped by [instrument.HTTPTransport] with t's providers and
// propagator.
func (t *Telemetry) HTTPClient(c *http.Client, opts ...instrument.ClientOption) *http.Client {
	return instrument.WrapClient(c, withProviders(t, opts)...)
}

// withProviders puts t's providers and propagator in front of opts, which
// beat them: an [instrument.Option] is an option of every kind O.
func withProviders[O any](t *Telemetry, opts []O) []O {
	base := []instrument.Option{
		instrument.WithTracerProvider(t.tp),
		instrument.WithMeterProvider(t.mp),
		instrument.WithLoggerProvider(t.accessLog()),
		instrument.WithPropagator(t.propagator),
	}
	out := make([]O, 0, len(base)+len(opts))
	for _, o := range base {
		out = append(out, any(o).(O))
	}
	return append(out, opts...)
}

// noEnv finds no variable.
func noEnv(string) (string, bool) { return "", false }

// releaseGlobals, at Shutdown, replaces the OpenTelemetry globals that are
// still t's providers with no-op ones, so that nothing instrumented later
// records into a provider that was shut down.
func (t *Telemetry) releaseGlobals() {
	if !t.globals {
		return
	}
	current.CompareAndSwap(t, nil)
	if otel.GetTracerProvider() == t.tp {
		otel.SetTracerProvider(tracenoop.NewTracerProvider())
	}
	if otel.GetMeterProvider() == t.mp {
		otel.SetMeterProvider(metricnoop.NewMeterProvider())
	}
	if global.GetLoggerProvider() == t.lp {
		global.SetLoggerProvider(lognoop.NewLoggerProvider())
	}
}

// accessLog is the LoggerProvider of the access logs: t's, without the
// de-duplication of keys the access logs know to be unique.
func (t *Telemetry) accessLog() otellog.LoggerProvider {
	if t.accessLP != nil {
		return t.accessLP
	}
	return t.lp
}
