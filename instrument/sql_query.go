package instrument

import "strings"

// sqlDialect says how a database's SQL quotes strings and comments.
type sqlDialect uint8

const (
	// dialectStandard: 'strings' with '' escapes, "identifiers",
	// non-nesting /* comments */ (SQLite and most others).
	dialectStandard sqlDialect = iota
	// dialectPostgres: as standard, with nesting block comments.
	dialectPostgres
	// dialectMySQL: backslash escapes in strings, "strings" too, and #
	// comments (MySQL, MariaDB, TiDB, ClickHouse-like).
	dialectMySQL
)

// maxSummaryLen bounds db.query.summary, as the conventions ask.
const maxSummaryLen = 255

// parsedQuery is what the instrumentation reads from a query's text.
type parsedQuery struct {
	// text is the query with every string and number literal replaced by
	// ? and comments removed; a query with neither is kept as it is.
	text string
	// summary is db.query.summary: the operations and the tables they act
	// on, in the order they appear ("SELECT orders customers").
	summary string
	// operation and collection are set only when the query has a single
	// operation (and, for collection, a single table).
	operation, collection string
}

type tokKind uint8

const (
	tokWord    tokKind = iota // keyword or bare identifier
	tokIdent                  // quoted identifier
	tokLiteral                // string or number literal
	tokParam                  // placeholder: ?, ?1, $1, :name, @name
	tokPunct                  // any other byte
	tokComment
	tokSpace
)

type sqlToken struct {
	kind       tokKind
	start, end int
}

// sqlLexer splits a query into tokens. It never fails: anything it does
// not understand is punctuation, and an unterminated string, quoted
// identifier or dollar-quoted string is a literal that runs to the end of
// the query (so that nothing after an unmatched quote is ever recorded).
type sqlLexer struct {
	q       string
	i       int
	dialect sqlDialect
}

func isSpace(c byte) bool {
	return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f' || c == '\v'
}

func isDigit(c byte) bool { return c >= '0' && c <= '9' }

func isWordStart(c byte) bool {
	return c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c == '_' || c >= 0x80
}

func isWordChar(c byte) bool { return isWordStart(c) || isDigit(c) || c == '$' }

func isHexDigit(c byte) bool {
	return isDigit(c) || c >= 'a' && c <= 'f' || c >= 'A' && c <= 'F'
}

// next returns the next token, or false at the end of the query.
func (l *sqlLexer) next() (sqlToken, bool) {
	q, i := l.q, l.i
	if i >= len(q) {
		return sqlToken{}, false
	}
	start := i
	c := q[i]
	kind := tokPunct
	switch {
	case isSpace(c):
		for i < len(q) && isSpace(q[i]) {
			i++
		}
		kind = tokSpace
	case c == '-' && i+1 < len(q) && q[i+1] == '-', c == '#' && l.dialect == dialectMySQL:
		for i < len(q) && q[i] != '\n' {
			i++
		}
		kind = tokComment
	case c == '/' && i+1 < len(q) && q[i+1] == '*':
		i = l.blockComment(i + 2)
		kind = tokComment
	case c == '\'':
		i = l.quoted(i+1, '\'', l.dialect == dialectMySQL)
		kind = tokLiteral
	case c == '"':
		if l.dialect == dialectMySQL {
			i = l.quoted(i+1, '"', true)
			kind = tokLiteral
		} else {
			var ok bool
			i, ok = l.quotedIdent(i+1, '"')
			kind = identOrLiteral(ok)
		}
	case c == '`':
		var ok bool
		i, ok = l.quotedIdent(i+1, '`')
		kind = identOrLiteral(ok)
	case isDigit(c) || c == '.' && i+1 < len(q) && isDigit(q[i+1]):
		i = l.number(i)
		kind = tokLiteral
	case c == '$':
		i, kind = l.dollar(i)
	case c == '?':
		i++
		for i < len(q) && isDigit(q[i]) {
			i++
		}
		kind = tokParam
	case (c == ':' || c == '@') && i+1 < len(q) && (isWordChar(q[i+1]) && q[i+1] != '$'):
		if c == ':' && i > 0 && q[i-1] == ':' {
			// The second colon of a PostgreSQL cast (x::int).
			i++
			break
		}
		i++
		for i < len(q) && isWordChar(q[i]) {
			i++
		}
		kind = tokParam
	case isWordStart(c):
		for i < len(q) && isWordChar(q[i]) {
			i++
		}
		kind = tokWord
		// A prefixed string: E'...' (backslash escapes), N'...', X'...',
		// B'...', U&'...'.
		w := q[start:i]
		if i < len(q) && q[i] == '\'' && len(w) == 1 {
			switch w[0] | 0x20 {
			case 'e':
				return l.emit(start, l.quoted(i+1, '\'', true), tokLiteral)
			case 'n', 'x', 'b':
				return l.emit(start, l.quoted(i+1, '\'', l.dialect == dialectMySQL), tokLiteral)
			}
		}
		if len(w) == 1 && w[0]|0x20 == 'u' && i+1 < len(q) && q[i] == '&' && q[i+1] == '\'' {
			return l.emit(start, l.quoted(i+2, '\'', false), tokLiteral)
		}
	default:
		i++
	}
	return l.emit(start, i, kind)
}

func (l *sqlLexer) emit(start, end int, kind tokKind) (sqlToken, bool) {
	l.i = end
	return sqlToken{kind: kind, start: start, end: end}, true
}

