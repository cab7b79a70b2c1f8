package forwarding

import (
	"io"
	"net/http"
	"net/http/httptest"
	"runtime"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// patternReader yields n bytes without holding them.
type patternReader struct{ n int64 }

func (r *patternReader) Read(p []byte) (int, error) {
	if r.n <= 0 {
		return 0, io.EOF
	}
	if int64(len(p)) > r.n {
		p = p[:r.n]
	}
	for i := range p {
		p[i] = byte(i)
	}
	r.n -= int64(len(p))
	return len(p), nil
}

// TestHeapStreaming forwards a 40 MiB body and checks that the heap grows by
// far less than the body: the body is streamed, never held whole.
func TestHeapStreaming(t *testing.T) {
	if testing.Short() {
		t.Skip("moves 40 MiB")
	}
	const size = 40 << 20
	var received atomic.Int64
	be := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		n, _ := io.Copy(io.Discard, r.Body)
		received.Store(n)
	}))
	t.Cleanup(be.Close)
	h := newTestHandler(t, be.URL)
	srv := httptest.NewServer(h)
	t.Cleanup(srv.Close)
	client := &http.Client{Transport: testTransport(t)}

	for _, tt := range []struct {
		name    string
		chunked bool
	}{{"Content-Length", false}, {"chunked", true}} {
		t.Run(tt.name, func(t *testing.T) {
			req, _ := http.NewRequest(http.MethodPost, srv.URL+"/v1/traces", &patternReader{n: size})
			req.Header.Set("Content-Type", "application/x-protobuf")
			if !tt.chunked {
				req.ContentLength = size
			}
			runtime.GC()
			var before runtime.MemStats
			runtime.ReadMemStats(&before)

			// Sample the heap while the body flows.
			var peak atomic.Uint64
			stop := make(chan struct{})
			var wg sync.WaitGroup
			wg.Add(1)
			go func() {
				defer wg.Done()
				var ms runtime.MemStats
				for {
					runtime.ReadMemStats(&ms)
					if ms.HeapAlloc > peak.Load() {
						peak.Store(ms.HeapAlloc)
					}
					select {
					case <-stop:
						return
					case <-time.After(2 * time.Millisecond):
					}
				}
			}()
			start := time.Now()
			resp, err := client.Do(req)
			elapsed := time.Since(start)
			close(stop)
			wg.Wait()
			if err != nil {
				t.Fatal(err)
			}
			resp.Body.Close()
			var after runtime.MemStats
			runtime.ReadMemStats(&after)

			if resp.StatusCode != http.StatusOK || received.Load() != size {
				t.Fatalf("status %d, the backend received %d bytes, want 200 and %d", resp.StatusCode, received.Load(), size)
			}
			growth := int64(peak.Load()) - int64(before.HeapAlloc)
			allocated := after.TotalAlloc - before.TotalAlloc
			t.Logf("40 MiB forwarded in %v: peak heap growth %.2f MiB, allocated in all %.2f MiB (client, proxy and backend together)",
				elapsed.Round(time.Millisecond), float64(growth)/(1<<20), float64(allocated)/(1<<20))
			if growth > size/8 {
				t.Errorf("the heap grew by %d bytes while forwarding %d; want far less (< %d)", growth, size, size/8)
			}
			if allocated > size/4 {
				t.Errorf("%d bytes were allocated while forwarding %d; want far less (< %d)", allocated, size, size/4)
			}
		})
	}
}
