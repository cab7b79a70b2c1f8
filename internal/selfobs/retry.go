package selfobs

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/url"
	"strings"
	"sync"
	"time"

	"go.opentelemetry.io/otel"
	sdklog "go.opentelemetry.io/otel/sdk/log"
	sdkmetric "go.opentelemetry.io/otel/sdk/metric"
	"go.opentelemetry.io/otel/sdk/metric/metricdata"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
)

// Backoff between attempts of one export.
const (
	retryInitial = 500 * time.Millisecond
	retryMax     = 5 * time.Second
)

// Retry retries the exports of the OTLP exporters, which are built with
// their own retries off: every failed attempt is reported at once (the
// error handler lets the first of a kind through), so a collector that
// refuses or never answers is known within the OTLP timeout of the first
// export; a transient failure (the OTLP specification's retryable codes,
// connection errors) is retried with backoff until the export's context is
// done; and once shutdown has begun, an export is tried once, so that
// Shutdown against a refused endpoint takes no longer over gRPC than over
// HTTP.
type Retry struct {
	signal, exporter string

	once    sync.Once
	closing chan struct{}
}

// NewRetry returns the Retry of the signal's exporter called name.
func NewRetry(signal, name string) *Retry {
	return &Retry{signal: signal, exporter: name, closing: make(chan struct{})}
}

// Close makes every export from now on, and every wait between attempts,
// end after the attempt under way.
func (r *Retry) Close() { r.once.Do(func() { close(r.closing) }) }

// do runs attempt until it succeeds, fails for good, ctx is done or r is
// closed, and returns the last error.
func (r *Retry) do(ctx context.Context, attempt func(context.Context) error) error {
	wait := retryInitial
	for n := 1; ; n++ {
		err := attempt(ctx)
		if err == nil {
			return nil
		}
		if !retryable(err) || ctx.Err() != nil {
			return err
		}
		select {
		case <-r.closing:
			return err
		default:
		}
		otel.Handle(&AttemptError{Signal: r.signal, Exporter: r.exporter, Attempt: n, Err: err})
		t := time.NewTimer(wait)
		select {
		case <-t.C:
		case <-ctx.Done():
			t.Stop()
			return err
		case <-r.closing:
			t.Stop()
			return err
		}
		wait = min(2*wait, retryMax)
	}
}

// retryable reports whether a failed export may succeed when tried again:
// the gRPC codes and HTTP statuses the OTLP specification names, and
// connection errors.
func retryable(err error) bool {
	if s, ok := status.FromError(err); ok && s.Code() != codes.Unknown {
		switch s.Code() {
		case codes.Canceled, codes.DeadlineExceeded, codes.ResourceExhausted, codes.Aborted,
			codes.OutOfRange, codes.Unavailable, codes.DataLoss:
			return true
		}
		return false
	}
	// The OTLP/HTTP exporters mark 429, 502, 503 and 504 so.
	if strings.Contains(err.Error(), "retry-able request failure") {
		return true
	}
	var ne net.Error
	var ue *url.Error
	var oe *net.OpError
	return errors.As(err, &ne) || errors.As(err, &ue) || errors.As(err, &oe)
}

// AttemptError reports an attempt of an export that failed and will be
// tried again.
type AttemptError struct {
	Signal, Exporter string
	Attempt          int
	Err              error
}

func (e *AttemptError) Error() string {
	return fmt.Sprintf("%s export to %s: attempt %d failed, retrying: %s", e.Signal, e.Exporter, e.Attempt, e.Err)
}

// Unwrap returns the attempt's error.
func (e *AttemptError) Unwrap() error { return e.Err }

// SpanExporter retries exp's exports.
func (r *Retry) SpanExporter(exp sdktrace.SpanExporter) sdktrace.SpanExporter {
	return &retrySpans{SpanExporter: exp, r: r}
}

type retrySpans struct {
	sdktrace.SpanExporter
	r *Retry
}

func (e *retrySpans) ExportSpans(ctx context.Context, spans []sdktrace.ReadOnlySpan) error {
	return e.r.do(ctx, func(ctx context.Context) error { return e.SpanExporter.ExportSpans(ctx, spans) })
}

func (e *retrySpans) Shutdown(ctx context.Context) error {
	e.r.Close()
	return e.SpanExporter.Shutdown(ctx)
}

// LogExporter retries exp's exports.
func (r *Retry) LogExporter(exp sdklog.Exporter) sdklog.Exporter {
	return &retryLogs{Exporter: exp, r: r}
}

type retryLogs struct {
	sdklog.Exporter
	r *Retry
}

func (e *retryLogs) Export(ctx context.Context, records []sdklog.Record) error {
	return e.r.do(ctx, func(ctx context.Context) error { return e.Exporter.Export(ctx, records) })
}

func (e *retryLogs) Shutdown(ctx context.Context) error {
	e.r.Close()
	return e.Exporter.Shutdown(ctx)
}

// MetricExporter retries exp's exports.
func (r *Retry) MetricExporter(exp sdkmetric.Exporter) sdkmetric.Exporter {
	return &retryMetrics{Exporter: exp, r: r}
}

type retryMetrics struct {
	sdkmetric.Exporter
	r *Retry
}

func (e *retryMetrics) Export(ctx context.Context, rm *metricdata.ResourceMetrics) error {
	return e.r.do(ctx, func(ctx context.Context) error { return e.Exporter.Export(ctx, rm) })
}

func (e *retryMetrics) Shutdown(ctx context.Context) error {
	e.r.Close()
	return e.Exporter.Shutdown(ctx)
}
