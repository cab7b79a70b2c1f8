// Package forwarding relays OTLP/HTTP telemetry from browsers to the
// backend, adding server-side the headers (the write token) that a web page
// must never hold.
//
// A web page running the OpenTelemetry JS SDK exports to its own server,
// say to /observe-proxy/v1/traces; the server mounts the handler there:
//
//	proxy, err := forwarding.New() // reads OTEL_EXPORTER_OTLP_ENDPOINT and _HEADERS
//	if err != nil {
//		return err
//	}
//	mux.Handle("POST /observe-proxy/", proxy)
//
// The handler checks method and path itself, so it can be mounted behind any
// prefix, with or without a method in the pattern, or under
// http.StripPrefix. It is built on [net/http/httputil.ReverseProxy] with a
// fixed upstream per signal, taken from the configuration, never from the
// request.
//
// # Upstream
//
// By default the handler reads the variables the OTLP exporters read, so it
// needs no other setup (see [New] for the rules): OTEL_EXPORTER_OTLP_ENDPOINT
// (a base URL; /v1/traces, /v1/metrics or /v1/logs is appended),
// OTEL_EXPORTER_OTLP_{TRACES,METRICS,LOGS}_ENDPOINT (used as they are),
// OTEL_EXPORTER_OTLP_HEADERS and its per-signal forms (percent-encoded
// values). [WithEndpoint], [WithHeaders] and [WithClient] override them.
// With no endpoint at all, [New] returns [ErrNotConfigured] and a handler
// from [NewHandler] answers 503; it never guesses a backend.
//
// # Checks, in order, and their answers
//
//   - Path: the raw, uncleaned path must end in /v1/traces, /v1/metrics or
//     /v1/logs (one trailing "/" allowed). Percent-encodings (such as %2F or
//     %2e), '%', '\', "://", "//", "." and ".." segments, a query (even a
//     bare "?"), an absolute-form target and bytes outside the URL path
//     characters: 400. Any other path, or a signal without an endpoint: 404.
//   - Method: POST, and OPTIONS (CORS preflight) when [WithAllowedOrigins]
//     is given; anything else: 405 with an Allow header.
//   - Origin: with [WithAllowedOrigins], a request whose Origin is neither
//     listed nor the request's own host: 403. Preflights asking for another
//     method than POST or for headers other than Content-Type,
//     Content-Encoding and Authorization: 403.
//   - Content-Type: application/x-protobuf or application/json, once; else 415.
//   - Content-Encoding: none, identity or gzip (passed through as it is,
//     not decompressed); else 415.
//   - Size: a Content-Length above [WithMaxBodyBytes] (default 50 MiB): 413,
//     before the body is read. A body without a length that grows past the
//     limit is cut off, its upstream request aborted (the backend never
//     receives a complete body), and the client answered 413.
//   - [WithAuthorizer]: an error from it: 403.
//   - More than [WithMaxInFlight] requests (default 100) being forwarded:
//     503 with Retry-After.
//
// The body is streamed to the backend as it arrives, never held whole in
// memory. Every forwarded request, including the time to receive its body,
// is bounded by [DefaultTimeout] or the Timeout of the [WithClient] client.
//
// # What is forwarded
//
// The forwarded request's header is built from scratch: the accepted
// Content-Type and Content-Encoding, a User-Agent of
// "observe-forwarding/<version>" followed by the browser's, then the
// server-side headers. The browser's Authorization, Cookie, Origin, Referer,
// Forwarded, X-Forwarded-*, Host, trailers and every other header are
// dropped, as are its path and query.
//
// # Answers from the backend
//
//   - 2xx: passed on with its body and only Content-Type, Content-Length and
//     Content-Encoding.
//   - 400, 413, 415, 429 and 503: the status is passed on, with a valid
//     Retry-After, so that the browser's exporter backs off or drops the
//     data; the body is replaced by a plain message.
//   - Any other status, a redirect, an unreachable backend, a timeout: 502
//     with a generic message.
//
// The backend's address and the server-side headers never appear in an
// answer or in a log line: failures go to otel.Handle, at most one every
// 10 seconds, described in fixed words ("the backend refused the
// connection"). The handler never panics on a request.
//
// # Authorisation and rate limiting
//
// [WithAuthorizer] covers the common case, a check of the browser's session:
//
//	forwarding.New(forwarding.WithAuthorizer(func(r *http.Request) error {
//		_, err := sessions.Check(r) // the app's own session check
//		return err
//	}))
//
// Anything else wraps the handler with ordinary middleware, which sees the
// request before it, such as a rate limiter keyed by client:
//
//	mux.Handle("POST /observe-proxy/", rateLimit(proxy))
//
// # Metrics
//
// The handler records its own metrics through the MeterProvider of
// [WithMeterProvider] (by default the global one), with attribute values
// from fixed sets, and creates no span per forwarded request:
//
//	observe.forwarding.requests    {request}  signal, outcome
//	observe.forwarding.bytes       By         signal
//	observe.forwarding.rejections  {request}  reason
//
// signal is traces, metrics, logs or unknown; outcome is forwarded,
// refused (a backend 4xx/503 passed on), failed (502), rejected (by the
// handler's checks), canceled (the client went away or its body broke off)
// or preflight; reason is not_configured, bad_path, not_found, method,
// origin, preflight, unauthorized, content_type, content_encoding,
// body_too_large or too_many_requests.
package forwarding
