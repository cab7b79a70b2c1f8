// Command quickstart is the Go version of the seeds' FastAPI example: an
// HTTP service behind observe.InstrumentHTTP.
//
//	GET /hello?name=world        {"message":"hello world"}
//	GET /users/{id}              a user, or 404
//	GET /users/{id}/greeting     calls /hello through the instrumented client
//	GET /orders/{id}             an order read from SQLite through instrument.OpenDB
//	GET /health                  readiness: checks the database (503 when it fails)
//	GET /livez                   liveness: no checks
//	GET /metrics                 every metric, the Go runtime and process ones included
//
// It listens on :8080 (-addr) until SIGINT or SIGTERM, then stops the server
// and flushes the telemetry. With -demo it serves on a free loopback port,
// sends itself a few requests, and exits: the console shows each request as
// a tree, the greeting one with its client call and the nested server span
// of /hello, a two-level distributed trace.
//
// With no environment variables everything goes to the console; set
// OTEL_EXPORTER_OTLP_ENDPOINT to send it to a collector, or
// OTEL_METRICS_EXPORTER=prometheus to serve the metrics for scraping.
package main

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"os"
	"os/signal"
	"syscall"
	"time"

	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/metric"

	_ "modernc.org/sqlite" // the "sqlite" driver, pure Go

	"github.com/observe-go/observe"
	"github.com/observe-go/observe/instrument"
)

func main() {
	addr := flag.String("addr", ":8080", "address to listen on")
	demo := flag.Bool("demo", false, "serve on a free loopback port, send a few requests, print the tree and exit")
	flag.Parse()

	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if *demo {
		*addr = "127.0.0.1:0"
	}
	if err := run(ctx, *addr, *demo); err != nil {
		fmt.Fprintln(os.Stderr, "quickstart:", err)
		os.Exit(1)
	}
}

// run serves until ctx is done (or, with demo, until the demo requests are
// answered), then shuts the server down first and the telemetry second.
func run(ctx context.Context, addr string, demo bool, opts ...observe.Option) (err error) {
	tel, err := observe.Configure(opts...)
	if err != nil {
		return err
	}
	defer func() {
		sctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		err = errors.Join(err, tel.Shutdown(sctx))
	}()

	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return err
	}
	db, err := openOrders(tel)
	if err != nil {
		return err
	}
	defer db.Close()
	a := &app{tel: tel, client: tel.HTTPClient(nil), base: "http://" + ln.Addr().String(), db: db}
	greetings, err := tel.MeterProvider().Meter("quickstart").Int64Counter("greetings.sent",
		metric.WithDescription("Greetings sent, by kind."), metric.WithUnit("{greeting}"))
	if err != nil {
		return err
	}
	a.greetings = greetings

	mux := http.NewServeMux()
	mux.HandleFunc("GET /hello", a.hello)
	mux.HandleFunc("GET /users/{id}", a.user)
	mux.HandleFunc("GET /users/{id}/greeting", a.greeting)
	mux.HandleFunc("GET /orders/{id}", a.order)
	mux.Handle("GET /health", instrument.HealthHandler(instrument.HealthCheck{Name: "db", Check: db.PingContext}))
	mux.Handle("GET /livez", instrument.LivenessHandler())
	mux.Handle("GET /metrics", tel.MetricsHandler())

	// /health, /livez and /metrics are counted in the HTTP metrics but
	// neither traced nor logged.
	srv := &http.Server{Handler: tel.InstrumentHTTP(mux), ReadHeaderTimeout: 5 * time.Second}
	served := make(chan error, 1)
	go func() { served <- srv.Serve(ln) }()
	// The address goes to standard error too: with an OTLP endpoint set,
	// the log record goes to the collector, not to the terminal.
	fmt.Fprintf(os.Stderr, "quickstart: listening on %s\n", a.base)
	tel.Logger().InfoContext(ctx, "listening", "url", a.base)

	if demo {
		err = a.demo(ctx)
	} else {
		select {
		case <-ctx.Done():
		case err = <-served:
		}
	}
	sctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if serr := srv.Shutdown(sctx); serr != nil {
		err = errors.Join(err, serr)
	}
	return err
}

type app struct {
	tel       *observe.Telemetry
	client    *http.Client
	base      string
	greetings metric.Int64Counter
	db        *sql.DB
}

