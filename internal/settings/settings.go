// Package settings resolves observe's configuration once: the options given
// in code, then the environment, then the defaults, into one [Settings]
// value that every builder takes. No other package reads the environment
// behind it.
package settings

import (
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"os"
	"reflect"
	"regexp"
	"runtime/debug"
	"strconv"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/propagation"
	sdklog "go.opentelemetry.io/otel/sdk/log"
	sdkmetric "go.opentelemetry.io/otel/sdk/metric"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"

	"github.com/observe-go/observe/internal/env"
	"github.com/observe-go/observe/internal/scrub"
	"github.com/observe-go/observe/sampling"
)

// Options is what the code says: the fields observe's options set. A zero
// field leaves the choice to the environment or the default.
type Options struct {
	Lookup env.Lookup

	ServiceName, ServiceVersion, Environment string
	ResourceAttrs                            []attribute.KeyValue

	NoGlobals bool

	TracesExporters, MetricsExporters, LogsExporters []string

	SpanProcessors []sdktrace.SpanProcessor
	SpanExporters  []sdktrace.SpanExporter
	MetricReaders  []sdkmetric.Reader
	LogProcessors  []sdklog.Processor
	LogExporters   []sdklog.Exporter
	Views          []sdkmetric.View

	// WrapSpanExporter and WrapLogExporter, when set, wrap every span or
	// log exporter chosen by name before it is batched.
	WrapSpanExporter func(name string, e sdktrace.SpanExporter) sdktrace.SpanExporter
	WrapLogExporter  func(name string, e sdklog.Exporter) sdklog.Exporter

	Sampler sdktrace.Sampler
	// Tail, when not nil, is the tail sampling of WithTailSampling.
	Tail       *sampling.Tail
	Propagator propagation.TextMapPropagator
	LogLevel   slog.Leveler
	// LogScope is the instrumentation scope of the application's records.
	LogScope string

	Console  io.Writer
	ErrorOut io.Writer

	SlogDefault bool
	Gatherers   []prometheus.Gatherer

	ExcludedURLs []*regexp.Regexp
	// RuntimeMetrics, when not nil, overrides OBSERVE_RUNTIME_METRICS.
	RuntimeMetrics *bool

	// Scrubbing, when not nil, overrides OBSERVE_SCRUBBING.
	Scrubbing *bool
	// ScrubPatterns are extra key patterns given in code, added after
	// those of OBSERVE_SCRUBBING_PATTERNS.
	ScrubPatterns []string
	// ScrubAllow may let a match through.
	ScrubAllow func(scrub.Match) bool
}

// Settings is the resolved configuration: the options, with every choice
// they left open filled from the environment or the defaults.
type Settings struct {
	Options

	// Disabled is OTEL_SDK_DISABLED.
	Disabled bool

	// Resource holds the attributes of the resource, highest precedence
	// last; the detected ones (host, process...) go underneath.
	Resource []attribute.KeyValue

	// Traces, Metrics and Logs are the exporter names in effect.
	Traces, Metrics, Logs []string
	// OTLP holds the settings of each signal's OTLP exporter, in the order
	// of env.OTLPSignals.
	OTLP [3]env.OTLP

	BatchSpan []sdktrace.BatchSpanProcessorOption
	BatchLog  []sdklog.BatchProcessorOption
	// SpanQueue and LogQueue are the batch processors' queue sizes.
	SpanQueue, LogQueue int
	Periodic            []sdkmetric.PeriodicReaderOption

	// Scrub says whether scrubbing is on; Scrubber is then the engine,
	// with the extra patterns of the variable and the options.
	Scrub    bool
	Scrubber *scrub.Scrubber

	// TailOn says whether tail sampling is on, by TailSampling (the option's,
	// else the variables').
	TailOn       bool
	TailSampling sampling.Tail

	// ConsoleJSON asks the console for JSON lines; ConsoleColor for colour.
	ConsoleJSON, ConsoleColor bool
	// PrometheusAddr is where the prometheus exporter listens.
	PrometheusAddr string

	// ExcludedURLs (in Options) is completed by OBSERVE_HTTP_EXCLUDED_URLS.
}

// Signal names one of the three signals.
type Signal int

// The signals.
const (
	Traces Signal = iota
	Metrics
	Logs
)

func (s Signal) String() string { return [...]string{"traces", "metrics", "logs"}[s] }

// Known reports whether an exporter name is valid for a signal: built in or
// registered.
type Known func(sig Signal, name string) bool

