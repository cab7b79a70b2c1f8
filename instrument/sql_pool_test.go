package instrument_test

import (
	"context"
	"database/sql"
	"database/sql/driver"
	"errors"
	"fmt"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"

	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/codes"
	"go.opentelemetry.io/otel/sdk/metric/metricdata"
	"modernc.org/sqlite"

	"github.com/observe-go/observe/instrument"
)

// poolPoints returns the value of each data point of a pool metric, by
// "pool" or "pool/state".
func poolPoints(t *testing.T, tel *telemetry, name string) map[string]float64 {
	t.Helper()
	out := map[string]float64{}
	m, ok := findMetric(tel.collect(t), name)
	if !ok {
		return out
	}
	add := func(set attribute.Set, v float64) {
		pool, _ := set.Value("db.client.connection.pool.name")
		key := pool.AsString()
		if state, ok := set.Value("db.client.connection.state"); ok {
			key += "/" + state.AsString()
		}
		out[key] = v
	}
	switch d := m.Data.(type) {
	case metricdata.Sum[int64]:
		for _, dp := range d.DataPoints {
			add(dp.Attributes, float64(dp.Value))
		}
	case metricdata.Sum[float64]:
		for _, dp := range d.DataPoints {
			add(dp.Attributes, dp.Value)
		}
	default:
		t.Fatalf("%s is a %T", name, m.Data)
	}
	return out
}

// Every database opened keeps its pool metrics; closing one removes its
// own and leaves the others'.
func TestSQLPoolMetricsSeveralDatabases(t *testing.T) {
	tel := newTelemetry(t)
	dir := t.TempDir()
	open := func(name string, maxOpen int) *sql.DB {
		db, err := instrument.OpenDB("sqlite", "file:"+filepath.Join(dir, name), tel.sqlOptions()...)
		if err != nil {
			t.Fatal(err)
		}
		db.SetMaxOpenConns(maxOpen)
		return db
	}
	a, b := open("a.db", 4), open("b.db", 0)
	defer a.Close()
	ctx := context.Background()
	// a: one connection held, one idle.
	held, err := a.Conn(ctx)
	if err != nil {
		t.Fatal(err)
	}
	c2, err := a.Conn(ctx)
	if err != nil {
		t.Fatal(err)
	}
	_ = c2.Close()
	if err := b.PingContext(ctx); err != nil {
		t.Fatal(err)
	}
	pa, pb := filepath.Join(dir, "a.db"), filepath.Join(dir, "b.db")

	counts := poolPoints(t, tel, "db.client.connection.count")
	want := map[string]float64{pa + "/used": 1, pa + "/idle": 1, pb + "/used": 0, pb + "/idle": 1}
	for k, v := range want {
		if counts[k] != v {
			t.Errorf("db.client.connection.count[%s] = %v, want %v (all: %v)", k, counts[k], v, counts)
		}
	}
	maxes := poolPoints(t, tel, "db.client.connection.max")
	if maxes[pa] != 4 {
		t.Errorf("db.client.connection.max[%s] = %v, want 4", pa, maxes[pa])
	}
	if _, ok := maxes[pb]; ok {
		t.Errorf("db.client.connection.max reported for a pool without a limit: %v", maxes)
	}
	for _, name := range []string{"db.client.connection.waits", "db.client.connection.wait_duration"} {
		if _, ok := poolPoints(t, tel, name)[pa]; !ok {
			t.Errorf("%s lacks pool %s", name, pa)
		}
	}
	_ = held.Close()

	if err := b.Close(); err != nil {
		t.Fatal(err)
	}
	counts = poolPoints(t, tel, "db.client.connection.count")
	if _, ok := counts[pb+"/idle"]; ok {
		t.Errorf("a closed database is still reported: %v", counts)
	}
	if counts[pa+"/idle"] != 2 {
		t.Errorf("db.client.connection.count[%s/idle] = %v after the other database closed, want 2 (all: %v)", pa, counts[pa+"/idle"], counts)
	}
}

