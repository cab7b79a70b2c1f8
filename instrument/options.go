package instrument

import (
	"log/slog"
	"net/http"
	"regexp"

	"go.opentelemetry.io/otel"
	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/log"
	"go.opentelemetry.io/otel/log/global"
	"go.opentelemetry.io/otel/metric"
	"go.opentelemetry.io/otel/propagation"
	"go.opentelemetry.io/otel/trace"

	"github.com/observe-go/observe/internal/version"
)

// Option configures every helper of this package: it sets a provider or the
// propagator. It is accepted wherever a [ServerOption], a [ClientOption], a
// [SQLOption], a [GRPCServerOption] or a [GRPCClientOption] is.
type Option interface {
	ServerOption
	ClientOption
	SQLOption
	GRPCServerOption
	GRPCClientOption
}

// ServerOption configures [HTTPHandler]. Options that only make sense on a
// server (filters, the access log, the route function...) are of this type
// alone, so that giving one to a client does not compile.
type ServerOption interface {
	applyServer(*serverConfig)
}

// ClientOption configures [HTTPTransport] and [WrapClient].
type ClientOption interface {
	applyClient(*clientConfig)
}

// providers is what every helper takes: where its telemetry goes.
type providers struct {
	tp         trace.TracerProvider
	mp         metric.MeterProvider
	lp         log.LoggerProvider
	propagator propagation.TextMapPropagator
}

// instruments returns the tracer, propagator and meter of p, falling back on
// the globals for what the options left unset.
func (p providers) instruments() (trace.Tracer, propagation.TextMapPropagator, metric.Meter) {
	tp, prop, mp := p.tp, p.propagator, p.mp
	if tp == nil {
		tp = otel.GetTracerProvider()
	}
	if prop == nil {
		prop = otel.GetTextMapPropagator()
	}
	if mp == nil {
		mp = otel.GetMeterProvider()
	}
	return tp.Tracer(ScopeName, trace.WithInstrumentationVersion(version.Version)),
		prop,
		mp.Meter(ScopeName, metric.WithInstrumentationVersion(version.Version))
}

// logger returns the OpenTelemetry logger of p, falling back on the global
// LoggerProvider.
func (p providers) logger() log.Logger {
	lp := p.lp
	if lp == nil {
		lp = global.GetLoggerProvider()
	}
	return lp.Logger(ScopeName, log.WithInstrumentationVersion(version.Version))
}

type serverConfig struct {
	providers
	logger *slog.Logger
	noLog  bool

	filters      []func(*http.Request) bool
	excluded     []*regexp.Regexp
	mapper       func(*http.Request, []attribute.KeyValue) []attribute.KeyValue
	route        func(*http.Request) string
	serverTiming bool
	traceHealth  bool
	lookup       func(string) (string, bool)
}

type clientConfig struct {
	providers
	noRequestID bool
}

func newServerConfig(opts []ServerOption) serverConfig {
	var c serverConfig
	for _, o := range opts {
		if o != nil {
			o.applyServer(&c)
		}
	}
	return c
}

func newClientConfig(opts []ClientOption) clientConfig {
	var c clientConfig
	for _, o := range opts {
		if o != nil {
			o.applyClient(&c)
		}
	}
	return c
}

// providerOption sets one of the providers; it is an [Option].
type providerOption func(*providers)

func (f providerOption) applyServer(c *serverConfig) { f(&c.providers) }
func (f providerOption) applyClient(c *clientConfig) { f(&c.providers) }
func (f providerOption) applySQL(c *sqlConfig)       { f(&c.providers) }

// clientOption is a [ClientOption] only.
type clientOption func(*clientConfig)

func (f clientOption) applyClient(c *clientConfig) { f(c) }

// PropagationOption configures what a client sends on: it is a
// [ClientOption] and a [GRPCClientOption].
type PropagationOption interface {
	ClientOption
	GRPCClientOption
}

// WithoutRequestIDPropagation stops a client, HTTP or gRPC, from sending
// the request id of the call's context (as the X-Request-ID header or the
// x-request-id metadata). By default it is sent, so that the next service
// instrumented with [HTTPHandler] or [GRPCServerHandler] keeps the same id;
// turn it off for calls to third parties, which would otherwise see your
// ids.
func WithoutRequestIDPropagation() PropagationOption { return noRequestID{} }

type noRequestID struct{}

func (noRequestID) applyClient(c *clientConfig)         { c.noRequestID = true }
func (noRequestID) applyGRPCClient(c *grpcClientConfig) { c.noRequestID = true }

// serverOption is a [ServerOption] only.
type serverOption func(*serverConfig)

