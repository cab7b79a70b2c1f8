package instrument

import (
	"math"
	"net/url"
	"strconv"
	"strings"
	"testing"
	"unsafe"
)

func TestParseQuery(t *testing.T) {
	tests := []struct {
		name       string
		dialect    sqlDialect
		q          string
		text       string // "" means q itself
		summary    string
		op, coll   string
		sameObject bool // the text is q itself, not a copy
	}{
		{name: "conventions example", q: "SELECT wuser_table.username FROM wuser_table WHERE username = ?", summary: "SELECT wuser_table", op: "SELECT", coll: "wuser_table", sameObject: true},
		{name: "insert select", q: "INSERT INTO shipping_details (order_id, address) SELECT order_id, address FROM orders WHERE order_id = ?", summary: "INSERT shipping_details SELECT orders"},
		{name: "several tables", q: "SELECT * FROM songs, artists WHERE songs.artist_id == artists.id", summary: "SELECT songs artists", op: "SELECT"},
		{name: "subquery and join", q: "SELECT order_date FROM (SELECT * FROM orders o JOIN customers c ON o.customer_id = c.customer_id)", summary: "SELECT SELECT orders customers"},
		{name: "aliases with AS", q: "SELECT o.id FROM orders AS o LEFT OUTER JOIN items AS i ON i.order_id = o.id", summary: "SELECT orders items", op: "SELECT"},
		{name: "string and number literals", dialect: dialectPostgres, q: "UPDATE orders SET status = 'paid', total = 12.50 WHERE id = 7", text: "UPDATE orders SET status = ?, total = ? WHERE id = ?", summary: "UPDATE orders", op: "UPDATE", coll: "orders"},
		{name: "doubled quote", q: "SELECT * FROM t WHERE name = 'O''Brien'", text: "SELECT * FROM t WHERE name = ?", summary: "SELECT t", op: "SELECT", coll: "t"},
		{name: "identifiers with digits stay", q: "SELECT col1, t2.x FROM t2 WHERE a = $1", summary: "SELECT t2", op: "SELECT", coll: "t2", sameObject: true},
		{name: "placeholders stay", q: "SELECT * FROM t WHERE a = ?1 AND b = :name AND c = @p1 AND d = $2", summary: "SELECT t", op: "SELECT", coll: "t", sameObject: true},
		{name: "postgres cast", dialect: dialectPostgres, q: "SELECT a::int FROM t WHERE b = 3::bigint", text: "SELECT a::int FROM t WHERE b = ?::bigint", summary: "SELECT t", op: "SELECT", coll: "t"},
		{name: "prefixed strings", dialect: dialectPostgres, q: "SELECT E'a\\'b', N'x', X'ff', B'01', U&'d\\0061' FROM t", text: "SELECT ?, ?, ?, ?, ? FROM t", summary: "SELECT t", op: "SELECT", coll: "t"},
		{name: "dollar quoted", dialect: dialectPostgres, q: "SELECT $fn$ it's $1 $fn$, $$x$$ FROM t", text: "SELECT ?, ? FROM t", summary: "SELECT t", op: "SELECT", coll: "t"},
		{name: "numbers", q: "SELECT 1, -2.5, .5, 1e10, 1.5E-3, 0x1F, 1_000 FROM t", text: "SELECT ?, -?, ?, ?, ?, ?, ? FROM t", summary: "SELECT t", op: "SELECT", coll: "t"},
		{name: "comments removed", q: "SELECT /* 'c' */ a -- 42\nFROM t", text: "SELECT a FROM t", summary: "SELECT t", op: "SELECT", coll: "t"},
		{name: "comment between tokens", q: "SELECT a-/**/-b FROM t", text: "SELECT a- -b FROM t", summary: "SELECT t", op: "SELECT", coll: "t"},
		{name: "nested comment postgres", dialect: dialectPostgres, q: "SELECT /* a /* b */ 'x' */ 1", text: "SELECT ?", summary: "SELECT", op: "SELECT"},
		{name: "nested comment elsewhere", q: "SELECT /* a /* b */ 'x' */ 1", text: "SELECT ? */ ?", summary: "SELECT", op: "SELECT"},
		{name: "unterminated string", q: "SELECT * FROM t WHERE a = 'secret FROM u", text: "SELECT * FROM t WHERE a = ?", summary: "SELECT t", op: "SELECT", coll: "t"},
		{name: "unterminated identifier", q: "SELECT \"a FROM t WHERE b = 'x'", text: "SELECT ?", summary: "SELECT", op: "SELECT"},
		{name: "quoted identifiers", q: `SELECT "users"."id" FROM "public"."users" WHERE "users"."id" = $1`, summary: "SELECT public.users", op: "SELECT", coll: "public.users", sameObject: true},
		{name: "mysql backslash and double quotes", dialect: dialectMySQL, q: `SELECT * FROM t WHERE a = 'it\'s' AND b = "x\"y" # 'c'`, text: "SELECT * FROM t WHERE a = ? AND b = ?", summary: "SELECT t", op: "SELECT", coll: "t"},
		{name: "mysql backticks", dialect: dialectMySQL, q: "SELECT * FROM `order items` WHERE id = 5", text: "SELECT * FROM `order items` WHERE id = ?", summary: "SELECT order items", op: "SELECT", coll: "order items"},
		{name: "standard strings take no backslash escapes", q: `SELECT 'C:\' , 'x' FROM t`, text: "SELECT ? , ? FROM t", summary: "SELECT t", op: "SELECT", coll: "t"},
		{name: "create table", q: "CREATE TABLE IF NOT EXISTS orders (id INTEGER PRIMARY KEY, total REAL DEFAULT 0)", text: "CREATE TABLE IF NOT EXISTS orders (id INTEGER PRIMARY KEY, total REAL DEFAULT ?)", summary: "CREATE TABLE orders", op: "CREATE TABLE", coll: "orders"},
		{name: "create unique index", q: "CREATE UNIQUE INDEX CONCURRENTLY idx_orders ON orders (customer)", summary: "CREATE INDEX idx_orders", op: "CREATE INDEX", coll: "idx_orders", sameObject: true},
		{name: "drop table", q: "drop table if exists orders", summary: "DROP TABLE orders", op: "DROP TABLE", coll: "orders", sameObject: true},
		{name: "truncate", q: "TRUNCATE TABLE ONLY orders", summary: "TRUNCATE orders", op: "TRUNCATE", coll: "orders", sameObject: true},
		{name: "delete", q: "DELETE FROM orders WHERE id = $1 RETURNING id", summary: "DELETE orders", op: "DELETE", coll: "orders", sameObject: true},
		{name: "upsert", q: "INSERT INTO t (id) VALUES ($1) ON CONFLICT (id) DO UPDATE SET n = t.n + 1", text: "INSERT INTO t (id) VALUES ($1) ON CONFLICT (id) DO UPDATE SET n = t.n + ?", summary: "INSERT t", op: "INSERT", coll: "t"},
		{name: "sqlite insert or replace", q: "INSERT OR REPLACE INTO kv (k, v) VALUES (?, ?)", summary: "INSERT kv", op: "INSERT", coll: "kv", sameObject: true},
		{name: "select for update", q: "SELECT * FROM jobs WHERE state = $1 FOR UPDATE SKIP LOCKED", summary: "SELECT jobs", op: "SELECT", coll: "jobs", sameObject: true},
		{name: "on delete cascade", q: "CREATE TABLE items (order_id INT REFERENCES orders ON DELETE CASCADE)", summary: "CREATE TABLE items", op: "CREATE TABLE", coll: "items", sameObject: true},
		{name: "function in FROM", q: "SELECT * FROM generate_series($1, $2) g JOIN t USING (id)", summary: "SELECT t", op: "SELECT", coll: "t", sameObject: true},
		{name: "FROM inside a function", q: "SELECT EXTRACT(YEAR FROM created), SUBSTRING(name FROM 2) FROM users", text: "SELECT EXTRACT(YEAR FROM created), SUBSTRING(name FROM ?) FROM users", summary: "SELECT users", op: "SELECT", coll: "users"},
		{name: "IS DISTINCT FROM", q: "SELECT * FROM a WHERE x IS DISTINCT FROM y", summary: "SELECT a", op: "SELECT", coll: "a", sameObject: true},
		{name: "cte with update", q: "WITH old AS (SELECT id FROM orders WHERE paid) UPDATE orders SET archived = true FROM old WHERE orders.id = old.id", summary: "SELECT orders UPDATE orders old"},
		{name: "explain", q: "EXPLAIN ANALYZE SELECT * FROM t", summary: "EXPLAIN SELECT t", sameObject: true},
		{name: "transaction statements", q: "BEGIN", summary: "BEGIN", op: "BEGIN", sameObject: true},
		{name: "pragma", q: "PRAGMA journal_mode = WAL", summary: "PRAGMA", op: "PRAGMA", sameObject: true},
		{name: "several statements", q: "BEGIN; UPDATE a SET x = $1; COMMIT", summary: "BEGIN UPDATE a COMMIT", sameObject: true},
		{name: "replace is a function mid-statement", q: "SELECT replace(name, $1, $2) FROM t", summary: "SELECT t", op: "SELECT", coll: "t", sameObject: true},
		{name: "unknown statement", q: "FROBNICATE 42", text: "FROBNICATE ?", summary: ""},
		{name: "empty", q: "", summary: "", sameObject: true},
		{name: "lower case keywords", q: "select * from Orders o where o.id in (select order_id from Items)", summary: "SELECT Orders SELECT Items", sameObject: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p := parseQuery(tt.q, tt.dialect)
			want := tt.text
			if want == "" {
				want = tt.q
			}
			if p.text != want {
				t.Errorf("text %q, want %q", p.text, want)
			}
			if tt.sameObject && unsafe.StringData(p.text) != unsafe.StringData(tt.q) {
				t.Errorf("text is a copy; a query without literals is kept as it is")
			}
			if p.summary != tt.summary || p.operation != tt.op || p.collection != tt.coll {
				t.Errorf("summary %q op %q collection %q, want %q %q %q", p.summary, p.operation, p.collection, tt.summary, tt.op, tt.coll)
			}
		})
	}
}

