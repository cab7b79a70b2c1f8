package sinks

import (
	"context"

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

// The exporters' own retries are off: selfobs.Retry retries, reporting
// every failed attempt, and tries once at Shutdown.
//
// Every setting is passed to the exporters as an option, so that they do
// not fall back on their own reading of the process environment, which
// drops malformed values with only a log line and cannot use a replaced
// lookup function. TLS settings (OTEL_EXPORTER_OTLP_CERTIFICATE, ...) are
// still read by the exporters themselves.

func newOTLPSpanExporter(ctx context.Context, s env.OTLP) (sdktrace.SpanExporter, error) {
	if s.Protocol == env.ProtocolGRPC {
		opts := []otlptracegrpc.Option{
			otlptracegrpc.WithEndpointURL(s.Endpoint.String()),
			otlptracegrpc.WithHeaders(s.HeaderMap()),
			otlptracegrpc.WithTimeout(s.Timeout),
			// observe retries, reports each failed attempt, and stops
			// retrying at Shutdown (selfobs.Retry).
			otlptracegrpc.WithRetry(otlptracegrpc.RetryConfig{Enabled: false}),
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
		otlptracehttp.WithHeaders(s.HeaderMap()),
		otlptracehttp.WithTimeout(s.Timeout),
		otlptracehttp.WithCompression(comp),
		otlptracehttp.WithRetry(otlptracehttp.RetryConfig{Enabled: false}),
	)
}

func newOTLPMetricExporter(ctx context.Context, s env.OTLP) (sdkmetric.Exporter, error) {
	if s.Protocol == env.ProtocolGRPC {
		opts := []otlpmetricgrpc.Option{
			otlpmetricgrpc.WithEndpointURL(s.Endpoint.String()),
			otlpmetricgrpc.WithHeaders(s.HeaderMap()),
			otlpmetricgrpc.WithTimeout(s.Timeout),
			// observe retries, reports each failed attempt, and stops
			// retrying at Shutdown (selfobs.Retry).
			otlpmetricgrpc.WithRetry(otlpmetricgrpc.RetryConfig{Enabled: false}),
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
		otlpmetrichttp.WithHeaders(s.HeaderMap()),
		otlpmetrichttp.WithTimeout(s.Timeout),
		otlpmetrichttp.WithCompression(comp),
		otlpmetrichttp.WithRetry(otlpmetrichttp.RetryConfig{Enabled: false}),
	)
}

func newOTLPLogExporter(ctx context.Context, s env.OTLP) (sdklog.Exporter, error) {
	if s.Protocol == env.ProtocolGRPC {
		opts := []otlploggrpc.Option{
			otlploggrpc.WithEndpointURL(s.Endpoint.String()),
			otlploggrpc.WithHeaders(s.HeaderMap()),
			otlploggrpc.WithTimeout(s.Timeout),
			// observe retries, reports each failed attempt, and stops
			// retrying at Shutdown (selfobs.Retry).
			otlploggrpc.WithRetry(otlploggrpc.RetryConfig{Enabled: false}),
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
		otlploghttp.WithHeaders(s.HeaderMap()),
		otlploghttp.WithTimeout(s.Timeout),
		otlploghttp.WithCompression(comp),
		otlploghttp.WithRetry(otlploghttp.RetryConfig{Enabled: false}),
	)
}
