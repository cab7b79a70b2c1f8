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
package observe