func identOrLiteral(terminated bool) tokKind {
	if terminated {
		return tokIdent
	}
	// An unterminated quoted identifier runs to the end of the query:
	// whatever it swallowed is not recorded.
	return tokLiteral
}

// blockComment returns the end of a /* comment */ whose body starts at i.
// PostgreSQL's nest.
func (l *sqlLexer) blockComment(i int) int {
	q, depth := l.q, 1
	for i < len(q) {
		switch {
		case q[i] == '*' && i+1 < len(q) && q[i+1] == '/':
			i += 2
			depth--
			if depth == 0 || l.dialect != dialectPostgres {
				return i
			}
		case q[i] == '/' && i+1 < len(q) && q[i+1] == '*' && l.dialect == dialectPostgres:
			i += 2
			depth++
		default:
			i++
		}
	}
	return i
}

// quoted returns the end of a string whose body starts at i and that
// closes with quote; a doubled quote is part of the string, and so is a
// backslash-escaped character when backslash is set.
func (l *sqlLexer) quoted(i int, quote byte, backslash bool) int {
	q := l.q
	for i < len(q) {
		switch q[i] {
		case '\\':
			if backslash {
				i += 2
				continue
			}
		case quote:
			if i+1 < len(q) && q[i+1] == quote {
				i += 2
				continue
			}
			return i + 1
		}
		i++
	}
	return len(q)
}

// quotedIdent returns the end of a quoted identifier whose body starts at
// i, and whether it was closed.
func (l *sqlLexer) quotedIdent(i int, quote byte) (int, bool) {
	q := l.q
	for i < len(q) {
		if q[i] == quote {
			if i+1 < len(q) && q[i+1] == quote {
				i += 2
				continue
			}
			return i + 1, true
		}
		i++
	}
	return len(q), false
}

// number returns the end of a number literal starting at i: decimal,
// with a fraction, an exponent or _ separators, or 0x/0b/0o-prefixed.
func (l *sqlLexer) number(i int) int {
	q := l.q
	if q[i] == '0' && i+2 < len(q) {
		switch q[i+1] | 0x20 {
		case 'x', 'b', 'o':
			j := i + 2
			for j < len(q) && (isHexDigit(q[j]) || q[j] == '_') {
				j++
			}
			if j > i+2 {
				return j
			}
		}
	}
	for i < len(q) && (isDigit(q[i]) || q[i] == '_') {
		i++
	}
	if i < len(q) && q[i] == '.' {
		i++
		for i < len(q) && (isDigit(q[i]) || q[i] == '_') {
			i++
		}
	}
	if i < len(q) && q[i]|0x20 == 'e' {
		j := i + 1
		if j < len(q) && (q[j] == '+' || q[j] == '-') {
			j++
		}
		if j < len(q) && isDigit(q[j]) {
			for j < len(q) && isDigit(q[j]) {
				j++
			}
			i = j
		}
	}
	return i
}

// dollar reads what starts with $ at i: a placeholder ($1), a
// dollar-quoted string ($$...$$, $tag$...$tag$), or punctuation.
func (l *sqlLexer) dollar(i int) (int, tokKind) {
	q := l.q
	j := i + 1
	if j < len(q) && isDigit(q[j]) {
		for j < len(q) && isDigit(q[j]) {
			j++
		}
		return j, tokParam
	}
	for j < len(q) && (isWordStart(q[j]) || j > i+1 && isDigit(q[j])) {
		j++
	}
	if j >= len(q) || q[j] != '$' {
		return i + 1, tokPunct
	}
	tag := q[i : j+1]
	if end := strings.Index(q[j+1:], tag); end >= 0 {
		return j + 1 + end + len(tag), tokLiteral
	}
	return len(q), tokLiteral
}

// parseQuery reads a query's sanitised text, summary, operation and
// collection. It never panics, and the text and summary it returns never
// hold a literal of the query.
func parseQuery(q string, d sqlDialect) parsedQuery {
	l := sqlLexer{q: q, dialect: d}
	var s summarizer
	var b strings.Builder
	copied := 0      // bytes of q already written to b
	rewrite := false // whether b is in use
	for {
		tok, ok := l.next()
		if !ok {
			break
		}
		switch tok.kind {
		case tokLiteral, tokComment:
			if !rewrite {
				rewrite = true
				b.Grow(len(q))
			}
			b.WriteString(q[copied:tok.start])
			if tok.kind == tokLiteral {
				b.WriteByte('?')
				s.literal()
			} else if prev := lastByte(&b); prev != 0 && !isSpace(prev) {
				// A comment separates tokens: keep them apart.
				b.WriteByte(' ')
			}
			copied = tok.end
		case tokSpace:
			if rewrite && copied == tok.start && isSpace(lastByte(&b)) {
				// Spaces that followed a removed comment, after spaces
				// that preceded it.
				copied = tok.end
			}
		default:
			s.token(q, tok)
		}
	}
	p := parsedQuery{text: q}
	if rewrite {
		b.WriteString(q[copied:])
		p.text = strings.TrimSpace(b.String())
	}
	p.summary = s.summary()
	if s.ops == 1 {
		p.operation = s.firstOp
		if s.targets == 1 {
			p.collection = s.firstTarget
		}
	}
	return p
}

func lastByte(b *strings.Builder) byte {
	if b.Len() == 0 {
		return 0
	}
	s := b.String()
	return s[len(s)-1]
}
