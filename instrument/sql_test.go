package instrument_test

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	_ "github.com/jackc/pgx/v5/stdlib"
	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/codes"
	"go.opentelemetry.io/otel/sdk/metric/metricdata"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/trace"
	_ "modernc.org/sqlite"

	"github.com/observe-go/observe/instrument"
	"github.com/observe-go/observe/internal/itest"
)

// sqlBackend is a real database the same test table runs on.
type sqlBackend struct {
	name, driver, dsn string
	// What the spans must say about it.
	system, namespace, address string
	port                       int
	// ph returns the n-th placeholder (from 1).
	ph func(n int) string
	// Error codes the database gives, as error.type.
	errMissingTable, errDuplicateKey string
}

func sqliteBackend(t *testing.T) sqlBackend {
	path := filepath.Join(t.TempDir(), "orders.db")
	return sqlBackend{
		name: "sqlite", driver: "sqlite", dsn: "file:" + path + "?_pragma=busy_timeout(5000)",
		system: "sqlite", namespace: path,
		ph:              func(int) string { return "?" },
		errMissingTable: "1",    // SQLITE_ERROR
		errDuplicateKey: "1555", // SQLITE_CONSTRAINT_PRIMARYKEY
	}
}

func postgresBackend(t *testing.T) sqlBackend {
	pg := itest.StartPostgres(t)
	return sqlBackend{
		name: "postgresql", driver: "pgx", dsn: pg.URL,
		system: "postgresql", namespace: pg.Database, address: pg.Host, port: pg.Port,
		ph:              func(n int) string { return fmt.Sprintf("$%d", n) },
		errMissingTable: "42P01", // undefined_table
		errDuplicateKey: "23505", // unique_violation
	}
}

// forEachBackend runs f on SQLite and on a PostgreSQL server.
func forEachBackend(t *testing.T, f func(t *testing.T, b sqlBackend)) {
	t.Run("sqlite", func(t *testing.T) { f(t, sqliteBackend(t)) })
	t.Run("postgresql", func(t *testing.T) { f(t, postgresBackend(t)) })
}

// resetOrders makes the table the cases use, through a database that is
// not instrumented.
func resetOrders(t *testing.T, b sqlBackend) {
	t.Helper()
	db, err := sql.Open(b.driver, b.dsn)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	for _, q := range []string{
		"DROP TABLE IF EXISTS orders",
		"CREATE TABLE orders (id INTEGER PRIMARY KEY, customer TEXT NOT NULL, total REAL NOT NULL)",
		"INSERT INTO orders (id, customer, total) VALUES (1, 'ann', 10), (2, 'bob', 20), (3, 'cy', 30)",
	} {
		if _, err := db.Exec(q); err != nil {
			t.Fatalf("%s: %v", q, err)
		}
	}
}

func (tel *telemetry) sqlOptions(extra ...instrument.SQLOption) []instrument.SQLOption {
	return append([]instrument.SQLOption{instrument.WithTracerProvider(tel.tp), instrument.WithMeterProvider(tel.mp)}, extra...)
}

// wantSpan is a database span a case must make.
type wantSpan struct {
	name    string
	attrs   map[attribute.Key]any // values the span must carry (string, int)
	absent  []attribute.Key
	errType string // "" means a span without error
}

// dbSpans returns the ended spans other than the test's own and the pool's
// connects, which depend on the pool.
func dbSpans(tel *telemetry) []sdktrace.ReadOnlySpan {
	var out []sdktrace.ReadOnlySpan
	for _, s := range tel.spans.Ended() {
		if s.Name() != "request" && s.Name() != "connect" {
			out = append(out, s)
		}
	}
	return out
}