// A connector wrapped by WrapConnector gets its pool metrics from
// RegisterPoolMetrics, which closing the database stops; a database of
// another origin gets them too, until Unregister.
func TestSQLWrapConnectorAndRegisterPoolMetrics(t *testing.T) {
	tel := newTelemetry(t)
	path := filepath.Join(t.TempDir(), "w.db")
	base, err := sqlite.NewConnector("file:" + path)
	if err != nil {
		t.Fatal(err)
	}
	c := instrument.WrapConnector(base, tel.sqlOptions(instrument.WithDBNamespace("shop"), instrument.WithPoolName("shop-pool"))...)
	if again := instrument.WrapConnector(c, tel.sqlOptions()...); again != c {
		t.Error("WrapConnector wrapped an instrumented connector again")
	}
	db := sql.OpenDB(c)
	reg, err := instrument.RegisterPoolMetrics(db)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := instrument.RegisterPoolMetrics(db); err != nil {
		t.Fatal(err)
	}
	if _, err := db.Exec("CREATE TABLE t (x INTEGER)"); err != nil {
		t.Fatal(err)
	}
	spans := dbSpans(tel)
	if len(spans) != 1 || spans[0].Name() != "CREATE TABLE t" {
		t.Fatalf("spans %v, want [CREATE TABLE t]", spanNames(spans))
	}
	attrs := attrMap(spans[0].Attributes())
	if attrs["db.system.name"].AsString() != "sqlite" || attrs["db.namespace"].AsString() != "shop" {
		t.Errorf("attributes %v, want db.system.name sqlite (from the driver's package) and db.namespace shop", spans[0].Attributes())
	}
	if got := poolPoints(t, tel, "db.client.connection.count"); got["shop-pool/idle"] != 1 || len(got) != 2 {
		t.Errorf("db.client.connection.count = %v, want shop-pool idle 1 and used 0 (registered once)", got)
	}
	_ = db.Close()
	if got := poolPoints(t, tel, "db.client.connection.count"); len(got) != 0 {
		t.Errorf("closing the database left %v", got)
	}
	if err := reg.Unregister(); err != nil {
		t.Errorf("Unregister after Close: %v", err)
	}

	// A database that is not instrumented.
	plain, err := sql.Open("sqlite", "file:"+path)
	if err != nil {
		t.Fatal(err)
	}
	defer plain.Close()
	reg, err = instrument.RegisterPoolMetrics(plain, tel.sqlOptions(instrument.WithPoolName("plain"))...)
	if err != nil {
		t.Fatal(err)
	}
	if err := plain.Ping(); err != nil {
		t.Fatal(err)
	}
	if got := poolPoints(t, tel, "db.client.connection.count"); got["plain/idle"] != 1 {
		t.Errorf("db.client.connection.count = %v, want plain idle 1", got)
	}
	if err := reg.Unregister(); err != nil {
		t.Fatal(err)
	}
	if got := poolPoints(t, tel, "db.client.connection.count"); len(got) != 0 {
		t.Errorf("Unregister left %v", got)
	}
	if _, err := instrument.RegisterPoolMetrics(nil); err == nil {
		t.Error("RegisterPoolMetrics(nil) gave no error")
	}
}

var wrapDriverRuns atomic.Int64

// A driver registered through WrapDriver reads the data source name as
// OpenDB does.
func TestSQLWrapDriver(t *testing.T) {
	tel := newTelemetry(t)
	// A name of its own for each run: drivers cannot be unregistered.
	name := fmt.Sprintf("sqlite-instrumented-%s-%d", strings.ReplaceAll(t.Name(), "/", "-"), wrapDriverRuns.Add(1))
	sql.Register(name, instrument.WrapDriver(&sqlite.Driver{}, tel.sqlOptions()...))
	path := filepath.Join(t.TempDir(), "d.db")
	db, err := sql.Open(name, "file:"+path+"?mode=rwc")
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	if _, err := db.Exec("CREATE TABLE t (x INTEGER)"); err != nil {
		t.Fatal(err)
	}
	var connects, creates int
	for _, s := range tel.spans.Ended() {
		attrs := attrMap(s.Attributes())
		switch s.Name() {
		case "connect":
			connects++
			if attrs["db.client.connection.pool.name"].AsString() != path {
				t.Errorf("connect span attributes %v", s.Attributes())
			}
		case "CREATE TABLE t":
			creates++
			if attrs["db.namespace"].AsString() != path || attrs["db.system.name"].AsString() != "sqlite" {
				t.Errorf("attributes %v, want db.namespace %s and db.system.name sqlite", s.Attributes(), path)
			}
		}
	}
	if connects != 1 || creates != 1 {
		t.Errorf("spans %v, want one connect and one CREATE TABLE t", spanNames(tel.spans.Ended()))
	}
	if m, ok := findMetric(tel.collect(t), "db.client.connection.create_time"); !ok {
		t.Error("db.client.connection.create_time not recorded")
	} else if h := m.Data.(metricdata.Histogram[float64]); len(h.DataPoints) != 1 || h.DataPoints[0].Count != 1 {
		t.Errorf("db.client.connection.create_time = %+v, want one connection", h.DataPoints)
	}
}

