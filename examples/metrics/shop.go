package main

import (
	"context"
	"errors"
	"log/slog"
	"net/http"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/codes"
	"go.opentelemetry.io/otel/metric"
	"go.opentelemetry.io/otel/trace"

	"github.com/observe-go/observe"
)

// shop holds the checkout service's instruments.
type shop struct {
	tracer trace.Tracer
	log    *slog.Logger

	orders  metric.Int64Counter       // orders_created_total
	active  metric.Int64UpDownCounter // active_checkouts
	payment metric.Float64Histogram   // payment_duration_seconds
	emails  prometheus.Counter        // confirmation_emails_sent_total, client_golang
}

func newShop(tel *observe.Telemetry, reg prometheus.Registerer) (*shop, error) {
	meter := tel.MeterProvider().Meter("checkout")
	orders, err1 := meter.Int64Counter("orders.created",
		metric.WithDescription("Total orders created."), metric.WithUnit("{order}"))
	active, err2 := meter.Int64UpDownCounter("active.checkouts",
		metric.WithDescription("Orders in the checkout flow right now."), metric.WithUnit("{checkout}"))
	payment, err3 := meter.Float64Histogram("payment.duration",
		metric.WithDescription("Time taken to process a payment."), metric.WithUnit("s"),
		metric.WithExplicitBucketBoundaries(.1, .25, .5, 1, 2, 5))
	if err := errors.Join(err1, err2, err3); err != nil {
		return nil, err
	}
	emails := prometheus.NewCounter(prometheus.CounterOpts{
		Name: "confirmation_emails_sent_total",
		Help: "Order confirmation emails sent.",
	})
	if err := reg.Register(emails); err != nil {
		return nil, err
	}
	return &shop{
		tracer:  tel.TracerProvider().Tracer("checkout"),
		log:     tel.Logger(),
		orders:  orders,
		active:  active,
		payment: payment,
		emails:  emails,
	}, nil
}

// errDeclined is the payment provider's refusal.
var errDeclined = errors.New("payment declined")

// handleCheckout takes a payment and creates the order:
// POST /checkout?payment_method=card&currency=EUR&amount=42.5.
func (s *shop) handleCheckout(w http.ResponseWriter, r *http.Request) {
	method, currency := r.FormValue("payment_method"), r.FormValue("currency")
	amount, err := parseAmount(r.FormValue("amount"))
	if err != nil || method == "" || currency == "" {
		http.Error(w, "want payment_method, currency and amount", http.StatusBadRequest)
		return
	}
	switch err := s.checkout(r.Context(), method, currency, amount); {
	case errors.Is(err, errDeclined):
		http.Error(w, err.Error(), http.StatusPaymentRequired)
	case err != nil:
		http.Error(w, "checkout failed", http.StatusInternalServerError)
	default:
		w.WriteHeader(http.StatusCreated)
	}
}

func (s *shop) checkout(ctx context.Context, method, currency string, amount float64) error {
	ctx, span := s.tracer.Start(ctx, "checkout", trace.WithAttributes(
		attribute.String("payment_method", method), attribute.String("currency", currency)))
	defer span.End()

	s.active.Add(ctx, 1)
	defer s.active.Add(ctx, -1)

	start := time.Now()
	err := pay(ctx, amount)
	s.payment.Record(ctx, time.Since(start).Seconds(), metric.WithAttributes(attribute.String("payment_method", method)))
	if err != nil {
		span.SetStatus(codes.Error, err.Error())
		s.log.WarnContext(ctx, "payment failed", "payment_method", method, "currency", currency, "error", err)
		return err
	}

	s.orders.Add(ctx, 1, metric.WithAttributes(
		attribute.String("payment_method", method), attribute.String("currency", currency)))
	s.emails.Inc()
	s.log.InfoContext(ctx, "order created", "payment_method", method, "currency", currency, "amount", amount)
	return nil
}

// pay stands for the payment provider: a short wait, and a refusal for a
// zero amount.
func pay(ctx context.Context, amount float64) error {
	select {
	case <-time.After(5 * time.Millisecond):
	case <-ctx.Done():
		return ctx.Err()
	}
	if amount <= 0 {
		return errDeclined
	}
	return nil
}
