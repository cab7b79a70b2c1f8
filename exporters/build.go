package exporters

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"strconv"
	"strings"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/promhttp"
	"go.opentelemetry.io/otel"
	promexporter "go.opentelemetry.io/otel/exporters/prometheus"
	sdklog "go.opentelemetry.io/otel/sdk/log"
	sdkmetric "go.opentelemetry.io/otel/sdk/metric"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"

	"github.com/observe-go/observe/exporters/console"
	"github.com/observe-go/observe/internal/env"
)

// Config says which exporters [Build] makes. The zero value reads
// everything from the process environment and writes the console to
// standard output.
type Config struct {
	// Lookup reads the environment; nil reads the process environment.
	Lookup Lookup
	// Traces, Metrics and Logs name the exporters of each signal. A nil
	// slice reads OTEL_TRACES_EXPORTER, OTEL_METRICS_EXPORTER or
	// OTEL_LOGS_EXPORTER, and falls back on the defaults.
	Traces, Metrics, Logs []string
	// Console is where the console and stdout exporters write; nil is
	// [os.Stdout].
	Console io.Writer
	// Producers are given to every periodic reader Build makes (otlp,
	// console, stdout), which export their metrics with the SDK's. Readers
	// of registered names, and the reader behind [Pipelines.MetricsHandler],
	// do not get them.
	Producers []sdkmetric.Producer
	// Gatherers are served by [Pipelines.MetricsHandler] (and the
	// prometheus exporter's own port) after the SDK's metrics, merged with
	// them by [prometheus.Gatherers]: a name appears once, and a metric that
	// conflicts with one already gathered is left out and reported to
	// [otel.Handle].
	Gatherers []prometheus.Gatherer
}

// Pipelines holds the processors and readers that [Build] made, ready to be
// given to the SDK's providers, which then own them.
type Pipelines struct {
	SpanProcessors []sdktrace.SpanProcessor
	MetricReaders  []sdkmetric.Reader
	LogProcessors  []sdklog.Processor

	// Traces, Metrics and Logs are the exporter names in effect.
	Traces, Metrics, Logs []string

	// LogsPrinted is true when a log processor writes each record as it is
	// emitted (console, stdout), so that its order among the spans shows.
	LogsPrinted bool

	// BatchSpanOptions are the OTEL_BSP_* settings, for span exporters added
	// by other means.
	BatchSpanOptions []sdktrace.BatchSpanProcessorOption

	// PrometheusAddr is the address the prometheus exporter listens on, or
	// nil when it is not in use.
	PrometheusAddr net.Addr

	registry *prometheus.Registry
	handler  http.Handler
}

// MetricsHandler serves the Prometheus exposition of every metric recorded
// through a MeterProvider that has p's readers, whichever exporters are in
// use.
func (p *Pipelines) MetricsHandler() http.Handler { return p.handler }

// Registry is the private Prometheus registry behind [Pipelines.MetricsHandler].
func (p *Pipelines) Registry() *prometheus.Registry { return p.registry }

// Shutdown shuts down every processor and reader. Use it only when the
// pipelines were not handed to providers, whose own Shutdown does this.
func (p *Pipelines) Shutdown(ctx context.Context) error {
	var errs []error
	for _, sp := range p.SpanProcessors {
		errs = append(errs, sp.Shutdown(ctx))
	}
	for _, r := range p.MetricReaders {
		err := r.Shutdown(ctx)
		if !errors.Is(err, sdkmetric.ErrReaderNotRegistered) {
			errs = append(errs, err)
		}
	}
	for _, lp := range p.LogProcessors {
		errs = append(errs, lp.Shutdown(ctx))
	}
	return errors.Join(errs...)
}

// Names valid for each signal, besides registered ones.
var (
	traceNames  = []string{"otlp", "console", "stdout", "none"}
	metricNames = []string{"otlp", "prometheus", "console", "stdout", "none"}
	logNames    = []string{"otlp", "console", "stdout", "none"}
)

