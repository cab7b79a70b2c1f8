package instrument

import (
	"net/url"
	"reflect"
	"strconv"
	"strings"
)

// Values of db.system.name this package tells apart.
const (
	systemPostgres = "postgresql"
	systemSQLite   = "sqlite"
	systemMySQL    = "mysql"
	systemMariaDB  = "mariadb"
	systemOther    = "other_sql"
)

// systemFromDriverName maps the name a driver registers with database/sql
// to db.system.name, or "" when it is not known.
func systemFromDriverName(name string) string {
	switch strings.ToLower(name) {
	case "pgx", "pgx/v5", "pgx/v4", "postgres", "postgresql", "pq", "cloudsqlpostgres":
		return systemPostgres
	case "sqlite", "sqlite3", "libsql":
		return systemSQLite
	case "mysql":
		return systemMySQL
	case "mariadb":
		return systemMariaDB
	case "sqlserver", "mssql", "azuresql":
		return "microsoft.sql_server"
	case "clickhouse":
		return "clickhouse"
	case "oracle", "godror", "goracle":
		return "oracle.db"
	case "snowflake":
		return "snowflake"
	case "duckdb":
		return "duckdb"
	case "trino":
		return "trino"
	case "spanner":
		return "gcp.spanner"
	}
	return ""
}

// systemFromDriver reads db.system.name from the package of a driver's
// type, or returns "".
func systemFromDriver(d any) string {
	if d == nil {
		return ""
	}
	t := reflect.TypeOf(d)
	for t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	pkg := t.PkgPath()
	switch {
	case strings.Contains(pkg, "jackc/pgx"), strings.HasSuffix(pkg, "lib/pq"):
		return systemPostgres
	case strings.HasPrefix(pkg, "modernc.org/sqlite"), strings.Contains(pkg, "go-sqlite3"),
		strings.Contains(pkg, "ncruces/go-sqlite3"):
		return systemSQLite
	case strings.Contains(pkg, "go-sql-driver/mysql"):
		return systemMySQL
	case strings.Contains(pkg, "microsoft/go-mssqldb"), strings.Contains(pkg, "denisenkom/go-mssqldb"):
		return "microsoft.sql_server"
	case strings.Contains(pkg, "ClickHouse/clickhouse-go"):
		return "clickhouse"
	}
	return ""
}

// dialectOf returns how the query text of a system is read.
func dialectOf(system string) sqlDialect {
	switch system {
	case systemPostgres, "cockroachdb":
		return dialectPostgres
	case systemMySQL, systemMariaDB, "tidb", "clickhouse":
		return dialectMySQL
	}
	return dialectStandard
}

// dsnInfo is what the instrumentation reads from a data source name; the
// name itself is never kept, since it may hold a password.
type dsnInfo struct {
	address   string
	port      int
	namespace string
}

// parseDSN reads the server address, port and database name from a data
// source name. Anything it cannot read surely is left empty: it fails
// safe, never returning a part of the name it did not recognise.
func parseDSN(system, dsn string) dsnInfo {
	switch system {
	case systemPostgres:
		if strings.HasPrefix(dsn, "postgres://") || strings.HasPrefix(dsn, "postgresql://") {
			return parsePostgresURL(dsn)
		}
		return parsePostgresKeywords(dsn)
	case systemSQLite:
		return parseSQLiteDSN(dsn)
	case systemMySQL, systemMariaDB:
		return parseMySQLDSN(dsn)
	}
	return dsnInfo{}
}

func parsePostgresURL(dsn string) dsnInfo {
	u, err := url.Parse(dsn)
	if err != nil {
		return dsnInfo{}
	}
	var info dsnInfo
	// Several hosts ("h1:5432,h2:5433"): the first is the one tried first.
	host, _, _ := strings.Cut(u.Host, ",")
	info.address, info.port = splitHostPort(host)
	info.namespace = strings.TrimPrefix(u.Path, "/")
	q := u.Query()
	if h := q.Get("host"); h != "" {
		info.address, _, _ = strings.Cut(h, ",")
	}
	if p := q.Get("port"); p != "" {
		first, _, _ := strings.Cut(p, ",")
		info.port = parsePort(first)
	}
	if db := q.Get("dbname"); db != "" {
		info.namespace = db
	}
	return validDSNInfo(info)
}

