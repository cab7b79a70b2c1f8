package forwarding

import (
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strings"
)

// corsPolicy decides which cross-origin pages may send telemetry.
type corsPolicy struct {
	enabled     bool
	any         bool                // "*" was given
	origins     map[string]struct{} // "scheme://host[:port]", lower case
	credentials bool
}

// preflightHeaders are the request headers a page may ask to send.
var preflightHeaders = []string{"content-type", "content-encoding", "authorization"}

const (
	allowMethods = "POST"
	allowHeaders = "Content-Type, Content-Encoding, Authorization"
	maxAge       = "600"
)

func newCORSPolicy(origins []string, credentials bool) (corsPolicy, error) {
	p := corsPolicy{credentials: credentials}
	if len(origins) == 0 {
		if credentials {
			return p, errors.New("forwarding: WithCredentials needs WithAllowedOrigins")
		}
		return p, nil
	}
	p.enabled = true
	p.origins = make(map[string]struct{}, len(origins))
	for _, o := range origins {
		if o == "*" {
			p.any = true
			continue
		}
		n, err := normalizeOrigin(o)
		if err != nil {
			return p, fmt.Errorf("forwarding: WithAllowedOrigins: %q: %w", o, err)
		}
		p.origins[n] = struct{}{}
	}
	if p.any && credentials {
		return p, errors.New(`forwarding: WithAllowedOrigins("*") cannot be combined with WithCredentials: list the origins`)
	}
	return p, nil
}

func normalizeOrigin(o string) (string, error) {
	u, err := url.Parse(o)
	if err != nil {
		return "", errors.New("not a URL")
	}
	if u.Scheme != "http" && u.Scheme != "https" {
		return "", errors.New("want an http:// or https:// origin")
	}
	if u.Host == "" || u.User != nil || (u.Path != "" && u.Path != "/") || u.RawQuery != "" || u.Fragment != "" {
		return "", errors.New(`want "scheme://host" or "scheme://host:port", with nothing after it`)
	}
	return strings.ToLower(u.Scheme + "://" + u.Host), nil
}

// check decides about a request's Origin header: allowed reports whether the
// request may go on, and allowOrigin is the Access-Control-Allow-Origin value
// to answer with ("" when none is needed). Without configured origins every
// request goes on and no CORS header is sent. A same-origin request (whose
// Origin's host is the request's Host) always goes on.
func (p *corsPolicy) check(r *http.Request) (allowOrigin string, allowed bool) {
	if !p.enabled {
		return "", true
	}
	v := r.Header["Origin"]
	if len(v) == 0 {
		return "", true
	}
	if len(v) > 1 {
		return "", false
	}
	origin := v[0]
	if p.any {
		return "*", true
	}
	if _, ok := p.origins[strings.ToLower(origin)]; ok {
		return origin, true
	}
	if u, err := url.Parse(origin); err == nil && u.Host != "" && strings.EqualFold(u.Host, r.Host) {
		return "", true
	}
	return "", false
}

// setHeaders adds the CORS headers of an answer to an allowed origin.
func (p *corsPolicy) setHeaders(h http.Header, allowOrigin string) {
	if !p.enabled {
		return
	}
	h["Vary"] = append(h["Vary"], "Origin")
	if allowOrigin == "" {
		return
	}
	h["Access-Control-Allow-Origin"] = []string{allowOrigin}
	h["Access-Control-Expose-Headers"] = []string{"Retry-After"}
	if p.credentials {
		h["Access-Control-Allow-Credentials"] = []string{"true"}
	}
}

// preflightOK reports whether a preflight asks for POST and only headers
// the handler accepts.
func preflightOK(r *http.Request) bool {
	if m := r.Header["Access-Control-Request-Method"]; len(m) != 1 || m[0] != http.MethodPost {
		return false
	}
	for _, v := range r.Header["Access-Control-Request-Headers"] {
		for name := range strings.SplitSeq(v, ",") {
			name = strings.ToLower(strings.TrimSpace(name))
			if name == "" {
				continue
			}
			ok := false
			for _, a := range preflightHeaders {
				if name == a {
					ok = true
					break
				}
			}
			if !ok {
				return false
			}
		}
	}
	return true
}
