package forwarding

import (
	"context"
	"errors"
	"io"
	"log"
	"net/http"
	"net/http/httputil"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"go.opentelemetry.io/otel"
)

// Handler relays OTLP/HTTP requests from browsers to the configured backend.
// Make one with [New] or [NewHandler]; it is safe for concurrent use. A zero
// Handler answers every request with 503.
type Handler struct {
	configErr   error // non-nil: every request is answered 503
	upstreams   [numSignals]upstream
	proxy       *httputil.ReverseProxy
	cors        corsPolicy
	allow       string // the Allow header of a 405 answer
	maxBody     int64
	maxInFlight int64
	inFlight    atomic.Int64
	timeout     time.Duration
	authorize   func(*http.Request) error
	uaBase      string
	metrics     *metrics

	lastReport atomic.Int64 // unix nanoseconds of the last error reported
	suppressed atomic.Int64 // errors not reported since then
}

// reportEvery is the least time between two failures of the backend
// reported to otel.Handle; the metrics count every one.
const reportEvery = 10 * time.Second

// Answers of the handler itself. They never name the backend.
const (
	msgNotConfigured   = "forwarding: no backend is configured"
	msgBadPath         = "forwarding: malformed request path"
	msgNotFound        = "forwarding: not an OTLP path (want .../v1/traces, .../v1/metrics or .../v1/logs)"
	msgNotForwarded    = "forwarding: this signal is not forwarded"
	msgMethod          = "forwarding: method not allowed"
	msgOrigin          = "forwarding: origin not allowed"
	msgPreflight       = "forwarding: preflight request not allowed"
	msgForbidden       = "forwarding: forbidden"
	msgContentType     = "forwarding: unsupported content type (want application/x-protobuf or application/json)"
	msgContentEncoding = "forwarding: unsupported content encoding (want gzip or none)"
	msgTooLarge        = "forwarding: request body too large"
	msgInFlight        = "forwarding: too many requests in flight, retry later"
	msgBadGateway      = "forwarding: the backend could not take the request"
	msgBrokenBody      = "forwarding: the request body could not be read"
)

// refusedStatuses are the backend's answers passed on to the browser, so
// that its exporter backs off or drops the data as the backend asks.
var refusedStatuses = map[int]string{
	http.StatusBadRequest:            "forwarding: the backend refused the request (400 Bad Request)\n",
	http.StatusRequestEntityTooLarge: "forwarding: the backend refused the request (413 Request Entity Too Large)\n",
	http.StatusUnsupportedMediaType:  "forwarding: the backend refused the request (415 Unsupported Media Type)\n",
	http.StatusTooManyRequests:       "forwarding: the backend refused the request (429 Too Many Requests)\n",
	http.StatusServiceUnavailable:    "forwarding: the backend refused the request (503 Service Unavailable)\n",
}

// New returns a Handler that forwards OTLP/HTTP requests to the backend
// named by the options or, by default, by the same environment variables as
// the OTLP exporters:
//
//   - OTEL_EXPORTER_OTLP_ENDPOINT, a base URL to which /v1/traces,
//     /v1/metrics or /v1/logs is appended; OTEL_EXPORTER_OTLP_TRACES_ENDPOINT
//     (METRICS, LOGS) beats it for one signal and is used as it is;
//   - OTEL_EXPORTER_OTLP_HEADERS, "key=value,..." with percent-encoded
//     values, and the per-signal OTEL_EXPORTER_OTLP_TRACES_HEADERS...;
//   - OTEL_EXPORTER_OTLP_PROTOCOL (and per signal): "grpc" is an error, since
//     the endpoint then is not an OTLP/HTTP one.
//
// A signal with no endpoint is not forwarded (404). New returns an error,
// naming the variable or option but never its value, when a value is
// malformed, when the options contradict each other, or, wrapping
// [ErrNotConfigured], when no signal has an endpoint.
func New(opts ...Option) (*Handler, error) {
	h := build(opts)
	if h.configErr != nil {
		return nil, h.configErr
	}
	return h, nil
}

// NewHandler is [New] for callers that cannot handle an error: when the
// configuration is wrong it reports the error to otel.Handle once and
// returns a handler that answers every request with 503 and a plain
// message, never guessing a backend.
func NewHandler(opts ...Option) http.Handler {
	h := build(opts)
	if h.configErr != nil {
		otel.Handle(h.configErr)
	}
	return h
}