func TestParseQuerySummaryBounded(t *testing.T) {
	q := "SELECT * FROM " + strings.Repeat("very_long_table_name_", 5) + "a"
	for i := 0; i < 40; i++ {
		q += ", t" + strconv.Itoa(i) + "_" + strings.Repeat("x", 20)
	}
	p := parseQuery(q, dialectStandard)
	if len(p.summary) > maxSummaryLen {
		t.Errorf("summary of %d bytes, want at most %d", len(p.summary), maxSummaryLen)
	}
	if !strings.HasPrefix(p.summary, "SELECT very_long_table_name_") {
		t.Errorf("summary %q", p.summary)
	}
}

// checkNoLiteral fails when s, as query text, holds a string literal, a
// number, or a comment outside its quoted identifiers. It is written apart
// from the lexer, on purpose simpler: it only has to recognise what may
// stay.
func checkNoLiteral(t *testing.T, d sqlDialect, s string) {
	t.Helper()
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case c == '`' || c == '"' && d != dialectMySQL:
			end := strings.IndexByte(s[i+1:], c)
			if end < 0 {
				t.Fatalf("unterminated quoted identifier at %d in %q", i, s)
			}
			i += end + 1
			// A doubled quote continues the identifier: the next loop
			// turn sees the second quote as an opening one, which skips
			// the rest the same way.
		case c == '\'' || c == '"':
			t.Fatalf("quote at %d in %q", i, s)
		case c == '-' && i+1 < len(s) && s[i+1] == '-', c == '/' && i+1 < len(s) && s[i+1] == '*', c == '#' && d == dialectMySQL:
			t.Fatalf("comment at %d in %q", i, s)
		case c >= '0' && c <= '9':
			prev := byte(' ')
			if i > 0 {
				prev = s[i-1]
			}
			if !(isWordChar(prev) || prev == '?' || prev == ':' || prev == '@' || prev == '$') {
				t.Fatalf("number at %d in %q", i, s)
			}
			for i+1 < len(s) && isWordChar(s[i+1]) {
				i++
			}
		case isWordStart(c):
			for i+1 < len(s) && isWordChar(s[i+1]) {
				i++
			}
		}
	}
}

