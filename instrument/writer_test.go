package instrument_test

import (
	"bufio"
	"context"
	"errors"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/observe-go/observe/instrument"
)

func TestHTTPHandlerStreamsSSE(t *testing.T) {
	tel := newTelemetry(t)
	release := make(chan struct{})
	done := make(chan struct{})
	h := tel.handler(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		defer close(done)
		f, ok := w.(http.Flusher)
		if !ok {
			t.Error("the wrapped writer is not an http.Flusher")
			return
		}
		w.Header().Set("Content-Type", "text/event-stream")
		_, _ = io.WriteString(w, "data: first\n\n")
		f.Flush()
		select {
		case <-release: // the client has read the first event
		case <-r.Context().Done():
			return
		case <-time.After(5 * time.Second):
			t.Error("the client never read the first event: it was not flushed")
			return
		}
		_, _ = io.WriteString(w, "data: second\n\n")
	}))
	srv := httptest.NewServer(h)
	defer srv.Close()

	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	req, _ := http.NewRequestWithContext(ctx, http.MethodGet, srv.URL+"/events", nil)
	resp, err := srv.Client().Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	if ct := resp.Header.Get("Content-Type"); ct != "text/event-stream" {
		t.Errorf("Content-Type = %q", ct)
	}
	br := bufio.NewReader(resp.Body)
	line, err := br.ReadString('\n')
	if err != nil || line != "data: first\n" {
		t.Fatalf("first line = %q, %v", line, err)
	}
	select {
	case <-done:
		t.Fatal("the handler returned before the client read the first event")
	default:
	}
	close(release)
	rest, err := io.ReadAll(br)
	if err != nil {
		t.Fatal(err)
	}
	if string(rest) != "\ndata: second\n\n" {
		t.Errorf("rest = %q", rest)
	}
	tel.ended(t, 1)
	var size int64 = -1
	tel.logs.waitRecords(t, 1)[0].record.Attrs(func(at slog.Attr) bool {
		if at.Key == "http.response.body.size" {
			size = at.Value.Int64()
		}
		return true
	})
	if want := int64(len("data: first\n\ndata: second\n\n")); size != want {
		t.Errorf("http.response.body.size = %d, want %d", size, want)
	}
}

func TestHTTPHandlerResponseController(t *testing.T) {
	tel := newTelemetry(t)
	errs := make(chan error, 3)
	h := tel.handler(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		rc := http.NewResponseController(w)
		errs <- rc.SetWriteDeadline(time.Now().Add(5 * time.Second))
		errs <- rc.SetReadDeadline(time.Now().Add(5 * time.Second))
		_, _ = io.WriteString(w, "hello")
		errs <- rc.Flush()
	}))
	srv := httptest.NewServer(h)
	defer srv.Close()
	resp, err := srv.Client().Get(srv.URL)
	if err != nil {
		t.Fatal(err)
	}
	b, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if string(b) != "hello" {
		t.Errorf("body = %q", b)
	}
	for _, name := range []string{"SetWriteDeadline", "SetReadDeadline", "Flush"} {
		if err := <-errs; err != nil {
			t.Errorf("ResponseController.%s through the wrapper: %v", name, err)
		}
	}
}

func TestHTTPHandlerHijack(t *testing.T) {
	tel := newTelemetry(t)
	h := tel.handler(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		hj, ok := w.(http.Hijacker)
		if !ok {
			t.Error("the wrapped HTTP/1.1 writer is not an http.Hijacker")
			return
		}
		conn, rw, err := hj.Hijack()
		if err != nil {
			t.Errorf("Hijack: %v", err)
			return
		}
		defer conn.Close()
		_, _ = rw.WriteString("HTTP/1.1 200 OK\r\nContent-Length: 6\r\nConnection: close\r\n\r\nraw ok")
		_ = rw.Flush()
	}))
	srv := httptest.NewServer(h)
	defer srv.Close()
	resp, err := srv.Client().Get(srv.URL)
	if err != nil {
		t.Fatal(err)
	}
	b, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != 200 || string(b) != "raw ok" {
		t.Errorf("response = %d %q, want 200 \"raw ok\"", resp.StatusCode, b)
	}
	tel.ended(t, 1)
}

// onlyReader hides a reader's WriterTo, so that io.Copy uses ReadFrom.
type onlyReader struct{ io.Reader }

