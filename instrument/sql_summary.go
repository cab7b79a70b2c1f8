package instrument

import "strings"

// opPlace says where a keyword starts an operation.
type opPlace uint8

const (
	// opAnywhere: always (SELECT has no other meaning).
	opAnywhere opPlace = iota + 1
	// opDML: at the start of a statement, after a parenthesis (a
	// subquery, a CTE) or after EXPLAIN; not in FOR UPDATE, ON DELETE,
	// DO UPDATE or THEN INSERT.
	opDML
	// opStatement: only as a statement's first word (or after EXPLAIN).
	opStatement
)

var sqlOperations = map[string]opPlace{
	"SELECT": opAnywhere,
	"INSERT": opDML, "UPDATE": opDML, "DELETE": opDML, "MERGE": opDML, "UPSERT": opDML,
	"REPLACE": opStatement, "CREATE": opStatement, "ALTER": opStatement, "DROP": opStatement,
	"TRUNCATE": opStatement, "BEGIN": opStatement, "START": opStatement, "COMMIT": opStatement,
	"END": opStatement, "ROLLBACK": opStatement, "SAVEPOINT": opStatement, "RELEASE": opStatement,
	"SET": opStatement, "SHOW": opStatement, "EXPLAIN": opStatement, "PRAGMA": opStatement,
	"VACUUM": opStatement, "ANALYZE": opStatement, "CALL": opStatement, "EXEC": opStatement,
	"EXECUTE": opStatement, "GRANT": opStatement, "REVOKE": opStatement, "LOCK": opStatement,
	"COPY": opStatement, "LISTEN": opStatement, "NOTIFY": opStatement, "UNLISTEN": opStatement,
	"DECLARE": opStatement, "FETCH": opStatement, "MOVE": opStatement, "CLOSE": opStatement,
	"PREPARE": opStatement, "DEALLOCATE": opStatement, "REINDEX": opStatement,
	"CLUSTER": opStatement, "REFRESH": opStatement, "COMMENT": opStatement, "DO": opStatement,
	"USE": opStatement, "DESCRIBE": opStatement, "ATTACH": opStatement, "DETACH": opStatement,
	"RESET": opStatement, "DISCARD": opStatement, "CHECKPOINT": opStatement,
}

// ddlObjects are the object kinds that follow CREATE, ALTER and DROP and
// become part of the operation ("CREATE TABLE").
var ddlObjects = map[string]bool{
	"TABLE": true, "INDEX": true, "VIEW": true, "SCHEMA": true, "DATABASE": true,
	"SEQUENCE": true, "FUNCTION": true, "PROCEDURE": true, "TRIGGER": true, "TYPE": true,
	"EXTENSION": true, "ROLE": true, "USER": true, "DOMAIN": true, "POLICY": true,
}

// ddlModifiers may stand between CREATE and the object kind.
var ddlModifiers = map[string]bool{
	"OR": true, "REPLACE": true, "UNIQUE": true, "TEMP": true, "TEMPORARY": true,
	"GLOBAL": true, "LOCAL": true, "UNLOGGED": true, "MATERIALIZED": true,
	"VIRTUAL": true, "RECURSIVE": true, "FOREIGN": true,
}

// beforeTarget are the words skipped while a table name is expected
// (UPDATE ONLY t, TRUNCATE TABLE t, CREATE TABLE IF NOT EXISTS t, INSERT
// OR IGNORE INTO t...).
var beforeTarget = map[string]bool{
	"ONLY": true, "LATERAL": true, "IF": true, "NOT": true, "EXISTS": true, "TABLE": true,
	"OR": true, "IGNORE": true, "REPLACE": true, "ROLLBACK": true, "ABORT": true, "FAIL": true,
	"LOW_PRIORITY": true, "DELAYED": true, "HIGH_PRIORITY": true, "CONCURRENTLY": true,
}