// FuzzParseQuery feeds arbitrary text as a query: the parser must not
// panic, its text must hold no literal and no comment, reading it again
// must change nothing, and the summary stays within its bound.
func FuzzParseQuery(f *testing.F) {
	for _, q := range []string{
		"SELECT * FROM t WHERE a = 'x' AND b = 1",
		"INSERT INTO t VALUES ($1, E'\\'', $$ $ $$, $a$x$a$)",
		"SELECT \"a\"\"b\", `c` FROM t -- 'x'\n/* 2 */",
		"select x::int, .5e3, 0x, 1e, $, $1a, ?1, :a, @b FROM t",
		"CREATE TABLE IF NOT EXISTS t (a INT DEFAULT 3)",
		"'", "\"", "`", "$$", "/*", "--", "E'", "U&'", "0x1", "1.2.3",
	} {
		for d := range 3 {
			f.Add(q, uint8(d))
		}
	}
	f.Fuzz(func(t *testing.T, q string, d uint8) {
		dialect := sqlDialect(d % 3)
		p := parseQuery(q, dialect)
		if p.text != q {
			checkNoLiteral(t, dialect, p.text)
		}
		if again := parseQuery(p.text, dialect); again.text != p.text {
			t.Fatalf("reading %q again gave %q", p.text, again.text)
		}
		if len(p.summary) > maxSummaryLen {
			t.Fatalf("summary of %d bytes", len(p.summary))
		}
		if p.text == q && p.text != "" {
			// Nothing was replaced: there was nothing to replace.
			checkNoLiteral(t, dialect, p.text)
		}
	})
}

