// Command forwarding serves a web page whose OpenTelemetry JS SDK sends its
// spans to this server, which relays them to the OTLP backend through
// observe's forwarding handler, adding the write token that the page never
// sees.
//
// Build the page once (scripts/browser-setup.sh does the same):
//
//	cd examples/forwarding/web && npm ci && npm run build
//
// then run, from examples/forwarding, with the backend's settings:
//
//	OTEL_EXPORTER_OTLP_ENDPOINT=http://localhost:4318 \
//	OTEL_EXPORTER_OTLP_HEADERS='authorization=Bearer%20write-token' \
//	go run . -addr 127.0.0.1:8080
//
// and open http://127.0.0.1:8080/. The server's own telemetry, including the
// forwarding handler's metrics, goes where observe.Configure sends it.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"net/http"
	"os"
	"os/signal"
	"path/filepath"
	"syscall"
	"time"

	"github.com/observe-go/observe"
	"github.com/observe-go/observe/forwarding"
)

// proxyPrefix is where the page's exporter sends (see web/src/main.js).
const proxyPrefix = "/observe-proxy/"

func main() {
	addr := flag.String("addr", "127.0.0.1:8080", "address to listen on")
	web := flag.String("web", "web", "folder holding index.html and dist/app.js")
	flag.Parse()
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	err := run(ctx, *addr, *web)
	stop()
	if err != nil {
		fmt.Fprintln(os.Stderr, "forwarding:", err)
		os.Exit(1)
	}
}

// run sets up observe, serves the example on addr until ctx is done, then
// shuts the server and the telemetry down.
func run(ctx context.Context, addr, web string, opts ...observe.Option) (err error) {
	tel, err := observe.Configure(append([]observe.Option{observe.WithServiceName("forwarding-example")}, opts...)...)
	if err != nil {
		return err
	}
	defer func() {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		err = errors.Join(err, tel.Shutdown(ctx))
	}()

	handler, err := newServer(web, forwarding.WithMeterProvider(tel.MeterProvider()))
	if err != nil {
		return err
	}
	srv := &http.Server{Addr: addr, Handler: handler, ReadHeaderTimeout: 10 * time.Second}
	serveErr := make(chan error, 1)
	go func() { serveErr <- srv.ListenAndServe() }()
	// The address goes to standard error too: with an OTLP endpoint set,
	// the log record goes to the collector, not to the terminal.
	fmt.Fprintf(os.Stderr, "forwarding: serving the page on http://%s/\n", addr)
	tel.Logger().Info("serving the page", "url", "http://"+addr+"/")
	select {
	case err := <-serveErr:
		return err
	case <-ctx.Done():
	}
	shutdownCtx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	return srv.Shutdown(shutdownCtx)
}

// newServer returns the example's routes: the page and its script from the
// folder web, and the forwarding handler under proxyPrefix, configured by
// the environment and opts. It fails when the backend is not configured or
// the page has not been built.
func newServer(web string, opts ...forwarding.Option) (http.Handler, error) {
	proxy, err := forwarding.New(opts...)
	if err != nil {
		return nil, err
	}
	index := filepath.Join(web, "index.html")
	bundle := filepath.Join(web, "dist", "app.js")
	for _, f := range []string{index, bundle} {
		if _, err := os.Stat(f); err != nil {
			return nil, fmt.Errorf("%w (build the page: cd examples/forwarding/web && npm ci && npm run build)", err)
		}
	}
	mux := http.NewServeMux()
	mux.Handle("POST "+proxyPrefix, proxy)
	mux.HandleFunc("GET /{$}", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Security-Policy", "default-src 'self'")
		http.ServeFile(w, r, index)
	})
	mux.HandleFunc("GET /app.js", func(w http.ResponseWriter, r *http.Request) {
		http.ServeFile(w, r, bundle)
	})
	mux.HandleFunc("GET /favicon.ico", func(w http.ResponseWriter, r *http.Request) {
		w.WriteHeader(http.StatusNoContent)
	})
	mux.HandleFunc("GET /app.js.map", func(w http.ResponseWriter, r *http.Request) {
		http.ServeFile(w, r, bundle+".map")
	})
	return mux, nil
}
