package sinks

import (
	"fmt"

	"github.com/prometheus/client_golang/prometheus"
	dto "github.com/prometheus/client_model/go"
	prometheusbridge "go.opentelemetry.io/contrib/bridges/prometheus"
	"go.opentelemetry.io/otel"
	sdkmetric "go.opentelemetry.io/otel/sdk/metric"
)

// newProducer returns the producer that bridges gatherers into the
// periodic readers, or nil when there are none.
func newProducer(gatherers []prometheus.Gatherer) sdkmetric.Producer {
	if len(gatherers) == 0 {
		return nil
	}
	var opts []prometheusbridge.Option
	for _, g := range gatherers {
		opts = append(opts, prometheusbridge.WithGatherer(partialGatherer{g}))
	}
	return prometheusbridge.NewMetricProducer(opts...)
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
