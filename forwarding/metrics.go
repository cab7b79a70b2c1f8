package forwarding

import (
	"go.opentelemetry.io/otel"
	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/metric"
	"go.opentelemetry.io/otel/metric/noop"
)

const scopeName = "github.com/observe-go/observe/forwarding"

// outcome is how a request ended, for the requests counter.
type outcome uint8

const (
	outForwarded outcome = iota // the backend's 2xx answer was passed on
	outRefused                  // the backend's 400/413/415/429/503 was passed on
	outFailed                   // the backend failed or answered otherwise: 502
	outRejected                 // refused by the handler's own checks
	outCanceled                 // the client went away or its body broke off
	outPreflight                // a CORS preflight was answered
	numOutcomes
)

var outcomeNames = [numOutcomes]string{"forwarded", "refused", "failed", "rejected", "canceled", "preflight"}

// reason is why the handler refused a request, for the rejections counter.
type reason uint8

const (
	reasonNotConfigured reason = iota
	reasonBadPath
	reasonNotFound
	reasonMethod
	reasonOrigin
	reasonPreflight
	reasonUnauthorized
	reasonContentType
	reasonContentEncoding
	reasonTooLarge
	reasonInFlight
	numReasons
)

var reasonNames = [numReasons]string{
	"not_configured", "bad_path", "not_found", "method", "origin", "preflight",
	"unauthorized", "content_type", "content_encoding", "body_too_large", "too_many_requests",
}

// metrics holds the handler's instruments and, precomputed, every attribute
// set they are recorded with, so that recording allocates nothing.
type metrics struct {
	requests   metric.Int64Counter
	bytes      metric.Int64Counter
	rejections metric.Int64Counter

	requestOpts   [numSignals + 1][numOutcomes][]metric.AddOption
	bytesOpts     [numSignals][]metric.AddOption
	rejectionOpts [numReasons][]metric.AddOption
}

func newMetrics(mp metric.MeterProvider) *metrics {
	if mp == nil {
		mp = otel.GetMeterProvider()
	}
	meter := mp.Meter(scopeName, metric.WithInstrumentationVersion(version()))
	m := &metrics{}
	var err error
	if m.requests, err = meter.Int64Counter("observe.forwarding.requests",
		metric.WithDescription("Requests received by the forwarding handler, by signal and outcome."),
		metric.WithUnit("{request}")); err != nil {
		otel.Handle(err)
	}
	if m.bytes, err = meter.Int64Counter("observe.forwarding.bytes",
		metric.WithDescription("Request body bytes read from clients and sent to the backend, by signal."),
		metric.WithUnit("By")); err != nil {
		otel.Handle(err)
	}
	if m.rejections, err = meter.Int64Counter("observe.forwarding.rejections",
		metric.WithDescription("Requests refused by the forwarding handler's own checks, by reason."),
		metric.WithUnit("{request}")); err != nil {
		otel.Handle(err)
	}
	// A provider that fails to make an instrument may return nil with its
	// error; the handler then records nothing rather than fail.
	if m.requests == nil {
		m.requests = noop.Int64Counter{}
	}
	if m.bytes == nil {
		m.bytes = noop.Int64Counter{}
	}
	if m.rejections == nil {
		m.rejections = noop.Int64Counter{}
	}
	for s := range numSignals + 1 {
		for o := range numOutcomes {
			m.requestOpts[s][o] = []metric.AddOption{metric.WithAttributeSet(attribute.NewSet(
				attribute.String("signal", signalNames[s]),
				attribute.String("outcome", outcomeNames[o]),
			))}
		}
	}
	for s := range numSignals {
		m.bytesOpts[s] = []metric.AddOption{metric.WithAttributeSet(attribute.NewSet(
			attribute.String("signal", signalNames[s]),
		))}
	}
	for r := range numReasons {
		m.rejectionOpts[r] = []metric.AddOption{metric.WithAttributeSet(attribute.NewSet(
			attribute.String("reason", reasonNames[r]),
		))}
	}
	return m
}