func TestSQLSpans(t *testing.T) {
	type sqlCase struct {
		name string
		opts []instrument.SQLOption
		run  func(ctx context.Context, db *sql.DB, b sqlBackend) error
		want func(b sqlBackend) []wantSpan
		// secrets must appear in no attribute of any span.
		secrets []string
	}
	cases := []sqlCase{
		{
			name: "query with arguments",
			run: func(ctx context.Context, db *sql.DB, b sqlBackend) error {
				var total float64
				return db.QueryRowContext(ctx, "SELECT total FROM orders WHERE id = "+b.ph(1)+" AND customer <> "+b.ph(2), 2, "bob-arg").Scan(&total)
			},
			want: func(b sqlBackend) []wantSpan {
				return []wantSpan{{
					name: "SELECT orders",
					attrs: map[attribute.Key]any{
						"db.query.text":      "SELECT total FROM orders WHERE id = " + b.ph(1) + " AND customer <> " + b.ph(2),
						"db.query.summary":   "SELECT orders",
						"db.operation.name":  "SELECT",
						"db.collection.name": "orders",
					},
					absent: []attribute.Key{"error.type", "db.response.status_code"},
				}}
			},
			secrets: []string{"bob-arg"},
		},
		{
			name: "literals are replaced",
			run: func(ctx context.Context, db *sql.DB, _ sqlBackend) error {
				_, err := db.ExecContext(ctx, "INSERT INTO orders (id, customer, total) VALUES (7, 'alice-secret', 12.5) -- by 'carol-secret'")
				return err
			},
			want: func(sqlBackend) []wantSpan {
				return []wantSpan{{
					name: "INSERT orders",
					attrs: map[attribute.Key]any{
						"db.query.text":     "INSERT INTO orders (id, customer, total) VALUES (?, ?, ?)",
						"db.operation.name": "INSERT",
					},
				}}
			},
			secrets: []string{"alice-secret", "carol-secret", "12.5"},
		},
		{
			name: "no rows is not an error",
			run: func(ctx context.Context, db *sql.DB, b sqlBackend) error {
				var total float64
				err := db.QueryRowContext(ctx, "SELECT total FROM orders WHERE id = "+b.ph(1), 404).Scan(&total)
				if !errors.Is(err, sql.ErrNoRows) {
					return fmt.Errorf("got %v, want sql.ErrNoRows", err)
				}
				return nil
			},
			want: func(sqlBackend) []wantSpan {
				return []wantSpan{{name: "SELECT orders", absent: []attribute.Key{"error.type"}}}
			},
		},
		{
			name: "prepared statement",
			run: func(ctx context.Context, db *sql.DB, b sqlBackend) error {
				stmt, err := db.PrepareContext(ctx, "UPDATE orders SET total = "+b.ph(1)+" WHERE id = "+b.ph(2))
				if err != nil {
					return err
				}
				defer stmt.Close()
				for id := 1; id <= 2; id++ {
					if _, err := stmt.ExecContext(ctx, 99.5, id); err != nil {
						return err
					}
				}
				return nil
			},
			want: func(b sqlBackend) []wantSpan {
				text := "UPDATE orders SET total = " + b.ph(1) + " WHERE id = " + b.ph(2)
				return []wantSpan{
					{name: "PREPARE UPDATE orders", attrs: map[attribute.Key]any{"db.operation.name": "PREPARE", "db.query.text": text}},
					{name: "UPDATE orders", attrs: map[attribute.Key]any{"db.operation.name": "UPDATE", "db.collection.name": "orders", "db.query.text": text}},
					{name: "UPDATE orders", attrs: map[attribute.Key]any{"db.operation.name": "UPDATE"}},
				}
			},
		},
		{
			name: "transaction committed",
			run: func(ctx context.Context, db *sql.DB, b sqlBackend) error {
				tx, err := db.BeginTx(ctx, nil)
				if err != nil {
					return err
				}
				if _, err := tx.ExecContext(ctx, "DELETE FROM orders WHERE id = "+b.ph(1), 3); err != nil {
					_ = tx.Rollback()
					return err
				}
				return tx.Commit()
			},
			want: func(sqlBackend) []wantSpan {
				return []wantSpan{
					{name: "BEGIN", attrs: map[attribute.Key]any{"db.operation.name": "BEGIN"}},
					{name: "DELETE orders", attrs: map[attribute.Key]any{"db.operation.name": "DELETE"}},
					{name: "COMMIT", attrs: map[attribute.Key]any{"db.operation.name": "COMMIT"}},
				}
			},
		},
		{
			name: "transaction rolled back",
			run: func(ctx context.Context, db *sql.DB, _ sqlBackend) error {
				tx, err := db.BeginTx(ctx, nil)
				if err != nil {
					return err
				}
				var n int
				if err := tx.QueryRowContext(ctx, "SELECT count(*) FROM orders").Scan(&n); err != nil {
					return err
				}
				return tx.Rollback()
			},
			want: func(sqlBackend) []wantSpan {
				return []wantSpan{{name: "BEGIN"}, {name: "SELECT orders"}, {name: "ROLLBACK", attrs: map[attribute.Key]any{"db.operation.name": "ROLLBACK"}}}
			},
		},
		{
			name: "missing table",
			run: func(ctx context.Context, db *sql.DB, _ sqlBackend) error {
				_, err := db.ExecContext(ctx, "DELETE FROM missing_orders WHERE id = 5")
				if err == nil {
					return errors.New("deleting from a missing table succeeded")
				}
				return nil
			},
			want: func(b sqlBackend) []wantSpan {
				return []wantSpan{{
					name:    "DELETE missing_orders",
					attrs:   map[attribute.Key]any{"db.collection.name": "missing_orders", "db.response.status_code": b.errMissingTable},
					errType: b.errMissingTable,
				}}
			},
		},
		{
			name: "duplicate key",
			run: func(ctx context.Context, db *sql.DB, b sqlBackend) error {
				_, err := db.ExecContext(ctx, "INSERT INTO orders (id, customer, total) VALUES ("+b.ph(1)+", "+b.ph(2)+", "+b.ph(3)+")", 1, "dup-secret", 1)
				if err == nil {
					return errors.New("a duplicate key was accepted")
				}
				return nil
			},
			want: func(b sqlBackend) []wantSpan {
				return []wantSpan{{name: "INSERT orders", errType: b.errDuplicateKey}}
			},
			secrets: []string{"dup-secret"},
		},
		{
			name: "ping makes no span by default",
			run: func(ctx context.Context, db *sql.DB, _ sqlBackend) error {
				return db.PingContext(ctx)
			},
			want: func(sqlBackend) []wantSpan { return nil },
		},
		{
			name: "WithPingSpans",
			opts: []instrument.SQLOption{instrument.WithPingSpans()},
			run: func(ctx context.Context, db *sql.DB, _ sqlBackend) error {
				return db.PingContext(ctx)
			},
			want: func(sqlBackend) []wantSpan {
				return []wantSpan{{name: "ping", attrs: map[attribute.Key]any{"db.operation.name": "ping"}, absent: []attribute.Key{"error.type"}}}
			},
		},
		{
			name: "WithRowsSpans",
			opts: []instrument.SQLOption{instrument.WithRowsSpans()},
			run: func(ctx context.Context, db *sql.DB, _ sqlBackend) error {
				rows, err := db.QueryContext(ctx, "SELECT id FROM orders ORDER BY id")
				if err != nil {
					return err
				}
				defer rows.Close()
				n := 0
				for rows.Next() {
					n++
				}
				if n != 3 {
					return fmt.Errorf("read %d rows, want 3", n)
				}
				return rows.Err()
			},
			want: func(sqlBackend) []wantSpan {
				return []wantSpan{
					{name: "SELECT orders"},
					{name: "rows", attrs: map[attribute.Key]any{"db.response.returned_rows": 3, "db.query.summary": "SELECT orders"}},
				}
			},
		},
		{
			name: "WithQueryText(false)",
			opts: []instrument.SQLOption{instrument.WithQueryText(false)},
			run: func(ctx context.Context, db *sql.DB, _ sqlBackend) error {
				_, err := db.ExecContext(ctx, "UPDATE orders SET customer = 'x' WHERE id = 1")
				return err
			},
			want: func(sqlBackend) []wantSpan {
				return []wantSpan{{name: "UPDATE orders", absent: []attribute.Key{"db.query.text"}}}
			},
		},
	}

	forEachBackend(t, func(t *testing.T, b sqlBackend) {
		for _, tc := range cases {
			t.Run(tc.name, func(t *testing.T) {
				resetOrders(t, b)
				tel := newTelemetry(t)
				db, err := instrument.OpenDB(b.driver, b.dsn, tel.sqlOptions(tc.opts...)...)
				if err != nil {
					t.Fatal(err)
				}
				defer db.Close()
				ctx, parent := tel.tp.Tracer("test").Start(context.Background(), "request")
				if err := tc.run(ctx, db, b); err != nil {
					t.Fatal(err)
				}
				parent.End()

				got := dbSpans(tel)
				want := tc.want(b)
				if len(got) != len(want) {
					t.Fatalf("spans %v, want %d: %v", spanNames(got), len(want), want)
				}
				for i, w := range want {
					checkDBSpan(t, b, got[i], w, parent.SpanContext())
				}
				for _, s := range tel.spans.Ended() {
					for _, kv := range s.Attributes() {
						for _, secret := range tc.secrets {
							if strings.Contains(kv.Value.Emit(), secret) {
								t.Errorf("span %q: %s = %q holds %q", s.Name(), kv.Key, kv.Value.Emit(), secret)
							}
						}
						if strings.Contains(kv.Value.Emit(), b.dsn) {
							t.Errorf("span %q: %s holds the data source name", s.Name(), kv.Key)
						}
					}
				}
			})
		}
	})
}

