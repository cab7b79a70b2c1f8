package instrument

import (
	"context"
	"database/sql"
	"database/sql/driver"
	"errors"
	"fmt"
	"io"
	"sync"
	"time"

	"go.opentelemetry.io/otel"
	"go.opentelemetry.io/otel/metric"
)

// OpenDB opens a database as [sql.Open] does, through a driver registered
// under driverName, with every operation instrumented following the
// database semantic conventions:
//
//   - a CLIENT span per query and exec (on the database or a statement,
//     a transaction or a connection), per prepare ("PREPARE SELECT
//     orders"), per transaction begin, commit and rollback ("BEGIN",
//     "COMMIT", "ROLLBACK") and per new connection ("connect"), child of
//     the span in the context given (a transaction's commit and rollback
//     use BeginTx's);
//   - a query's span is named by its summary, db.query.summary, the
//     operations and the tables they act on ("SELECT orders", "INSERT
//     order_items SELECT carts"), or by db.system.name when the query has
//     no operation this package knows; never by the query's text;
//   - its attributes: db.system.name, db.namespace, server.address and
//     server.port (read from the data source name, see below),
//     db.query.summary, db.query.text (parameterised queries as they are;
//     string and number literals replaced by ? and comments removed, see
//     [WithQueryText]; the arguments are never recorded),
//     db.operation.name and db.collection.name when the query has a
//     single operation and a single table, and on failure error.type
//     (the SQLSTATE or the driver's error code where there is one, else
//     the error's class) and db.response.status_code, with status Error
//     (driver.ErrSkip and sql.ErrNoRows are not errors);
//   - the histogram db.client.operation.duration (seconds, the
//     conventions' buckets) with db.system.name, db.namespace,
//     server.address, server.port, db.operation.name, db.collection.name,
//     db.query.summary, error.type and db.response.status_code, and
//     db.client.connection.create_time (seconds) for new connections;
//   - the pool's metrics, read from [sql.DBStats] when metrics are
//     collected: db.client.connection.count (db.client.connection.state
//     idle or used), db.client.connection.max (when a limit is set with
//     SetMaxOpenConns), and two that the conventions do not have but
//     DBStats does, db.client.connection.waits (times a connection was
//     waited for) and db.client.connection.wait_duration (total seconds
//     waited), each with db.client.connection.pool.name (see
//     [WithPoolName]). Each database registers its own callback, removed
//     when the database is closed.
//
// Rows iteration and Ping make no span unless [WithRowsSpans] and
// [WithPingSpans] are given.
//
// The data source name is never recorded, since it may hold a password:
// server.address, server.port and db.namespace are read from PostgreSQL
// URLs (postgres://user:pw@host:5432/orders) and keyword/value strings
// (host=db port=5432 dbname=orders), MySQL DSNs (user:pw@tcp(db:3306)/orders)
// and SQLite file names (file:orders.db?mode=rwc; none for an in-memory
// database), and anything that cannot be read surely is left out.
// db.system.name comes from the driver's name ("pgx" and "postgres" give
// postgresql; "sqlite" and "sqlite3" give sqlite; "mysql"...), else
// "other_sql"; [WithDBSystem], [WithDBNamespace] and [WithDBServer] set
// them.
//
// The connection the driver made is available to [sql.Conn.Raw] through
// the Raw method of the connection Raw's function receives:
//
//	conn.Raw(func(c any) error {
//		pgxConn := c.(interface{ Raw() driver.Conn }).Raw().(*stdlib.Conn)
//		...
//	})
func OpenDB(driverName, dsn string, opts ...SQLOption) (*sql.DB, error) {
	probe, err := sql.Open(driverName, dsn)
	if err != nil {
		return nil, fmt.Errorf("instrument: opening a %q database: %w", driverName, err)
	}
	d := probe.Driver()
	_ = probe.Close()
	var c driver.Connector
	if dc, ok := d.(driver.DriverContext); ok {
		if c, err = dc.OpenConnector(dsn); err != nil {
			return nil, fmt.Errorf("instrument: opening a %q database: %w", driverName, err)
		}
	} else {
		c = dsnConnector{dsn: dsn, d: d}
	}
	cfg := newSQLConfig(opts)
	if cfg.system == "" {
		cfg.system = systemFromDriverName(driverName)
	}
	in := newSQLInstr(finishSQLConfig(cfg, d, dsn, true))
	db := sql.OpenDB(newConnector(c, in))
	if err := in.poolMetrics(db); err != nil {
		otel.Handle(fmt.Errorf("instrument: database pool metrics: %w", err))
	}
	return db, nil
}

// WrapConnector instruments a connector as [OpenDB] does; open the
// database with [sql.OpenDB]. A connector has no data source name to
// read: give server.address, server.port and db.namespace with
// [WithDBServer] and [WithDBNamespace]. The pool metrics need the
// database: pass it to [RegisterPoolMetrics], which stops them when the
// database is closed. A connector that is already instrumented, or nil, is
// returned as it is.
func WrapConnector(c driver.Connector, opts ...SQLOption) driver.Connector {
	if c == nil {
		return nil
	}
	if _, ok := c.(*sqlConnector); ok {
		return c
	}
	cfg := finishSQLConfig(newSQLConfig(opts), c.Driver(), "", false)
	return newConnector(c, newSQLInstr(cfg))
}

// WrapDriver instruments a driver as [OpenDB] does, for registering under
// a name of its own with [sql.Register]; a database opened with
// [sql.Open] under that name reads its data source name as OpenDB does.
// The pool metrics need the database: pass it to [RegisterPoolMetrics].
// A driver that is already instrumented, or nil, is returned as it is.
func WrapDriver(d driver.Driver, opts ...SQLOption) driver.Driver {
	if d == nil {
		return nil
	}
	if _, ok := d.(*sqlDriver); ok {
		return d
	}
	cfg := newSQLConfig(opts)
	return &sqlDriver{d: d, cfg: cfg, in: newSQLInstr(finishSQLConfig(cfg, d, "", false))}
}