func (f serverOption) applyServer(c *serverConfig) { f(c) }

// WithTracerProvider sets the TracerProvider; the default is the global
// one. A nil provider is ignored.
func WithTracerProvider(tp trace.TracerProvider) Option {
	return providerOption(func(p *providers) {
		if tp != nil {
			p.tp = tp
		}
	})
}

// WithMeterProvider sets the MeterProvider; the default is the global one.
// A nil provider is ignored.
func WithMeterProvider(mp metric.MeterProvider) Option {
	return providerOption(func(p *providers) {
		if mp != nil {
			p.mp = mp
		}
	})
}

// WithLoggerProvider sets the OpenTelemetry LoggerProvider that the access
// log is emitted to, through the Logs API; the default is the global one. A
// logger given with [WithLogger] takes precedence. A nil provider is
// ignored.
func WithLoggerProvider(lp log.LoggerProvider) Option {
	return providerOption(func(p *providers) {
		if lp != nil {
			p.lp = lp
		}
	})
}

// WithPropagator sets the propagator that reads (server) or writes (client)
// the trace context and baggage headers; the default is the global one. A
// nil propagator is ignored.
func WithPropagator(prop propagation.TextMapPropagator) Option {
	return providerOption(func(p *providers) {
		if prop != nil {
			p.propagator = prop
		}
	})
}

// WithLogger sends the server's access log through l instead of the
// LoggerProvider: one record per request, logged with the request's
// context. By default the record is built for the OpenTelemetry Logs API
// directly and emitted to the LoggerProvider (see [WithLoggerProvider]),
// which costs less than going through slog. A nil logger is ignored.
func WithLogger(l *slog.Logger) ServerOption {
	return serverOption(func(c *serverConfig) {
		if l != nil {
			c.logger = l
		}
	})
}

// WithoutAccessLog turns the server's access log off.
func WithoutAccessLog() ServerOption {
	return serverOption(func(c *serverConfig) { c.noLog = true })
}

// WithFilter adds a filter: a request for which f returns false is served
// without a span, metrics or an access log record (use it for /healthz and
// /metrics). A nil filter is ignored.
func WithFilter(f func(*http.Request) bool) ServerOption {
	return serverOption(func(c *serverConfig) {
		if f != nil {
			c.filters = append(c.filters, f)
		}
	})
}

// WithExcludedURLs skips requests whose path matches any of the regular
// expressions, as [WithFilter] does. They are added to those of
// OBSERVE_HTTP_EXCLUDED_URLS. Nil expressions are ignored.
func WithExcludedURLs(res ...*regexp.Regexp) ServerOption {
	return serverOption(func(c *serverConfig) {
		for _, re := range res {
			if re != nil {
				c.excluded = append(c.excluded, re)
			}
		}
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
func WithRequestAttributes(mapper func(r *http.Request, attrs []attribute.KeyValue) []attribute.KeyValue) ServerOption {
	return serverOption(func(c *serverConfig) {
		if mapper != nil {
			c.mapper = mapper
		}
	})
}

// WithRouteFunc sets how the route template (http.route) of a request is
// found, for routers other than [http.ServeMux]; it is called once the
// handler has returned, with the request the middleware saw. The default
// reads r.Pattern, which ServeMux sets, and drops its method and host
// parts. An empty result means the route is unknown. A nil function is
// ignored.
func WithRouteFunc(f func(*http.Request) string) ServerOption {
	return serverOption(func(c *serverConfig) {
		if f != nil {
			c.route = f
		}
	})
}

// WithServerTiming adds a Server-Timing header with the handler's duration
// up to the moment the response header is written (app;dur=1.234, in
// milliseconds). It is off by default: the header tells clients how long the
// server worked.
func WithServerTiming() ServerOption {
	return serverOption(func(c *serverConfig) { c.serverTiming = true })
}

// WithHealthPathsTraced traces and logs the requests for /healthz, /livez,
// /readyz, /health and /metrics like any other. By default a request for
// one of these exact paths (health probes and metrics scrapes, which come
// every few seconds) makes no span and no access log record; it is still
// counted by the metrics.
func WithHealthPathsTraced() ServerOption {
	return serverOption(func(c *serverConfig) { c.traceHealth = true })
}

// WithEnvLookup makes the handler read OBSERVE_HTTP_EXCLUDED_URLS through
// lookup instead of the process environment; a lookup that finds nothing
// turns the variable off. A nil lookup is ignored.
func WithEnvLookup(lookup func(key string) (string, bool)) ServerOption {
	return serverOption(func(c *serverConfig) {
		if lookup != nil {
			c.lookup = lookup
		}
	})
}
