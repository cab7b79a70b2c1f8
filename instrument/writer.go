package instrument

import (
	"bufio"
	"io"
	"net"
	"net/http"
	"strconv"
	"time"

	"github.com/felixge/httpsnoop"
)

// recorder keeps what the middleware needs to know about a response: its
// status code and size, and whether the header was written.
type recorder struct {
	w            http.ResponseWriter
	status       int
	written      int64
	wroteHeader  bool
	serverTiming bool
	quiet        bool // the request is left out of traces and the access log
	start        time.Time
}

func (rec *recorder) header() http.Header { return rec.w.Header() }

func (rec *recorder) writeHeader(code int) {
	if rec.wroteHeader {
		rec.w.WriteHeader(code)
		return
	}
	// 1xx responses are informational: the final header is still to come.
	if code >= 100 && code <= 199 && code != http.StatusSwitchingProtocols {
		rec.w.WriteHeader(code)
		return
	}
	rec.wroteHeader = true
	rec.status = code
	if rec.serverTiming {
		d := float64(time.Since(rec.start).Microseconds()) / 1000
		rec.w.Header().Add("Server-Timing", "app;dur="+strconv.FormatFloat(d, 'f', 3, 64))
	}
	rec.w.WriteHeader(code)
}

func (rec *recorder) write(p []byte) (int, error) {
	if !rec.wroteHeader {
		rec.writeHeader(http.StatusOK)
	}
	n, err := rec.w.Write(p)
	rec.written += int64(n)
	return n, err
}

func (rec *recorder) readFrom(src io.Reader) (int64, error) {
	if !rec.wroteHeader {
		rec.writeHeader(http.StatusOK)
	}
	n, err := rec.w.(io.ReaderFrom).ReadFrom(src)
	rec.written += n
	return n, err
}

func (rec *recorder) flush() {
	if !rec.wroteHeader {
		rec.writeHeader(http.StatusOK)
	}
	rec.w.(http.Flusher).Flush()
}

func (rec *recorder) hijack() (net.Conn, *bufio.ReadWriter, error) {
	c, rw, err := rec.w.(http.Hijacker).Hijack()
	if err == nil && !rec.wroteHeader {
		// The handler took the connection over: count it as switching
		// protocols, which is what a hijack nearly always is.
		rec.wroteHeader = true
		rec.status = http.StatusSwitchingProtocols
	}
	return c, rw, err
}

// The wrappers below give the handler a ResponseWriter with the same
// optional interfaces as the one net/http passed in. The two shapes
// net/http itself uses (HTTP/1.x: Flusher, Hijacker, ReaderFrom; HTTP/2:
// Flusher) have types of their own; any other shape goes through httpsnoop,
// which covers every combination. All of them implement Unwrap for
// http.ResponseController.

type rwBasic struct{ *recorder }

func (w rwBasic) Header() http.Header         { return w.header() }
func (w rwBasic) WriteHeader(code int)        { w.writeHeader(code) }
func (w rwBasic) Write(p []byte) (int, error) { return w.write(p) }
func (w rwBasic) Unwrap() http.ResponseWriter { return w.w }

type rwHTTP1 struct{ rwBasic }

func (w rwHTTP1) Flush()                                       { w.flush() }
func (w rwHTTP1) Hijack() (net.Conn, *bufio.ReadWriter, error) { return w.hijack() }
func (w rwHTTP1) ReadFrom(src io.Reader) (int64, error)        { return w.readFrom(src) }

type rwHTTP2 struct{ rwBasic }

func (w rwHTTP2) Flush() { w.flush() }

// wrap returns a ResponseWriter that records into rec.
func wrap(rec *recorder) http.ResponseWriter {
	w := rec.w
	_, isF := w.(http.Flusher)
	_, isH := w.(http.Hijacker)
	_, isR := w.(io.ReaderFrom)
	_, isP := w.(http.Pusher)
	switch {
	case isF && isH && isR && !isP:
		return rwHTTP1{rwBasic{rec}}
	case isF && !isH && !isR && !isP:
		return rwHTTP2{rwBasic{rec}}
	case !isF && !isH && !isR && !isP:
		return rwBasic{rec}
	}
	// httpsnoop's writers implement Unwrap themselves.
	return httpsnoop.Wrap(w, httpsnoop.Hooks{
		Header:      func(httpsnoop.HeaderFunc) httpsnoop.HeaderFunc { return rec.header },
		WriteHeader: func(httpsnoop.WriteHeaderFunc) httpsnoop.WriteHeaderFunc { return rec.writeHeader },
		Write:       func(httpsnoop.WriteFunc) httpsnoop.WriteFunc { return rec.write },
		ReadFrom:    func(httpsnoop.ReadFromFunc) httpsnoop.ReadFromFunc { return rec.readFrom },
		Flush:       func(httpsnoop.FlushFunc) httpsnoop.FlushFunc { return rec.flush },
		Hijack:      func(httpsnoop.HijackFunc) httpsnoop.HijackFunc { return rec.hijack },
	})
}
