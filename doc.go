// Package observe gives a Go service traces, metrics and logs that follow
// the OpenTelemetry standards, with one call in main:
//
//	tel, err := observe.Configure()
//	if err != nil {
//		return err
//	}
//	defer tel.Shutdown(context.Background())
//
// Where the telemetry goes is chosen by environment variables, not by code:
// with none set, spans and log records are printed to the console as an
// indented tree; with OTEL_EXPORTER_OTLP_ENDPOINT set, all three signals go
// to that OTLP collector; with OTEL_METRICS_EXPORTER=prometheus, metrics are
// served for scraping. [Configure] lists every variable it reads.
//
// Every provider is a standard OpenTelemetry SDK provider, registered as the
// global one unless [WithoutGlobals] is given, so any OpenTelemetry
// instrumentation library works with it.
//
// # The pipeline
//
// Configure resolves options, environment and defaults once, then composes
// each signal's path from the record to the exporters:
//
//	log record -> level threshold -> scrub -> console
//	                                       -> tail sampler -> batch(otlp) | registered exporters | your processors
//	span       ->                    scrub -> console
//	                                       -> tail sampler -> batch(otlp) | registered exporters | your processors
//
// The level threshold (OBSERVE_LOG_LEVEL, [WithLogLevel]) holds for the
// records of every bridge, not only [Telemetry.Logger]'s. The console shows
// every span and record as it happens, before sampling; the exporters get
// what is kept. Metrics skip scrubbing and sampling: their attributes are
// bounded, and they stay full-fidelity. [WithSpanExporterWrapper] and
// [WithLogExporterWrapper] put code of your own in front of a named
// exporter.
package observe
