package observe

import (
	"io"
	"log/slog"

	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/propagation"
	sdklog "go.opentelemetry.io/otel/sdk/log"
	sdkmetric "go.opentelemetry.io/otel/sdk/metric"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"

	"github.com/observe-go/observe/internal/scrub"
	"github.com/observe-go/observe/internal/settings"
	"github.com/observe-go/observe/sampling"
)

// Option configures [Configure]. An option beats the environment variable
// it names, which beats the default.
type Option interface {
	apply(*settings.Options)
}

type optionFunc func(*settings.Options)

func (f optionFunc) apply(o *settings.Options) { f(o) }

func newOptions(opts []Option) settings.Options {
	var o settings.Options
	for _, opt := range opts {
		if opt != nil {
			opt.apply(&o)
		}
	}
	return o
}

// WithServiceName sets service.name. It overrides OTEL_SERVICE_NAME and a
// service.name in OTEL_RESOURCE_ATTRIBUTES; the default is the executable's
// name. An empty name is ignored.
func WithServiceName(name string) Option {
	return optionFunc(func(c *settings.Options) {
		if name != "" {
			c.ServiceName = name
		}
	})
}

// WithServiceVersion sets service.version. It overrides a service.version
// in OTEL_RESOURCE_ATTRIBUTES; the default is the main module's version
// from the build information, when it has one. An empty version is ignored.
func WithServiceVersion(version string) Option {
	return optionFunc(func(c *settings.Options) {
		if version != "" {
			c.ServiceVersion = version
		}
	})
}

// WithEnvironment sets deployment.environment.name (production, staging,
// ...). It overrides OBSERVE_ENVIRONMENT and the attribute in
// OTEL_RESOURCE_ATTRIBUTES; by default it is not set. An empty name is
// ignored.
func WithEnvironment(name string) Option {
	return optionFunc(func(c *settings.Options) {
		if name != "" {
			c.Environment = name
		}
	})
}

// WithResourceAttributes adds attributes to the resource of every signal.
// They override OTEL_RESOURCE_ATTRIBUTES and the detected attributes (host,
// process, runtime); [WithServiceName], [WithServiceVersion] and
// [WithEnvironment] override them in turn.
func WithResourceAttributes(attrs ...attribute.KeyValue) Option {
	return optionFunc(func(c *settings.Options) {
		c.ResourceAttrs = append(c.ResourceAttrs, attrs...)
	})
}

// WithoutGlobals keeps [Configure] from registering its providers,
// propagator and error handler as the OpenTelemetry globals. By default
// they are registered.
func WithoutGlobals() Option {
	return optionFunc(func(c *settings.Options) {
		c.NoGlobals = true
	})
}

// WithEnvLookup makes [Configure] read its environment variables through
// lookup instead of the process environment (for tests, or configuration
// kept elsewhere). A nil lookup is ignored. Two things still come from the
// process: the OTLP exporters read their TLS variables
// (OTEL_EXPORTER_OTLP_CERTIFICATE and the like) themselves, and the
// OpenTelemetry SDK's providers merge the process's OTEL_RESOURCE_ATTRIBUTES
// and OTEL_SERVICE_NAME underneath the resource: an attribute set there
// that the resource lacks appears on every signal, while those the resource
// has (service.name always) keep their value.
func WithEnvLookup(lookup func(key string) (string, bool)) Option {
	return optionFunc(func(c *settings.Options) {
		if lookup != nil {
			c.Lookup = lookup
		}
	})
}

// WithTracesExporters names the span exporters: otlp, console, stdout, none
// or a name registered with exporters.RegisterSpanExporter. It overrides
// OTEL_TRACES_EXPORTER. With no names the option is ignored.
func WithTracesExporters(names ...string) Option {
	return optionFunc(func(c *settings.Options) {
		if len(names) > 0 {
			c.TracesExporters = names
		}
	})
}

// WithMetricsExporters names the metric exporters: otlp, prometheus,
// console, stdout, none or a registered name. It overrides
// OTEL_METRICS_EXPORTER. With no names the option is ignored.
func WithMetricsExporters(names ...string) Option {
	return optionFunc(func(c *settings.Options) {
		if len(names) > 0 {
			c.MetricsExporters = names
		}
	})
}

// WithLogsExporters names the log exporters: otlp, console, stdout, none or
// a registered name. It overrides OTEL_LOGS_EXPORTER. With no names the
// option is ignored.
func WithLogsExporters(names ...string) Option {
	return optionFunc(func(c *settings.Options) {
		if len(names) > 0 {
			c.LogsExporters = names
		}
	})
}