// failingConnector fails every Connect with a message that holds a
// password, as some drivers' errors do.
type failingConnector struct{}

var errConnect = errors.New("connect to db.internal: password \"hunter2\" rejected")

func (failingConnector) Connect(context.Context) (driver.Conn, error) { return nil, errConnect }
func (failingConnector) Driver() driver.Driver                        { return &sqlite.Driver{} }

// An unreachable database shows as a failed connect span under the
// request, without the error's text unless WithErrorMessages.
func TestSQLConnectFailure(t *testing.T) {
	for _, withText := range []bool{false, true} {
		tel := newTelemetry(t)
		opts := tel.sqlOptions(instrument.WithDBServer("db.internal", 5432))
		if withText {
			opts = append(opts, instrument.WithErrorMessages())
		}
		db := sql.OpenDB(instrument.WrapConnector(failingConnector{}, opts...))
		ctx, parent := tel.tp.Tracer("test").Start(context.Background(), "request")
		_, err := db.ExecContext(ctx, "SELECT 1")
		parent.End()
		_ = db.Close()
		if !errors.Is(err, errConnect) {
			t.Fatalf("ExecContext: %v, want the connector's error", err)
		}
		var failed int
		for _, s := range tel.spans.Ended() {
			if s.Name() != "connect" {
				continue
			}
			failed++
			attrs := attrMap(s.Attributes())
			if s.Parent().SpanID() != parent.SpanContext().SpanID() || s.Status().Code != codes.Error ||
				attrs["server.address"].AsString() != "db.internal" || attrs["server.port"].AsInt64() != 5432 ||
				attrs["error.type"].AsString() != "*errors.errorString" {
				t.Errorf("connect span: parent %v status %v attributes %v", s.Parent().SpanID(), s.Status(), s.Attributes())
			}
			hasText := strings.Contains(s.Status().Description, "hunter2")
			for _, e := range s.Events() {
				for _, kv := range e.Attributes {
					hasText = hasText || strings.Contains(kv.Value.Emit(), "hunter2")
				}
			}
			if hasText != withText {
				t.Errorf("WithErrorMessages %v: error text recorded = %v (status %q)", withText, hasText, s.Status().Description)
			}
		}
		if failed == 0 {
			t.Errorf("no connect span: %v", spanNames(tel.spans.Ended()))
		}
	}
}

// Queries from many goroutines on one database.
func TestSQLConcurrentSafe(t *testing.T) {
	tel := newTelemetry(t)
	db, err := instrument.OpenDB("sqlite", "file:"+filepath.Join(t.TempDir(), "c.db")+"?_pragma=busy_timeout(5000)", tel.sqlOptions(instrument.WithRowsSpans())...)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	if _, err := db.Exec("CREATE TABLE t (x INTEGER)"); err != nil {
		t.Fatal(err)
	}
	var wg sync.WaitGroup
	for g := 0; g < 8; g++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := 0; i < 20; i++ {
				var n int
				if err := db.QueryRow("SELECT count(*) FROM t WHERE x > ?", i).Scan(&n); err != nil {
					t.Error(err)
					return
				}
				// A new query text each time: the cache is filled
				// concurrently.
				if _, err := db.Exec("SELECT x FROM t WHERE x = " + strings.Repeat("1", g+1)); err != nil {
					t.Error(err)
					return
				}
			}
		}()
	}
	wg.Wait()
	if n := histogramCount(t, tel.collect(t), "db.client.operation.duration"); n != 8*20*2+1 {
		t.Errorf("db.client.operation.duration counted %d operations, want %d", n, 8*20*2+1)
	}
}
