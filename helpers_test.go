package observe_test

import (
	"context"
	"testing"

	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/baggage"
	"go.opentelemetry.io/otel/metric"
)

func withBaggage(t *testing.T, ctx context.Context) context.Context {
	t.Helper()
	m, err := baggage.NewMember("tenant", "acme")
	if err != nil {
		t.Fatal(err)
	}
	b, err := baggage.New(m)
	if err != nil {
		t.Fatal(err)
	}
	return baggage.ContextWithBaggage(ctx, b)
}

func metricNoDesc() metric.Int64CounterOption { return metric.WithDescription("") }

func metricAttr(k, v string) metric.AddOption {
	return metric.WithAttributes(attribute.String(k, v))
}
