package forwarding

import (
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"strings"

	"github.com/observe-go/observe/internal/env"
)

// ErrNotConfigured is returned by [New] when no backend endpoint is set,
// neither by [WithEndpoint] nor by the OTEL_EXPORTER_OTLP_*ENDPOINT
// variables. A handler made by [NewHandler] in that state answers every
// request with 503.
var ErrNotConfigured = errors.New("forwarding: no OTLP/HTTP endpoint is configured (set OTEL_EXPORTER_OTLP_ENDPOINT or use WithEndpoint)")

// signal is one of the OTLP signals the handler forwards.
type signal uint8

const (
	sigTraces signal = iota
	sigMetrics
	sigLogs
	numSignals
	// sigUnknown labels requests refused before their signal was known.
	sigUnknown = numSignals
)

var (
	signalNames = [numSignals + 1]string{"traces", "metrics", "logs", "unknown"}
	signalPaths = [numSignals]string{"/v1/traces", "/v1/metrics", "/v1/logs"}
)

func (s signal) String() string { return signalNames[s] }

// upstream is where one signal is forwarded.
type upstream struct {
	url    *url.URL    // nil: the signal is not forwarded
	header http.Header // server-side headers, canonical names, clipped slices
}

// resolveUpstreams applies the OTLP exporters' rules, through the resolver
// observe's exporters use: an option beats the environment; a per-signal
// endpoint is used as it is, while the generic one is a base URL to which
// the signal's path is appended; per-signal headers replace the generic
// ones. Errors name the variable or option, never its value, which may hold
// the backend's address or a token.
func resolveUpstreams(c config) ([numSignals]upstream, error) {
	var ups [numSignals]upstream
	var errs []error
	otlp, err := env.New(c.lookup).OTLP()
	if err != nil {
		if j, ok := err.(interface{ Unwrap() []error }); ok {
			for _, e := range j.Unwrap() {
				errs = append(errs, hideValue(e))
			}
		} else {
			errs = append(errs, hideValue(err))
		}
	}
	for s := range numSignals {
		u, err := resolveURL(c, s, otlp[s])
		if err != nil {
			errs = append(errs, err)
		}
		h, err := resolveHeaders(c, otlp[s])
		if err != nil {
			errs = append(errs, err)
		}
		ups[s] = upstream{url: u, header: h}
	}
	if len(errs) > 0 {
		return ups, errors.Join(errs...)
	}
	if ups[sigTraces].url == nil && ups[sigMetrics].url == nil && ups[sigLogs].url == nil {
		return ups, ErrNotConfigured
	}
	return ups, nil
}

func resolveURL(c config, s signal, o env.OTLP) (*url.URL, error) {
	if c.endpoint != "" {
		u, err := env.ParseURL(c.endpoint)
		if err != nil {
			return nil, fmt.Errorf("forwarding: WithEndpoint: %w", err)
		}
		v := *u
		v.Path = strings.TrimSuffix(v.Path, "/") + signalPaths[s]
		v.RawPath = ""
		return &v, nil
	}
	if !o.EndpointSet() {
		return nil, nil
	}
	// The endpoint variables may be meant for gRPC exporters; the handler
	// speaks OTLP/HTTP only, and refuses rather than guesses a port.
	if o.Protocol == env.ProtocolGRPC {
		return nil, fmt.Errorf("forwarding: %s=grpc: %s is a gRPC endpoint, and the handler forwards OTLP/HTTP only; use WithEndpoint with the backend's OTLP/HTTP URL", o.ProtocolKey, o.EndpointKey)
	}
	return o.Endpoint, nil
}

func resolveHeaders(c config, o env.OTLP) (http.Header, error) {
	kvs, source := o.Headers, o.HeadersKey
	if c.headersSet {
		kvs, source = nil, "WithHeaders"
		for k, v := range c.headers {
			kvs = append(kvs, env.KeyValue{Key: k, Value: v})
		}
	}
	h := make(http.Header, len(kvs))
	for _, kv := range kvs {
		if err := checkServerHeader(kv.Key, kv.Value); err != nil {
			return nil, fmt.Errorf("forwarding: %s: header %q: %w", source, kv.Key, err)
		}
		k := http.CanonicalHeaderKey(kv.Key)
		// Clipped, so that an Add by a RoundTripper never writes into
		// the slice shared by all requests.
		h[k] = slices.Clip(append(h[k], kv.Value))
	}
	return h, nil
}

// reservedHeaders are set by the handler or by net/http and cannot be
// configured as server-side headers.
var reservedHeaders = map[string]bool{
	"Host": true, "Content-Length": true, "Transfer-Encoding": true,
	"Connection": true, "Keep-Alive": true, "Proxy-Connection": true,
	"Te": true, "Trailer": true, "Upgrade": true,
	"Content-Type": true, "Content-Encoding": true,
}

// checkServerHeader validates a server-side header; its error never shows
// the value.
func checkServerHeader(name, value string) error {
	if !isToken(name) {
		return errors.New("the name is not a valid HTTP header name")
	}
	if reservedHeaders[http.CanonicalHeaderKey(name)] {
		return errors.New("this header is set by the handler and cannot be configured")
	}
	for i := 0; i < len(value); i++ {
		if b := value[i]; (b < ' ' && b != '\t') || b == 0x7f {
			return errors.New("the value holds a control character")
		}
	}
	return nil
}

func isToken(s string) bool {
	if s == "" {
		return false
	}
	for i := 0; i < len(s); i++ {
		b := s[i]
		switch {
		case b >= 'a' && b <= 'z', b >= 'A' && b <= 'Z', b >= '0' && b <= '9':
		case strings.IndexByte("!#$%&'*+-.^_`|~", b) >= 0:
		default:
			return false
		}
	}
	return true
}

// hideValue rewrites an env.Error so that it names the variable but not its
// value: an endpoint's address is not to appear in logs either.
func hideValue(err error) error {
	var e *env.Error
	if errors.As(err, &e) {
		return fmt.Errorf("forwarding: %s: %w", e.Key, e.Err)
	}
	return fmt.Errorf("forwarding: %w", err)
}
