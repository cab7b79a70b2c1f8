// Command loadtarget is the server scripts/loadtest.sh sends load to: one
// route, GET /users/{id}, served bare (-bare) or behind
// Telemetry.InstrumentHTTP with the telemetry the environment chooses.
// Besides the built-in exporter names it knows "discard", for spans and
// logs: batched as an OTLP exporter is, then counted and dropped, so that
// a run measures everything up to the network. (Metrics are aggregated
// once for MetricsHandler whatever exporter reads them, and exported once
// a minute: OTEL_METRICS_EXPORTER=none leaves out only that export.) On SIGTERM or SIGINT
// it shuts down and prints one line of JSON on standard output: the
// requests served and the spans and log records the discard exporters
// got.
package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/signal"
	"sync/atomic"
	"syscall"
	"time"

	sdklog "go.opentelemetry.io/otel/sdk/log"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"

	"github.com/observe-go/observe"
	"github.com/observe-go/observe/exporters"
)

type discardSpans struct{ n *atomic.Int64 }

func (d discardSpans) ExportSpans(_ context.Context, s []sdktrace.ReadOnlySpan) error {
	d.n.Add(int64(len(s)))
	return nil
}
func (discardSpans) Shutdown(context.Context) error { return nil }

type discardLogs struct{ n *atomic.Int64 }

func (d discardLogs) Export(_ context.Context, r []sdklog.Record) error {
	d.n.Add(int64(len(r)))
	return nil
}
func (discardLogs) Shutdown(context.Context) error   { return nil }
func (discardLogs) ForceFlush(context.Context) error { return nil }

// result is what the program prints when it stops.
type result struct {
	Requests int64 `json:"requests"`
	Spans    int64 `json:"discarded_spans"`
	Logs     int64 `json:"discarded_logs"`
}

func main() {
	addr := flag.String("addr", "127.0.0.1:8080", "address to listen on")
	bare := flag.Bool("bare", false, "serve the mux without instrumentation")
	flag.Parse()
	if err := run(*addr, *bare); err != nil {
		fmt.Fprintln(os.Stderr, "loadtarget:", err)
		os.Exit(1)
	}
}

func run(addr string, bare bool) (err error) {
	var spans, logs, requests atomic.Int64
	err = errors.Join(
		exporters.RegisterSpanExporter("discard", func(context.Context, exporters.Lookup) (sdktrace.SpanExporter, error) {
			return discardSpans{&spans}, nil
		}),
		exporters.RegisterLogExporter("discard", func(context.Context, exporters.Lookup) (sdklog.Exporter, error) {
			return discardLogs{&logs}, nil
		}))
	if err != nil {
		return err
	}
	tel, err := observe.Configure()
	if err != nil {
		return err
	}
	mux := http.NewServeMux()
	mux.HandleFunc("GET /users/{id}", func(w http.ResponseWriter, r *http.Request) {
		requests.Add(1)
		w.Header().Set("Content-Type", "application/json")
		_, _ = io.WriteString(w, `{"id":"`+r.PathValue("id")+`"}`)
	})
	var h http.Handler = mux
	if !bare {
		h = tel.InstrumentHTTP(mux)
	}
	lis, err := net.Listen("tcp", addr)
	if err != nil {
		return errors.Join(err, tel.Shutdown(context.Background()))
	}
	srv := &http.Server{Handler: h, ReadHeaderTimeout: 5 * time.Second}
	go func() { _ = srv.Serve(lis) }()

	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	<-ctx.Done()
	sctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	err = errors.Join(srv.Shutdown(sctx), tel.Shutdown(sctx))
	out, _ := json.Marshal(result{Requests: requests.Load(), Spans: spans.Load(), Logs: logs.Load()})
	fmt.Println(string(out))
	return err
}