// WithSpanProcessor adds a span processor after those of the named
// exporters. A nil processor is ignored.
func WithSpanProcessor(p sdktrace.SpanProcessor) Option {
	return optionFunc(func(c *settings.Options) {
		if p != nil {
			c.SpanProcessors = append(c.SpanProcessors, p)
		}
	})
}

// WithSpanExporter adds a span exporter behind a batch span processor
// configured by the OTEL_BSP_* variables. A nil exporter is ignored.
func WithSpanExporter(e sdktrace.SpanExporter) Option {
	return optionFunc(func(c *settings.Options) {
		if e != nil {
			c.SpanExporters = append(c.SpanExporters, e)
		}
	})
}

// WithMetricReader adds a metric reader, such as a
// [sdkmetric.NewManualReader] in tests. A nil reader is ignored.
func WithMetricReader(r sdkmetric.Reader) Option {
	return optionFunc(func(c *settings.Options) {
		if r != nil {
			c.MetricReaders = append(c.MetricReaders, r)
		}
	})
}

// WithView adds a metric view (to change a histogram's buckets, drop an
// attribute, rename an instrument). Nil views are ignored.
func WithView(views ...sdkmetric.View) Option {
	return optionFunc(func(c *settings.Options) {
		for _, v := range views {
			if v != nil {
				c.Views = append(c.Views, v)
			}
		}
	})
}

// WithLogProcessor adds a log processor after those of the named exporters.
// A nil processor is ignored.
func WithLogProcessor(p sdklog.Processor) Option {
	return optionFunc(func(c *settings.Options) {
		if p != nil {
			c.LogProcessors = append(c.LogProcessors, p)
		}
	})
}

// WithLogExporter adds a log exporter behind a batch log processor
// configured by the OTEL_BLRP_* variables, whose full queue drops and
// counts as the named exporters' do. A nil exporter is ignored.
func WithLogExporter(e sdklog.Exporter) Option {
	return optionFunc(func(c *settings.Options) {
		if e != nil {
			c.LogExporters = append(c.LogExporters, e)
		}
	})
}

// WithSampler sets the head sampler. It overrides OTEL_TRACES_SAMPLER and
// OTEL_TRACES_SAMPLER_ARG; the default is parentbased_always_on. A nil
// sampler is ignored.
func WithSampler(s sdktrace.Sampler) Option {
	return optionFunc(func(c *settings.Options) {
		if s != nil {
			c.Sampler = s
		}
	})
}

// WithPropagator sets the propagator. It overrides OTEL_PROPAGATORS; the
// default is tracecontext,baggage. A nil propagator is ignored.
func WithPropagator(p propagation.TextMapPropagator) Option {
	return optionFunc(func(c *settings.Options) {
		if p != nil {
			c.Propagator = p
		}
	})
}

// WithLogLevel sets the lowest level [Telemetry.Logger] records. It
// overrides OBSERVE_LOG_LEVEL; the default is [slog.LevelInfo]. A
// [*slog.LevelVar] changes the level at run time. A nil leveler is ignored.
func WithLogLevel(l slog.Leveler) Option {
	return optionFunc(func(c *settings.Options) {
		if l != nil {
			c.LogLevel = l
		}
	})
}

// WithConsoleWriter sets where the console and stdout exporters write; the
// default is standard output. A nil writer is ignored.
func WithConsoleWriter(w io.Writer) Option {
	return optionFunc(func(c *settings.Options) {
		if w != nil {
			c.Console = w
		}
	})
}

// WithErrorWriter sets where the SDK's internal errors (failed exports, a
// stopped /metrics server) are written, at most one line per distinct error
// a minute; the default is standard error. A nil writer is ignored.
func WithErrorWriter(w io.Writer) Option {
	return optionFunc(func(c *settings.Options) {
		if w != nil {
			c.ErrorOut = w
		}
	})
}

// WithLogScope sets the instrumentation scope of the records of
// [Telemetry.Logger], which exporters show as the logger's name; the
// default is the main module's path (such as github.com/acme/shop). The
// access log of the HTTP middleware keeps the scope of package instrument.
// An empty name is ignored.
func WithLogScope(name string) Option {
	return optionFunc(func(c *settings.Options) {
		if name != "" {
			c.LogScope = name
		}
	})
}

