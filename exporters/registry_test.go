package exporters

import (
	"context"
	"errors"
	"testing"

	sdkmetric "go.opentelemetry.io/otel/sdk/metric"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/sdk/trace/tracetest"
)

func TestRegisterRejectsBuiltinAndDuplicateNames(t *testing.T) {
	rec := tracetest.NewInMemoryExporter()
	f := func(context.Context, Lookup) (sdktrace.SpanExporter, error) { return rec, nil }
	if err := RegisterSpanExporter("exporters-test", f); err != nil {
		t.Fatal(err)
	}
	if err := RegisterSpanExporter("exporters-test-nil", nil); err == nil {
		t.Error("nil factory accepted")
	}
	for _, name := range []string{"exporters-test", "otlp", "console", "stdout", "none", "prometheus"} {
		if err := RegisterSpanExporter(name, f); !errors.Is(err, ErrDuplicate) {
			t.Errorf("RegisterSpanExporter(%q) = %v; want ErrDuplicate", name, err)
		}
	}
	if err := RegisterMetricReader("Bad Name", func(context.Context, Lookup) (sdkmetric.Reader, error) { return nil, nil }); err == nil {
		t.Error("bad name accepted")
	}
}