// parsePostgresKeywords reads "host=h port=5432 dbname='my db' ...", with
// single-quoted values and backslash escapes.
func parsePostgresKeywords(dsn string) dsnInfo {
	var info dsnInfo
	s := dsn
	for {
		s = strings.TrimLeft(s, " \t\n\r")
		if s == "" {
			break
		}
		eq := strings.IndexByte(s, '=')
		if eq <= 0 {
			return dsnInfo{}
		}
		key := strings.TrimSpace(s[:eq])
		s = strings.TrimLeft(s[eq+1:], " \t\n\r")
		var val string
		if strings.HasPrefix(s, "'") {
			var b strings.Builder
			i := 1
			closed := false
			for i < len(s) {
				c := s[i]
				if c == '\\' && i+1 < len(s) {
					b.WriteByte(s[i+1])
					i += 2
					continue
				}
				if c == '\'' {
					closed = true
					i++
					break
				}
				b.WriteByte(c)
				i++
			}
			if !closed {
				return dsnInfo{}
			}
			val, s = b.String(), s[i:]
		} else {
			end := strings.IndexAny(s, " \t\n\r")
			if end < 0 {
				end = len(s)
			}
			val, s = s[:end], s[end:]
		}
		switch key {
		case "host":
			info.address, _, _ = strings.Cut(val, ",")
		case "hostaddr":
			if info.address == "" {
				info.address, _, _ = strings.Cut(val, ",")
			}
		case "port":
			first, _, _ := strings.Cut(val, ",")
			info.port = parsePort(first)
		case "dbname":
			info.namespace = val
		}
	}
	return validDSNInfo(info)
}

// parseMySQLDSN reads "user:password@tcp(host:port)/dbname?params", the
// form of github.com/go-sql-driver/mysql.
func parseMySQLDSN(dsn string) dsnInfo {
	slash := strings.LastIndexByte(dsn, '/')
	if slash < 0 {
		return dsnInfo{}
	}
	var info dsnInfo
	info.namespace, _, _ = strings.Cut(dsn[slash+1:], "?")
	netAddr := dsn[:slash]
	if at := strings.LastIndexByte(netAddr, '@'); at >= 0 {
		netAddr = netAddr[at+1:]
	}
	if open := strings.IndexByte(netAddr, '('); open >= 0 && strings.HasSuffix(netAddr, ")") {
		addr := netAddr[open+1 : len(netAddr)-1]
		if strings.HasPrefix(netAddr, "unix") {
			info.address = addr
		} else {
			info.address, info.port = splitHostPort(addr)
		}
	}
	return validDSNInfo(info)
}

// parseSQLiteDSN reads the file name of "file:orders.db?mode=ro",
// "/var/lib/app/orders.db" or ":memory:"; an in-memory database has none.
func parseSQLiteDSN(dsn string) dsnInfo {
	name := strings.TrimPrefix(dsn, "file:")
	name, params, _ := strings.Cut(name, "?")
	if name == "" || name == ":memory:" || strings.Contains(params, "mode=memory") || strings.ContainsAny(name, "\x00\n") {
		return dsnInfo{}
	}
	if strings.HasPrefix(dsn, "file:") {
		if u, err := url.PathUnescape(name); err == nil {
			name = u
		}
	}
	return dsnInfo{namespace: name}
}

func parsePort(s string) int {
	n, err := strconv.Atoi(s)
	if err != nil || n <= 0 || n > 65535 {
		return 0
	}
	return n
}

// validDSNInfo drops any field that does not look like what it should be:
// a name with spaces, quotes, @ or similar is more likely a misread part
// of a password than a host or a database.
func validDSNInfo(info dsnInfo) dsnInfo {
	if !plainName(info.address, true) {
		info.address, info.port = "", 0
	}
	if !plainName(info.namespace, false) {
		info.namespace = ""
	}
	return info
}

func plainName(s string, host bool) bool {
	if len(s) > 255 {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case c >= 'a' && c <= 'z', c >= 'A' && c <= 'Z', c >= '0' && c <= '9', c == '.', c == '-', c == '_':
		case host && (c == ':' || c == '/' || c == '[' || c == ']' || c == '%'):
		case !host && c == '$':
		default:
			return false
		}
	}
	return true
}
