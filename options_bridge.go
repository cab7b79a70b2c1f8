package observe

import (
	"github.com/prometheus/client_golang/prometheus"

	"github.com/observe-go/observe/internal/settings"
)

// WithSlogDefault makes [Telemetry.Logger] the default [slog.Logger] with
// [slog.SetDefault], so that slog.Info and the like, and the standard log
// package (log.Printf, at level info), go through it: to the console and
// the exporters, with trace and request ids, above the one level threshold.
// [Telemetry.Shutdown] puts back the default logger and the log package's
// output and flags as they were, unless something else has replaced the
// default since. By default slog's default is left alone. With
// OTEL_SDK_DISABLED=true the option has no effect.
func WithSlogDefault() Option {
	return optionFunc(func(c *settings.Options) {
		c.SlogDefault = true
	})
}

// WithPrometheusBridge exports the metrics of a client_golang gatherer (a
// [*prometheus.Registry], or [prometheus.DefaultGatherer]) with the
// OpenTelemetry ones: over OTLP and the console through the contrib
// Prometheus bridge, and in [Telemetry.MetricsHandler] next to them. Several
// calls add several gatherers; a nil gatherer is ignored. The option
// overrides OTEL_METRICS_PRODUCERS, whose value prometheus bridges
// [prometheus.DefaultGatherer]; by default nothing is bridged.
//
// How the metrics travel:
//
//   - Over OTLP (and the console and stdout exporters) the metrics keep
//     their client_golang names (a counter stays jobs_processed_total), in
//     the instrumentation scope go.opentelemetry.io/contrib/bridges/prometheus,
//     read at each export of the periodic readers. Readers given by
//     [WithMetricReader] or registered by name are not fed: give them
//     [sdkmetric.WithProducer] yourself.
//   - Counters become monotonic cumulative sums, gauges and untyped metrics
//     gauges, classic histograms explicit-bucket histograms, native
//     histograms exponential histograms, and summaries OpenTelemetry
//     summaries (count, sum and quantiles), all as float64.
//   - What the bridge drops: gauge histograms (reported to the error
//     handler), the unit and other metadata beyond the name and help text,
//     and the exemplars of native histograms. Counter and histogram
//     exemplars are kept.
//   - MetricsHandler serves the gatherer's exposition as it is, after the
//     OpenTelemetry metrics, so summaries keep their quantiles there too.
//     Each name appears once: a client_golang metric whose name an
//     OpenTelemetry metric already uses with another type or help text is
//     left out of the exposition and reported to the error handler.
//   - A gatherer error never loses the rest: what could be gathered is
//     exported and served, and the error goes to the error handler.
func WithPrometheusBridge(g prometheus.Gatherer) Option {
	return optionFunc(func(c *settings.Options) {
		if g == nil {
			return
		}
		for _, x := range c.Gatherers {
			if settings.SameGatherer(x, g) {
				return
			}
		}
		c.Gatherers = append(c.Gatherers, g)
	})
}
