package instrument

import (
	"log/slog"
	"net/http"
	"regexp"

	"go.opentelemetry.io/otel"
	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/metric"
	"go.opentelemetry.io/otel/propagation"
	"go.opentelemetry.io/otel/trace"
)

// Option configures [HTTPHandler] and [HTTPTransport].
type Option interface {
	apply(config) config
}

type optionFunc func(config) config

func (f optionFunc) apply(c config) config { return f(c) }

type config struct {
	tp         trace.TracerProvider
	mp         metric.MeterProvider
	propagator propagation.TextMapPropagator
	logger     *slog.Logger
	noLog      bool

	filters      []func(*http.Request) bool
	excluded     []*regexp.Regexp
	mapper       func(*http.Request, []attribute.KeyValue) []attribute.KeyValue
	route        func(*http.Request) string
	serverTiming bool
	lookup       func(string) (string, bool)
}

func newConfig(opts []Option) config {
	var c config
	for _, o := range opts {
		if o != nil {
			c = o.apply(c)
		}
	}
	return c
}

// instruments returns the tracer, propagator and meter of c, falling back on
// the globals for what the options left unset. The server and the client
// share it.
func (c config) instruments() (trace.Tracer, propagation.TextMapPropagator, metric.Meter) {
	tp, prop, mp := c.tp, c.propagator, c.mp
	if tp == nil {
		tp = otel.GetTracerProvider()
	}
	if prop == nil {
		prop = otel.GetTextMapPropagator()
	}
	if mp == nil {
		mp = otel.GetMeterProvider()
	}
	return tp.Tracer(ScopeName), prop, mp.Meter(ScopeName)
}

// WithTracerProvider sets the TracerProvider; the default is the global
// one. A nil provider is ignored.
func WithTracerProvider(tp trace.TracerProvider) Option {
	return optionFunc(func(c config) config {
		if tp != nil {
			c.tp = tp
		}
		return c
	})
}

// WithMeterProvider sets the MeterProvider; the default is the global one.
// A nil provider is ignored.
func WithMeterProvider(mp metric.MeterProvider) Option {
	return optionFunc(func(c config) config {
		if mp != nil {
			c.mp = mp
		}
		return c
	})
}

// WithPropagator sets the propagator that reads (server) or writes (client)
// the trace context and baggage headers; the default is the global one. A
// nil propagator is ignored.
func WithPropagator(p propagation.TextMapPropagator) Option {
	return optionFunc(func(c config) config {
		if p != nil {
			c.propagator = p
		}
		return c
	})
}

// WithLogger sets the logger of the server's access log; the default writes
// to the global OpenTelemetry LoggerProvider at level info and above. A
// logger whose handler is observe's slog bridge ([bridge.NewHandler], as
// observe's Telemetry.Logger is) with no attributes or groups added gets
// its records built for the OpenTelemetry Logs API directly, without slog;
// when its provider is a Telemetry's that exports without printing to the
// console, they are emitted off the request path, and the Telemetry's
// ForceFlush and Shutdown deliver those still waiting. A nil logger is
// ignored.
func WithLogger(l *slog.Logger) Option {
	return optionFunc(func(c config) config {
		if l != nil {
			c.logger = l
		}
		return c
	})
}

// WithoutAccessLog turns the server's access log off.
func WithoutAccessLog() Option {
	return optionFunc(func(c config) config {
		c.noLog = true
		return c
	})
}

// WithFilter adds a filter: a request for which f returns false is served
// without a span, metrics or an access log record (use it for /healthz and
// /metrics). A nil filter is ignored.
func WithFilter(f func(*http.Request) bool) Option {
	return optionFunc(func(c config) config {
		if f != nil {
			c.filters = append(c.filters, f)
		}
		return c
	})
}

// WithExcludedURLs skips requests whose path matches any of the regular
// expressions, as [WithFilter] does. They are added to those of
// OBSERVE_HTTP_EXCLUDED_URLS. Nil expressions are ignored.
func WithExcludedURLs(res ...*regexp.Regexp) Option {
	return optionFunc(func(c config) config {
		for _, re := range res {
			if re != nil {
				c.excluded = append(c.excluded, re)
			}
		}
		return c
	})
}

// WithRequestAttributes sets a mapper, called once the handler has
// returned, with the request and the span attributes the middleware made
// then (status, request id, client, user agent, query, sizes...); the span
// gets the attributes the mapper returns instead. Use it to add attributes,
// or to remove some of those (return a filtered copy). The attributes set
// when the span started (method, scheme, path, server address and, for a
// ServeMux, the route) stay. Metrics and the access log are not affected. A
// nil mapper is ignored.
func WithRequestAttributes(mapper func(r *http.Request, attrs []attribute.KeyValue) []attribute.KeyValue) Option {
	return optionFunc(func(c config) config {
		if mapper != nil {
			c.mapper = mapper
		}
		return c
	})
}

// WithRouteFunc sets how the route template (http.route) of a request is
// found, for routers other than [http.ServeMux]; it is called once the
// handler has returned, with the request the middleware saw. The default
// reads r.Pattern, which ServeMux sets, and drops its method and host
// parts. An empty result means the route is unknown. A nil function is
// ignored.
func WithRouteFunc(f func(*http.Request) string) Option {
	return optionFunc(func(c config) config {
		if f != nil {
			c.route = f
		}
		return c
	})
}

// WithServerTiming adds a Server-Timing header with the handler's duration
// up to the moment the response header is written (app;dur=1.234, in
// milliseconds). It is off by default: the header tells clients how long the
// server worked.
func WithServerTiming() Option {
	return optionFunc(func(c config) config {
		c.serverTiming = true
		return c
	})
}

// WithEnvLookup makes the handler read OBSERVE_HTTP_EXCLUDED_URLS through
// lookup instead of the process environment. A nil lookup is ignored.
func WithEnvLookup(lookup func(key string) (string, bool)) Option {
	return optionFunc(func(c config) config {
		if lookup != nil {
			c.lookup = lookup
		}
		return c
	})
}
