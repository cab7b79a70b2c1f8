package instrument

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"time"

	"go.opentelemetry.io/otel"
	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/codes"
	"go.opentelemetry.io/otel/metric"
	"go.opentelemetry.io/otel/propagation"
	semconv "go.opentelemetry.io/otel/semconv/v1.43.0"
	"go.opentelemetry.io/otel/semconv/v1.43.0/httpconv"
	"go.opentelemetry.io/otel/trace"

	"github.com/observe-go/observe/internal/requestid"
	"github.com/observe-go/observe/internal/scrub"
)

type urlTemplateKey struct{}

// ContextWithURLTemplate returns a context that names the URL template
// (e.g. "/users/{id}") of the client requests made with it: the client
// span is then named "GET /users/{id}" and carries url.template, and the
// duration metric gets the template as an attribute.
func ContextWithURLTemplate(ctx context.Context, template string) context.Context {
	return context.WithValue(ctx, urlTemplateKey{}, template)
}

// HTTPTransport wraps base (nil means [http.DefaultTransport]) so that each
// request gets a CLIENT span named "METHOD" (or "METHOD template", see
// [ContextWithURLTemplate]) with url.full (credentials and sensitive query
// values REDACTED), server.address, server.port, http.request.method,
// http.response.status_code and error.type; status Error for 4xx, 5xx and
// transport errors; the http.client.request.duration metric; and the trace
// context injected into the outgoing headers. The caller's request is never
// changed: headers go on a clone.
func HTTPTransport(base http.RoundTripper, opts ...ClientOption) http.RoundTripper {
	if base == nil {
		base = http.DefaultTransport
	}
	c := newClientConfig(opts)
	t := &transport{base: base, sendRequestID: !c.noRequestID}
	var meter metric.Meter
	t.tracer, t.prop, meter = c.instruments()
	var err error
	t.duration, err = httpconv.NewClientRequestDuration(meter)
	if err != nil {
		otel.Handle(fmt.Errorf("instrument: HTTP client metrics: %w", err))
	}
	return t
}

// WrapClient returns a copy of c (nil means [http.DefaultClient]) whose
// Transport is wrapped by [HTTPTransport].
func WrapClient(c *http.Client, opts ...ClientOption) *http.Client {
	if c == nil {
		c = http.DefaultClient
	}
	cc := *c
	cc.Transport = HTTPTransport(c.Transport, opts...)
	return &cc
}

type transport struct {
	base          http.RoundTripper
	sendRequestID bool
	tracer        trace.Tracer
	prop          propagation.TextMapPropagator
	duration      httpconv.ClientRequestDuration
}

// Unwrap returns the wrapped RoundTripper.
func (t *transport) Unwrap() http.RoundTripper { return t.base }

func (t *transport) RoundTrip(r *http.Request) (*http.Response, error) {
	start := time.Now()
	ctx := r.Context()
	method, known := methodName(r.Method)
	name := method
	if !known {
		name = "HTTP"
	}
	tmpl, _ := ctx.Value(urlTemplateKey{}).(string)
	if tmpl != "" {
		name += " " + tmpl
	}
	host := r.URL.Hostname()
	port := portOf(r.URL.Port(), r.URL.Scheme)
	attrs := make([]attribute.KeyValue, 0, 8)
	attrs = append(attrs,
		semconv.HTTPRequestMethodKey.String(method),
		semconv.ServerAddress(host),
		semconv.URLFull(scrub.URL(r.URL)),
	)
	if port > 0 {
		attrs = append(attrs, semconv.ServerPort(port))
	}
	if tmpl != "" {
		attrs = append(attrs, semconv.URLTemplate(tmpl))
	}
	if !known {
		attrs = append(attrs, semconv.HTTPRequestMethodOriginal(r.Method))
	}
	rid := requestid.FromContext(ctx)
	if rid != "" {
		attrs = append(attrs, attribute.String(RequestIDAttribute, rid))
	}
	ctx, span := t.tracer.Start(ctx, name, trace.WithSpanKind(trace.SpanKindClient), trace.WithAttributes(attrs...), trace.WithTimestamp(start))
	defer span.End()

	out := r.Clone(ctx)
	if out.Header == nil {
		out.Header = make(http.Header)
	}
	t.prop.Inject(ctx, propagation.HeaderCarrier(out.Header))
	if t.sendRequestID && rid != "" && len(out.Header[canonicalRequestIDHeader]) == 0 {
		out.Header[canonicalRequestIDHeader] = []string{rid}
	}

	resp, err := t.base.RoundTrip(out)

	mattrs := make([]attribute.KeyValue, 0, 6)
	mattrs = append(mattrs, semconv.HTTPRequestMethodKey.String(method), semconv.ServerAddress(host))
	if port > 0 {
		mattrs = append(mattrs, semconv.ServerPort(port))
	}
	if tmpl != "" {
		mattrs = append(mattrs, semconv.URLTemplate(tmpl))
	}
	errType := ""
	if err != nil {
		errType = transportErrorType(err)
		// A *url.Error names the URL, which may hold secrets: record the
		// error it wraps.
		recorded := err
		var ue *url.Error
		if errors.As(err, &ue) {
			recorded = ue.Err
		}
		span.RecordError(recorded)
		span.SetStatus(codes.Error, recorded.Error())
	} else {
		code := resp.StatusCode
		span.SetAttributes(semconv.HTTPResponseStatusCode(code), semconv.NetworkProtocolVersion(protocolVersion(resp.ProtoMajor, resp.ProtoMinor)))
		mattrs = append(mattrs, semconv.HTTPResponseStatusCode(code))
		if code >= 400 {
			errType = statusText(code)
			span.SetStatus(codes.Error, "")
		}
	}
	if errType != "" {
		span.SetAttributes(semconv.ErrorTypeKey.String(errType))
		mattrs = append(mattrs, semconv.ErrorTypeKey.String(errType))
	}
	t.duration.RecordSet(ctx, time.Since(start).Seconds(), attribute.NewSet(mattrs...))
	return resp, err
}

func portOf(p, scheme string) int {
	if p != "" {
		n, err := strconv.Atoi(p)
		if err != nil {
			return 0
		}
		return n
	}
	switch scheme {
	case "https":
		return 443
	case "http":
		return 80
	}
	return 0
}

// transportErrorType names a transport error by a low-cardinality class,
// as error.type asks.
func transportErrorType(err error) string {
	switch {
	case errors.Is(err, context.Canceled):
		return "canceled"
	case errors.Is(err, context.DeadlineExceeded):
		return "timeout"
	}
	var te interface{ Timeout() bool }
	if errors.As(err, &te) && te.Timeout() {
		return "timeout"
	}
	return fmt.Sprintf("%T", unwrapAll(err))
}

func unwrapAll(err error) error {
	for {
		u := errors.Unwrap(err)
		if u == nil {
			return err
		}
		err = u
	}
}