func checkDBSpan(t *testing.T, b sqlBackend, s sdktrace.ReadOnlySpan, w wantSpan, parent trace.SpanContext) {
	t.Helper()
	if s.Name() != w.name {
		t.Errorf("span %q, want %q", s.Name(), w.name)
	}
	if s.SpanKind() != trace.SpanKindClient && w.name != "rows" {
		t.Errorf("span %q is %v, want client", s.Name(), s.SpanKind())
	}
	if s.Parent().SpanID() != parent.SpanID() && w.name != "rows" {
		t.Errorf("span %q's parent is %v, want the request span %v", s.Name(), s.Parent().SpanID(), parent.SpanID())
	}
	attrs := attrMap(s.Attributes())
	common := map[attribute.Key]any{"db.system.name": b.system, "db.namespace": b.namespace}
	if b.address != "" {
		common["server.address"] = b.address
		common["server.port"] = b.port
	}
	check := func(k attribute.Key, want any) {
		got, ok := attrs[k]
		switch {
		case !ok:
			t.Errorf("span %q lacks %s (want %v)", s.Name(), k, want)
		case fmt.Sprint(got.AsInterface()) != fmt.Sprint(want):
			t.Errorf("span %q: %s = %v, want %v", s.Name(), k, got.AsInterface(), want)
		}
	}
	for k, v := range common {
		check(k, v)
	}
	for k, v := range w.attrs {
		check(k, v)
	}
	for _, k := range w.absent {
		if v, ok := attrs[k]; ok {
			t.Errorf("span %q has %s = %v, want none", s.Name(), k, v.AsInterface())
		}
	}
	if w.errType == "" {
		if s.Status().Code == codes.Error {
			t.Errorf("span %q has status Error (%q), want none", s.Name(), s.Status().Description)
		}
		return
	}
	check("error.type", w.errType)
	if s.Status().Code != codes.Error {
		t.Errorf("span %q has status %v, want Error", s.Name(), s.Status().Code)
	}
	if s.Status().Description != "" {
		t.Errorf("span %q has status description %q, want none without WithErrorMessages", s.Name(), s.Status().Description)
	}
}