// Resolve fills o's open choices from the environment (read through
// o.Lookup) and the defaults. Every bad value is reported in one joined
// error, each once, each naming its variable or option; secrets are never
// shown.
func Resolve(o Options, known Known) (Settings, error) {
	if o.Lookup == nil {
		o.Lookup = os.LookupEnv
	}
	r := env.New(o.Lookup)
	s := Settings{Options: o}
	var errs []error
	add := func(err error) {
		if err != nil {
			errs = append(errs, err)
		}
	}

	disabled, _, err := r.Bool(env.SDKDisabled)
	if disabled {
		// The specification asks for every other variable to be ignored.
		s.Disabled = true
		return s, nil
	}
	add(err)

	s.Resource, err = resourceAttrs(o, r)
	add(err)

	if s.Propagator == nil {
		s.Propagator, err = propagatorFromEnv(r)
		add(err)
	}
	if s.Sampler == nil {
		s.Sampler, err = sampling.HeadFromEnv(o.Lookup)
		add(err)
	}
	if o.Tail != nil {
		s.TailOn, s.TailSampling = true, *o.Tail
		if err := s.TailSampling.Validate(); err != nil {
			add(fmt.Errorf("WithTailSampling: %w", err))
		}
	} else {
		s.TailSampling, s.TailOn, err = sampling.TailFromEnv(o.Lookup)
		add(err)
	}
	if s.TailOn && o.Sampler == nil {
		add(headStarvesTail(r))
	}
	if s.LogLevel == nil {
		var l slog.Level
		l, _, err = r.Level(env.ObserveLogLevel)
		add(err)
		s.LogLevel = l
	}
	if s.LogScope == "" {
		s.LogScope = mainModulePath()
	}
	excluded, err := r.Regexps(env.ObserveHTTPExcludedURLs)
	add(err)
	s.ExcludedURLs = append(excluded, o.ExcludedURLs...)
	s.Scrub = true
	if o.Scrubbing != nil {
		s.Scrub = *o.Scrubbing
	} else if on, set, err := r.Bool(env.ObserveScrubbing); err != nil {
		add(err)
	} else if set {
		s.Scrub = on
	}
	if s.Scrub {
		var patterns []*regexp.Regexp
		if v, ok := r.Get(env.ObserveScrubbingPatterns); ok {
			var err error
			if patterns, err = scrub.ParsePatterns(v); err != nil {
				add(&env.Error{Key: env.ObserveScrubbingPatterns, Value: v, Err: err})
			}
		}
		for i, p := range o.ScrubPatterns {
			re, err := regexp.Compile("(?i)" + p)
			if err != nil {
				add(fmt.Errorf("WithScrubbing: pattern %d (%q) is not a valid regular expression", i+1, p))
				continue
			}
			patterns = append(patterns, re)
		}
		s.Scrubber = scrub.New(scrub.Options{Patterns: patterns, Allow: o.ScrubAllow})
	}
	if s.RuntimeMetrics == nil {
		on, set, err := r.Bool(env.ObserveRuntimeMetrics)
		add(err)
		on = on || !set
		s.RuntimeMetrics = &on
	}
	s.Gatherers, err = gatherers(o, r)
	add(err)

	s.Traces, err = exporterNames(r, o.TracesExporters, env.TracesExporter, Traces, known)
	add(err)
	s.Metrics, err = exporterNames(r, o.MetricsExporters, env.MetricsExporter, Metrics, known)
	add(err)
	s.Logs, err = exporterNames(r, o.LogsExporters, env.LogsExporter, Logs, known)
	add(err)
	s.OTLP, err = r.OTLP()
	add(err)
	s.BatchSpan, s.SpanQueue, err = batchSpanOptions(r)
	add(err)
	s.BatchLog, s.LogQueue, err = batchLogOptions(r)
	add(err)
	s.Periodic, err = periodicOptions(r)
	add(err)
	format, _, err := r.OneOf(env.ObserveConsoleFormat, "pretty", "json")
	add(err)
	s.ConsoleJSON = format == "json"
	if s.Console == nil {
		s.Console = os.Stdout
	}
	s.ConsoleColor = !s.ConsoleJSON && useColor(r, s.Console)
	s.PrometheusAddr, err = prometheusAddr(r)
	add(err)
	if s.ErrorOut == nil {
		s.ErrorOut = os.Stderr
	}

	if len(errs) > 0 {
		return Settings{}, fmt.Errorf("observe: %w", errors.Join(errs...))
	}
	return s, nil
}

