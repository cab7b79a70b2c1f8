package exporters

import (
	"context"
	"errors"
	"fmt"
	"net/url"
	"strings"
	"time"

	"go.opentelemetry.io/otel/exporters/otlp/otlplog/otlploggrpc"
	"go.opentelemetry.io/otel/exporters/otlp/otlplog/otlploghttp"
	"go.opentelemetry.io/otel/exporters/otlp/otlpmetric/otlpmetricgrpc"
	"go.opentelemetry.io/otel/exporters/otlp/otlpmetric/otlpmetrichttp"
	"go.opentelemetry.io/otel/exporters/otlp/otlptrace/otlptracegrpc"
	"go.opentelemetry.io/otel/exporters/otlp/otlptrace/otlptracehttp"
	sdklog "go.opentelemetry.io/otel/sdk/log"
	sdkmetric "go.opentelemetry.io/otel/sdk/metric"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"

	"github.com/observe-go/observe/internal/env"
)

// The OTLP protocols observe can send.
const (
	ProtocolGRPC         = "grpc"
	ProtocolHTTPProtobuf = "http/protobuf"
)

const defaultOTLPTimeout = 10 * time.Second

// signal names one OTLP signal: its variable infix and its HTTP path.
type signal struct {
	name  string // TRACES, METRICS, LOGS
	path  string // /v1/traces ...
	lower string // traces ...
}

var (
	tracesSignal  = signal{"TRACES", "/v1/traces", "traces"}
	metricsSignal = signal{"METRICS", "/v1/metrics", "metrics"}
	logsSignal    = signal{"LOGS", "/v1/logs", "logs"}
)

func (s signal) key(generic string) string {
	return strings.Replace(generic, "OTEL_EXPORTER_OTLP_", "OTEL_EXPORTER_OTLP_"+s.name+"_", 1)
}

// OTLPSettings is what the environment says about one signal's OTLP
// exporter, after the per-signal variables have been preferred to the
// generic ones.
type OTLPSettings struct {
	// Protocol is ProtocolGRPC or ProtocolHTTPProtobuf.
	Protocol string
	// Endpoint is the full URL the exporter sends to: for http/protobuf it
	// includes the signal's path.
	Endpoint *url.URL
	// EndpointSet reports whether a variable gave the endpoint.
	EndpointSet bool
	// Headers are sent with every export.
	Headers map[string]string
	// Timeout bounds one export.
	Timeout time.Duration
	// Gzip turns on gzip compression.
	Gzip bool
}

// ReadOTLP reads the OTLP settings of one signal ("traces", "metrics" or
// "logs") from the environment.
func ReadOTLP(lookup env.Lookup, signalName string) (OTLPSettings, error) {
	var sig signal
	switch signalName {
	case "traces":
		sig = tracesSignal
	case "metrics":
		sig = metricsSignal
	case "logs":
		sig = logsSignal
	default:
		return OTLPSettings{}, fmt.Errorf("unknown OTLP signal %q", signalName)
	}
	return readOTLP(env.New(lookup), sig)
}

// readOTLP applies the specification's rules: a per-signal variable beats
// the generic one; the generic endpoint is a base URL to which the signal's
// path is appended, while a per-signal endpoint is used as it is.
func readOTLP(r env.Reader, sig signal) (OTLPSettings, error) {
	var errs []error
	s := OTLPSettings{Protocol: ProtocolHTTPProtobuf, Timeout: defaultOTLPTimeout}

	protoKey := env.OTLPProtocol
	if _, ok := r.Get(sig.key(env.OTLPProtocol)); ok {
		protoKey = sig.key(env.OTLPProtocol)
	}
	if p, ok, err := r.OneOf(protoKey, ProtocolGRPC, ProtocolHTTPProtobuf, "http/json"); err != nil {
		errs = append(errs, err)
	} else if ok {
		if p == "http/json" {
			errs = append(errs, &env.Error{Key: protoKey, Value: p, Err: fmt.Errorf("%w by the Go OTLP exporters; use grpc or http/protobuf", env.ErrUnsupported)})
		} else {
			s.Protocol = p
		}
	}

	if u, ok, err := r.URL(sig.key(env.OTLPEndpoint)); err != nil {
		errs = append(errs, err)
	} else if ok {
		s.Endpoint, s.EndpointSet = u, true
	} else if u, ok, err := r.URL(env.OTLPEndpoint); err != nil {
		errs = append(errs, err)
	} else if ok {
		if s.Protocol == ProtocolHTTPProtobuf {
			u.Path = strings.TrimSuffix(u.Path, "/") + sig.path
			u.RawPath = ""
		}
		s.Endpoint, s.EndpointSet = u, true
	}
	if s.Endpoint == nil {
		if s.Protocol == ProtocolGRPC {
			s.Endpoint = &url.URL{Scheme: "http", Host: "localhost:4317"}
		} else {
			s.Endpoint = &url.URL{Scheme: "http", Host: "localhost:4318", Path: sig.path}
		}
	}

	headersKey := env.OTLPHeaders
	if _, ok := r.Get(sig.key(env.OTLPHeaders)); ok {
		headersKey = sig.key(env.OTLPHeaders)
	}
	if kvs, _, err := r.KeyValues(headersKey, true); err != nil {
		errs = append(errs, err)
	} else {
		s.Headers = make(map[string]string, len(kvs))
		for _, kv := range kvs {
			s.Headers[kv.Key] = kv.Value
		}
	}

	timeoutKey := env.OTLPTimeout
	if _, ok := r.Get(sig.key(env.OTLPTimeout)); ok {
		timeoutKey = sig.key(env.OTLPTimeout)
	}
	if d, ok, err := r.Millis(timeoutKey); err != nil {
		errs = append(errs, err)
	} else if ok {
		if d == 0 {
			errs = append(errs, &env.Error{Key: timeoutKey, Value: "0", Err: errors.New("a timeout of 0 would fail every export; want at least 1 ms")})
		}
		s.Timeout = d
	}

	compKey := env.OTLPCompression
	if _, ok := r.Get(sig.key(env.OTLPCompression)); ok {
		compKey = sig.key(env.OTLPCompression)
	}
	if c, _, err := r.OneOf(compKey, "gzip", "none"); err != nil {
		errs = append(errs, err)
	} else {
		s.Gzip = c == "gzip"
	}
	return s, errors.Join(errs...)
}

