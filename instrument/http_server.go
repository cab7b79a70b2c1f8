package instrument

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"regexp"
	"runtime/debug"
	"strconv"
	"strings"
	"sync"
	"time"

	"go.opentelemetry.io/otel"
	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/codes"
	"go.opentelemetry.io/otel/metric"
	"go.opentelemetry.io/otel/propagation"
	semconv "go.opentelemetry.io/otel/semconv/v1.43.0"
	"go.opentelemetry.io/otel/semconv/v1.43.0/httpconv"
	"go.opentelemetry.io/otel/trace"

	"github.com/observe-go/observe/internal/keys"
	"github.com/observe-go/observe/internal/requestid"
	"github.com/observe-go/observe/internal/scrub"
)

// ScopeName is the instrumentation scope of the spans, metrics and log
// records this package makes.
const ScopeName = "github.com/observe-go/observe/instrument"

// RequestIDAttribute is the attribute that carries the request id on spans
// and log records.
const RequestIDAttribute = keys.RequestID

// RequestIDHeader is the header that carries the request id, read from
// the request and written on the response.
const RequestIDHeader = requestid.HeaderName

// HTTPHandler wraps h so that every request gets, following the HTTP
// semantic conventions:
//
//   - a SERVER span named "METHOD route", continuing the trace of the
//     incoming traceparent and baggage headers, with http.request.method,
//     url.path, url.scheme, url.query (sensitive values REDACTED),
//     http.route, http.response.status_code, client.address,
//     user_agent.original, server.address, server.port,
//     network.protocol.version, error.type and the request
//     id as observe.request_id; status Error on 5xx only;
//   - the metrics http.server.request.duration (seconds, the conventions'
//     buckets), http.server.active_requests, http.server.request.body.size
//     and http.server.response.body.size, with bounded attributes (method,
//     scheme, status, route, error.type, protocol version);
//   - a request id: a well-formed incoming X-Request-ID (1 to 128 letters,
//     digits, '-', '_', '.', ':') is kept, otherwise a new UUID is made; it
//     is set on the response, the span, and the request's context, so every
//     record logged with that context through observe's slog handler
//     carries it;
//   - one access log record, "GET /users/42 200", at ERROR for 5xx and
//     panics and INFO otherwise, with the attributes http.route,
//     http.response.status_code, duration_ms, http.response.body.size and,
//     on errors, error.type, emitted with the request's context (so with
//     its trace and request id);
//   - on a panic: an exception event with the stack on the span, a 500 if
//     nothing was written yet, then the panic goes on as net/http expects
//     (http.ErrAbortHandler is passed through untouched).
//
// Requests for /healthz, /livez, /readyz, /health and /metrics (exactly)
// make no span and no access log record, since probes and scrapes come
// every few seconds; the metrics still count them. [WithHealthPathsTraced]
// treats them like any other.
//
// The route is ServeMux's pattern (r.Pattern, without its method and host)
// even though the middleware wraps the mux from outside; requests no
// pattern matched are named by their method alone. Unknown methods are
// recorded as _OTHER. Authorization, Cookie and Set-Cookie headers are
// never recorded.
func HTTPHandler(h http.Handler, opts ...ServerOption) http.Handler {
	c := newServerConfig(opts)
	sh := &serverHandler{next: h, cfg: c}
	var meter metric.Meter
	sh.tracer, sh.prop, meter = c.instruments()
	var e1, e2, e3, e4 error
	sh.duration, e1 = httpconv.NewServerRequestDuration(meter)
	// The instrument is shared by every handler on the meter, while each
	// handler counts its own requests: each registers a callback of its own
	// (a callback given when the instrument is made would be kept only for
	// the first handler).
	active, e2 := meter.Int64ObservableUpDownCounter("http.server.active_requests",
		metric.WithDescription("Number of active HTTP server requests."),
		metric.WithUnit("{request}"))
	if e2 == nil {
		_, e2 = meter.RegisterCallback(func(_ context.Context, o metric.Observer) error {
			sh.sets.observeActive(o, active)
			return nil
		}, active)
	}
	sh.reqSize, e3 = httpconv.NewServerRequestBodySize(meter)
	sh.respSize, e4 = httpconv.NewServerResponseBodySize(meter)
	if err := errors.Join(e1, e2, e3, e4); err != nil {
		otel.Handle(fmt.Errorf("instrument: HTTP server metrics: %w", err))
	}
	if !c.noLog {
		sh.alog = newAccessLog(c)
	}
	sh.excluded = append(excludedFromEnv(c.lookup), c.excluded...)
	if c.route == nil {
		// A ServeMux can name the route before the handler runs, so the
		// span starts with its final name and http.route, which samplers
		// and the console see.
		sh.mux, _ = h.(*http.ServeMux)
	}
	return sh
}