// The duration histogram has the conventions' buckets and bounded
// attributes; failures add error.type.
func TestSQLOperationDuration(t *testing.T) {
	forEachBackend(t, func(t *testing.T, b sqlBackend) {
		resetOrders(t, b)
		tel := newTelemetry(t)
		db, err := instrument.OpenDB(b.driver, b.dsn, tel.sqlOptions()...)
		if err != nil {
			t.Fatal(err)
		}
		defer db.Close()
		ctx := context.Background()
		for id := 1; id <= 3; id++ {
			var c string
			if err := db.QueryRowContext(ctx, "SELECT customer FROM orders WHERE id = "+b.ph(1), id).Scan(&c); err != nil {
				t.Fatal(err)
			}
		}
		if _, err := db.ExecContext(ctx, "SELECT * FROM missing_orders"); err == nil {
			t.Fatal("query on a missing table succeeded")
		}
		m := tel.metric(t, "db.client.operation.duration")
		if m.Unit != "s" {
			t.Errorf("unit %q, want s", m.Unit)
		}
		h, ok := m.Data.(metricdata.Histogram[float64])
		if !ok {
			t.Fatalf("db.client.operation.duration is a %T", m.Data)
		}
		var sawOK, sawErr bool
		for _, dp := range h.DataPoints {
			if want := []float64{0.001, 0.005, 0.01, 0.05, 0.1, 0.5, 1, 5, 10}; !slices.Equal(dp.Bounds, want) {
				t.Errorf("bounds %v, want %v", dp.Bounds, want)
			}
			attrs := attrMap(dp.Attributes.ToSlice())
			if _, ok := attrs["db.query.text"]; ok {
				t.Errorf("db.query.text on a metric: %v", dp.Attributes.ToSlice())
			}
			if attrs["db.system.name"].AsString() != b.system {
				t.Errorf("db.system.name %q, want %q", attrs["db.system.name"].AsString(), b.system)
			}
			switch attrs["db.query.summary"].AsString() {
			case "SELECT orders":
				sawOK = true
				if dp.Count != 3 {
					t.Errorf("SELECT orders counted %d times, want 3", dp.Count)
				}
				if attrs["db.collection.name"].AsString() != "orders" || attrs["db.operation.name"].AsString() != "SELECT" {
					t.Errorf("SELECT orders attributes: %v", dp.Attributes.ToSlice())
				}
				if _, ok := attrs["error.type"]; ok {
					t.Errorf("error.type on a success: %v", dp.Attributes.ToSlice())
				}
			case "SELECT missing_orders":
				sawErr = true
				if attrs["error.type"].AsString() != b.errMissingTable {
					t.Errorf("error.type %q, want %q", attrs["error.type"].AsString(), b.errMissingTable)
				}
			}
		}
		if !sawOK || !sawErr {
			t.Errorf("data points lack the success or the failure: %v", h.DataPoints)
		}
	})
}
