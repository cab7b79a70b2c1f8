package observe

import (
	"errors"
	"fmt"
	"reflect"

	"github.com/prometheus/client_golang/prometheus"
	dto "github.com/prometheus/client_model/go"
	prometheusbridge "go.opentelemetry.io/contrib/bridges/prometheus"
	"go.opentelemetry.io/otel"
	sdkmetric "go.opentelemetry.io/otel/sdk/metric"

	"github.com/observe-go/observe/internal/env"
)

// envMetricsProducers names the metric producers to bridge, as the
// OpenTelemetry specification defines it.
const envMetricsProducers = "OTEL_METRICS_PRODUCERS"

// WithSlogDefault makes [Telemetry.Logger] the default [slog.Logger] with
// [slog.SetDefault], so that slog.Info and the like, and the standard log
// package (log.Printf, at level info), go through it: to the console and
// the exporters, with trace and request ids, above the one level threshold.
// [Telemetry.Shutdown] puts back the default logger and the log package's
// output and flags as they were, unless something else has replaced the
// default since. By default slog's default is left alone. With
// OTEL_SDK_DISABLED=true the option has no effect.
func WithSlogDefault() Option {
	return optionFunc(func(c config) config {
		c.slogDefault = true
		return c
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
	return optionFunc(func(c config) config {
		if g == nil {
			return c
		}
		for _, x := range c.gatherers {
			if sameGatherer(x, g) {
				return c
			}
		}
		c.gatherers = append(c.gatherers, g)
		return c
	})
}

// sameGatherer reports whether a and b are the same comparable gatherer,
// such as one registry given twice.
func sameGatherer(a, b prometheus.Gatherer) bool {
	ta, tb := reflect.TypeOf(a), reflect.TypeOf(b)
	return ta == tb && ta.Comparable() && a == b
}

// metricGatherers returns the gatherers to bridge: those of the options,
// else those OTEL_METRICS_PRODUCERS names.
func metricGatherers(c config, r env.Reader) ([]prometheus.Gatherer, error) {
	if len(c.gatherers) > 0 {
		return c.gatherers, nil
	}
	names, ok, err := r.List(envMetricsProducers)
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
				return nil, &env.Error{Key: envMetricsProducers, Value: fmt.Sprint(names), Err: errors.New("none cannot be combined with other producers")}
			}
		case "opencensus":
			return nil, &env.Error{Key: envMetricsProducers, Value: n, Err: env.ErrUnsupported}
		default:
			return nil, &env.Error{Key: envMetricsProducers, Value: n, Err: errors.New("unknown metric producer; want prometheus or none")}
		}
	}
	return out, nil
}

// metricProducers returns the producer that bridges gatherers, or nothing.
func metricProducers(gatherers []prometheus.Gatherer) []sdkmetric.Producer {
	if len(gatherers) == 0 {
		return nil
	}
	var opts []prometheusbridge.Option
	for _, g := range gatherers {
		opts = append(opts, prometheusbridge.WithGatherer(partialGatherer{g}))
	}
	return []sdkmetric.Producer{prometheusbridge.NewMetricProducer(opts...)}
}

// partialGatherer returns what its gatherer could gather even when it also
// reports an error, which goes to otel.Handle. The bridge would otherwise
// drop everything the gatherer returned with the error.
type partialGatherer struct{ g prometheus.Gatherer }

func (p partialGatherer) Gather() ([]*dto.MetricFamily, error) {
	mfs, err := p.g.Gather()
	if err != nil && len(mfs) > 0 {
		otel.Handle(fmt.Errorf("observe: prometheus bridge: %w", err))
		err = nil
	}
	return mfs, err
}
