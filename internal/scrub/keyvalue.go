package scrub

import "strings"

// maxKeyLen bounds how far back a key is looked for in a string.
const maxKeyLen = 64

func isKeyChar(c byte) bool {
	return isAlnum(c) || c == '_' || c == '-' || c == '.' || c == '[' || c == ']'
}

// keyBefore finds the key in front of the separator at s[p]: a run of key
// characters, or a quoted key (JSON, escaped JSON), with up to three
// spaces between it and the separator. It returns an empty range when there
// is none.
func keyBefore(s string, p int) (ks, ke int, quoted bool) {
	j := p
	for j > 0 && p-j < 3 && (s[j-1] == ' ' || s[j-1] == '\t') {
		j--
	}
	if j > 0 && (s[j-1] == '"' || s[j-1] == '\'') {
		q := s[j-1]
		ke = j - 1
		if ke > 0 && s[ke-1] == '\\' {
			ke--
		}
		k := ke
		for k > 0 && ke-k < maxKeyLen && s[k-1] != q && s[k-1] != '\\' && s[k-1] != '\n' {
			k--
		}
		if k == 0 || s[k-1] == '\n' || ke-k >= maxKeyLen || strings.Contains(s[k:ke], "[REDACTED: ") {
			return p, p, false // no key, or a quoted marker
		}
		return k, ke, true
	}
	k := j
	for k > 0 && j-k < maxKeyLen && isKeyChar(s[k-1]) {
		k--
	}
	if close := strings.IndexByte(s[k:j], ']'); close >= 0 && strings.IndexByte(s[k:k+close], '[') < 0 {
		// "jwt]" ends a marker ("[REDACTED: jwt]=0"), not a key; "user[password]" is one.
		return p, p, false
	}
	return k, j, false
}

func closerOf(c byte) byte {
	switch c {
	case '[':
		return ']'
	case '{':
		return '}'
	}
	return ')'
}

// valueAfter finds the value that follows the separator ending at s[q-1]:
// the inside of a quoted value; a bracketed value with its brackets, so
// that "Cookie:[a=b]" becomes "Cookie:[REDACTED: cookie]"; otherwise, when the separator
// is followed by a space ("key: value"), the rest of the line up to a ','
// or an unbalanced closing bracket; otherwise ("key=value", "Key:value")
// up to white space, '&' or ','.
func valueAfter(s string, q int) (vs, ve int) {
	spaced := false
	for q < len(s) && (s[q] == ' ' || s[q] == '\t') {
		q++
		spaced = true
	}
	if q >= len(s) {
		return q, q
	}
	switch c := s[q]; c {
	case '"', '\'':
		for e := q + 1; e < len(s); e++ {
			if s[e] == '\\' {
				e++
				continue
			}
			if s[e] == c {
				return q + 1, e
			}
		}
		return q + 1, len(s)
	case '\\':
		if q+1 < len(s) && s[q+1] == '"' {
			if e := strings.Index(s[q+2:], `\"`); e >= 0 {
				return q + 2, q + 2 + e
			}
			return q + 2, len(s)
		}
	case '[', '{', '(':
		cl, depth := closerOf(c), 0
		for e := q; e < len(s); e++ {
			switch s[e] {
			case c:
				depth++
			case cl:
				if depth--; depth == 0 {
					return q, e + 1
				}
			}
		}
		return q, len(s)
	case '\n', '\r':
		return q, q
	}
	depth, e := 0, q
scan:
	for ; e < len(s); e++ {
		switch s[e] {
		case '\n', '\r', '"':
			break scan
		case '[', '{', '(':
			depth++
		case ']', '}', ')':
			if depth == 0 {
				break scan
			}
			depth--
		case ',':
			if depth == 0 {
				break scan
			}
		case ' ', '\t', '&':
			if !spaced && depth == 0 {
				break scan
			}
		}
	}
	return q, e
}

// findKeyValues finds the values of key=value, key: value and Key:value
// forms in s whose key matches a key rule.
func (sc *Scrubber) findKeyValues(s string, out []finding) []finding {
	nextEq, nextColon := -1, -1 // the next '=' and ':' at or after p, or len(s)
	for p := 0; p < len(s); p++ {
		if nextEq < p {
			if nextEq = strings.IndexByte(s[p:], '='); nextEq < 0 {
				nextEq = len(s)
			} else {
				nextEq += p
			}
		}
		if nextColon < p {
			if nextColon = strings.IndexByte(s[p:], ':'); nextColon < 0 {
				nextColon = len(s)
			} else {
				nextColon += p
			}
		}
		if p = min(nextEq, nextColon); p >= len(s) {
			break
		}
		c := s[p]
		if c == ':' && strings.HasPrefix(s[p+1:], "//") {
			continue // a URL's scheme
		}
		if c == '=' && (p+1 < len(s) && s[p+1] == '=' || p > 0 && strings.IndexByte("!<>=:", s[p-1]) >= 0) {
			continue // a comparison or an assignment operator
		}
		ks, ke, quoted := keyBefore(s, p)
		if ks == ke {
			continue
		}
		key := s[ks:ke]
		rule, marker, ok := sc.keyRule(key)
		if !ok && !quoted && ks >= 2 && s[ks-1] == ' ' && isKeyChar(s[ks-2]) {
			// Two-word keys: "api key: ...", "Credit Card: ...".
			k2 := ks - 1
			for k2 > 0 && ke-k2 < maxKeyLen && isKeyChar(s[k2-1]) {
				k2--
			}
			if r := defaultKeys.match(s[k2:ke]); r >= 0 && defaultKeys.rules[r].second != "" {
				key, rule, marker, ok = s[k2:ke], defaultKeys.rules[r].rule, defaultKeys.rules[r].marker, true
			}
		}
		if !ok {
			continue
		}
		vs, ve := valueAfter(s, p+1)
		if ve > vs {
			out = append(out, finding{start: vs, end: ve, rule: rule, marker: marker, key: key})
		}
		if ve-1 > p {
			p = ve - 1
		}
	}
	return out
}
