package forwarding

import (
	"net/http"
	"net/url"
	"strings"
)

// pathResult is what signalFromURL makes of a request's target.
type pathResult uint8

const (
	pathOK       pathResult = iota
	pathBad                 // 400: an encoding, a dot segment, a query...
	pathNotFound            // 404: a clean path that is not an OTLP one
)

// signalFromURL decides which signal a request targets, from its URL as the
// handler received it (after any prefix stripping, but before any cleaning).
// It accepts a path only when it ends in /v1/traces, /v1/metrics or /v1/logs
// (or is "v1/traces"... as left by http.StripPrefix with a trailing slash),
// optionally followed by one "/". It refuses with pathBad:
//   - an absolute-form target ("POST http://host/v1/traces") or any query,
//     even an empty one ("?");
//   - any percent-encoding that differs from the path's plain form (%2F,
//     %2e, %41...), and any byte outside the URL path characters, such as
//     '%', '\', '#', spaces, control and non-ASCII bytes;
//   - "://" anywhere, empty segments ("//") and "." or ".." segments.
func signalFromURL(u *url.URL) (signal, pathResult) {
	if u.Scheme != "" || u.Host != "" || u.User != nil || u.Opaque != "" ||
		u.RawQuery != "" || u.ForceQuery || u.Fragment != "" || u.RawFragment != "" {
		return sigUnknown, pathBad
	}
	// A RawPath is kept only when the path was sent with escapes that its
	// plain form would not have: every such escape is refused.
	if u.RawPath != "" {
		return sigUnknown, pathBad
	}
	p := u.Path
	if p == "" {
		return sigUnknown, pathNotFound
	}
	for i := 0; i < len(p); i++ {
		if !isPathByte(p[i]) {
			return sigUnknown, pathBad
		}
	}
	if strings.Contains(p, "://") || strings.Contains(p, "//") {
		return sigUnknown, pathBad
	}
	if hasDotSegment(p) {
		return sigUnknown, pathBad
	}
	p = strings.TrimSuffix(p, "/")
	for s := range numSignals {
		sp := signalPaths[s]
		if strings.HasSuffix(p, sp) || p == sp[1:] {
			return s, pathOK
		}
	}
	return sigUnknown, pathNotFound
}

// isPathByte reports whether b may appear in a path as sent, unescaped:
// RFC 3986's unreserved and sub-delims characters, ':', '@' and '/'.
func isPathByte(b byte) bool {
	switch {
	case b >= 'a' && b <= 'z', b >= 'A' && b <= 'Z', b >= '0' && b <= '9':
		return true
	}
	return strings.IndexByte("-._~!$&'()*+,;=:@/", b) >= 0
}

func hasDotSegment(p string) bool {
	for seg := range strings.SplitSeq(p, "/") {
		if seg == "." || seg == ".." {
			return true
		}
	}
	return false
}

// requestSignal is signalFromURL for a request.
func requestSignal(r *http.Request) (signal, pathResult) {
	if r.URL == nil {
		return sigUnknown, pathBad
	}
	return signalFromURL(r.URL)
}
