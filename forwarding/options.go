package forwarding

import (
	"maps"
	"net/http"
	"time"

	"go.opentelemetry.io/otel/metric"
)

// DefaultMaxBodyBytes is the largest request body forwarded when
// [WithMaxBodyBytes] is not given: 50 MiB.
const DefaultMaxBodyBytes int64 = 50 << 20

// DefaultMaxInFlight is the number of requests forwarded at once when
// [WithMaxInFlight] is not given.
const DefaultMaxInFlight = 100

// DefaultTimeout bounds each forwarded request, from the moment it is
// accepted until the backend's answer has been read, unless the client given
// to [WithClient] has a Timeout of its own.
const DefaultTimeout = 30 * time.Second

// Option configures the handler made by [New] or [NewHandler].
type Option interface {
	apply(config) config
}

type optionFunc func(config) config

func (f optionFunc) apply(c config) config { return f(c) }

// config is what the options say; New turns it into a Handler.
type config struct {
	endpoint      string
	headers       map[string]string
	headersSet    bool
	client        *http.Client
	origins       []string
	credentials   bool
	maxBody       int64
	maxInFlight   int
	authorizer    func(*http.Request) error
	meterProvider metric.MeterProvider
	lookup        func(string) (string, bool)
}

func newConfig(opts []Option) config {
	c := config{maxBody: DefaultMaxBodyBytes, maxInFlight: DefaultMaxInFlight}
	for _, o := range opts {
		if o != nil {
			c = o.apply(c)
		}
	}
	return c
}

// WithEndpoint sets the backend's OTLP/HTTP base URL, such as
// "https://otlp.example.com" or "http://localhost:4318"; each signal is
// posted to its path under it (/v1/traces, /v1/metrics, /v1/logs).
//
// It overrides OTEL_EXPORTER_OTLP_ENDPOINT and the per-signal
// OTEL_EXPORTER_OTLP_{TRACES,METRICS,LOGS}_ENDPOINT. By default the handler
// reads those variables; with neither the option nor the variables it has
// no upstream, and [New] returns [ErrNotConfigured]. An empty url is ignored.
func WithEndpoint(url string) Option {
	return optionFunc(func(c config) config {
		if url != "" {
			c.endpoint = url
		}
		return c
	})
}

// WithHeaders sets the headers added to every forwarded request, such as the
// backend's write token. They replace, as a whole, the headers read from
// OTEL_EXPORTER_OTLP_HEADERS and the per-signal
// OTEL_EXPORTER_OTLP_{TRACES,METRICS,LOGS}_HEADERS, which are used by
// default. Header names must be valid HTTP tokens and values must not hold
// control characters; framing and hop-by-hop headers (Host, Content-Length,
// Transfer-Encoding, Connection, TE, Trailer, Upgrade...) and Content-Type
// and Content-Encoding cannot be set. A nil map is ignored; an empty one
// means no headers.
func WithHeaders(headers map[string]string) Option {
	return optionFunc(func(c config) config {
		if headers != nil {
			c.headers = maps.Clone(headers)
			c.headersSet = true
		}
		return c
	})
}

// WithClient sets the HTTP client whose Transport sends the forwarded
// requests (http.DefaultTransport when nil) and whose Timeout, when not
// zero, replaces [DefaultTimeout]. Redirects are never followed, and the
// client's Jar and CheckRedirect are not used. By default the handler uses
// http.DefaultTransport. A nil client is ignored.
func WithClient(client *http.Client) Option {
	return optionFunc(func(c config) config {
		if client != nil {
			c.client = client
		}
		return c
	})
}

// WithAllowedOrigins lets web pages served from the given origins send
// telemetry across origins: the handler answers their CORS preflight
// (OPTIONS) requests and marks its answers readable by them. An origin is
// "scheme://host[:port]", compared exactly; "*" allows every origin but
// cannot be combined with [WithCredentials]. When origins are set, a request
// whose Origin is neither listed nor the handler's own host is refused with
// 403. By default no origin is allowed, so only pages of the same origin can
// send (browsers refuse cross-origin OTLP requests without a preflight).
// Calls add up.
func WithAllowedOrigins(origins ...string) Option {
	return optionFunc(func(c config) config {
		c.origins = append(c.origins[:len(c.origins):len(c.origins)], origins...)
		return c
	})
}

// WithCredentials lets pages of the origins given to [WithAllowedOrigins]
// send their cookies across origins (Access-Control-Allow-Credentials), for
// an authorizer (see [WithAuthorizer]) that reads them. It cannot be
// combined with the "*" origin. The cookies are still never forwarded to the
// backend. Off by default.
func WithCredentials() Option {
	return optionFunc(func(c config) config {
		c.credentials = true
		return c
	})
}

// WithMaxBodyBytes sets the largest request body forwarded, in bytes, as
// sent (compressed bodies are counted compressed). A request announcing a
// larger Content-Length is refused with 413 before its body is read; a body
// without a length that grows past the limit is cut off, its upstream
// request aborted, and the client answered 413. The default is
// [DefaultMaxBodyBytes]; a value of 0 or less is ignored.
func WithMaxBodyBytes(n int64) Option {
	return optionFunc(func(c config) config {
		if n > 0 {
			c.maxBody = n
		}
		return c
	})
}

// WithMaxInFlight sets how many requests are forwarded at once; a request
// beyond it is answered 503 with Retry-After, without being read. The
// default is [DefaultMaxInFlight]; a value of 0 or less is ignored.
func WithMaxInFlight(n int) Option {
	return optionFunc(func(c config) config {
		if n > 0 {
			c.maxInFlight = n
		}
		return c
	})
}

// WithAuthorizer sets a function that decides, before anything is read or
// forwarded, whether a request may be forwarded: it returns nil to allow it,
// and an error to refuse it with 403. The error is neither shown to the
// client nor logged. It sees the request as the browser sent it (cookies,
// Authorization, the raw path) and must not read its body. By default every
// request that passes the handler's own checks is forwarded. A nil function
// is ignored.
func WithAuthorizer(authorize func(*http.Request) error) Option {
	return optionFunc(func(c config) config {
		if authorize != nil {
			c.authorizer = authorize
		}
		return c
	})
}

// WithMeterProvider sets the MeterProvider through which the handler records
// its own metrics. By default it uses the global one, otel.GetMeterProvider.
// A nil provider is ignored.
func WithMeterProvider(mp metric.MeterProvider) Option {
	return optionFunc(func(c config) config {
		if mp != nil {
			c.meterProvider = mp
		}
		return c
	})
}

// WithEnvLookup makes the handler read its environment variables through
// lookup instead of os.LookupEnv, so tests and embedders need not change the
// process environment. A nil lookup is ignored.
func WithEnvLookup(lookup func(key string) (string, bool)) Option {
	return optionFunc(func(c config) config {
		if lookup != nil {
			c.lookup = lookup
		}
		return c
	})
}
