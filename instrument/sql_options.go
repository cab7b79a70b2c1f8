package instrument

// SQLOption configures [OpenDB], [WrapConnector], [WrapDriver] and
// [RegisterPoolMetrics]. The provider options ([WithTracerProvider],
// [WithMeterProvider]) are SQLOptions too; options that only make sense
// for a database are of this type alone.
type SQLOption interface {
	applySQL(*sqlConfig)
}

type sqlConfig struct {
	providers

	system, namespace, address, poolName string
	port                                 int

	rowsSpans, pingSpans, noQueryText, errorText bool
}

func newSQLConfig(opts []SQLOption) sqlConfig {
	var c sqlConfig
	for _, o := range opts {
		if o != nil {
			o.applySQL(&c)
		}
	}
	return c
}

// sqlOption is a [SQLOption] only.
type sqlOption func(*sqlConfig)

func (f sqlOption) applySQL(c *sqlConfig) { f(c) }

// WithDBSystem sets db.system.name, the database product as the semantic
// conventions name it ("postgresql", "sqlite", "mysql", "mariadb",
// "microsoft.sql_server"...). By default it is read from the driver's
// name (OpenDB) or package (WrapConnector, WrapDriver), and is
// "other_sql" for a driver it does not know. It also chooses how query
// text is read: "mysql", "mariadb", "tidb" and "clickhouse" take
// backslash escapes in strings, and the first three "double-quoted"
// strings too. An empty name is ignored.
func WithDBSystem(name string) SQLOption {
	return sqlOption(func(c *sqlConfig) {
		if name != "" {
			c.system = name
		}
	})
}

// WithDBNamespace sets db.namespace, the database's name. By default it is
// read from the data source name where it can be (PostgreSQL URLs and
// keyword/value strings, MySQL DSNs, SQLite file names). An empty name is
// ignored.
func WithDBNamespace(ns string) SQLOption {
	return sqlOption(func(c *sqlConfig) {
		if ns != "" {
			c.namespace = ns
		}
	})
}

// WithDBServer sets server.address and server.port (a port of 0 is left
// out). By default they are read from the data source name where it can
// be; a connector wrapped by [WrapConnector] has none to read. An empty
// address is ignored.
func WithDBServer(address string, port int) SQLOption {
	return sqlOption(func(c *sqlConfig) {
		if address != "" {
			c.address = address
			c.port = max(port, 0)
		}
	})
}

// WithPoolName sets db.client.connection.pool.name, the attribute that
// tells the pool metrics of several databases apart. The default is
// "address:port/namespace" with whatever of these is known, else the
// db.system.name. Pools given the same name are added together. An empty
// name is ignored.
func WithPoolName(name string) SQLOption {
	return sqlOption(func(c *sqlConfig) {
		if name != "" {
			c.poolName = name
		}
	})
}

// WithRowsSpans adds a span, "rows", for each result set, from the moment
// the query returns until the rows are closed, with the number of rows
// read as db.response.returned_rows. It is off by default: the query's
// span already covers the round trip that runs it.
func WithRowsSpans() SQLOption {
	return sqlOption(func(c *sqlConfig) { c.rowsSpans = true })
}

// WithPingSpans adds a span, "ping", and a db.client.operation.duration
// measurement for each Ping that reaches the driver. It is off by default,
// since health checks ping often. A Ping that succeeds is never an error
// span.
func WithPingSpans() SQLOption {
	return sqlOption(func(c *sqlConfig) { c.pingSpans = true })
}

// WithQueryText turns db.query.text on or off. It is on by default:
// parameterised queries are recorded as they are, and in a query with
// literal values every string and number literal is replaced by ?
// (comments are removed too), so no literal and no argument is ever
// recorded. Turning it off leaves only the summary.
func WithQueryText(on bool) SQLOption {
	return sqlOption(func(c *sqlConfig) { c.noQueryText = !on })
}

// WithErrorMessages records the driver's error message on a failed
// operation's span: as the status description and as an exception event.
// It is off by default, because drivers quote in their messages the values
// that failed (invalid input syntax for type integer: "..."), which may be
// secrets; error.type (the SQLSTATE or the driver's code where there is
// one) and db.response.status_code are always recorded.
func WithErrorMessages() SQLOption {
	return sqlOption(func(c *sqlConfig) { c.errorText = true })
}
