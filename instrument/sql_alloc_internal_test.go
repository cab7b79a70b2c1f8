package instrument

import (
	"context"
	"database/sql/driver"
	"errors"
	"strings"
	"testing"

	"go.opentelemetry.io/otel/metric/noop"
	tracenoop "go.opentelemetry.io/otel/trace/noop"
)

// Once a query has been seen, finding what it records allocates nothing:
// the parse, the attributes and the metric's attribute sets are cached.
func TestSQLCacheZeroAllocs(t *testing.T) {
	c := finishSQLConfig(newSQLConfig([]SQLOption{
		WithTracerProvider(tracenoop.NewTracerProvider()), WithMeterProvider(noop.NewMeterProvider()),
		WithDBSystem("postgresql"),
	}), nil, "postgres://app:pw@db:5432/shop", true)
	in := newSQLInstr(c)
	q := "SELECT customer FROM orders WHERE id = $1"
	op := in.query(q)
	_ = op.errorRecord("23505", "23505")
	for _, tt := range []struct {
		name string
		f    func()
	}{
		{"query hit", func() { _ = in.query(q) }},
		{"errorRecord hit", func() { _ = op.errorRecord("23505", "23505") }},
		{"prepareOp hit", func() { _ = in.prepareOp(op) }},
	} {
		if n := testing.AllocsPerRun(100, tt.f); n != 0 {
			t.Errorf("%s: %v allocations per call, want 0", tt.name, n)
		}
	}
	if c.address != "db" || c.port != 5432 || c.namespace != "shop" || c.poolName != "db:5432/shop" {
		t.Errorf("config from the DSN: %+v", c)
	}
}

// The cache of parsed queries stays bounded when every query differs.
func TestSQLQueryCacheBounded(t *testing.T) {
	in := newSQLInstr(finishSQLConfig(newSQLConfig([]SQLOption{WithTracerProvider(tracenoop.NewTracerProvider()), WithMeterProvider(noop.NewMeterProvider())}), nil, "", false))
	for i := 0; i < 3*maxCachedQueries; i++ {
		_ = in.query("SELECT * FROM t WHERE id = " + string(rune('a'+i%26)) + string(rune('a'+i/26%26)) + string(rune('a'+i/676%26)))
	}
	if n := len(*in.queries.Load()); n > maxCachedQueries {
		t.Errorf("%d cached queries, want at most %d", n, maxCachedQueries)
	}
	long := "SELECT " + string(make([]byte, maxCachedQueryLen))
	before := len(*in.queries.Load())
	_ = in.query(long)
	if len(*in.queries.Load()) > before && (*in.queries.Load())[long] != nil {
		t.Error("a query longer than maxCachedQueryLen was cached")
	}
}

// A driver without the context interfaces gets its arguments as
// database/sql would hand them: positional values, named ones refused, and
// nothing at all once the context is done.
func TestLegacyArgs(t *testing.T) {
	ctx := context.Background()
	vals, err := legacyArgs(ctx, []driver.NamedValue{{Ordinal: 1, Value: int64(7)}, {Ordinal: 2, Value: "x"}})
	if err != nil || len(vals) != 2 || vals[0] != int64(7) || vals[1] != "x" {
		t.Errorf("legacyArgs = %v, %v; want [7 x], nil", vals, err)
	}
	if _, err := legacyArgs(ctx, []driver.NamedValue{{Name: "id", Ordinal: 1, Value: 1}}); err == nil || !strings.Contains(err.Error(), "Named Parameters") {
		t.Errorf("named argument: err = %v; want the named-parameters error", err)
	}
	cancelled, cancel := context.WithCancel(ctx)
	cancel()
	if _, err := legacyArgs(cancelled, nil); !errors.Is(err, context.Canceled) {
		t.Errorf("cancelled context: err = %v; want context.Canceled", err)
	}
}
