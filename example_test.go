package observe_test

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http/httptest"
	"strings"

	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/metric"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/sdk/trace/tracetest"

	"github.com/observe-go/observe"
	"github.com/observe-go/observe/exporters"
)

// Configure reads the process environment; this example gives it a fixed
// one and records spans in memory to show what the SDK produces.
func ExampleConfigure() {
	rec := tracetest.NewSpanRecorder()
	vars := map[string]string{
		"OTEL_SERVICE_NAME":    "checkout",
		"OTEL_TRACES_EXPORTER": "none",
		"OBSERVE_ENVIRONMENT":  "staging",
	}
	tel, err := observe.Configure(
		observe.WithEnvLookup(func(k string) (string, bool) { v, ok := vars[k]; return v, ok }),
		observe.WithoutGlobals(),
		observe.WithSpanProcessor(rec),
		observe.WithConsoleWriter(io.Discard),
	)
	if err != nil {
		fmt.Println(err)
		return
	}
	defer tel.Shutdown(context.Background())

	ctx, parent := tel.TracerProvider().Tracer("shop").Start(context.Background(), "place order")
	_, child := tel.TracerProvider().Tracer("shop").Start(ctx, "charge card")
	child.End()
	parent.End()

	for _, s := range rec.Ended() {
		env, _ := s.Resource().Set().Value("deployment.environment.name")
		svc, _ := s.Resource().Set().Value("service.name")
		fmt.Printf("%s (service %s, %s), child of root: %v\n", s.Name(), svc.Emit(), env.Emit(), s.Parent().SpanID() == parent.SpanContext().SpanID())
	}
	// Output:
	// charge card (service checkout, staging), child of root: true
	// place order (service checkout, staging), child of root: false
}

// A bad setting is an error that names the variable and the value.
func ExampleConfigure_badEnvironment() {
	vars := map[string]string{"OTEL_TRACES_SAMPLER": "traceidratio", "OTEL_TRACES_SAMPLER_ARG": "1.5"}
	_, err := observe.Configure(observe.WithEnvLookup(func(k string) (string, bool) { v, ok := vars[k]; return v, ok }))
	fmt.Println(err)
	// Output:
	// observe: OTEL_TRACES_SAMPLER_ARG="1.5": out of range: want a number from 0 to 1
}

// MetricsHandler serves every metric in the Prometheus exposition format,
// with the OpenTelemetry names translated.
func ExampleTelemetry_MetricsHandler() {
	tel, err := observe.Configure(
		observe.WithEnvLookup(func(string) (string, bool) { return "", false }),
		observe.WithoutGlobals(),
		observe.WithConsoleWriter(io.Discard),
	)
	if err != nil {
		fmt.Println(err)
		return
	}
	defer tel.Shutdown(context.Background())

	orders, _ := tel.MeterProvider().Meter("shop").Int64Counter("orders.created")
	orders.Add(context.Background(), 2, metric.WithAttributes(attribute.String("payment_method", "card")))

	rr := httptest.NewRecorder()
	tel.MetricsHandler().ServeHTTP(rr, httptest.NewRequest("GET", "/metrics", nil))
	for _, line := range strings.Split(rr.Body.String(), "\n") {
		if strings.HasPrefix(line, "orders_created_total") {
			fmt.Println(line)
		}
	}
	// Output:
	// orders_created_total{otel_scope_name="shop",otel_scope_schema_url="",otel_scope_version="",payment_method="card"} 2
}

// WithSpanExporterWrapper puts code of your own between the pipeline and a
// named exporter, here one that leaves out the spans of health checks,
// without reading the environment again: the otlp exporter keeps the
// endpoint, headers and timeout observe resolved.
func ExampleWithSpanExporterWrapper() {
	rec := tracetest.NewInMemoryExporter()
	_ = exporters.RegisterSpanExporter("example-memory", func(context.Context, exporters.Lookup) (sdktrace.SpanExporter, error) {
		return rec, nil
	})
	tel, err := observe.Configure(
		observe.WithEnvLookup(func(string) (string, bool) { return "", false }),
		observe.WithoutGlobals(),
		observe.WithTracesExporters("example-memory"),
		observe.WithSpanExporterWrapper(func(name string, e sdktrace.SpanExporter) sdktrace.SpanExporter {
			return skipHealth{e}
		}),
	)
	if err != nil {
		fmt.Println(err)
		return
	}
	tracer := tel.TracerProvider().Tracer("example")
	for _, name := range []string{"GET /orders", "GET /healthz"} {
		_, span := tracer.Start(context.Background(), name)
		span.End()
	}
	defer tel.Shutdown(context.Background())
	_ = tel.ForceFlush(context.Background())
	for _, s := range rec.GetSpans() {
		fmt.Println(s.Name)
	}
	// Output:
	// GET /orders
}

// skipHealth passes on every span but those of health checks.
type skipHealth struct{ sdktrace.SpanExporter }

func (s skipHealth) ExportSpans(ctx context.Context, spans []sdktrace.ReadOnlySpan) error {
	kept := make([]sdktrace.ReadOnlySpan, 0, len(spans))
	for _, sp := range spans {
		if sp.Name() != "GET /healthz" {
			kept = append(kept, sp)
		}
	}
	return s.SpanExporter.ExportSpans(ctx, kept)
}

// RecordError marks the span of the context failed, in one call: an
// exception event and status Error.
func ExampleRecordError() {
	rec := tracetest.NewSpanRecorder()
	tel, err := observe.Configure(
		observe.WithEnvLookup(func(string) (string, bool) { return "", false }),
		observe.WithoutGlobals(),
		observe.WithSpanProcessor(rec),
		observe.WithConsoleWriter(io.Discard),
	)
	if err != nil {
		fmt.Println(err)
		return
	}
	defer tel.Shutdown(context.Background())

	ctx, span := tel.Tracer("example.com/shop").Start(context.Background(), "charge card")
	if err := errors.New("card declined"); err != nil {
		observe.RecordError(ctx, err)
	}
	span.End()

	s := rec.Ended()[0]
	fmt.Println(s.Name(), s.Status().Code, s.Status().Description, s.Events()[0].Name)
	// Output:
	// charge card Error card declined exception
}