// WithSpanExporterWrapper wraps every span exporter chosen by name (otlp, a
// registered name; not the console, which prints spans as they happen) with
// wrap, before it is batched: wrap gets the exporter's name and returns the
// exporter to use, such as one that drops or enriches spans before calling
// the one it was given. The exporter keeps the settings observe read from
// the environment; nothing is read again. A nil function is ignored.
func WithSpanExporterWrapper(wrap func(name string, e sdktrace.SpanExporter) sdktrace.SpanExporter) Option {
	return optionFunc(func(c *settings.Options) {
		if wrap != nil {
			c.WrapSpanExporter = wrap
		}
	})
}

// WithLogExporterWrapper is [WithSpanExporterWrapper] for the log exporters.
func WithLogExporterWrapper(wrap func(name string, e sdklog.Exporter) sdklog.Exporter) Option {
	return optionFunc(func(c *settings.Options) {
		if wrap != nil {
			c.WrapLogExporter = wrap
		}
	})
}

// WithoutRuntimeMetrics turns off the Go runtime and process metrics that
// Configure starts by default (it overrides OBSERVE_RUNTIME_METRICS). Those
// are the runtime instrumentation of OpenTelemetry contrib (go.memory.used,
// go.memory.gc.goal, go.goroutine.count, go.processor.limit, go.config.gogc
// and the rest) and observe's process metrics (process.cpu.time,
// process.memory.usage, process.unix.file_descriptor.count, go.gc.cycles,
// go.gc.pause.time). All are observable: they are read when a reader
// collects, never on a request.
func WithoutRuntimeMetrics() Option {
	return optionFunc(func(c *settings.Options) {
		off := false
		c.RuntimeMetrics = &off
	})
}

// WithTailSampling turns tail sampling on with t's rules: every trace with
// an error or an exception, with a log record at or above t.Level (warn by
// default), or whose local root lasted at least t.Duration is kept whole
// with its log records, and a share t.Rate of the others, chosen from the
// trace id. It overrides OBSERVE_TAIL_SAMPLING_DURATION,
// OBSERVE_TAIL_SAMPLING_LEVEL and OBSERVE_TAIL_SAMPLING_RATE (tail sampling
// is on when any of them is set). The console still shows every span and
// record; exporters get what is kept; metrics are never sampled. The head
// sampler must record every trace the tail sampler may keep: Configure
// refuses an OTEL_TRACES_SAMPLER that drops traces, and a sampler given
// with [WithSampler] is used as it is. See package sampling.
func WithTailSampling(t sampling.Tail) Option {
	return optionFunc(func(c *settings.Options) { c.Tail = &t })
}

// Scrubbing adds to the secret scrubbing that is on by default: see
// [WithScrubbing].
type Scrubbing struct {
	// Patterns are extra regular expressions, matched case-insensitively
	// against attribute keys, map keys, slog group paths, query parameter
	// names and the keys of key=value text, added to the defaults.
	Patterns []string
	// Allow, when set, is called for every match; returning true lets that
	// value through unredacted. It sees the secret, so it must neither log
	// nor keep it, and a mistake in it exports secrets: allow the narrowest
	// match you can (a Path and a Rule), never whole rules. A panic in it
	// redacts.
	Allow func(ScrubMatch) bool
}

// ScrubMatch is a value the scrubber is about to redact.
type ScrubMatch struct {
	// Path locates the value: "attributes.password", "body",
	// "events[0].exception.message", "url.query.api_key"...
	Path string
	// Value is the text that would be redacted.
	Value string
	// Rule is the rule that matched: a default key pattern, "card number",
	// "jwt", "bearer token", "basic credentials", "private key", or
	// "custom pattern N".
	Rule string
}

// WithScrubbing adds patterns and an escape hatch to the scrubbing that is
// on by default; the patterns are added after those of
// OBSERVE_SCRUBBING_PATTERNS. It turns scrubbing on even when
// OBSERVE_SCRUBBING=false.
func WithScrubbing(s Scrubbing) Option {
	return optionFunc(func(c *settings.Options) {
		on := true
		c.Scrubbing = &on
		c.ScrubPatterns = append(c.ScrubPatterns, s.Patterns...)
		if s.Allow != nil {
			allow := s.Allow
			c.ScrubAllow = func(m scrub.Match) bool { return allow(ScrubMatch(m)) }
		}
	})
}

// WithoutScrubbing turns secret scrubbing off (it overrides
// OBSERVE_SCRUBBING). Everything the application records is then exported
// as it is: passwords, tokens and card numbers included.
func WithoutScrubbing() Option {
	return optionFunc(func(c *settings.Options) {
		off := false
		c.Scrubbing = &off
	})
}
