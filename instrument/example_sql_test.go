package instrument_test

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"

	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/sdk/trace/tracetest"
	_ "modernc.org/sqlite"

	"github.com/observe-go/observe/instrument"
)

func ExampleOpenDB() {
	spans := tracetest.NewSpanRecorder()
	tp := sdktrace.NewTracerProvider(sdktrace.WithSpanProcessor(spans))
	defer func() { _ = tp.Shutdown(context.Background()) }()

	db, err := instrument.OpenDB("sqlite", ":memory:", instrument.WithTracerProvider(tp))
	if err != nil {
		fmt.Println(err)
		return
	}
	defer db.Close()
	ctx := context.Background()
	_, _ = db.ExecContext(ctx, "CREATE TABLE orders (id INTEGER PRIMARY KEY, customer TEXT)")
	_, _ = db.ExecContext(ctx, "INSERT INTO orders (id, customer) VALUES (1, 'ann')")
	var customer string
	_ = db.QueryRowContext(ctx, "SELECT customer FROM orders WHERE id = ?", 1).Scan(&customer)

	for _, s := range spans.Ended() {
		for _, kv := range s.Attributes() {
			if kv.Key == "db.query.text" {
				fmt.Printf("%s: %s\n", s.Name(), kv.Value.AsString())
			}
		}
	}
	// Output:
	// CREATE TABLE orders: CREATE TABLE orders (id INTEGER PRIMARY KEY, customer TEXT)
	// INSERT orders: INSERT INTO orders (id, customer) VALUES (?, ?)
	// SELECT orders: SELECT customer FROM orders WHERE id = ?
}

func ExampleHealthHandler() {
	db, err := instrument.OpenDB("sqlite", ":memory:")
	if err != nil {
		fmt.Println(err)
		return
	}
	h := instrument.HealthHandler(instrument.HealthCheck{Name: "db", Check: db.PingContext})

	w := httptest.NewRecorder()
	h.ServeHTTP(w, httptest.NewRequest(http.MethodGet, "/healthz", nil))
	fmt.Println(w.Code)

	_ = db.Close()
	w = httptest.NewRecorder()
	h.ServeHTTP(w, httptest.NewRequest(http.MethodGet, "/healthz", nil))
	fmt.Println(w.Code)
	// Output:
	// 200
	// 503
}
