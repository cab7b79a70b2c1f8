package instrument_test

import (
	"context"
	"database/sql"
	"sync/atomic"
	"testing"

	"github.com/XSAM/otelsql"
	sdkmetric "go.opentelemetry.io/otel/sdk/metric"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	semconv "go.opentelemetry.io/otel/semconv/v1.43.0"

	"github.com/observe-go/observe"
	"github.com/observe-go/observe/instrument"
)

// countingExporter counts the spans that reach it.
type countingExporter struct{ n atomic.Int64 }

func (e *countingExporter) ExportSpans(_ context.Context, spans []sdktrace.ReadOnlySpan) error {
	e.n.Add(int64(len(spans)))
	return nil
}
func (e *countingExporter) Shutdown(context.Context) error { return nil }

// The benchmarks below compare, on one query and one exec against SQLite
// in memory (modernc.org/sqlite, one connection), the same providers (from
// observe.Configure: AlwaysSample, a batch span processor in front of an
// exporter that counts what it receives, a ManualReader that is never
// collected):
//
//   - bare: database/sql on the driver alone;
//   - otelsql: github.com/XSAM/otelsql with the options closest to
//     observe's defaults (no rows, ResetSession or ErrSkip spans; pool
//     metrics registered);
//   - observe: instrument.OpenDB with its defaults.
//
// Each reports spans/op, the spans that reached the exporter per
// operation.
//
// Run: go test -run '^$' -bench BenchmarkSQL -benchmem ./instrument/
func BenchmarkSQL(b *testing.B) {
	exp := &countingExporter{}
	tel, err := observe.Configure(observe.WithoutGlobals(),
		observe.WithEnvLookup(mapLookup(map[string]string{
			"OTEL_TRACES_EXPORTER":  "none",
			"OTEL_METRICS_EXPORTER": "none",
			"OTEL_LOGS_EXPORTER":    "none",
			"OTEL_TRACES_SAMPLER":   "always_on",
			"OTEL_SERVICE_NAME":     "bench",
		})),
		observe.WithSpanExporter(exp),
		observe.WithMetricReader(sdkmetric.NewManualReader()))
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { _ = tel.Shutdown(context.Background()) })

	open := map[string]func() (*sql.DB, error){
		"bare": func() (*sql.DB, error) { return sql.Open("sqlite", ":memory:") },
		"otelsql": func() (*sql.DB, error) {
			db, err := otelsql.Open("sqlite", ":memory:",
				otelsql.WithTracerProvider(tel.TracerProvider()),
				otelsql.WithMeterProvider(tel.MeterProvider()),
				otelsql.WithAttributes(semconv.DBSystemNameSQLite),
				otelsql.WithSpanOptions(otelsql.SpanOptions{OmitConnResetSession: true, OmitRows: true, DisableErrSkip: true}))
			if err == nil {
				_, err = otelsql.RegisterDBStatsMetrics(db, otelsql.WithMeterProvider(tel.MeterProvider()))
			}
			return db, err
		},
		"observe": func() (*sql.DB, error) {
			return instrument.OpenDB("sqlite", ":memory:",
				instrument.WithTracerProvider(tel.TracerProvider()), instrument.WithMeterProvider(tel.MeterProvider()))
		},
	}
	ops := []struct {
		name string
		run  func(ctx context.Context, db *sql.DB, i int) error
	}{
		{"query", func(ctx context.Context, db *sql.DB, i int) error {
			var customer string
			var total float64
			return db.QueryRowContext(ctx, "SELECT customer, total FROM orders WHERE id = ?", i%100+1).Scan(&customer, &total)
		}},
		{"exec", func(ctx context.Context, db *sql.DB, i int) error {
			_, err := db.ExecContext(ctx, "UPDATE orders SET total = ? WHERE id = ?", float64(i), i%100+1)
			return err
		}},
	}
	for _, op := range ops {
		for _, variant := range []string{"bare", "otelsql", "observe"} {
			b.Run(op.name+"/"+variant, func(b *testing.B) {
				db, err := open[variant]()
				if err != nil {
					b.Fatal(err)
				}
				defer db.Close()
				db.SetMaxOpenConns(1)
				if _, err := db.Exec("CREATE TABLE orders (id INTEGER PRIMARY KEY, customer TEXT, total REAL)"); err != nil {
					b.Fatal(err)
				}
				for i := 1; i <= 100; i++ {
					if _, err := db.Exec("INSERT INTO orders VALUES (?, ?, ?)", i, "customer", 1.5); err != nil {
						b.Fatal(err)
					}
				}
				ctx := context.Background()
				if err := tel.ForceFlush(ctx); err != nil {
					b.Fatal(err)
				}
				before := exp.n.Load()
				b.ReportAllocs()
				b.ResetTimer()
				i := 0
				for b.Loop() {
					if err := op.run(ctx, db, i); err != nil {
						b.Fatal(err)
					}
					i++
				}
				b.StopTimer()
				if err := tel.ForceFlush(ctx); err != nil {
					b.Fatal(err)
				}
				b.ReportMetric(float64(exp.n.Load()-before)/float64(i), "spans/op")
			})
		}
	}
}
