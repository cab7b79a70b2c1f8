package observe

import (
	"context"

	"go.opentelemetry.io/otel"
	"go.opentelemetry.io/otel/codes"
	"go.opentelemetry.io/otel/metric"
	"go.opentelemetry.io/otel/trace"
)

// Tracer returns the tracer called name (by convention the import path of
// the package that makes the spans) of t's TracerProvider.
func (t *Telemetry) Tracer(name string, opts ...trace.TracerOption) trace.Tracer {
	return t.tp.Tracer(name, opts...)
}

// Meter returns the meter called name (by convention the import path of
// the package that records the metrics) of t's MeterProvider.
func (t *Telemetry) Meter(name string, opts ...metric.MeterOption) metric.Meter {
	return t.mp.Meter(name, opts...)
}

// Tracer returns the tracer called name of the global TracerProvider, which
// [Configure] sets (unless [WithoutGlobals] is given). A tracer taken
// before Configure, in a package variable for instance, starts recording
// once Configure has run.
func Tracer(name string, opts ...trace.TracerOption) trace.Tracer {
	return otel.GetTracerProvider().Tracer(name, opts...)
}

// Meter returns the meter called name of the global MeterProvider, which
// [Configure] sets (unless [WithoutGlobals] is given). Instruments made
// before Configure start recording once Configure has run.
func Meter(name string, opts ...metric.MeterOption) metric.Meter {
	return otel.GetMeterProvider().Meter(name, opts...)
}

// RecordError marks the span of ctx as failed by err: it adds an exception
// event (exception.type and exception.message; give
// trace.WithStackTrace(true) for the stack, or other event options) and
// sets the span's status to Error with err's message. A nil err, or a
// context without a recording span, changes nothing.
//
// The message becomes span data, exported with the span: wrap an error
// whose message may hold a secret or personal data in a plainer one first.
func RecordError(ctx context.Context, err error, opts ...trace.EventOption) {
	if err == nil {
		return
	}
	span := trace.SpanFromContext(ctx)
	if !span.IsRecording() {
		return
	}
	span.RecordError(err, opts...)
	span.SetStatus(codes.Error, err.Error())
}