// openOrders opens an in-memory SQLite database through instrument.OpenDB:
// every query is a client span (SELECT orders) under the request's span,
// and the pool's connections are metrics.
func openOrders(tel *observe.Telemetry) (*sql.DB, error) {
	db, err := instrument.OpenDB("sqlite", "file:quickstart?mode=memory&cache=shared",
		instrument.WithTracerProvider(tel.TracerProvider()), instrument.WithMeterProvider(tel.MeterProvider()))
	if err != nil {
		return nil, err
	}
	if _, err := db.Exec(`CREATE TABLE IF NOT EXISTS orders (id INTEGER PRIMARY KEY, item TEXT, cents INTEGER)`); err != nil {
		db.Close()
		return nil, err
	}
	if _, err := db.Exec(`INSERT OR IGNORE INTO orders (id, item, cents) VALUES (1, 'tea', 450), (2, 'scone', 325)`); err != nil {
		db.Close()
		return nil, err
	}
	return db, nil
}

func (a *app) order(w http.ResponseWriter, r *http.Request) {
	var item string
	var cents int
	err := a.db.QueryRowContext(r.Context(), `SELECT item, cents FROM orders WHERE id = ?`, r.PathValue("id")).Scan(&item, &cents)
	switch {
	case errors.Is(err, sql.ErrNoRows):
		writeJSON(w, http.StatusNotFound, map[string]string{"error": "no such order"})
	case err != nil:
		a.tel.Logger().ErrorContext(r.Context(), "reading the order failed", "error", err)
		writeJSON(w, http.StatusInternalServerError, map[string]string{"error": "database failed"})
	default:
		writeJSON(w, http.StatusOK, map[string]any{"id": r.PathValue("id"), "item": item, "cents": cents})
	}
}

var users = map[string]string{"1": "Ada Lovelace", "42": "Grace Hopper"}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(v)
}

func (a *app) hello(w http.ResponseWriter, r *http.Request) {
	name := r.URL.Query().Get("name")
	if name == "" {
		writeJSON(w, http.StatusUnprocessableEntity, map[string]string{"error": "name is required"})
		return
	}
	a.greetings.Add(r.Context(), 1, metric.WithAttributes(attribute.String("kind", "hello")))
	writeJSON(w, http.StatusOK, map[string]string{"message": "hello " + name})
}

func (a *app) user(w http.ResponseWriter, r *http.Request) {
	name, ok := users[r.PathValue("id")]
	if !ok {
		a.tel.Logger().WarnContext(r.Context(), "unknown user", "user.id", r.PathValue("id"))
		writeJSON(w, http.StatusNotFound, map[string]string{"error": "no such user"})
		return
	}
	writeJSON(w, http.StatusOK, map[string]string{"id": r.PathValue("id"), "name": name})
}

// greeting calls /hello through the instrumented client: the trace context
// travels in the traceparent header, so the /hello server span is a child
// of this request's client span.
func (a *app) greeting(w http.ResponseWriter, r *http.Request) {
	name, ok := users[r.PathValue("id")]
	if !ok {
		writeJSON(w, http.StatusNotFound, map[string]string{"error": "no such user"})
		return
	}
	ctx := instrument.ContextWithURLTemplate(r.Context(), "/hello")
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, a.base+"/hello?name="+url.QueryEscape(name), nil)
	if err != nil {
		writeJSON(w, http.StatusInternalServerError, map[string]string{"error": "bad request"})
		return
	}
	resp, err := a.client.Do(req)
	if err != nil {
		a.tel.Logger().ErrorContext(r.Context(), "calling /hello failed", "error", err)
		writeJSON(w, http.StatusBadGateway, map[string]string{"error": "upstream failed"})
		return
	}
	defer resp.Body.Close()
	var body map[string]string
	if err := json.NewDecoder(resp.Body).Decode(&body); err != nil {
		writeJSON(w, http.StatusBadGateway, map[string]string{"error": "upstream answered badly"})
		return
	}
	a.tel.Logger().InfoContext(r.Context(), "greeting ready", "user.id", r.PathValue("id"))
	writeJSON(w, http.StatusOK, map[string]string{"greeting": body["message"]})
}

// demo sends the requests a first-time user would try.
func (a *app) demo(ctx context.Context) error {
	for _, path := range []string{"/hello?name=world", "/users/42", "/users/7", "/users/1/greeting", "/hello", "/orders/1", "/health"} {
		req, err := http.NewRequestWithContext(ctx, http.MethodGet, a.base+path, nil)
		if err != nil {
			return err
		}
		// A plain client: these requests stand for outside callers.
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			return fmt.Errorf("GET %s: %w", path, err)
		}
		_, _ = io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
	}
	return nil
}
