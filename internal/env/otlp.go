package env

import (
	"errors"
	"fmt"
	"net/url"
	"strings"
	"time"
)

// The OTLP protocols.
const (
	ProtocolGRPC         = "grpc"
	ProtocolHTTPProtobuf = "http/protobuf"
)

// DefaultOTLPTimeout bounds one export when no variable says otherwise.
const DefaultOTLPTimeout = 10 * time.Second

// OTLPSignals names the three OTLP signals in the order [Reader.OTLP]
// returns them.
var OTLPSignals = [3]string{"traces", "metrics", "logs"}

// OTLP is what the environment says about one signal's OTLP exporter, after
// the per-signal variables have been preferred to the generic ones.
type OTLP struct {
	// Signal is "traces", "metrics" or "logs".
	Signal string
	// Protocol is ProtocolGRPC or ProtocolHTTPProtobuf; ProtocolKey is the
	// variable that set it, or "" for the default.
	Protocol, ProtocolKey string
	// Endpoint is the full URL the exporter sends to: for http/protobuf it
	// includes the signal's path. EndpointKey is the variable that set it,
	// or "" when it is the default.
	Endpoint    *url.URL
	EndpointKey string
	// Headers are sent with every export; HeadersKey is the variable they
	// come from.
	Headers    []KeyValue
	HeadersKey string
	// Timeout bounds one export.
	Timeout time.Duration
	// Gzip turns on gzip compression.
	Gzip bool
}

// EndpointSet reports whether a variable gave the endpoint.
func (o OTLP) EndpointSet() bool { return o.EndpointKey != "" }

// HeaderMap returns the headers as a map.
func (o OTLP) HeaderMap() map[string]string {
	m := make(map[string]string, len(o.Headers))
	for _, kv := range o.Headers {
		m[kv.Key] = kv.Value
	}
	return m
}

// otlpKey turns OTEL_EXPORTER_OTLP_X into OTEL_EXPORTER_OTLP_<SIGNAL>_X.
func otlpKey(signal, generic string) string {
	return strings.Replace(generic, "OTEL_EXPORTER_OTLP_", "OTEL_EXPORTER_OTLP_"+strings.ToUpper(signal)+"_", 1)
}

// OTLPEndpointSet reports whether any variable names an OTLP endpoint for
// signal.
func (r Reader) OTLPEndpointSet(signal string) bool {
	_, generic := r.Get(OTLPEndpoint)
	_, own := r.Get(otlpKey(signal, OTLPEndpoint))
	return generic || own
}

// OTLP reads the settings of the three signals, in the order of
// [OTLPSignals], with the specification's rules: a per-signal variable
// beats the generic one; the generic endpoint is a base URL to which the
// signal's path is appended (for http/protobuf), while a per-signal endpoint
// is used as it is. A bad generic variable is reported once, not once per
// signal.
func (r Reader) OTLP() ([3]OTLP, error) {
	var out [3]OTLP
	var errs []error
	seen := map[string]bool{}
	for i, sig := range OTLPSignals {
		o, sigErrs := r.otlpSignal(sig)
		out[i] = o
		for _, err := range sigErrs {
			if !seen[err.Error()] {
				seen[err.Error()] = true
				errs = append(errs, err)
			}
		}
	}
	return out, errors.Join(errs...)
}

func (r Reader) otlpSignal(sig string) (OTLP, []error) {
	var errs []error
	s := OTLP{Signal: sig, Protocol: ProtocolHTTPProtobuf, Timeout: DefaultOTLPTimeout}
	pick := func(generic string) string {
		if _, ok := r.Get(otlpKey(sig, generic)); ok {
			return otlpKey(sig, generic)
		}
		return generic
	}

	protoKey := pick(OTLPProtocol)
	if p, ok, err := r.OneOf(protoKey, ProtocolGRPC, ProtocolHTTPProtobuf, "http/json"); err != nil {
		errs = append(errs, err)
	} else if ok {
		if p == "http/json" {
			errs = append(errs, &Error{Key: protoKey, Value: p, Err: fmt.Errorf("%w by the Go OTLP exporters; use grpc or http/protobuf", ErrUnsupported)})
		} else {
			s.Protocol, s.ProtocolKey = p, protoKey
		}
	}

	path := "/v1/" + sig
	if u, ok, err := r.URL(otlpKey(sig, OTLPEndpoint)); err != nil {
		errs = append(errs, err)
	} else if ok {
		s.Endpoint, s.EndpointKey = u, otlpKey(sig, OTLPEndpoint)
	} else if u, ok, err := r.URL(OTLPEndpoint); err != nil {
		errs = append(errs, err)
	} else if ok {
		if s.Protocol == ProtocolHTTPProtobuf {
			u.Path = strings.TrimSuffix(u.Path, "/") + path
			u.RawPath = ""
		}
		s.Endpoint, s.EndpointKey = u, OTLPEndpoint
	}
	if s.Endpoint == nil {
		if s.Protocol == ProtocolGRPC {
			s.Endpoint = &url.URL{Scheme: "http", Host: "localhost:4317"}
		} else {
			s.Endpoint = &url.URL{Scheme: "http", Host: "localhost:4318", Path: path}
		}
	}

	s.HeadersKey = pick(OTLPHeaders)
	if kvs, _, err := r.KeyValues(s.HeadersKey, true); err != nil {
		errs = append(errs, err)
	} else {
		s.Headers = kvs
	}

	timeoutKey := pick(OTLPTimeout)
	if d, ok, err := r.Millis(timeoutKey); err != nil {
		errs = append(errs, err)
	} else if ok {
		if d == 0 {
			errs = append(errs, &Error{Key: timeoutKey, Value: "0", Err: errors.New("a timeout of 0 would fail every export; want at least 1 ms")})
		}
		s.Timeout = d
	}

	if c, _, err := r.OneOf(pick(OTLPCompression), "gzip", "none"); err != nil {
		errs = append(errs, err)
	} else {
		s.Gzip = c == "gzip"
	}
	return s, errs
}