// Build makes the exporters the configuration and environment ask for.
//
// Exporter names per signal come from cfg, else from OTEL_TRACES_EXPORTER,
// OTEL_METRICS_EXPORTER and OTEL_LOGS_EXPORTER (comma-separated lists),
// else from the defaults: traces and logs go to otlp when an OTLP endpoint
// is set and to console otherwise; metrics go to otlp when an endpoint is set
// and nowhere otherwise. Whatever the names, a Prometheus reader on a private
// registry backs [Pipelines.MetricsHandler].
//
// Every bad value is reported, each naming its variable, and whatever was
// made before the error is shut down.
func Build(ctx context.Context, cfg Config) (_ *Pipelines, err error) {
	r := env.New(cfg.Lookup)
	p := &Pipelines{}
	defer func() {
		if err != nil {
			err = errors.Join(err, p.Shutdown(ctx))
		}
	}()

	var errs []error
	collect := func(e error) {
		if e != nil {
			errs = append(errs, e)
		}
	}
	p.Traces, err = signalNames(r, cfg.Traces, env.TracesExporter, "traces", tracesSignal, traceNames, registered(registry.spans))
	collect(err)
	p.Metrics, err = signalNames(r, cfg.Metrics, env.MetricsExporter, "metrics", metricsSignal, metricNames, registered(registry.metrics))
	collect(err)
	p.Logs, err = signalNames(r, cfg.Logs, env.LogsExporter, "logs", logsSignal, logNames, registered(registry.logs))
	collect(err)

	otlp := map[string]OTLPSettings{}
	for _, sig := range []signal{tracesSignal, metricsSignal, logsSignal} {
		s, err := readOTLP(r, sig)
		collect(err)
		otlp[sig.lower] = s
	}
	bsp, err := batchSpanOptions(r)
	collect(err)
	p.BatchSpanOptions = bsp
	blrp, err := batchLogOptions(r)
	collect(err)
	periodic, err := periodicOptions(r)
	collect(err)
	for _, pr := range cfg.Producers {
		if pr != nil {
			periodic = append(periodic, sdkmetric.WithProducer(pr))
		}
	}
	format, _, err := r.OneOf(env.ObserveConsoleFormat, "pretty", "json")
	collect(err)
	promAddr, err := prometheusAddr(r)
	collect(err)
	if len(errs) > 0 {
		return nil, errors.Join(errs...)
	}

	out := cfg.Console
	if out == nil {
		out = os.Stdout
	}
	consoles := map[string]*console.Console{}
	getConsole := func(name string) *console.Console {
		f := console.FormatPretty
		if name == "stdout" || format == "json" {
			f = console.FormatJSON
		}
		key := "pretty"
		if f == console.FormatJSON {
			key = "json"
		}
		if c, ok := consoles[key]; ok {
			return c
		}
		c := console.New(out, console.WithFormat(f), console.WithColor(f == console.FormatPretty && useColor(r, out)))
		consoles[key] = c
		return c
	}

	for _, name := range p.Traces {
		switch name {
		case "none":
		case "console", "stdout":
			p.SpanProcessors = append(p.SpanProcessors, getConsole(name).SpanProcessor())
		case "otlp":
			exp, err := newOTLPSpanExporter(ctx, otlp["traces"])
			if err != nil {
				return nil, fmt.Errorf("traces exporter otlp: %w", err)
			}
			p.SpanProcessors = append(p.SpanProcessors, sdktrace.NewBatchSpanProcessor(exp, bsp...))
		default:
			f, _ := lookupFactory(registry.spans, name)
			exp, err := f(ctx, r.Lookup())
			if err != nil {
				return nil, fmt.Errorf("traces exporter %s: %w", name, err)
			}
			p.SpanProcessors = append(p.SpanProcessors, sdktrace.NewBatchSpanProcessor(exp, bsp...))
		}
	}

	for _, name := range p.Logs {
		switch name {
		case "none":
		case "console", "stdout":
			p.LogProcessors = append(p.LogProcessors, getConsole(name).LogProcessor())
			p.LogsPrinted = true
		case "otlp":
			exp, err := newOTLPLogExporter(ctx, otlp["logs"])
			if err != nil {
				return nil, fmt.Errorf("logs exporter otlp: %w", err)
			}
			p.LogProcessors = append(p.LogProcessors, sdklog.NewBatchProcessor(exp, blrp...))
		default:
			f, _ := lookupFactory(registry.logs, name)
			exp, err := f(ctx, r.Lookup())
			if err != nil {
				return nil, fmt.Errorf("logs exporter %s: %w", name, err)
			}
			p.LogProcessors = append(p.LogProcessors, sdklog.NewBatchProcessor(exp, blrp...))
		}
	}

	// The private registry behind MetricsHandler is always there; the
	// prometheus exporter name also serves it on its own address.
	p.registry = prometheus.NewRegistry()
	promReader, err := promexporter.New(promexporter.WithRegisterer(p.registry))
	if err != nil {
		return nil, fmt.Errorf("prometheus exporter: %w", err)
	}
	p.handler = metricsHandler(p.registry, cfg.Gatherers)
	var metricsReader sdkmetric.Reader = promReader
	for _, name := range p.Metrics {
		switch name {
		case "none":
		case "prometheus":
			rs, err := serveMetrics(promReader, p.handler, promAddr)
			if err != nil {
				_ = promReader.Shutdown(ctx)
				return nil, err
			}
			p.PrometheusAddr = rs.addr
			metricsReader = rs
		case "console", "stdout":
			p.MetricReaders = append(p.MetricReaders, sdkmetric.NewPeriodicReader(getConsole(name).MetricExporter(), periodic...))
		case "otlp":
			exp, err := newOTLPMetricExporter(ctx, otlp["metrics"])
			if err != nil {
				_ = promReader.Shutdown(ctx)
				return nil, fmt.Errorf("metrics exporter otlp: %w", err)
			}
			p.MetricReaders = append(p.MetricReaders, sdkmetric.NewPeriodicReader(exp, periodic...))
		default:
			f, _ := lookupFactory(registry.metrics, name)
			rd, err := f(ctx, r.Lookup())
			if err != nil {
				_ = promReader.Shutdown(ctx)
				return nil, fmt.Errorf("metrics exporter %s: %w", name, err)
			}
			p.MetricReaders = append(p.MetricReaders, rd)
		}
	}
	p.MetricReaders = append(p.MetricReaders, metricsReader)
	return p, nil
}