func build(opts []Option) *Handler {
	c := newConfig(opts)
	h := &Handler{
		maxBody:     c.maxBody,
		maxInFlight: int64(c.maxInFlight),
		timeout:     DefaultTimeout,
		authorize:   c.authorizer,
		uaBase:      "observe-forwarding/" + version(),
		metrics:     newMetrics(c.meterProvider),
	}
	var errs []error
	ups, err := resolveUpstreams(c)
	if err != nil {
		errs = append(errs, err)
	}
	h.upstreams = ups
	if h.cors, err = newCORSPolicy(c.origins, c.credentials); err != nil {
		errs = append(errs, err)
	}
	h.allow = http.MethodPost
	if h.cors.enabled {
		h.allow = http.MethodOptions + ", " + http.MethodPost
	}
	transport := http.DefaultTransport
	if c.client != nil {
		if c.client.Transport != nil {
			transport = c.client.Transport
		}
		if c.client.Timeout > 0 {
			h.timeout = c.client.Timeout
		}
	}
	h.proxy = &httputil.ReverseProxy{
		Rewrite:        h.rewrite,
		Transport:      transport,
		ModifyResponse: h.modifyResponse,
		ErrorHandler:   h.errorHandler,
		// The proxy's own log lines may hold the backend's address.
		ErrorLog:   log.New(io.Discard, "", 0),
		BufferPool: &bufferPool{},
	}
	if len(errs) > 0 {
		h.configErr = errors.Join(errs...)
	}
	return h
}

// reqState is one forwarded request's state, shared by ServeHTTP and the
// proxy's callbacks through the outbound request's context.
type reqState struct {
	sig         signal
	ct, ce, ua  []string
	allowOrigin string
	clientCtx   context.Context
	body        limitedBody
	rw          responseWriter
	outcome     outcome
	reason      reason
}

type stateKey struct{}

func stateFrom(ctx context.Context) *reqState {
	st, _ := ctx.Value(stateKey{}).(*reqState)
	return st
}

// ServeHTTP checks the request and forwards it; see the package
// documentation for every check and answer.
func (h *Handler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if h.proxy == nil { // a zero Handler, not made by New or NewHandler
		http.Error(w, msgNotConfigured, http.StatusServiceUnavailable)
		return
	}
	if h.configErr != nil {
		h.reject(w, sigUnknown, reasonNotConfigured, http.StatusServiceUnavailable, msgNotConfigured, "")
		return
	}
	sig, res := requestSignal(r)
	switch {
	case res == pathBad:
		h.reject(w, sigUnknown, reasonBadPath, http.StatusBadRequest, msgBadPath, "")
		return
	case res == pathNotFound:
		h.reject(w, sigUnknown, reasonNotFound, http.StatusNotFound, msgNotFound, "")
		return
	case h.upstreams[sig].url == nil:
		h.reject(w, sig, reasonNotFound, http.StatusNotFound, msgNotForwarded, "")
		return
	}
	allowOrigin, originOK := h.cors.check(r)
	if r.Method == http.MethodOptions && h.cors.enabled {
		h.preflight(w, r, sig, allowOrigin, originOK)
		return
	}
	if r.Method != http.MethodPost {
		w.Header().Set("Allow", h.allow)
		h.reject(w, sig, reasonMethod, http.StatusMethodNotAllowed, msgMethod, "")
		return
	}
	if !originOK {
		h.reject(w, sig, reasonOrigin, http.StatusForbidden, msgOrigin, "")
		return
	}
	ct := contentType(r.Header)
	if ct == nil {
		h.reject(w, sig, reasonContentType, http.StatusUnsupportedMediaType, msgContentType, allowOrigin)
		return
	}
	ce, ok := contentEncoding(r.Header)
	if !ok {
		h.reject(w, sig, reasonContentEncoding, http.StatusUnsupportedMediaType, msgContentEncoding, allowOrigin)
		return
	}
	if r.ContentLength > h.maxBody {
		// Refused before a byte of the body is read; closing the
		// connection spares reading the rest.
		w.Header().Set("Connection", "close")
		h.reject(w, sig, reasonTooLarge, http.StatusRequestEntityTooLarge, msgTooLarge, allowOrigin)
		return
	}
	if h.authorize != nil {
		if err := h.authorize(r); err != nil {
			h.reject(w, sig, reasonUnauthorized, http.StatusForbidden, msgForbidden, allowOrigin)
			return
		}
	}
	if h.inFlight.Add(1) > h.maxInFlight {
		h.inFlight.Add(-1)
		w.Header().Set("Retry-After", "1")
		h.reject(w, sig, reasonInFlight, http.StatusServiceUnavailable, msgInFlight, allowOrigin)
		return
	}
	defer h.inFlight.Add(-1)

	st := &reqState{
		sig:         sig,
		ct:          ct,
		ce:          ce,
		ua:          userAgent(h.uaBase, r.Header),
		allowOrigin: allowOrigin,
		clientCtx:   r.Context(),
		outcome:     outFailed,
	}
	st.rw.ResponseWriter = w
	ctx, cancel := context.WithTimeout(r.Context(), h.timeout)
	defer cancel()
	out := r.WithContext(context.WithValue(ctx, stateKey{}, st))
	if r.Body != nil && r.Body != http.NoBody {
		st.body.r = r.Body
		st.body.remaining = h.maxBody
		out.Body = &st.body
	}
	defer h.record(st) // also when the proxy aborts the answer with a panic
	h.proxy.ServeHTTP(&st.rw, out)
}