// headStarvesTail refuses a head sampler from the environment that drops
// traces before the tail sampler can see them: tail sampling needs every
// trace recorded.
func headStarvesTail(r env.Reader) error {
	name, ok := r.Get(env.TracesSampler)
	if !ok || name == "always_on" || name == "parentbased_always_on" {
		return nil
	}
	return &env.Error{Key: env.TracesSampler, Value: name, Err: errors.New("tail sampling (OBSERVE_TAIL_SAMPLING_* or WithTailSampling) needs every trace recorded, and this head sampler drops traces before the tail sampler sees them; unset it or use parentbased_always_on, and give the share to keep as OBSERVE_TAIL_SAMPLING_RATE")}
}

// exporterNames resolves the exporter names of one signal: the option's,
// else the variable's, else the default (otlp when an OTLP endpoint is set;
// otherwise console for traces and logs, none for metrics).
func exporterNames(r env.Reader, fromCode []string, key string, sig Signal, known Known) ([]string, error) {
	names, source := fromCode, "option"
	if names == nil {
		var ok bool
		var err error
		names, ok, err = r.List(key)
		if err != nil {
			return nil, err
		}
		source = key
		if !ok {
			switch {
			case r.OTLPEndpointSet(sig.String()):
				return []string{"otlp"}, nil
			case sig == Metrics:
				return []string{"none"}, nil
			default:
				return []string{"console"}, nil
			}
		}
	}
	seen := map[string]bool{}
	var out []string
	for _, n := range names {
		if seen[n] {
			continue
		}
		seen[n] = true
		if !known(sig, n) {
			return nil, &env.Error{Key: source, Value: n, Err: fmt.Errorf("unknown %s exporter; want %s or a registered name", sig, builtinNames(sig))}
		}
		out = append(out, n)
	}
	if len(out) == 0 {
		return nil, &env.Error{Key: source, Value: "", Err: fmt.Errorf("no %s exporter named; use none to export nothing", sig)}
	}
	if seen["none"] && len(out) > 1 {
		return nil, &env.Error{Key: source, Value: fmt.Sprint(out), Err: errors.New("none cannot be combined with other exporters")}
	}
	return out, nil
}

func builtinNames(sig Signal) string {
	if sig == Metrics {
		return "otlp, prometheus, console, stdout or none"
	}
	return "otlp, console, stdout or none"
}

// batchSettings are the OTEL_BSP_* or OTEL_BLRP_* values that are set.
type batchSettings struct {
	delay, timeout                           time.Duration
	queue, batch                             int
	delaySet, timeoutSet, queueSet, batchSet bool
}

// readBatch reads one processor's four variables: schedule delay, export
// timeout, queue size and batch size (which may not exceed the queue).
func readBatch(r env.Reader, delayKey, timeoutKey, queueKey, batchKey string) (batchSettings, error) {
	var s batchSettings
	var errs []error
	var err error
	if s.delay, s.delaySet, err = r.Millis(delayKey); err != nil {
		errs = append(errs, err)
	}
	if s.timeout, s.timeoutSet, err = r.Millis(timeoutKey); err != nil {
		errs = append(errs, err)
	}
	if s.queue, s.queueSet, err = r.PositiveInt(queueKey); err != nil {
		errs = append(errs, err)
	}
	if s.batch, s.batchSet, err = r.PositiveInt(batchKey); err != nil {
		errs = append(errs, err)
	}
	queue, batch := defaultQueue, defaultBatch
	if s.queueSet {
		queue = s.queue
	}
	if s.batchSet {
		batch = s.batch
	}
	if batch > queue && len(errs) == 0 {
		errs = append(errs, &env.Error{Key: batchKey, Value: strconv.Itoa(batch), Err: fmt.Errorf("larger than the queue (%s=%d)", queueKey, queue)})
	}
	return s, errors.Join(errs...)
}

// queueSize is the queue size in effect: the variable's, else the
// specification's default.
func (s batchSettings) queueSize() int {
	if s.queueSet {
		return s.queue
	}
	return defaultQueue
}

// The specification's defaults, for both processors.
const defaultQueue, defaultBatch = 2048, 512

// Every value is passed to the SDK as an option, the specification's
// default included: the SDK would otherwise read the variable from the
// process environment itself, behind WithEnvLookup.

// or returns v when set, else def.
func or[T any](v T, set bool, def T) T {
	if set {
		return v
	}
	return def
}