// clauseWords end a FROM list and are never a table or an alias.
var clauseWords = map[string]bool{
	"WHERE": true, "JOIN": true, "INNER": true, "LEFT": true, "RIGHT": true, "FULL": true,
	"OUTER": true, "CROSS": true, "NATURAL": true, "ON": true, "USING": true, "GROUP": true,
	"ORDER": true, "LIMIT": true, "OFFSET": true, "HAVING": true, "UNION": true,
	"INTERSECT": true, "EXCEPT": true, "WINDOW": true, "FOR": true, "RETURNING": true,
	"SET": true, "VALUES": true, "SELECT": true, "AS": true, "WITH": true, "FETCH": true,
	"INTO": true, "DEFAULT": true, "TABLESAMPLE": true, "STRAIGHT_JOIN": true, "FORCE": true,
	"INDEXED": true, "WHEN": true, "THEN": true, "ELSE": true, "END": true, "AND": true,
	"OR": true, "IN": true, "IS": true, "LIKE": true, "BETWEEN": true, "CASE": true,
	"DO": true, "PARTITION": true, "QUALIFY": true, "LOCK": true, "FROM": true, "UPDATE": true,
	"DELETE": true, "INSERT": true, "NOT": true, "ONLY": true, "LATERAL": true,
}

type expectState uint8

const (
	expectNone      expectState = iota
	expectTable                 // one table (INTO, UPDATE, JOIN, USING, TABLE...)
	expectFromItem              // a FROM list item
	afterFromItem               // after a FROM list item: alias, comma or clause
	expectAlias                 // after AS in a FROM list
	expectDDLObject             // after CREATE/ALTER/DROP
)

type summaryLevel struct {
	hasOp  bool
	expect expectState
}

// summarizer builds db.query.summary from a query's tokens.
type summarizer struct {
	parts  []string
	length int
	full   bool

	ops, targets         int
	firstOp, firstTarget string
	lastOp               int // index in parts of the last operation

	// The previous significant token: its kind, and its text in upper case
	// for words or its byte for punctuation.
	started   bool
	prevWord  string
	prevPunct byte
	explain   bool

	cur    summaryLevel
	levels []summaryLevel

	// A table name being read (it may go on with .name), and whether a (
	// right after it makes it a function call rather than a table.
	pending   string
	pendingFn bool
	dot       bool
}

func (s *summarizer) add(part string) bool {
	if s.full {
		return false
	}
	n := len(part)
	if len(s.parts) > 0 {
		n++
	}
	if s.length+n > maxSummaryLen {
		s.full = true
		return false
	}
	s.parts = append(s.parts, part)
	s.length += n
	return true
}

func (s *summarizer) summary() string {
	s.commit()
	return strings.Join(s.parts, " ")
}

func (s *summarizer) commit() {
	if s.pending == "" {
		return
	}
	t := s.pending
	s.pending, s.pendingFn, s.dot = "", false, false
	s.targets++
	if s.targets == 1 {
		s.firstTarget = t
	}
	s.add(t)
}

// literal handles a literal: it ends whatever was being read.
func (s *summarizer) literal() {
	s.commit()
	if s.cur.expect != afterFromItem {
		s.cur.expect = expectNone
	}
	s.started, s.prevWord, s.prevPunct = true, "", '?'
}

func (s *summarizer) token(q string, tok sqlToken) {
	text := q[tok.start:tok.end]
	switch tok.kind {
	case tokPunct:
		s.punct(text[0])
		s.started, s.prevWord, s.prevPunct = true, "", text[0]
	case tokParam:
		s.commit()
		if s.cur.expect != afterFromItem {
			s.cur.expect = expectNone
		}
		s.started, s.prevWord, s.prevPunct = true, "", '?'
	case tokIdent:
		s.name(unquoteIdent(text))
		s.started, s.prevWord, s.prevPunct = true, "", 0
	case tokWord:
		up := strings.ToUpper(text)
		s.word(text, up)
		s.started, s.prevWord, s.prevPunct = true, up, 0
	}
}

func (s *summarizer) punct(c byte) {
	if s.pending != "" {
		switch {
		case c == '.':
			s.dot = true
			return
		case c == '(' && s.pendingFn:
			// FROM f(...) or JOIN f(...): a function, not a table.
			s.pending, s.pendingFn, s.dot = "", false, false
		default:
			s.commit()
		}
	}
	switch c {
	case '(':
		outer := s.cur
		if outer.expect == expectFromItem {
			// FROM (subquery) alias, ...
			outer.expect = afterFromItem
		} else if outer.expect != afterFromItem {
			outer.expect = expectNone
		}
		s.levels = append(s.levels, outer)
		s.cur = summaryLevel{}
	case ')':
		if n := len(s.levels); n > 0 {
			s.cur = s.levels[n-1]
			s.levels = s.levels[:n-1]
		} else {
			s.cur = summaryLevel{}
		}
	case ',':
		if s.cur.expect == afterFromItem {
			s.cur.expect = expectFromItem
		} else if s.cur.expect != expectFromItem {
			s.cur.expect = expectNone
		}
	case ';':
		s.cur, s.levels, s.explain, s.started = summaryLevel{}, s.levels[:0], false, false
	default:
		s.cur.expect = expectNone
	}
}