func TestHTTPHandlerReaderFrom(t *testing.T) {
	tel := newTelemetry(t)
	const body = "copied with ReadFrom"
	h := tel.handler(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if _, ok := w.(io.ReaderFrom); !ok {
			t.Error("the wrapped HTTP/1.1 writer is not an io.ReaderFrom")
		}
		_, _ = io.Copy(w, onlyReader{strings.NewReader(body)})
	}))
	srv := httptest.NewServer(h)
	defer srv.Close()
	resp, err := srv.Client().Get(srv.URL)
	if err != nil {
		t.Fatal(err)
	}
	b, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if string(b) != body {
		t.Errorf("body = %q", b)
	}
	a := attrMap(tel.ended(t, 1)[0].Attributes())
	// Bytes sent through ReadFrom are counted: the access log carries them.
	var size int64 = -1
	tel.logs.waitRecords(t, 1)[0].record.Attrs(func(at slog.Attr) bool {
		if at.Key == "http.response.body.size" {
			size = at.Value.Int64()
		}
		return true
	})
	if size != int64(len(body)) {
		t.Errorf("http.response.body.size = %d, want %d", size, len(body))
	}
	if got := a["http.response.status_code"].AsInt64(); got != 200 {
		t.Errorf("http.response.status_code = %d, want 200", got)
	}
}

// Writers with the optional interfaces in various combinations.
type (
	hijackWriter     struct{ *httptest.ResponseRecorder }
	readerFromWriter struct{ *httptest.ResponseRecorder }
	pusherWriter     struct{ *httptest.ResponseRecorder }
)

func (hijackWriter) Hijack() (net.Conn, *bufio.ReadWriter, error) {
	return nil, nil, errors.New("test writer")
}

func (w readerFromWriter) ReadFrom(r io.Reader) (int64, error) {
	return io.Copy(w.ResponseRecorder.Body, onlyReader{r})
}

func (pusherWriter) Push(string, *http.PushOptions) error { return http.ErrNotSupported }

func TestHTTPHandlerWriterInterfaces(t *testing.T) {
	type ifaces struct{ flusher, hijacker, readerFrom, pusher bool }
	tests := []struct {
		name string
		w    func(*httptest.ResponseRecorder) http.ResponseWriter
		want ifaces
	}{
		{"ResponseRecorder", func(r *httptest.ResponseRecorder) http.ResponseWriter { return r }, ifaces{flusher: true}},
		{"plain", func(r *httptest.ResponseRecorder) http.ResponseWriter {
			return struct{ http.ResponseWriter }{r}
		}, ifaces{}},
		{"flusher and hijacker", func(r *httptest.ResponseRecorder) http.ResponseWriter { return hijackWriter{r} }, ifaces{flusher: true, hijacker: true}},
		{"flusher and reader from", func(r *httptest.ResponseRecorder) http.ResponseWriter { return readerFromWriter{r} }, ifaces{flusher: true, readerFrom: true}},
		{"flusher and pusher", func(r *httptest.ResponseRecorder) http.ResponseWriter { return pusherWriter{r} }, ifaces{flusher: true, pusher: true}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			rec := httptest.NewRecorder()
			outer := tt.w(rec)
			var got ifaces
			var unwrapped http.ResponseWriter
			h := instrument.HTTPHandler(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				_, got.flusher = w.(http.Flusher)
				_, got.hijacker = w.(http.Hijacker)
				_, got.readerFrom = w.(io.ReaderFrom)
				_, got.pusher = w.(http.Pusher)
				if u, ok := w.(interface{ Unwrap() http.ResponseWriter }); ok {
					unwrapped = u.Unwrap()
				}
				w.WriteHeader(http.StatusAccepted)
				_, _ = io.WriteString(w, "x")
			}), instrument.WithoutAccessLog())
			h.ServeHTTP(outer, httptest.NewRequest(http.MethodGet, "/", nil))
			if got != tt.want {
				t.Errorf("wrapped writer interfaces = %+v, want %+v", got, tt.want)
			}
			if unwrapped != outer {
				t.Errorf("Unwrap() = %T, want the writer passed in (%T)", unwrapped, outer)
			}
			if rec.Code != http.StatusAccepted || rec.Body.String() != "x" {
				t.Errorf("response = %d %q", rec.Code, rec.Body.String())
			}
		})
	}
}