type serverHandler struct {
	next     http.Handler
	cfg      serverConfig
	tracer   trace.Tracer
	prop     propagation.TextMapPropagator
	duration httpconv.ServerRequestDuration
	reqSize  httpconv.ServerRequestBodySize
	respSize httpconv.ServerResponseBodySize
	alog     *accessLog
	excluded []*regexp.Regexp
	mux      *http.ServeMux
	sets     attrSets
}

func (sh *serverHandler) skip(r *http.Request) bool {
	for _, f := range sh.cfg.filters {
		if !f(r) {
			return true
		}
	}
	for _, re := range sh.excluded {
		if re.MatchString(r.URL.Path) {
			return true
		}
	}
	return false
}

var recorderPool = sync.Pool{New: func() any { return new(recorder) }}

// serverKind is made once: a SpanStartOption built per request allocates.
var serverKind = trace.WithSpanKind(trace.SpanKindServer)

const canonicalRequestIDHeader = "X-Request-Id"

// headerCarrier reads the propagation headers under their canonical keys
// without allocating; other keys go through http.Header.
type headerCarrier http.Header

func (h headerCarrier) Get(key string) string {
	var v []string
	switch key {
	case "traceparent":
		v = h["Traceparent"]
	case "tracestate":
		v = h["Tracestate"]
	case "baggage":
		v = h["Baggage"]
	default:
		return http.Header(h).Get(key)
	}
	if len(v) == 0 {
		return ""
	}
	return v[0]
}

func (h headerCarrier) Set(key, value string) { http.Header(h).Set(key, value) }

func (h headerCarrier) Keys() []string { return propagation.HeaderCarrier(h).Keys() }

func (sh *serverHandler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if sh.skip(r) {
		sh.next.ServeHTTP(w, r)
		return
	}
	start := time.Now()
	method, known := methodName(r.Method)
	scheme := "http"
	if r.TLS != nil {
		scheme = "https"
	}
	proto := protocolVersion(r.ProtoMajor, r.ProtoMinor)

	// The header is read and written under its canonical key, which spares
	// the canonicalisation Header.Get and Header.Set would allocate for. A
	// well-formed incoming id is sent back in the request's own slice.
	st := new(requestState)
	var rid string
	if v := r.Header[canonicalRequestIDHeader]; len(v) > 0 && ValidRequestID(v[0]) {
		rid = v[0]
		w.Header()[canonicalRequestIDHeader] = v[:1:1]
	} else {
		rid = st.newRequestID()
		w.Header()[canonicalRequestIDHeader] = st.value[:]
	}

	st.ctx.Init(sh.prop.Extract(r.Context(), headerCarrier(r.Header)), rid)
	var ctx context.Context = &st.ctx
	var startRoute string
	if sh.mux != nil {
		_, pattern := sh.mux.Handler(r)
		startRoute = routeFromPattern(pattern)
	}
	rec := recorderPool.Get().(*recorder)
	*rec = recorder{w: w, status: http.StatusOK, serverTiming: sh.cfg.serverTiming, start: start}

	// The start attributes are gathered in a pooled slice: the tracer
	// copies them before Start returns.
	sp := attrPool.Get().(*[]attribute.KeyValue)
	startAttrs := append(*sp,
		semconv.HTTPRequestMethodKey.String(method),
		semconv.URLScheme(scheme),
		semconv.URLPath(r.URL.Path),
		semconv.ServerAddress(hostOnly(r.Host)),
	)
	if startRoute != "" {
		startAttrs = append(startAttrs, semconv.HTTPRoute(startRoute))
	}
	var span trace.Span
	if rec.quiet = !sh.cfg.traceHealth && healthPath(r.URL.Path); rec.quiet {
		// A probe or a scrape: counted by the metrics, left out of traces
		// and the access log.
		span = noopSpan
	} else {
		ctx, span = sh.tracer.Start(ctx, sh.sets.spanName(method, known, startRoute), serverKind, trace.WithAttributes(startAttrs...))
	}
	clear(startAttrs)
	*sp = startAttrs[:0]
	attrPool.Put(sp)

	active := sh.sets.active(method, scheme)
	active.n.Add(1)

	r2 := r.WithContext(ctx)

	defer func() {
		p := recover()
		errType := ""
		if p != nil && p != http.ErrAbortHandler {
			errType = fmt.Sprintf("%T", p)
			span.AddEvent(semconv.ExceptionEventName, trace.WithAttributes(
				semconv.ExceptionType(errType),
				semconv.ExceptionMessage(fmt.Sprint(p)),
				semconv.ExceptionStacktrace(string(debug.Stack())),
			))
			// The status recorded is the one the client gets: a 500 when
			// nothing was written yet, else what the handler had sent.
			if !rec.wroteHeader {
				writePanicResponse(rec)
			}
		} else if p == nil && rec.serverTiming && !rec.wroteHeader {
			// The handler wrote nothing: net/http will send a 200, which
			// gets its Server-Timing header too.
			rec.writeHeader(http.StatusOK)
		}
		sh.finish(ctx, span, r, r2, rec, st, method, known, scheme, proto, rid, errType, startRoute, start, p != nil)
		// net/http removes the temporary files of the request it made, not
		// those of the copy the handler parsed a multipart form into.
		if r2.MultipartForm != nil && r.MultipartForm == nil {
			r.MultipartForm = r2.MultipartForm
		}
		active.n.Add(-1)
		*rec = recorder{}
		recorderPool.Put(rec)
		if p != nil {
			panic(p)
		}
	}()
	sh.next.ServeHTTP(wrap(rec), r2)
}

