package instrument

import (
	"context"
	"encoding/binary"
	"encoding/hex"
	"math/rand/v2"
	"unsafe"

	"github.com/observe-go/observe/internal/requestid"
)

// ValidRequestID reports whether id may be used as a request id as it
// is: 1 to 128 characters, each a letter, a digit, '-', '_', '.' or ':'.
// Anything else (spaces, '<', control characters, non-ASCII) is replaced
// by a new id, so that a client cannot inject markup or log lines.
func ValidRequestID(id string) bool {
	if len(id) == 0 || len(id) > 128 {
		return false
	}
	for i := 0; i < len(id); i++ {
		c := id[i]
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '-' || c == '_' || c == '.' || c == ':') {
			return false
		}
	}
	return true
}

// requestState is what a request needs allocated for its id: the context
// that carries it and, for a new id, its text and the header value that
// refers to it. One allocation holds them all.
type requestState struct {
	ctx   requestid.Context
	value [1]string
	text  [36]byte
	// msg holds the access-log message of the request when it fits.
	msg [accessMessageSize]byte
}

// newRequestID fills s with a new random (version 4) UUID and returns it.
// It needs to be unique, not secret, so the runtime's fast random source is
// enough.
func (s *requestState) newRequestID() string {
	var b [16]byte
	binary.LittleEndian.PutUint64(b[:8], rand.Uint64())
	binary.LittleEndian.PutUint64(b[8:], rand.Uint64())
	b[6] = b[6]&0x0f | 0x40
	b[8] = b[8]&0x3f | 0x80
	out := &s.text
	hex.Encode(out[0:8], b[0:4])
	out[8] = '-'
	hex.Encode(out[9:13], b[4:6])
	out[13] = '-'
	hex.Encode(out[14:18], b[6:8])
	out[18] = '-'
	hex.Encode(out[19:23], b[8:10])
	out[23] = '-'
	hex.Encode(out[24:], b[10:])
	// The bytes are never written again, so the string may share them.
	s.value[0] = unsafe.String(&out[0], len(out))
	return s.value[0]
}

// RequestIDFromContext returns the request id that [HTTPHandler],
// [GRPCServerHandler] or [ContextWithRequestID] put in ctx, or "" when
// there is none. Use it to
// log the id, or to pass it on to work the request starts elsewhere.
func RequestIDFromContext(ctx context.Context) string {
	return requestid.FromContext(ctx)
}

// ContextWithRequestID returns a copy of ctx that carries id as its request
// id, for jobs and consumers that start work outside an HTTP request: the
// records logged with it carry the id, and [HTTPTransport] and
// [GRPCClientHandler] send it on. An
// id that [ValidRequestID] refuses is replaced by a new one.
func ContextWithRequestID(ctx context.Context, id string) context.Context {
	if !ValidRequestID(id) {
		var s requestState
		id = s.newRequestID()
	}
	return requestid.NewContext(ctx, id)
}