// endpointSet reports whether any variable names an OTLP endpoint for sig.
func endpointSet(r env.Reader, sig signal) bool {
	_, generic := r.Get(env.OTLPEndpoint)
	_, own := r.Get(sig.key(env.OTLPEndpoint))
	return generic || own
}

// Every setting is passed to the exporters as an option, so that they do
// not fall back on their own reading of the process environment, which
// drops malformed values with only a log line and cannot use a replaced
// lookup function. TLS settings (OTEL_EXPORTER_OTLP_CERTIFICATE, ...) are
// still read by the exporters themselves.

func newOTLPSpanExporter(ctx context.Context, s OTLPSettings) (sdktrace.SpanExporter, error) {
	if s.Protocol == ProtocolGRPC {
		opts := []otlptracegrpc.Option{
			otlptracegrpc.WithEndpointURL(s.Endpoint.String()),
			otlptracegrpc.WithHeaders(s.Headers),
			otlptracegrpc.WithTimeout(s.Timeout),
		}
		if s.Gzip {
			opts = append(opts, otlptracegrpc.WithCompressor("gzip"))
		}
		return otlptracegrpc.New(ctx, opts...)
	}
	comp := otlptracehttp.NoCompression
	if s.Gzip {
		comp = otlptracehttp.GzipCompression
	}
	return otlptracehttp.New(ctx,
		otlptracehttp.WithEndpointURL(s.Endpoint.String()),
		otlptracehttp.WithHeaders(s.Headers),
		otlptracehttp.WithTimeout(s.Timeout),
		otlptracehttp.WithCompression(comp),
	)
}

func newOTLPMetricExporter(ctx context.Context, s OTLPSettings) (sdkmetric.Exporter, error) {
	if s.Protocol == ProtocolGRPC {
		opts := []otlpmetricgrpc.Option{
			otlpmetricgrpc.WithEndpointURL(s.Endpoint.String()),
			otlpmetricgrpc.WithHeaders(s.Headers),
			otlpmetricgrpc.WithTimeout(s.Timeout),
		}
		if s.Gzip {
			opts = append(opts, otlpmetricgrpc.WithCompressor("gzip"))
		}
		return otlpmetricgrpc.New(ctx, opts...)
	}
	comp := otlpmetrichttp.NoCompression
	if s.Gzip {
		comp = otlpmetrichttp.GzipCompression
	}
	return otlpmetrichttp.New(ctx,
		otlpmetrichttp.WithEndpointURL(s.Endpoint.String()),
		otlpmetrichttp.WithHeaders(s.Headers),
		otlpmetrichttp.WithTimeout(s.Timeout),
		otlpmetrichttp.WithCompression(comp),
	)
}

func newOTLPLogExporter(ctx context.Context, s OTLPSettings) (sdklog.Exporter, error) {
	if s.Protocol == ProtocolGRPC {
		opts := []otlploggrpc.Option{
			otlploggrpc.WithEndpointURL(s.Endpoint.String()),
			otlploggrpc.WithHeaders(s.Headers),
			otlploggrpc.WithTimeout(s.Timeout),
		}
		if s.Gzip {
			opts = append(opts, otlploggrpc.WithCompressor("gzip"))
		}
		return otlploggrpc.New(ctx, opts...)
	}
	comp := otlploghttp.NoCompression
	if s.Gzip {
		comp = otlploghttp.GzipCompression
	}
	return otlploghttp.New(ctx,
		otlploghttp.WithEndpointURL(s.Endpoint.String()),
		otlploghttp.WithHeaders(s.Headers),
		otlploghttp.WithTimeout(s.Timeout),
		otlploghttp.WithCompression(comp),
	)
}
