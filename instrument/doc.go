// Package instrument adds traces, metrics and logs to HTTP and gRPC servers
// and clients and to database/sql, following the OpenTelemetry semantic
// conventions for HTTP, RPC and databases, and serves health checks.
//
// [HTTPHandler] wraps a server's handler (usually its [http.ServeMux]);
// [HTTPTransport] and [WrapClient] wrap a client's transport. For gRPC,
// [GRPCServerOptions] (the stats handler [GRPCServerHandler] and two
// interceptors) instruments a server and [GRPCClientHandler] a client.
// [OpenDB], [WrapConnector] and [WrapDriver] instrument a database/sql
// database. All take the OpenTelemetry API's providers as options and
// default to the globals, so they work with any SDK set-up;
// observe.InstrumentHTTP is HTTPHandler with observe's own.
// [HealthHandler] answers a readiness probe from checks such as a
// database's PingContext, and [LivenessHandler] a liveness probe.
//
// A request id joins everything one request causes: the servers read it
// from X-Request-ID (HTTP) or x-request-id metadata (gRPC), or make one,
// put it in the context ([RequestIDFromContext]), on the span and in the
// access log record, and the clients send the context's id on to the next
// service.
//
// Costs are kept off the request path: metric attribute sets are built once
// per distinct combination and cached, the response recorder is pooled,
// span attributes that only a recording span needs are built only when the
// span records, and the access log record is only built when its level is
// enabled.
//
// Secrets never reach telemetry: a database's data source name is never
// recorded, nor are query arguments or the literals of a query's text;
// request and response headers are not recorded (so neither
// Authorization, Cookie nor Set-Cookie are), and the
// values of query parameters whose names look secret (token, key, password,
// secret, signature, sig, auth, session, code and the like, plus the
// semantic conventions' AWSAccessKeyId, Signature and X-Goog-Signature) are
// replaced by REDACTED in url.query and url.full, as are credentials in
// url.full.
package instrument