// FuzzParseQueryLiteral puts an arbitrary string and number into a query,
// quoted as each dialect quotes them: the text must be the query with ? in
// their place, whatever they hold.
func FuzzParseQueryLiteral(f *testing.F) {
	f.Add("secret", uint64(42), 1.5)
	f.Add("it's \\ a \"test\" -- /* $$ $1 ?", uint64(0), -0.0)
	f.Add("", uint64(1<<63), math.MaxFloat64)
	f.Fuzz(func(t *testing.T, lit string, n uint64, x float64) {
		if math.IsNaN(x) || math.IsInf(x, 0) {
			t.Skip()
		}
		num := strconv.FormatFloat(math.Abs(x), 'g', -1, 64)
		quoted := map[sqlDialect][]string{
			dialectStandard: {"'" + strings.ReplaceAll(lit, "'", "''") + "'", "X'" + strings.ReplaceAll(lit, "'", "''") + "'"},
			dialectPostgres: {"'" + strings.ReplaceAll(lit, "'", "''") + "'",
				"E'" + strings.ReplaceAll(strings.ReplaceAll(lit, `\`, `\\`), "'", `\'`) + "'"},
			dialectMySQL: {"'" + strings.ReplaceAll(strings.ReplaceAll(lit, `\`, `\\`), "'", `\'`) + "'",
				`"` + strings.ReplaceAll(strings.ReplaceAll(lit, `\`, `\\`), `"`, `\"`) + `"`},
		}
		if !strings.Contains(lit, "$q$") {
			quoted[dialectPostgres] = append(quoted[dialectPostgres], "$q$"+lit+"$q$")
		}
		for d, forms := range quoted {
			for _, s := range forms {
				q := "SELECT a FROM t WHERE b = " + s + " AND c = " + strconv.FormatUint(n, 10) + " AND d = " + num + " LIMIT 10"
				p := parseQuery(q, d)
				if want := "SELECT a FROM t WHERE b = ? AND c = ? AND d = ? LIMIT ?"; p.text != want {
					t.Fatalf("dialect %d: %q gave %q, want %q", d, q, p.text, want)
				}
				if p.summary != "SELECT t" {
					t.Fatalf("dialect %d: %q gave summary %q", d, q, p.summary)
				}
			}
		}
	})
}

func TestParseDSN(t *testing.T) {
	tests := []struct {
		name, system, dsn string
		want              dsnInfo
	}{
		{"postgres URL", systemPostgres, "postgres://app:s3cret@db.example:6432/orders?sslmode=require", dsnInfo{"db.example", 6432, "orders"}},
		{"postgresql URL without port", systemPostgres, "postgresql://app@db.example/orders", dsnInfo{"db.example", 0, "orders"}},
		{"URL with IPv6", systemPostgres, "postgres://[::1]:5432/orders", dsnInfo{"::1", 5432, "orders"}},
		{"URL with host parameter", systemPostgres, "postgres:///orders?host=/var/run/postgresql&port=5433", dsnInfo{"/var/run/postgresql", 5433, "orders"}},
		{"URL with a password holding @ and /", systemPostgres, "postgres://app:p%40ss%2Fword@db.example:5432/orders", dsnInfo{"db.example", 5432, "orders"}},
		{"bad URL", systemPostgres, "postgres://app:pa ss@db.example:54x32/orders", dsnInfo{}},
		{"keywords", systemPostgres, "host=db.example port=5432 user=app password=s3cret dbname=orders sslmode=disable", dsnInfo{"db.example", 5432, "orders"}},
		{"keywords quoted", systemPostgres, `host='db.example' password='it\'s secret' dbname = 'orders'`, dsnInfo{"db.example", 0, "orders"}},
		{"keywords several hosts", systemPostgres, "host=a.example,b.example port=5432,5433 dbname=orders", dsnInfo{"a.example", 5432, "orders"}},
		{"keywords unterminated quote", systemPostgres, "host=db.example password='s3cret dbname=orders", dsnInfo{}},
		{"keywords garbage", systemPostgres, "s3cret", dsnInfo{}},
		{"mysql", systemMySQL, "app:s3cret@tcp(db.example:3306)/orders?parseTime=true", dsnInfo{"db.example", 3306, "orders"}},
		{"mysql unix", systemMySQL, "app:s3cret@unix(/run/mysqld.sock)/orders", dsnInfo{"/run/mysqld.sock", 0, "orders"}},
		{"mysql password with @ and (", systemMySQL, "app:p@ss(x)@tcp(db.example:3306)/orders", dsnInfo{"db.example", 3306, "orders"}},
		{"mysql password with / and no database", systemMySQL, "app:s3c/ret@tcp(db)", dsnInfo{}},
		{"sqlite file", systemSQLite, "file:orders.db?cache=shared&_pragma=key('s3cret')", dsnInfo{namespace: "orders.db"}},
		{"sqlite path", systemSQLite, "/var/lib/app/orders.db", dsnInfo{namespace: "/var/lib/app/orders.db"}},
		{"sqlite memory", systemSQLite, ":memory:", dsnInfo{}},
		{"sqlite memory mode", systemSQLite, "file:x?mode=memory", dsnInfo{}},
		{"other", systemOther, "whatever:s3cret@host", dsnInfo{}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := parseDSN(tt.system, tt.dsn); got != tt.want {
				t.Errorf("parseDSN(%q) = %+v, want %+v", tt.dsn, got, tt.want)
			}
		})
	}
}

// FuzzParseDSN puts an arbitrary password in data source names of each
// form: what is read from them never holds it.
func FuzzParseDSN(f *testing.F) {
	f.Add("s3cret", "db.example", "orders")
	f.Add("a@b/c(d)", "h", "x")
	f.Add("' host=evil", "db", "o")
	f.Fuzz(func(t *testing.T, password, host, db string) {
		if len(password) < 3 || strings.Contains(host+" "+db+" 5432 postgres app tcp file unix", password) {
			t.Skip("a password that the other parts could hold")
		}
		esc := strings.NewReplacer(`\`, `\\`, `'`, `\'`)
		dsns := map[string][]string{
			systemPostgres: {
				(&url.URL{Scheme: "postgres", User: url.UserPassword("app", password), Host: host + ":5432", Path: "/" + db}).String(),
				"host='" + esc.Replace(host) + "' port=5432 user=app password='" + esc.Replace(password) + "' dbname='" + esc.Replace(db) + "'",
				"host=" + host + " password=" + password + " dbname=" + db,
			},
			systemMySQL:  {"app:" + password + "@tcp(" + host + ":5432)/" + db},
			systemSQLite: {"file:" + db + "?_pragma=key(" + password + ")"},
		}
		for system, forms := range dsns {
			for _, dsn := range forms {
				info := parseDSN(system, dsn)
				for _, v := range []string{info.address, info.namespace, strconv.Itoa(info.port)} {
					if strings.Contains(v, password) {
						t.Fatalf("%s %q: read %+v, which holds the password", system, dsn, info)
					}
				}
			}
		}
	})
}
