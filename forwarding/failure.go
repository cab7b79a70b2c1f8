package forwarding

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"io"
	"net"
	"strconv"
	"syscall"
)

// statusError is a backend answer that is not passed on.
type statusError struct{ code int }

func (e *statusError) Error() string {
	return "the backend answered with status " + strconv.Itoa(e.code)
}

// describeFailure says what went wrong with the backend in a fixed set of
// words: transport errors quote the URL and the addresses, which must not
// reach a log line.
func describeFailure(err error) string {
	var (
		se   *statusError
		dns  *net.DNSError
		cert *tls.CertificateVerificationError
		rec  tls.RecordHeaderError
		ua   x509.UnknownAuthorityError
		hn   x509.HostnameError
		ci   x509.CertificateInvalidError
		ne   net.Error
	)
	switch {
	case errors.As(err, &se):
		return se.Error()
	case errors.Is(err, context.DeadlineExceeded):
		return "the backend did not answer in time"
	case errors.As(err, &dns):
		return "the backend's host name could not be resolved"
	case errors.Is(err, syscall.ECONNREFUSED):
		return "the backend refused the connection"
	case errors.Is(err, syscall.ECONNRESET), errors.Is(err, io.EOF), errors.Is(err, io.ErrUnexpectedEOF):
		return "the backend closed the connection"
	case errors.As(err, &cert), errors.As(err, &rec), errors.As(err, &ua), errors.As(err, &hn), errors.As(err, &ci):
		return "the TLS handshake with the backend failed"
	case errors.As(err, &ne) && ne.Timeout():
		return "the backend did not answer in time"
	}
	return "the request to the backend failed"
}
