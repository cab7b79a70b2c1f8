package forwarding

import (
	"errors"
	"io"
	"sync/atomic"
)

// errBodyTooLarge is what the forwarded request's body returns once the
// client has sent more than the limit; the transport then aborts the
// upstream request, so the backend never receives a complete body.
var errBodyTooLarge = errors.New("forwarding: request body too large")

// limitedBody streams the client's body to the transport, counting bytes and
// failing once more than the limit has been read. It is read by the
// transport's goroutine and inspected by the handler's, hence the atomics.
type limitedBody struct {
	r         io.Reader
	remaining int64 // bytes still allowed; touched by the reader only
	n         atomic.Int64
	exceeded  atomic.Bool
	broken    atomic.Bool // the client's body failed with an error other than EOF
}

func (b *limitedBody) Read(p []byte) (int, error) {
	if b.remaining < 0 {
		return 0, errBodyTooLarge
	}
	// Read one byte past the limit, to tell a body of exactly the limit
	// from a longer one.
	if int64(len(p)) > b.remaining+1 {
		p = p[:b.remaining+1]
	}
	n, err := b.r.Read(p)
	if int64(n) > b.remaining {
		n = int(b.remaining)
		b.remaining = -1
		b.n.Add(int64(n))
		b.exceeded.Store(true)
		return n, errBodyTooLarge
	}
	b.remaining -= int64(n)
	b.n.Add(int64(n))
	if err != nil && err != io.EOF {
		b.broken.Store(true)
	}
	return n, err
}

// Close does nothing: the server owns and closes the client's body.
func (b *limitedBody) Close() error { return nil }
