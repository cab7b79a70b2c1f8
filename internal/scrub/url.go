package scrub

import (
	"net/url"
	"strings"
)

// query scrubs a raw URL query found at the current path: a parameter whose name
// matches a key rule (with the query-only names key, sig and code) or whose
// value holds a value rule's secret gets the value REDACTED. The path of a
// parameter is the current path followed by its name.
func (w *walker) query(q string) (string, bool) {
	var b strings.Builder
	written := 0 // bytes of q already copied into b
	for pos := 0; pos < len(q); {
		end := strings.IndexAny(q[pos:], "&;")
		if end < 0 {
			end = len(q)
		} else {
			end += pos
		}
		pair := q[pos:end]
		if k, v, ok := strings.Cut(pair, "="); ok && v != "" && w.queryParamSecret(k, v) {
			if written == 0 {
				b.Grow(len(q))
			}
			vs := pos + len(k) + 1
			b.WriteString(q[written:vs])
			b.WriteString(Redacted)
			written = vs + len(v)
		}
		pos = end + 1
	}
	if written == 0 {
		return q, false
	}
	b.WriteString(q[written:])
	return b.String(), true
}

// queryParamSecret reports whether the value v of the query parameter k
// must be redacted, and records it.
func (w *walker) queryParamSecret(k, v string) bool {
	name := k
	if strings.ContainsAny(k, "%+") {
		if u, err := url.QueryUnescape(k); err == nil {
			name = u
		}
	}
	if rule, _, ok := w.s.queryKeyRule(name); ok {
		path := w.path(name)
		if !w.allowed(path, v, rule) {
			w.record(path)
			return true
		}
	}
	val := v
	if strings.ContainsAny(v, "%+") {
		if u, err := url.QueryUnescape(v); err == nil {
			val = u
		}
	}
	flags, digits := classify(val)
	if !mayHoldValue(flags, digits) {
		return false
	}
	var buf [2]finding
	for _, f := range findValues(val, flags, digits, buf[:0]) {
		path := w.path(name)
		if !w.allowed(path, val[f.start:f.end], f.rule) {
			w.record(path)
			return true
		}
	}
	return false
}

// url scrubs a full URL found at the current path: user information becomes
// REDACTED:REDACTED (or REDACTED), query and fragment parameters are
// scrubbed as [walker.query] does, and card numbers and JWTs in the path
// become REDACTED. A string that does not parse as a URL is scrubbed as
// far as its parts can be found.
func (w *walker) url(s string) (string, bool) {
	var buf [4]finding
	fs := buf[:0]
	rest := 0 // where the path starts
	if i := strings.Index(s, "://"); i > 0 && isScheme(s[:i]) {
		a := i + 3
		e := a
		for e < len(s) && s[e] != '/' && s[e] != '?' && s[e] != '#' {
			e++
		}
		if at := strings.LastIndexByte(s[a:e], '@'); at >= 0 && !alreadyRedacted(s[a:a+at]) {
			fs = append(fs, finding{start: a, end: a + at, rule: RuleURLCredentials})
		}
		rest = e
	}
	pathEnd := len(s)
	if i := strings.IndexAny(s[rest:], "?#"); i >= 0 {
		pathEnd = rest + i
	}
	if p := s[rest:pathEnd]; p != "" {
		if flags, digits := classify(p); flags&(cJ) != 0 || digits >= 13 {
			var pbuf [2]finding
			for _, f := range findValues(p, flags&cJ, digits, pbuf[:0]) {
				f.start += rest
				f.end += rest
				fs = append(fs, f)
			}
		}
	}
	query, fragment := "", ""
	qStart, fStart := -1, -1
	if pathEnd < len(s) {
		tail := s[pathEnd:]
		if tail[0] == '?' {
			qStart = pathEnd + 1
			query = tail[1:]
			if h := strings.IndexByte(query, '#'); h >= 0 {
				fStart = qStart + h + 1
				query, fragment = query[:h], query[h+1:]
			}
		} else {
			fStart = pathEnd + 1
			fragment = tail[1:]
		}
	}
	head, hChanged := s, false
	if len(fs) > 0 {
		head, hChanged = w.apply(s[:pathEnd], fs, true)
	}
	newQuery, qChanged := query, false
	if query != "" {
		newQuery, qChanged = w.query(query)
	}
	newFragment, fChanged := fragment, false
	if strings.IndexByte(fragment, '=') >= 0 {
		newFragment, fChanged = w.query(fragment)
	}
	if !hChanged && !qChanged && !fChanged {
		return s, false
	}
	var b strings.Builder
	b.Grow(len(s) + 16)
	if hChanged {
		b.WriteString(head)
	} else {
		b.WriteString(s[:pathEnd])
	}
	if qStart >= 0 {
		b.WriteByte('?')
		b.WriteString(newQuery)
	}
	if fStart >= 0 {
		b.WriteByte('#')
		b.WriteString(newFragment)
	}
	return b.String(), true
}

// isScheme reports whether s is a URL scheme: a letter, then letters,
// digits, '+', '-' or '.'.
func isScheme(s string) bool {
	if s == "" || !isLetter(s[0]) {
		return false
	}
	for i := 1; i < len(s); i++ {
		if !isSchemeChar(s[i]) {
			return false
		}
	}
	return true
}
