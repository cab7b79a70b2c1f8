package instrument_test

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strings"
	"testing"

	"github.com/XSAM/otelsql"
	"go.opentelemetry.io/otel/codes"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/trace"

	"github.com/observe-go/observe/instrument"
)

// The same operations through otelsql (the anchor this package replaces)
// and through OpenDB: the application sees the same results, and both make
// one client span per round trip with the same failures marked as errors.
// What differs on purpose: span names (the query summary, not
// "sql.conn.query") and db.query.text (literals replaced; otelsql records
// the query as it is).
func TestSQLParityWithOtelsql(t *testing.T) {
	ops := []struct {
		name string
		run  func(ctx context.Context, db *sql.DB) error
	}{
		{"query with arguments", func(ctx context.Context, db *sql.DB) error {
			var c string
			return db.QueryRowContext(ctx, "SELECT customer FROM orders WHERE id = ?", 1).Scan(&c)
		}},
		{"exec with literals", func(ctx context.Context, db *sql.DB) error {
			_, err := db.ExecContext(ctx, "UPDATE orders SET customer = 'parity-secret' WHERE id = 2")
			return err
		}},
		{"no rows", func(ctx context.Context, db *sql.DB) error {
			var c string
			return db.QueryRowContext(ctx, "SELECT customer FROM orders WHERE id = ?", 404).Scan(&c)
		}},
		{"prepared statement", func(ctx context.Context, db *sql.DB) error {
			st, err := db.PrepareContext(ctx, "UPDATE orders SET total = ? WHERE id = ?")
			if err != nil {
				return err
			}
			defer st.Close()
			for i := 1; i <= 2; i++ {
				if _, err := st.ExecContext(ctx, 5, i); err != nil {
					return err
				}
			}
			return nil
		}},
		{"transaction", func(ctx context.Context, db *sql.DB) error {
			tx, err := db.BeginTx(ctx, nil)
			if err != nil {
				return err
			}
			if _, err := tx.ExecContext(ctx, "DELETE FROM orders WHERE id = ?", 3); err != nil {
				return err
			}
			return tx.Commit()
		}},
		{"failure", func(ctx context.Context, db *sql.DB) error {
			_, err := db.ExecContext(ctx, "SELECT * FROM missing_orders")
			return err
		}},
	}
	type outcome struct {
		err          string
		spans, fails int
		kinds        []trace.SpanKind
		texts        []string
	}
	run := func(t *testing.T, anchor bool, op func(context.Context, *sql.DB) error) outcome {
		b := sqliteBackend(t)
		resetOrders(t, b)
		tel := newTelemetry(t)
		var db *sql.DB
		var err error
		if anchor {
			db, err = otelsql.Open(b.driver, b.dsn, otelsql.WithTracerProvider(tel.tp), otelsql.WithMeterProvider(tel.mp),
				otelsql.WithSpanOptions(otelsql.SpanOptions{OmitConnResetSession: true, OmitRows: true, OmitConnectorConnect: true, DisableErrSkip: true}))
		} else {
			db, err = instrument.OpenDB(b.driver, b.dsn, tel.sqlOptions()...)
		}
		if err != nil {
			t.Fatal(err)
		}
		defer db.Close()
		db.SetMaxOpenConns(1)
		if err := db.Ping(); err != nil {
			t.Fatal(err)
		}
		before := len(tel.spans.Ended())
		ctx, parent := tel.tp.Tracer("test").Start(context.Background(), "request")
		var o outcome
		if err := op(ctx, db); err != nil {
			o.err = err.Error()
			if errors.Is(err, sql.ErrNoRows) {
				o.err = "no rows"
			}
		}
		parent.End()
		var spans []sdktrace.ReadOnlySpan
		for _, s := range tel.spans.Ended()[before:] {
			if s.Name() != "request" && s.Name() != "connect" {
				spans = append(spans, s)
			}
		}
		for _, s := range spans {
			o.spans++
			if s.Status().Code == codes.Error {
				o.fails++
			}
			o.kinds = append(o.kinds, s.SpanKind())
			for _, kv := range s.Attributes() {
				if kv.Key == "db.query.text" || kv.Key == "db.statement" {
					o.texts = append(o.texts, kv.Value.AsString())
				}
			}
		}
		return o
	}
	for _, op := range ops {
		t.Run(op.name, func(t *testing.T) {
			anchor, ours := run(t, true, op.run), run(t, false, op.run)
			if anchor.err != ours.err {
				t.Errorf("the application saw %q through otelsql, %q through OpenDB", anchor.err, ours.err)
			}
			if anchor.spans != ours.spans || anchor.fails != ours.fails || fmt.Sprint(anchor.kinds) != fmt.Sprint(ours.kinds) {
				t.Errorf("otelsql made %d spans (%d errors, kinds %v), OpenDB %d (%d errors, kinds %v)",
					anchor.spans, anchor.fails, anchor.kinds, ours.spans, ours.fails, ours.kinds)
			}
			for _, text := range ours.texts {
				if strings.Contains(text, "parity-secret") {
					t.Errorf("OpenDB recorded a literal: %q", text)
				}
			}
		})
	}
}
