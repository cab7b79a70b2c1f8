package forwarding

import (
	"bytes"
	"io"
	"net/http"
	"net/http/httptest"
	"net/http/httputil"
	"net/url"
	"testing"
)

// BenchmarkForwarding compares the handler with a bare
// httputil.ReverseProxy doing a plain pass-through of the same payloads to
// the same backend, over loopback:
//
//	go test -run '^$' -bench Forwarding -benchmem ./forwarding/
func BenchmarkForwarding(b *testing.B) {
	be := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_, _ = io.Copy(io.Discard, r.Body)
		w.Header().Set("Content-Type", "application/x-protobuf")
		_, _ = w.Write([]byte{})
	}))
	b.Cleanup(be.Close)
	target, _ := url.Parse(be.URL)

	plain := &httputil.ReverseProxy{
		Rewrite:   func(pr *httputil.ProxyRequest) { pr.SetURL(target) },
		Transport: testTransport(b),
	}
	_, mp := newMeterProvider() // metrics recorded by the SDK, as in production
	handler := newTestHandler(b, be.URL, WithMeterProvider(mp))

	for _, size := range []struct {
		name string
		n    int
	}{{"1KiB", 1 << 10}, {"64KiB", 64 << 10}, {"1MiB", 1 << 20}} {
		payload := bytes.Repeat([]byte{0x0a}, size.n)
		for _, p := range []struct {
			name string
			h    http.Handler
		}{{"ReverseProxy", plain}, {"forwarding", handler}} {
			b.Run(size.name+"/"+p.name, func(b *testing.B) {
				srv := httptest.NewServer(p.h)
				defer srv.Close()
				client := &http.Client{Transport: testTransport(b)}
				u := srv.URL + "/observe-proxy/v1/traces"
				b.SetBytes(int64(size.n))
				b.ReportAllocs()
				for b.Loop() {
					req, _ := http.NewRequest(http.MethodPost, u, bytes.NewReader(payload))
					req.Header.Set("Content-Type", "application/x-protobuf")
					resp, err := client.Do(req)
					if err != nil {
						b.Fatal(err)
					}
					_, _ = io.Copy(io.Discard, resp.Body)
					resp.Body.Close()
					if resp.StatusCode != http.StatusOK {
						b.Fatalf("status %d", resp.StatusCode)
					}
				}
			})
		}
	}
}
