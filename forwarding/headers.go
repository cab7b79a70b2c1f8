package forwarding

import (
	"net/http"
	"strings"

	moduleversion "github.com/observe-go/observe/internal/version"
)

// The values the handler sends. The slices are shared by all requests and
// have no spare capacity, so an Add by a RoundTripper cannot write into them.
var (
	ctProtobuf = []string{"application/x-protobuf"}
	ctJSON     = []string{"application/json"}
	ceGzip     = []string{"gzip"}
)

// contentType returns the header value to forward for an accepted
// Content-Type (application/x-protobuf or application/json, in any case, with
// any parameters), or nil. Exactly one Content-Type header is accepted.
func contentType(h http.Header) []string {
	v := h["Content-Type"]
	if len(v) != 1 {
		return nil
	}
	mt, _, _ := strings.Cut(v[0], ";")
	mt = strings.TrimSpace(mt)
	switch {
	case strings.EqualFold(mt, ctProtobuf[0]):
		return ctProtobuf
	case strings.EqualFold(mt, ctJSON[0]):
		return ctJSON
	}
	return nil
}

// contentEncoding returns the header value to forward for the request's
// Content-Encoding (nil when the body is not encoded) and whether it is
// accepted: none, "identity" or "gzip", given once.
func contentEncoding(h http.Header) ([]string, bool) {
	v, ok := h["Content-Encoding"]
	if !ok {
		return nil, true
	}
	if len(v) != 1 {
		return nil, false
	}
	switch e := strings.TrimSpace(v[0]); {
	case strings.EqualFold(e, "gzip"):
		return ceGzip, true
	case strings.EqualFold(e, "identity"):
		return nil, true
	}
	return nil, false
}

// maxBrowserUA bounds the browser's User-Agent appended to the handler's.
const maxBrowserUA = 256

// userAgent is "observe-forwarding/<version>", followed by the browser's
// User-Agent with every byte outside printable ASCII left out.
func userAgent(base string, in http.Header) []string {
	v := in["User-Agent"]
	if len(v) == 0 || v[0] == "" {
		return []string{base}
	}
	ua := v[0]
	if len(ua) > maxBrowserUA {
		ua = ua[:maxBrowserUA]
	}
	var b strings.Builder
	b.Grow(len(base) + 1 + len(ua))
	b.WriteString(base)
	b.WriteByte(' ')
	for i := 0; i < len(ua); i++ {
		if c := ua[i]; c >= ' ' && c < 0x7f {
			b.WriteByte(c)
		}
	}
	return []string{strings.TrimSpace(b.String())}
}

// outboundHeader builds the forwarded request's header from scratch: the
// accepted Content-Type and Content-Encoding, the User-Agent, then the
// server-side headers. Nothing else of the browser's header is kept.
func outboundHeader(ct, ce []string, ua []string, server http.Header) http.Header {
	h := make(http.Header, 3+len(server))
	h["Content-Type"] = ct
	if ce != nil {
		h["Content-Encoding"] = ce
	}
	h["User-Agent"] = ua
	for k, v := range server {
		h[k] = v
	}
	return h
}

// keptResponseHeaders are the backend's response headers passed to the
// browser with a 2xx answer.
var keptResponseHeaders = map[string]bool{
	"Content-Type": true, "Content-Length": true, "Content-Encoding": true,
}

// filterResponseHeader deletes, in place, every header but those the
// browser needs to read a 2xx answer.
func filterResponseHeader(h http.Header) {
	for k := range h {
		if !keptResponseHeaders[k] {
			delete(h, k)
		}
	}
}

// retryAfter returns a Retry-After value that is safe to pass on: a number
// of seconds of at most 9 digits, or an HTTP date; anything else is dropped.
func retryAfter(v string) (string, bool) {
	v = strings.TrimSpace(v)
	if v == "" {
		return "", false
	}
	digits := true
	for i := 0; i < len(v); i++ {
		if v[i] < '0' || v[i] > '9' {
			digits = false
			break
		}
	}
	if digits {
		return v, len(v) <= 9
	}
	if _, err := http.ParseTime(v); err == nil {
		return v, true
	}
	return "", false
}

// version is this module's version, as every scope of the module has it.
func version() string { return moduleversion.Version }
