package observe

import (
	"net/http"
	"sync/atomic"

	"github.com/observe-go/observe/instrument"
)

// current is the Telemetry most recently registered as the globals.
var current atomic.Pointer[Telemetry]

// InstrumentHTTP wraps h with [instrument.HTTPHandler] using the global
// providers and, once [Configure] has registered them, its logger for the
// access log. Options are passed on, and beat those defaults. See
// [instrument.HTTPHandler] for the span, metrics, request id and access log
// each request gets.
func InstrumentHTTP(h http.Handler, opts ...instrument.Option) http.Handler {
	if t := current.Load(); t != nil {
		return t.InstrumentHTTP(h, opts...)
	}
	return instrument.HTTPHandler(h, opts...)
}

// InstrumentHTTP wraps h with [instrument.HTTPHandler] using t's providers,
// propagator and logger, whether or not they are the globals. Options are
// passed on, and beat those defaults.
func (t *Telemetry) InstrumentHTTP(h http.Handler, opts ...instrument.Option) http.Handler {
	return instrument.HTTPHandler(h, append(t.httpOptions(), opts...)...)
}

// HTTPClient returns a copy of c (nil means [http.DefaultClient]) whose
// transport is wrapped by [instrument.HTTPTransport] with t's providers and
// propagator.
func (t *Telemetry) HTTPClient(c *http.Client, opts ...instrument.Option) *http.Client {
	return instrument.WrapClient(c, append(t.httpOptions(), opts...)...)
}

func (t *Telemetry) httpOptions() []instrument.Option {
	return []instrument.Option{
		instrument.WithTracerProvider(t.tp),
		instrument.WithMeterProvider(t.mp),
		instrument.WithPropagator(t.propagator),
		instrument.WithLogger(t.logger),
		instrument.WithEnvLookup(t.lookup),
	}
}