func batchSpanOptions(r env.Reader) ([]sdktrace.BatchSpanProcessorOption, int, error) {
	s, err := readBatch(r, env.BSPScheduleDelay, env.BSPExportTimeout, env.BSPMaxQueueSize, env.BSPMaxExportBatchSize)
	opts := []sdktrace.BatchSpanProcessorOption{
		sdktrace.WithBatchTimeout(or(s.delay, s.delaySet, 5*time.Second)),
		sdktrace.WithExportTimeout(or(s.timeout, s.timeoutSet, 30*time.Second)),
		sdktrace.WithMaxQueueSize(s.queueSize()),
		sdktrace.WithMaxExportBatchSize(or(s.batch, s.batchSet, defaultBatch)),
	}
	return opts, s.queueSize(), err
}

func batchLogOptions(r env.Reader) ([]sdklog.BatchProcessorOption, int, error) {
	s, err := readBatch(r, env.BLRPScheduleDelay, env.BLRPExportTimeout, env.BLRPMaxQueueSize, env.BLRPMaxExportBatchSize)
	opts := []sdklog.BatchProcessorOption{
		sdklog.WithExportInterval(or(s.delay, s.delaySet, time.Second)),
		sdklog.WithExportTimeout(or(s.timeout, s.timeoutSet, 30*time.Second)),
		sdklog.WithMaxQueueSize(s.queueSize()),
		sdklog.WithExportMaxBatchSize(or(s.batch, s.batchSet, defaultBatch)),
	}
	return opts, s.queueSize(), err
}

func periodicOptions(r env.Reader) ([]sdkmetric.PeriodicReaderOption, error) {
	var opts []sdkmetric.PeriodicReaderOption
	var errs []error
	for _, v := range []struct {
		key string
		opt func(time.Duration) sdkmetric.PeriodicReaderOption
		def time.Duration
	}{
		{env.MetricExportInterval, sdkmetric.WithInterval, time.Minute},
		{env.MetricExportTimeout, sdkmetric.WithTimeout, 30 * time.Second},
	} {
		d, ok, err := r.Millis(v.key)
		switch {
		case err != nil:
			errs = append(errs, err)
		case ok && d == 0:
			errs = append(errs, &env.Error{Key: v.key, Value: "0", Err: errors.New("want at least 1 ms")})
		default:
			opts = append(opts, v.opt(or(d, ok, v.def)))
		}
	}
	return opts, errors.Join(errs...)
}

func prometheusAddr(r env.Reader) (string, error) {
	host, ok := r.Get(env.PrometheusHost)
	if !ok {
		host = "localhost"
	}
	port := 9464
	if n, ok, err := r.Port(env.PrometheusPort); err != nil {
		return "", err
	} else if ok {
		port = n
	}
	return net.JoinHostPort(host, strconv.Itoa(port)), nil
}

// useColor reports whether the console may colour its output: only on a
// terminal, and never when NO_COLOR is set to a non-empty value.
func useColor(r env.Reader, w io.Writer) bool {
	if v, ok := r.Raw(env.NoColor); ok && v != "" {
		return false
	}
	f, ok := w.(*os.File)
	if !ok {
		return false
	}
	st, err := f.Stat()
	return err == nil && st.Mode()&os.ModeCharDevice != 0
}

// gatherers returns the client_golang gatherers to bridge: those of the
// options, else those OTEL_METRICS_PRODUCERS names.
func gatherers(o Options, r env.Reader) ([]prometheus.Gatherer, error) {
	if len(o.Gatherers) > 0 {
		return o.Gatherers, nil
	}
	names, ok, err := r.List(env.MetricsProducers)
	if err != nil || !ok {
		return nil, err
	}
	var out []prometheus.Gatherer
	for _, n := range names {
		switch n {
		case "prometheus":
			out = append(out, prometheus.DefaultGatherer)
		case "none":
			if len(names) > 1 {
				return nil, &env.Error{Key: env.MetricsProducers, Value: fmt.Sprint(names), Err: errors.New("none cannot be combined with other producers")}
			}
		case "opencensus":
			return nil, &env.Error{Key: env.MetricsProducers, Value: n, Err: env.ErrUnsupported}
		default:
			return nil, &env.Error{Key: env.MetricsProducers, Value: n, Err: errors.New("unknown metric producer; want prometheus or none")}
		}
	}
	return out, nil
}

// SameGatherer reports whether a and b are the same comparable gatherer,
// such as one registry given twice.
func SameGatherer(a, b prometheus.Gatherer) bool {
	ta, tb := reflect.TypeOf(a), reflect.TypeOf(b)
	return ta == tb && ta.Comparable() && a == b
}

// mainModulePath is the path of the main module, the default scope of the
// application's own log records.
func mainModulePath() string {
	if bi, ok := debug.ReadBuildInfo(); ok && bi.Main.Path != "" {
		return bi.Main.Path
	}
	return "main"
}
