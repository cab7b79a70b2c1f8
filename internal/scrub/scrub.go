// Package scrub removes secrets from values that would otherwise reach
// telemetry: URL query values under sensitive keys, and URL credentials.
package scrub

import (
	"net/url"
	"strings"
)

// Redacted replaces a secret.
const Redacted = "REDACTED"

// sensitiveParts are the substrings that make a query key sensitive, in
// lower case. They cover the semantic conventions' list (AWSAccessKeyId,
// Signature, sig, X-Goog-Signature) and the usual names of tokens, keys,
// passwords and secrets.
var sensitiveParts = []string{
	"token", "key", "password", "passwd", "pwd", "secret", "sig", "auth",
	"credential", "session", "jwt", "bearer", "code", "apikey", "private",
}

// SensitiveKey reports whether a query parameter named key may hold a
// secret.
func SensitiveKey(key string) bool {
	if k, err := url.QueryUnescape(key); err == nil {
		key = k
	}
	key = strings.ToLower(key)
	for _, p := range sensitiveParts {
		if strings.Contains(key, p) {
			return true
		}
	}
	return false
}

// Query returns rawQuery with the value of every sensitive key replaced by
// REDACTED. Order, other values and their encoding are kept. A query with
// nothing to redact is returned as it is, without allocating.
func Query(rawQuery string) string {
	if rawQuery == "" {
		return ""
	}
	var b strings.Builder
	rest := rawQuery
	written := 0 // bytes of rawQuery already copied into b
	pos := 0
	for rest != "" {
		var pair string
		if i := strings.IndexAny(rest, "&;"); i >= 0 {
			pair, rest = rest[:i], rest[i+1:]
		} else {
			pair, rest = rest, ""
		}
		k, v, hasValue := strings.Cut(pair, "=")
		if hasValue && v != "" && SensitiveKey(k) {
			if b.Len() == 0 && written == 0 {
				b.Grow(len(rawQuery))
			}
			valStart := pos + len(k) + 1
			b.WriteString(rawQuery[written:valStart])
			b.WriteString(Redacted)
			written = valStart + len(v)
		}
		pos += len(pair) + 1
	}
	if written == 0 {
		return rawQuery
	}
	b.WriteString(rawQuery[written:])
	return b.String()
}

// URL returns u as a string with its credentials replaced by
// REDACTED:REDACTED and sensitive query values redacted, as the semantic
// conventions ask of url.full.
func URL(u *url.URL) string {
	if u == nil {
		return ""
	}
	c := *u
	if c.User != nil {
		if _, hasPassword := c.User.Password(); hasPassword {
			c.User = url.UserPassword(Redacted, Redacted)
		} else {
			c.User = url.User(Redacted)
		}
	}
	c.RawQuery = Query(c.RawQuery)
	c.Fragment, c.RawFragment = "", ""
	return c.String()
}
