package exporters

import (
	"context"
	"errors"
	"fmt"
	"sync/atomic"
	"testing"

	sdkmetric "go.opentelemetry.io/otel/sdk/metric"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/sdk/trace/tracetest"
)

var runs atomic.Int64

func TestRegisterRejectsBuiltinAndDuplicateNames(t *testing.T) {
	// Names cannot be unregistered: one for each run.
	name := fmt.Sprintf("exporters-test-%d", runs.Add(1))
	rec := tracetest.NewInMemoryExporter()
	f := func(context.Context, Lookup) (sdktrace.SpanExporter, error) { return rec, nil }
	if err := RegisterSpanExporter(name, f); err != nil {
		t.Fatal(err)
	}
	if err := RegisterSpanExporter("exporters-test-nil", nil); err == nil {
		t.Error("nil factory accepted")
	}
	for _, name := range []string{name, "otlp", "console", "stdout", "none", "prometheus"} {
		if err := RegisterSpanExporter(name, f); !errors.Is(err, ErrDuplicate) {
			t.Errorf("RegisterSpanExporter(%q) = %v; want ErrDuplicate", name, err)
		}
	}
	if err := RegisterMetricReader("Bad Name", func(context.Context, Lookup) (sdkmetric.Reader, error) { return nil, nil }); err == nil {
		t.Error("bad name accepted")
	}
}