// rewrite builds the outbound request: the signal's fixed backend URL and a
// header made from scratch. The browser's path, query, Host, cookies,
// Authorization, Origin, X-Forwarded-* and every other header are left out.
func (h *Handler) rewrite(pr *httputil.ProxyRequest) {
	st := stateFrom(pr.In.Context())
	u := *h.upstreams[st.sig].url
	pr.Out.URL = &u
	pr.Out.Host = ""
	pr.Out.Header = outboundHeader(st.ct, st.ce, st.ua, h.upstreams[st.sig].header)
	pr.Out.Trailer = nil
}

// modifyResponse passes on a 2xx answer with its body and only the headers
// needed to read it, replaces the body of a 400/413/415/429/503 answer with
// a plain message (keeping a valid Retry-After), and turns any other answer
// into an error, which errorHandler answers with 502.
func (h *Handler) modifyResponse(res *http.Response) error {
	st := stateFrom(res.Request.Context())
	if st.body.exceeded.Load() {
		return errBodyTooLarge
	}
	code := res.StatusCode
	switch msg, refused := refusedStatuses[code]; {
	case code >= 200 && code <= 299:
		filterResponseHeader(res.Header)
		st.outcome = outForwarded
	case refused:
		ra, raOK := retryAfter(res.Header.Get("Retry-After"))
		drainAndClose(res.Body)
		clear(res.Header)
		res.Header["Content-Type"] = []string{"text/plain; charset=utf-8"}
		res.Header["X-Content-Type-Options"] = []string{"nosniff"}
		res.Header["Content-Length"] = []string{strconv.Itoa(len(msg))}
		if raOK {
			res.Header["Retry-After"] = []string{ra}
		}
		res.Body = io.NopCloser(strings.NewReader(msg))
		res.ContentLength = int64(len(msg))
		res.TransferEncoding = nil
		st.outcome = outRefused
	default:
		return &statusError{code: code}
	}
	h.cors.setHeaders(res.Header, st.allowOrigin)
	return nil
}

// errorHandler answers when the request could not be forwarded: 413 when the
// body outgrew the limit, 400 when the client's body broke off, and 502 with
// a generic message for every failure of the backend or the transport.
func (h *Handler) errorHandler(w http.ResponseWriter, req *http.Request, err error) {
	st := stateFrom(req.Context())
	hdr := w.Header()
	clear(hdr)
	h.cors.setHeaders(hdr, st.allowOrigin)
	switch {
	case st.body.exceeded.Load() || errors.Is(err, errBodyTooLarge):
		st.outcome, st.reason = outRejected, reasonTooLarge
		hdr.Set("Connection", "close")
		http.Error(w, msgTooLarge, http.StatusRequestEntityTooLarge)
	case st.body.broken.Load() || st.clientCtx.Err() != nil:
		st.outcome = outCanceled
		hdr.Set("Connection", "close")
		http.Error(w, msgBrokenBody, http.StatusBadRequest)
	default:
		st.outcome = outFailed
		h.report(st.sig, err)
		http.Error(w, msgBadGateway, http.StatusBadGateway)
	}
}