// RegisterPoolMetrics reports the pool metrics of db that [OpenDB]
// describes. A database opened with OpenDB has them already (the
// registration it returns then is that one), and so does one opened on a
// connector or driver of [WrapConnector] or [WrapDriver] once this has been
// called; for those the options they were given are used and opts are
// ignored, and closing the database stops the metrics. For any other
// database, call Unregister on the result once it is closed.
func RegisterPoolMetrics(db *sql.DB, opts ...SQLOption) (metric.Registration, error) {
	if db == nil {
		return nil, errors.New("instrument: RegisterPoolMetrics: the database is nil")
	}
	if d, ok := db.Driver().(*sqlDriver); ok {
		if err := d.in.poolMetrics(db); err != nil {
			return nil, fmt.Errorf("instrument: database pool metrics: %w", err)
		}
		return d.in.poolRegistration(), nil
	}
	in := newSQLInstr(finishSQLConfig(newSQLConfig(opts), db.Driver(), "", false))
	r, err := in.registerPool(db)
	if err != nil {
		return nil, fmt.Errorf("instrument: database pool metrics: %w", err)
	}
	return r, nil
}

// finishSQLConfig fills in what the options left unset: the system from
// the driver, the server and namespace from the data source name, and the
// pool's name.
func finishSQLConfig(c sqlConfig, d driver.Driver, dsn string, hasDSN bool) sqlConfig {
	if c.system == "" {
		c.system = systemFromDriver(d)
	}
	if c.system == "" {
		c.system = systemOther
	}
	if hasDSN {
		info := parseDSN(c.system, dsn)
		if c.address == "" {
			c.address, c.port = info.address, info.port
		}
		if c.namespace == "" {
			c.namespace = info.namespace
		}
	}
	if c.poolName == "" {
		c.poolName = defaultPoolName(c)
	}
	return c
}

// poolMetrics registers db's pool metrics once; closing the connector
// unregisters them.
func (in *sqlInstr) poolMetrics(db *sql.DB) error {
	in.regMu.Lock()
	defer in.regMu.Unlock()
	if in.pool != nil || in.closed {
		return nil
	}
	r, err := in.registerPool(db)
	if err != nil {
		return err
	}
	in.pool = r
	return nil
}

func (in *sqlInstr) poolRegistration() metric.Registration {
	in.regMu.Lock()
	defer in.regMu.Unlock()
	if in.pool == nil {
		return noRegistration{}
	}
	return in.pool
}

type noRegistration struct{ metric.Registration }

func (noRegistration) Unregister() error { return nil }

// close unregisters the pool metrics' callback.
func (in *sqlInstr) close() error {
	in.regMu.Lock()
	defer in.regMu.Unlock()
	in.closed = true
	if in.pool == nil {
		return nil
	}
	err := in.pool.Unregister()
	in.pool = nil
	return err
}

// sqlDriver is an instrumented driver. in instruments the connections
// its Open makes; OpenConnector makes a connector with an instrumentation
// of its own, for its data source name.
type sqlDriver struct {
	d   driver.Driver
	cfg sqlConfig
	in  *sqlInstr
}

func (d *sqlDriver) Open(name string) (driver.Conn, error) {
	start := time.Now()
	c, err := d.d.Open(name)
	d.in.record(context.Background(), d.in.connect, start, err)
	if err != nil {
		return nil, err
	}
	return newConn(c, d.in), nil
}

func (d *sqlDriver) OpenConnector(name string) (driver.Connector, error) {
	var c driver.Connector
	if dc, ok := d.d.(driver.DriverContext); ok {
		var err error
		if c, err = dc.OpenConnector(name); err != nil {
			return nil, err
		}
	} else {
		c = dsnConnector{dsn: name, d: d.d}
	}
	return newConnector(c, newSQLInstr(finishSQLConfig(d.cfg, d.d, name, true))), nil
}

// dsnConnector is the connector of a driver without one, as database/sql
// makes it.
type dsnConnector struct {
	dsn string
	d   driver.Driver
}

func (c dsnConnector) Connect(context.Context) (driver.Conn, error) { return c.d.Open(c.dsn) }
func (c dsnConnector) Driver() driver.Driver                        { return c.d }

// sqlConnector is an instrumented connector. database/sql calls its Close
// when the database is closed.
type sqlConnector struct {
	c      driver.Connector
	in     *sqlInstr
	drv    *sqlDriver
	closed sync.Once
}

func newConnector(c driver.Connector, in *sqlInstr) *sqlConnector {
	return &sqlConnector{c: c, in: in, drv: &sqlDriver{d: c.Driver(), cfg: in.cfg, in: in}}
}

func (c *sqlConnector) Connect(ctx context.Context) (driver.Conn, error) {
	start := time.Now()
	conn, err := c.c.Connect(ctx)
	c.in.record(ctx, c.in.connect, start, err)
	if err != nil {
		return nil, err
	}
	return newConn(conn, c.in), nil
}

func (c *sqlConnector) Driver() driver.Driver { return c.drv }

// Close stops the pool metrics and closes the wrapped connector if it can
// be closed.
func (c *sqlConnector) Close() error {
	var err error
	c.closed.Do(func() {
		err = c.in.close()
		if cl, ok := c.c.(io.Closer); ok {
			err = errors.Join(err, cl.Close())
		}
	})
	return err
}