// panicBody is the body of the 500 sent for a panicking handler, as
// http.Error writes it.
const panicBody = "Internal Server Error\n"

// writePanicResponse answers 500 and flushes it: net/http does not finish
// the response of a handler that panics, so a response left in its buffer
// would never reach the client. The length is set so that the client reads
// a complete body before the connection closes, unless a Content-Encoding
// (an outer compressing writer) makes the length unknown.
func writePanicResponse(rec *recorder) {
	ww := wrap(rec)
	h := ww.Header()
	h.Del("Content-Length")
	if h.Get("Content-Encoding") == "" {
		h.Set("Content-Length", strconv.Itoa(len(panicBody)))
	}
	h.Set("Content-Type", "text/plain; charset=utf-8")
	h.Set("X-Content-Type-Options", "nosniff")
	ww.WriteHeader(http.StatusInternalServerError)
	_, _ = io.WriteString(ww, panicBody)
	if f, ok := ww.(http.Flusher); ok {
		f.Flush()
	}
}

func (sh *serverHandler) finish(ctx context.Context, span trace.Span, r, r2 *http.Request, rec *recorder, st *requestState,
	method string, known bool, scheme, proto, rid, errType, startRoute string, start time.Time, panicked bool) {
	status := rec.status
	route := startRoute
	if sh.cfg.route != nil {
		route = sh.cfg.route(r2)
	} else if p := routeFromPattern(r2.Pattern); p != "" {
		route = p
	}
	if errType == "" && status >= 500 {
		errType = statusText(status)
	}

	cached := sh.sets.request(method, scheme, status, route, errType, proto)
	elapsed := time.Since(start)
	sh.duration.Inst().Record(ctx, elapsed.Seconds(), cached.record...)
	if r.ContentLength >= 0 {
		sh.reqSize.Inst().Record(ctx, r.ContentLength, cached.record...)
	}
	sh.respSize.Inst().Record(ctx, rec.written, cached.record...)

	if span.IsRecording() {
		if route != startRoute {
			span.SetName(cached.spanName(known))
		}
		ap := attrPool.Get().(*[]attribute.KeyValue)
		defer func() {
			clear(*ap)
			*ap = (*ap)[:0]
			attrPool.Put(ap)
		}()
		attrs := append(*ap,
			semconv.HTTPResponseStatusCode(status),
			attribute.String(RequestIDAttribute, rid),
			semconv.NetworkProtocolVersion(proto),
		)
		if route != "" && route != startRoute {
			attrs = append(attrs, semconv.HTTPRoute(route))
		}
		if !known {
			attrs = append(attrs, semconv.HTTPRequestMethodOriginal(r.Method))
		}
		if errType != "" {
			attrs = append(attrs, semconv.ErrorTypeKey.String(errType))
		}
		if q := r.URL.RawQuery; q != "" {
			attrs = append(attrs, semconv.URLQuery(scrub.Query(q)))
		}
		if host, _ := splitHostPort(r.RemoteAddr); host != "" {
			attrs = append(attrs, semconv.ClientAddress(host))
		}
		if ua := r.UserAgent(); ua != "" {
			attrs = append(attrs, semconv.UserAgentOriginal(ua))
		}
		if _, port := splitHostPort(r.Host); port > 0 {
			attrs = append(attrs, semconv.ServerPort(port))
		}
		if sh.cfg.mapper != nil {
			attrs = sh.cfg.mapper(r2, attrs)
		}
		span.SetAttributes(attrs...)
		*ap = attrs
		if status >= 500 || panicked && errType != "" {
			span.SetStatus(codes.Error, "")
		}
	}

	if sh.alog != nil && !rec.quiet {
		level := slog.LevelInfo
		if status >= 500 || errType != "" {
			level = slog.LevelError
		}
		if sh.alog.enabled(ctx, level) {
			sh.alog.write(&accessEntry{
				ctx: ctx, time: start.Add(elapsed), level: level, method: method, path: r.URL.Path,
				route: route, rid: rid, status: status, elapsed: elapsed, written: rec.written, errType: errType,
				msgBuf: &st.msg,
			})
		}
	}
	span.End()
}