func (h *Handler) preflight(w http.ResponseWriter, r *http.Request, sig signal, allowOrigin string, originOK bool) {
	if !originOK || len(r.Header["Origin"]) == 0 {
		h.reject(w, sig, reasonOrigin, http.StatusForbidden, msgOrigin, "")
		return
	}
	if !preflightOK(r) {
		h.reject(w, sig, reasonPreflight, http.StatusForbidden, msgPreflight, "")
		return
	}
	hdr := w.Header()
	h.cors.setHeaders(hdr, allowOrigin)
	hdr["Access-Control-Allow-Methods"] = []string{allowMethods}
	hdr["Access-Control-Allow-Headers"] = []string{allowHeaders}
	hdr["Access-Control-Max-Age"] = []string{maxAge}
	w.WriteHeader(http.StatusNoContent)
	m := h.metrics
	m.requests.Add(context.Background(), 1, m.requestOpts[sig][outPreflight]...)
}

// reject answers a request the handler refuses itself, with CORS headers
// for an allowed origin so that the page can read the status.
func (h *Handler) reject(w http.ResponseWriter, sig signal, why reason, code int, msg, allowOrigin string) {
	h.cors.setHeaders(w.Header(), allowOrigin)
	http.Error(w, msg, code)
	m := h.metrics
	ctx := context.Background()
	m.requests.Add(ctx, 1, m.requestOpts[sig][outRejected]...)
	m.rejections.Add(ctx, 1, m.rejectionOpts[why]...)
}

func (h *Handler) record(st *reqState) {
	m := h.metrics
	ctx := context.Background()
	m.requests.Add(ctx, 1, m.requestOpts[st.sig][st.outcome]...)
	if n := st.body.n.Load(); n > 0 {
		m.bytes.Add(ctx, n, m.bytesOpts[st.sig]...)
	}
	if st.outcome == outRejected {
		m.rejections.Add(ctx, 1, m.rejectionOpts[st.reason]...)
	}
}

// report sends a failure of the backend to otel.Handle, at most once per
// reportEvery, described without the backend's address.
func (h *Handler) report(sig signal, err error) {
	now := time.Now().UnixNano()
	last := h.lastReport.Load()
	if now-last < int64(reportEvery) || !h.lastReport.CompareAndSwap(last, now) {
		h.suppressed.Add(1)
		return
	}
	msg := "forwarding: " + sig.String() + ": " + describeFailure(err)
	if n := h.suppressed.Swap(0); n > 0 {
		msg += " (" + strconv.FormatInt(n, 10) + " more failures since the last report)"
	}
	otel.Handle(errors.New(msg))
}

// drainAndClose reads a little of a body the handler does not pass on, so
// that its connection can be reused, and closes it.
func drainAndClose(body io.ReadCloser) {
	_, _ = io.Copy(io.Discard, io.LimitReader(body, 4<<10))
	_ = body.Close()
}

// responseWriter drops the backend's 1xx answers, which httputil.ReverseProxy
// would otherwise pass on with their headers. Unwrap keeps the underlying
// writer's optional interfaces reachable through http.ResponseController.
type responseWriter struct {
	http.ResponseWriter
}

func (w *responseWriter) WriteHeader(code int) {
	if code >= 100 && code <= 199 {
		return
	}
	w.ResponseWriter.WriteHeader(code)
}

func (w *responseWriter) Unwrap() http.ResponseWriter { return w.ResponseWriter }

// bufferPool lends httputil.ReverseProxy the buffers it copies answers with.
type bufferPool struct{ p sync.Pool }

const copyBufferSize = 32 << 10

func (b *bufferPool) Get() []byte {
	if v, ok := b.p.Get().(*[]byte); ok {
		return *v
	}
	return make([]byte, copyBufferSize)
}

func (b *bufferPool) Put(buf []byte) {
	if cap(buf) == copyBufferSize {
		buf = buf[:copyBufferSize]
		b.p.Put(&buf)
	}
}
