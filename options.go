package observe

import (
	"io"
	"log/slog"

	"github.com/prometheus/client_golang/prometheus"
	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/propagation"
	sdklog "go.opentelemetry.io/otel/sdk/log"
	sdkmetric "go.opentelemetry.io/otel/sdk/metric"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
)

// Option configures [Configure]. An option beats the environment variable
// it names, which beats the default.
type Option interface {
	apply(config) config
}

type optionFunc func(config) config

func (f optionFunc) apply(c config) config { return f(c) }

// config is what the options set; the environment fills the rest in
// [Configure].
type config struct {
	lookup func(string) (string, bool)

	serviceName, serviceVersion, environment string
	resourceAttrs                            []attribute.KeyValue

	noGlobals bool

	tracesExporters, metricsExporters, logsExporters []string

	spanProcessors []sdktrace.SpanProcessor
	spanExporters  []sdktrace.SpanExporter
	metricReaders  []sdkmetric.Reader
	logProcessors  []sdklog.Processor
	views          []sdkmetric.View

	sampler    sdktrace.Sampler
	propagator propagation.TextMapPropagator
	logLevel   slog.Leveler

	console  io.Writer
	errorOut io.Writer

	slogDefault bool
	gatherers   []prometheus.Gatherer
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

// WithServiceName sets service.name. It overrides OTEL_SERVICE_NAME and a
// service.name in OTEL_RESOURCE_ATTRIBUTES; the default is the executable's
// name. An empty name is ignored.
func WithServiceName(name string) Option {
	return optionFunc(func(c config) config {
		if name != "" {
			c.serviceName = name
		}
		return c
	})
}

// WithServiceVersion sets service.version. It overrides a service.version
// in OTEL_RESOURCE_ATTRIBUTES; the default is the main module's version
// from the build information, when it has one. An empty version is ignored.
func WithServiceVersion(version string) Option {
	return optionFunc(func(c config) config {
		if version != "" {
			c.serviceVersion = version
		}
		return c
	})
}

// WithEnvironment sets deployment.environment.name (production, staging,
// ...). It overrides OBSERVE_ENVIRONMENT and the attribute in
// OTEL_RESOURCE_ATTRIBUTES; by default it is not set. An empty name is
// ignored.
func WithEnvironment(name string) Option {
	return optionFunc(func(c config) config {
		if name != "" {
			c.environment = name
		}
		return c
	})
}

// WithResourceAttributes adds attributes to the resource of every signal.
// They override OTEL_RESOURCE_ATTRIBUTES and the detected attributes (host,
// process, runtime); [WithServiceName], [WithServiceVersion] and
// [WithEnvironment] override them in turn.
func WithResourceAttributes(attrs ...attribute.KeyValue) Option {
	return optionFunc(func(c config) config {
		c.resourceAttrs = append(c.resourceAttrs, attrs...)
		return c
	})
}

// WithoutGlobals keeps [Configure] from registering its providers,
// propagator and error handler as the OpenTelemetry globals. By default
// they are registered.
func WithoutGlobals() Option {
	return optionFunc(func(c config) config {
		c.noGlobals = true
		return c
	})
}

// WithEnvLookup makes [Configure] read its environment variables through
// lookup instead of the process environment (for tests, or configuration
// kept elsewhere). A nil lookup is ignored. The OTLP exporters still read
// their TLS variables (OTEL_EXPORTER_OTLP_CERTIFICATE and the like) from
// the process.
func WithEnvLookup(lookup func(key string) (string, bool)) Option {
	return optionFunc(func(c config) config {
		if lookup != nil {
			c.lookup = lookup
		}
		return c
	})
}

// WithTracesExporters names the span exporters: otlp, console, stdout, none
// or a name registered with exporters.RegisterSpanExporter. It overrides
// OTEL_TRACES_EXPORTER. With no names the option is ignored.
func WithTracesExporters(names ...string) Option {
	return optionFunc(func(c config) config {
		if len(names) > 0 {
			c.tracesExporters = names
		}
		return c
	})
}

// WithMetricsExporters names the metric exporters: otlp, prometheus,
// console, stdout, none or a registered name. It overrides
// OTEL_METRICS_EXPORTER. With no names the option is ignored.
func WithMetricsExporters(names ...string) Option {
	return optionFunc(func(c config) config {
		if len(names) > 0 {
			c.metricsExporters = names
		}
		return c
	})
}

// WithLogsExporters names the log exporters: otlp, console, stdout, none or
// a registered name. It overrides OTEL_LOGS_EXPORTER. With no names the
// option is ignored.
func WithLogsExporters(names ...string) Option {
	return optionFunc(func(c config) config {
		if len(names) > 0 {
			c.logsExporters = names
		}
		return c
	})
}

// WithSpanProcessor adds a span processor after those of the named
// exporters. A nil processor is ignored.
func WithSpanProcessor(p sdktrace.SpanProcessor) Option {
	return optionFunc(func(c config) config {
		if p != nil {
			c.spanProcessors = append(c.spanProcessors, p)
		}
		return c
	})
}

// WithSpanExporter adds a span exporter behind a batch span processor
// configured by the OTEL_BSP_* variables. A nil exporter is ignored.
func WithSpanExporter(e sdktrace.SpanExporter) Option {
	return optionFunc(func(c config) config {
		if e != nil {
			c.spanExporters = append(c.spanExporters, e)
		}
		return c
	})
}

// WithMetricReader adds a metric reader, such as a
// [sdkmetric.NewManualReader] in tests. A nil reader is ignored.
func WithMetricReader(r sdkmetric.Reader) Option {
	return optionFunc(func(c config) config {
		if r != nil {
			c.metricReaders = append(c.metricReaders, r)
		}
		return c
	})
}

// WithView adds a metric view (to change a histogram's buckets, drop an
// attribute, rename an instrument). Nil views are ignored.
func WithView(views ...sdkmetric.View) Option {
	return optionFunc(func(c config) config {
		for _, v := range views {
			if v != nil {
				c.views = append(c.views, v)
			}
		}
		return c
	})
}

// WithLogProcessor adds a log processor after those of the named exporters.
// A nil processor is ignored.
func WithLogProcessor(p sdklog.Processor) Option {
	return optionFunc(func(c config) config {
		if p != nil {
			c.logProcessors = append(c.logProcessors, p)
		}
		return c
	})
}

// WithSampler sets the head sampler. It overrides OTEL_TRACES_SAMPLER and
// OTEL_TRACES_SAMPLER_ARG; the default is parentbased_always_on. A nil
// sampler is ignored.
func WithSampler(s sdktrace.Sampler) Option {
	return optionFunc(func(c config) config {
		if s != nil {
			c.sampler = s
		}
		return c
	})
}

// WithPropagator sets the propagator. It overrides OTEL_PROPAGATORS; the
// default is tracecontext,baggage. A nil propagator is ignored.
func WithPropagator(p propagation.TextMapPropagator) Option {
	return optionFunc(func(c config) config {
		if p != nil {
			c.propagator = p
		}
		return c
	})
}

// WithLogLevel sets the lowest level [Telemetry.Logger] records. It
// overrides OBSERVE_LOG_LEVEL; the default is [slog.LevelInfo]. A
// [*slog.LevelVar] changes the level at run time. A nil leveler is ignored.
func WithLogLevel(l slog.Leveler) Option {
	return optionFunc(func(c config) config {
		if l != nil {
			c.logLevel = l
		}
		return c
	})
}

// WithConsoleWriter sets where the console and stdout exporters write; the
// default is standard output. A nil writer is ignored.
func WithConsoleWriter(w io.Writer) Option {
	return optionFunc(func(c config) config {
		if w != nil {
			c.console = w
		}
		return c
	})
}

// WithErrorWriter sets where the SDK's internal errors (failed exports, a
// stopped /metrics server) are written, at most one line per distinct error
// a minute; the default is standard error. A nil writer is ignored.
func WithErrorWriter(w io.Writer) Option {
	return optionFunc(func(c config) config {
		if w != nil {
			c.errorOut = w
		}
		return c
	})
}
