// Package env reads observe's configuration from environment variables.
//
// Every environment read of the SDK goes through a [Reader], whose lookup
// function can be replaced, so tests and embedders need not touch the process
// environment. Parsers return an [*Error] naming the variable and the
// offending value (with secrets left out), never a silently kept default.
package env

import (
	"errors"
	"fmt"
	"os"
	"strings"
)

// Names of the environment variables read by observe.
const (
	SDKDisabled        = "OTEL_SDK_DISABLED"
	ServiceName        = "OTEL_SERVICE_NAME"
	ResourceAttributes = "OTEL_RESOURCE_ATTRIBUTES"
	Propagators        = "OTEL_PROPAGATORS"
	TracesSampler      = "OTEL_TRACES_SAMPLER"
	TracesSamplerArg   = "OTEL_TRACES_SAMPLER_ARG"
	TracesExporter     = "OTEL_TRACES_EXPORTER"
	MetricsExporter    = "OTEL_METRICS_EXPORTER"
	LogsExporter       = "OTEL_LOGS_EXPORTER"

	OTLPEndpoint    = "OTEL_EXPORTER_OTLP_ENDPOINT"
	OTLPProtocol    = "OTEL_EXPORTER_OTLP_PROTOCOL"
	OTLPHeaders     = "OTEL_EXPORTER_OTLP_HEADERS"
	OTLPTimeout     = "OTEL_EXPORTER_OTLP_TIMEOUT"
	OTLPCompression = "OTEL_EXPORTER_OTLP_COMPRESSION"

	PrometheusHost = "OTEL_EXPORTER_PROMETHEUS_HOST"
	PrometheusPort = "OTEL_EXPORTER_PROMETHEUS_PORT"

	MetricExportInterval = "OTEL_METRIC_EXPORT_INTERVAL"
	MetricExportTimeout  = "OTEL_METRIC_EXPORT_TIMEOUT"

	BSPScheduleDelay      = "OTEL_BSP_SCHEDULE_DELAY"
	BSPExportTimeout      = "OTEL_BSP_EXPORT_TIMEOUT"
	BSPMaxQueueSize       = "OTEL_BSP_MAX_QUEUE_SIZE"
	BSPMaxExportBatchSize = "OTEL_BSP_MAX_EXPORT_BATCH_SIZE"

	BLRPScheduleDelay      = "OTEL_BLRP_SCHEDULE_DELAY"
	BLRPExportTimeout      = "OTEL_BLRP_EXPORT_TIMEOUT"
	BLRPMaxQueueSize       = "OTEL_BLRP_MAX_QUEUE_SIZE"
	BLRPMaxExportBatchSize = "OTEL_BLRP_MAX_EXPORT_BATCH_SIZE"

	ObserveEnvironment   = "OBSERVE_ENVIRONMENT"
	ObserveLogLevel      = "OBSERVE_LOG_LEVEL"
	ObserveConsoleFormat = "OBSERVE_CONSOLE_FORMAT"
	NoColor              = "NO_COLOR"

	ObserveHTTPExcludedURLs = "OBSERVE_HTTP_EXCLUDED_URLS"
	ObserveRuntimeMetrics   = "OBSERVE_RUNTIME_METRICS"
	MetricsProducers        = "OTEL_METRICS_PRODUCERS"
)

// Lookup returns the value of an environment variable and whether it is set.
type Lookup func(key string) (string, bool)

// Reader reads environment variables through a [Lookup].
type Reader struct {
	lookup Lookup
}

// New returns a Reader over lookup; a nil lookup reads the process
// environment with [os.LookupEnv].
func New(lookup Lookup) Reader {
	if lookup == nil {
		lookup = os.LookupEnv
	}
	return Reader{lookup: lookup}
}

// FromMap returns a Lookup over a fixed map, for tests and embedders.
func FromMap(m map[string]string) Lookup {
	return func(key string) (string, bool) {
		v, ok := m[key]
		return v, ok
	}
}

// Get returns the value of key with surrounding white space removed. An
// empty value counts as unset, as the OpenTelemetry specification asks.
func (r Reader) Get(key string) (string, bool) {
	v, ok := r.lookup(key)
	if !ok {
		return "", false
	}
	v = strings.TrimSpace(v)
	return v, v != ""
}

// Raw returns the value of key exactly as set, for variables where an empty
// value means something (NO_COLOR).
func (r Reader) Raw(key string) (string, bool) {
	return r.lookup(key)
}

// Lookup returns the Reader's lookup function.
func (r Reader) Lookup() Lookup { return r.lookup }

// Error reports a bad environment value.
type Error struct {
	// Key is the variable's name.
	Key string
	// Value is the offending value, or a description of it where the value
	// may hold a secret.
	Value string
	// Err says what is wrong with it.
	Err error
}

// Error implements error.
func (e *Error) Error() string {
	return fmt.Sprintf("%s=%q: %v", e.Key, e.Value, e.Err)
}

// Unwrap returns the underlying error.
func (e *Error) Unwrap() error { return e.Err }

func newError(key, value string, format string, args ...any) *Error {
	return &Error{Key: key, Value: value, Err: fmt.Errorf(format, args...)}
}

// ErrUnsupported is wrapped by errors for values that are valid in the
// specification but that observe does not implement.
var ErrUnsupported = errors.New("not supported")
