// Command metrics records the business metrics of a checkout service with
// the OpenTelemetry meter API, next to a counter written with
// prometheus/client_golang, and serves them all on /metrics:
//
//   - orders_created_total, a counter of orders by payment_method and
//     currency (the OpenTelemetry counter orders.created);
//   - active_checkouts, the checkouts in progress (an up-down counter);
//   - payment_duration_seconds, a histogram of payment times with buckets
//     .1 .25 .5 1 2 5 (payment.duration, in seconds);
//   - confirmation_emails_sent_total, a client_golang counter carried into
//     OpenTelemetry by observe.WithPrometheusBridge.
//
// Run it and post checkouts:
//
//	go run ./examples/metrics
//	curl -X POST 'localhost:8080/checkout?payment_method=card&currency=EUR&amount=42.5'
//	curl localhost:8080/metrics
//
// or run "go run ./examples/metrics -demo" to place a few orders, print the
// exposition of these metrics and exit. With OTEL_EXPORTER_OTLP_ENDPOINT
// set, all four metrics are also exported over OTLP.
package main

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"os/signal"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/observe-go/observe"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if err := run(ctx, os.Args[1:], os.Stdout); err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
}

// run parses args, sets up observe with opts, and either serves the shop on
// -addr until ctx is done or, with -demo, places a few orders and writes
// the shop's metrics to out.
func run(ctx context.Context, args []string, out io.Writer, opts ...observe.Option) (err error) {
	fs := flag.NewFlagSet("metrics", flag.ContinueOnError)
	fs.SetOutput(out)
	addr := fs.String("addr", "localhost:8080", "address to serve /checkout and /metrics on")
	demo := fs.Bool("demo", false, "place a few orders, print the metrics and exit")
	if err := fs.Parse(args); err != nil {
		return err
	}

	// The client_golang metrics live in a registry of their own, which the
	// bridge exports with the OpenTelemetry metrics.
	reg := prometheus.NewRegistry()
	tel, err := observe.Configure(append([]observe.Option{
		observe.WithServiceName("checkout"),
		observe.WithPrometheusBridge(reg),
	}, opts...)...)
	if err != nil {
		return err
	}
	defer func() {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		err = errors.Join(err, tel.Shutdown(ctx))
	}()

	s, err := newShop(tel, reg)
	if err != nil {
		return err
	}
	mux := http.NewServeMux()
	mux.HandleFunc("POST /checkout", s.handleCheckout)
	mux.Handle("GET /metrics", tel.MetricsHandler())

	if *demo {
		return runDemo(ctx, mux, out)
	}
	return serve(ctx, mux, *addr, out)
}

// runDemo places orders through the handler, as clients would, and prints
// the shop's part of the /metrics exposition.
func runDemo(ctx context.Context, h http.Handler, out io.Writer) error {
	for _, o := range []struct {
		method, currency, amount string
	}{
		{"card", "EUR", "42.50"},
		{"card", "EUR", "19.99"},
		{"card", "USD", "120"},
		{"paypal", "EUR", "8.40"},
		{"card", "EUR", "0"}, // declined
	} {
		req := httptest.NewRequestWithContext(ctx, "POST", "/checkout?payment_method="+o.method+"&currency="+o.currency+"&amount="+o.amount, nil)
		h.ServeHTTP(httptest.NewRecorder(), req)
	}
	rr := httptest.NewRecorder()
	h.ServeHTTP(rr, httptest.NewRequestWithContext(ctx, "GET", "/metrics", nil))
	if rr.Code != http.StatusOK {
		return fmt.Errorf("GET /metrics: status %d", rr.Code)
	}
	sc := bufio.NewScanner(bytes.NewReader(rr.Body.Bytes()))
	for sc.Scan() {
		if line := sc.Text(); shopLine(line) {
			fmt.Fprintln(out, line)
		}
	}
	return sc.Err()
}

// shopLine reports whether an exposition line belongs to a shop metric.
func shopLine(line string) bool {
	name := strings.TrimPrefix(strings.TrimPrefix(line, "# HELP "), "# TYPE ")
	for _, m := range []string{"orders_created_total", "active_checkouts", "payment_duration_seconds", "confirmation_emails_sent_total"} {
		if strings.HasPrefix(name, m) {
			return true
		}
	}
	return false
}

// serve serves h on addr until ctx is done.
func serve(ctx context.Context, h http.Handler, addr string, out io.Writer) error {
	lis, err := (&net.ListenConfig{}).Listen(ctx, "tcp", addr)
	if err != nil {
		return err
	}
	srv := &http.Server{Handler: h, ReadHeaderTimeout: 5 * time.Second}
	fmt.Fprintf(out, "listening on http://%s\n", lis.Addr())
	done := make(chan error, 1)
	go func() { done <- srv.Serve(lis) }()
	select {
	case err := <-done:
		return err
	case <-ctx.Done():
	}
	sctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	err = srv.Shutdown(sctx)
	if serr := <-done; !errors.Is(serr, http.ErrServerClosed) {
		err = errors.Join(err, serr)
	}
	return err
}

// parseAmount reads a positive amount of money.
func parseAmount(s string) (float64, error) {
	v, err := strconv.ParseFloat(s, 64)
	if err != nil || v < 0 {
		return 0, fmt.Errorf("amount %q: want a number, at least 0", s)
	}
	return v, nil
}