// name handles a table name or a part of one.
func (s *summarizer) name(n string) {
	if s.dot && s.pending != "" {
		s.pending += "." + n
		s.dot = false
		return
	}
	s.commit()
	switch s.cur.expect {
	case expectTable:
		s.pending, s.pendingFn = n, s.prevWord == "JOIN"
		s.cur.expect = expectNone
	case expectFromItem:
		s.pending, s.pendingFn = n, true
		s.cur.expect = afterFromItem
	case expectAlias:
		s.cur.expect = afterFromItem
	case expectDDLObject:
		s.cur.expect = expectNone
	}
}

func (s *summarizer) word(raw, up string) {
	if s.dot && s.pending != "" {
		s.name(raw)
		return
	}
	if s.operation(up) {
		return
	}
	switch s.cur.expect {
	case expectTable, expectFromItem:
		if beforeTarget[up] {
			return
		}
		if !clauseWords[up] {
			s.name(raw)
			return
		}
	case afterFromItem:
		if up == "AS" {
			s.commit()
			s.cur.expect = expectAlias
			return
		}
		if !clauseWords[up] {
			s.commit()
			return // an alias
		}
	case expectAlias:
		s.name(raw)
		return
	case expectDDLObject:
		if ddlModifiers[up] {
			return
		}
		if ddlObjects[up] {
			if s.lastOp >= 0 && s.lastOp < len(s.parts) && !s.full {
				op := s.parts[s.lastOp] + " " + up
				if s.length+len(up)+1 <= maxSummaryLen {
					s.length += len(up) + 1
					s.parts[s.lastOp] = op
					if s.ops == 1 {
						s.firstOp = op
					}
				}
			}
			s.cur.expect = expectTable
			return
		}
		s.cur.expect = expectNone
	}
	s.commit()
	s.cur.expect = expectNone
	if !s.cur.hasOp && len(s.levels) > 0 {
		// A FROM inside a function's parentheses (EXTRACT(YEAR FROM t),
		// SUBSTRING(s FROM 2)) is not a clause.
		return
	}
	switch up {
	case "FROM":
		if s.prevWord != "DISTINCT" {
			s.cur.expect = expectFromItem
		}
	case "JOIN", "INTO", "USING":
		s.cur.expect = expectTable
	}
}

// operation reports whether up starts an operation here, and records it.
func (s *summarizer) operation(up string) bool {
	place, ok := sqlOperations[up]
	if !ok {
		return false
	}
	atStart := !s.started || s.prevPunct == ';' || s.explain
	switch place {
	case opDML:
		if !atStart && s.prevPunct != '(' && s.prevPunct != ')' {
			return false
		}
	case opStatement:
		if !atStart {
			return false
		}
	}
	s.commit()
	s.explain = up == "EXPLAIN" || (s.explain && (up == "ANALYZE"))
	if s.explain && up == "ANALYZE" && s.ops > 0 {
		return true // EXPLAIN ANALYZE: a modifier
	}
	s.ops++
	if s.ops == 1 {
		s.firstOp = up
	}
	s.lastOp = -1
	if s.add(up) {
		s.lastOp = len(s.parts) - 1
	}
	s.cur.hasOp = true
	switch up {
	case "UPDATE", "TRUNCATE":
		s.cur.expect = expectTable
	case "CREATE", "ALTER", "DROP":
		s.cur.expect = expectDDLObject
	default:
		s.cur.expect = expectNone
	}
	return true
}

// unquoteIdent removes the quotes of a quoted identifier and undoubles
// the quotes inside it.
func unquoteIdent(s string) string {
	if len(s) < 2 {
		return s
	}
	quote := s[0]
	inner := s[1 : len(s)-1]
	pair := string([]byte{quote, quote})
	if strings.Contains(inner, pair) {
		inner = strings.ReplaceAll(inner, pair, string(quote))
	}
	return inner
}