// noopSpan stands for the span of a request left out of traces.
var noopSpan = trace.SpanFromContext(context.Background())

// healthPaths are the paths of health probes and metrics scrapes, which
// the server leaves out of traces and the access log unless
// WithHealthPathsTraced is given.
func healthPath(p string) bool {
	switch p {
	case "/healthz", "/livez", "/readyz", "/health", "/metrics":
		return true
	}
	return false
}

// attrPool holds the slices that span attributes are gathered in; the span
// copies them.
var attrPool = sync.Pool{New: func() any {
	s := make([]attribute.KeyValue, 0, 16)
	return &s
}}

// methodName maps a request method to one of the constant names of the
// semantic conventions, or _OTHER.
func methodName(m string) (string, bool) {
	switch m {
	case http.MethodGet:
		return http.MethodGet, true
	case http.MethodPost:
		return http.MethodPost, true
	case http.MethodPut:
		return http.MethodPut, true
	case http.MethodDelete:
		return http.MethodDelete, true
	case http.MethodPatch:
		return http.MethodPatch, true
	case http.MethodHead:
		return http.MethodHead, true
	case http.MethodOptions:
		return http.MethodOptions, true
	case http.MethodConnect:
		return http.MethodConnect, true
	case http.MethodTrace:
		return http.MethodTrace, true
	case "QUERY":
		return "QUERY", true
	}
	return "_OTHER", false
}

// protocolVersion gives network.protocol.version for an HTTP version,
// without allocating for the usual ones.
func protocolVersion(major, minor int) string {
	switch {
	case major == 1 && minor == 1:
		return "1.1"
	case major == 2:
		return "2"
	case major == 1 && minor == 0:
		return "1.0"
	case major == 3:
		return "3"
	}
	return strconv.Itoa(major) + "." + strconv.Itoa(minor)
}

// routeFromPattern turns a ServeMux pattern, "[METHOD ][HOST]/PATH", into
// the path template. The {$} that anchors a pattern at a trailing slash is
// not part of the path: "/{$}" is the route "/".
func routeFromPattern(p string) string {
	if p == "" {
		return ""
	}
	if i := strings.IndexByte(p, ' '); i >= 0 {
		p = strings.TrimLeft(p[i+1:], " \t")
	}
	if i := strings.IndexByte(p, '/'); i > 0 {
		p = p[i:]
	}
	return strings.TrimSuffix(p, "{$}")
}

func hostOnly(hostport string) string {
	host, _ := splitHostPort(hostport)
	return host
}

// splitHostPort splits "host:port", "[v6]:port", "host" or "[v6]" without
// allocating; port is 0 when absent or not a number.
func splitHostPort(hostport string) (host string, port int) {
	host = hostport
	i := strings.LastIndexByte(hostport, ':')
	if i >= 0 && !strings.Contains(hostport[i:], "]") {
		// A bare IPv6 address has several colons and no brackets: no port.
		if strings.IndexByte(hostport[:i], ':') >= 0 && hostport[0] != '[' {
			return hostport, 0
		}
		host = hostport[:i]
		if n, err := strconv.Atoi(hostport[i+1:]); err == nil && n > 0 && n < 65536 {
			port = n
		}
	}
	if len(host) >= 2 && host[0] == '[' && host[len(host)-1] == ']' {
		host = host[1 : len(host)-1]
	}
	return host, port
}

var statusTexts = func() [600]string {
	var t [600]string
	for i := range t {
		t[i] = strconv.Itoa(i)
	}
	return t
}()

// statusText returns the decimal form of a status code without allocating.
func statusText(code int) string {
	if code >= 0 && code < len(statusTexts) {
		return statusTexts[code]
	}
	return strconv.Itoa(code)
}