func registered[F any](m map[string]F) func(string) bool {
	return func(name string) bool {
		_, ok := lookupFactory(m, name)
		return ok
	}
}

// signalNames resolves the exporter names of one signal.
func signalNames(r env.Reader, fromCode []string, key, signalName string, sig signal, valid []string, isRegistered func(string) bool) ([]string, error) {
	names, source := fromCode, "option"
	if names == nil {
		var err error
		var ok bool
		names, ok, err = r.List(key)
		if err != nil {
			return nil, err
		}
		source = key
		if !ok {
			switch {
			case endpointSet(r, sig):
				return []string{"otlp"}, nil
			case signalName == "metrics":
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
		if !contains(valid, n) && !isRegistered(n) {
			return nil, &env.Error{Key: source, Value: n, Err: fmt.Errorf("unknown %s exporter; want one of %v or a registered name", signalName, valid)}
		}
		out = append(out, n)
	}
	if len(out) == 0 {
		return nil, &env.Error{Key: source, Value: "", Err: fmt.Errorf("no %s exporter named; use none to export nothing", signalName)}
	}
	if seen["none"] && len(out) > 1 {
		return nil, &env.Error{Key: source, Value: fmt.Sprint(out), Err: errors.New("none cannot be combined with other exporters")}
	}
	return out, nil
}

func contains(l []string, s string) bool {
	for _, x := range l {
		if x == s {
			return true
		}
	}
	return false
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
	queue, batch := 2048, 512 // the specification's defaults, for both processors
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

func batchSpanOptions(r env.Reader) ([]sdktrace.BatchSpanProcessorOption, error) {
	s, err := readBatch(r, env.BSPScheduleDelay, env.BSPExportTimeout, env.BSPMaxQueueSize, env.BSPMaxExportBatchSize)
	var opts []sdktrace.BatchSpanProcessorOption
	if s.delaySet {
		opts = append(opts, sdktrace.WithBatchTimeout(s.delay))
	}
	if s.timeoutSet {
		opts = append(opts, sdktrace.WithExportTimeout(s.timeout))
	}
	if s.queueSet {
		opts = append(opts, sdktrace.WithMaxQueueSize(s.queue))
	}
	if s.batchSet {
		opts = append(opts, sdktrace.WithMaxExportBatchSize(s.batch))
	}
	return opts, err
}

func batchLogOptions(r env.Reader) ([]sdklog.BatchProcessorOption, error) {
	s, err := readBatch(r, env.BLRPScheduleDelay, env.BLRPExportTimeout, env.BLRPMaxQueueSize, env.BLRPMaxExportBatchSize)
	var opts []sdklog.BatchProcessorOption
	if s.delaySet {
		opts = append(opts, sdklog.WithExportInterval(s.delay))
	}
	if s.timeoutSet {
		opts = append(opts, sdklog.WithExportTimeout(s.timeout))
	}
	if s.queueSet {
		opts = append(opts, sdklog.WithMaxQueueSize(s.queue))
	}
	if s.batchSet {
		opts = append(opts, sdklog.WithExportMaxBatchSize(s.batch))
	}
	return opts, err
}

func periodicOptions(r env.Reader) ([]sdkmetric.PeriodicReaderOption, error) {
	var opts []sdkmetric.PeriodicReaderOption
	var errs []error
	for _, v := range []struct {
		key string
		opt func(time.Duration) sdkmetric.PeriodicReaderOption
	}{
		{env.MetricExportInterval, sdkmetric.WithInterval},
		{env.MetricExportTimeout, sdkmetric.WithTimeout},
	} {
		d, ok, err := r.Millis(v.key)
		switch {
		case err != nil:
			errs = append(errs, err)
		case ok && d == 0:
			errs = append(errs, &env.Error{Key: v.key, Value: "0", Err: errors.New("want at least 1 ms")})
		case ok:
			opts = append(opts, v.opt(d))
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
