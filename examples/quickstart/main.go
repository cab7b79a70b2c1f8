// Command quickstart is the smallest program that uses observe: a few
// nested spans, log lines and a counter. With no environment variables it
// prints them on the console as a tree; set OTEL_EXPORTER_OTLP_ENDPOINT to
// send them to a collector instead, or OTEL_METRICS_EXPORTER=prometheus to
// serve the counter for scraping while it runs.
package main

import (
	"context"
	"fmt"
	"os"
	"time"

	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/codes"
	"go.opentelemetry.io/otel/metric"

	"github.com/observe-go/observe"
)

func main() {
	if err := run(context.Background()); err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
}

func run(ctx context.Context, opts ...observe.Option) (err error) {
	tel, err := observe.Configure(opts...)
	if err != nil {
		return err
	}
	defer func() {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		if serr := tel.Shutdown(ctx); serr != nil && err == nil {
			err = serr
		}
	}()

	orders, err := tel.MeterProvider().Meter("quickstart").Int64Counter("orders.processed",
		metric.WithDescription("Orders processed, by outcome."), metric.WithUnit("{order}"))
	if err != nil {
		return err
	}

	for _, order := range []struct {
		id    string
		total float64
	}{{"A-1001", 42.50}, {"A-1002", 0}} {
		processOrder(ctx, tel, order.id, order.total, orders)
	}
	tel.Logger().InfoContext(ctx, "quickstart finished")
	return nil
}

func processOrder(ctx context.Context, tel *observe.Telemetry, id string, total float64, orders metric.Int64Counter) {
	tracer := tel.TracerProvider().Tracer("quickstart")
	log := tel.Logger()

	ctx, span := tracer.Start(ctx, "process order")
	span.SetAttributes(attribute.String("order.id", id))
	defer span.End()

	_, validate := tracer.Start(ctx, "validate cart")
	time.Sleep(2 * time.Millisecond)
	validate.End()

	if total <= 0 {
		log.WarnContext(ctx, "order rejected", "order.id", id, "reason", "empty cart")
		span.SetStatus(codes.Error, "empty cart")
		orders.Add(ctx, 1, metric.WithAttributes(attribute.String("outcome", "rejected")))
		return
	}

	ctx, charge := tracer.Start(ctx, "charge card")
	charge.SetAttributes(attribute.Float64("payment.amount", total), attribute.String("payment.currency", "EUR"))
	time.Sleep(5 * time.Millisecond)
	log.InfoContext(ctx, "payment accepted", "order.id", id, "amount", total)
	charge.End()

	orders.Add(ctx, 1, metric.WithAttributes(attribute.String("outcome", "accepted")))
}
