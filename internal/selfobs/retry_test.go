package selfobs

import (
	"context"
	"errors"
	"fmt"
	"net"
	"testing"

	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
)

func TestRetryable(t *testing.T) {
	for _, tc := range []struct {
		err  error
		want bool
	}{
		{status.Error(codes.Unavailable, "down"), true},
		{fmt.Errorf("traces export: %w", status.Error(codes.ResourceExhausted, "slow down")), true},
		{status.Error(codes.InvalidArgument, "bad"), false},
		{status.Error(codes.Unauthenticated, "no"), false},
		{errors.New("retry-able request failure: body: (empty)"), true},
		{errors.New("failed to send to http://c:4318/v1/traces: 400 Bad Request (body: x)"), false},
		{&net.OpError{Op: "dial", Net: "tcp", Err: errors.New("connection refused")}, true},
		{fmt.Errorf("wrapped: %w", &net.DNSError{Err: "no such host", Name: "c"}), true},
	} {
		if got := retryable(tc.err); got != tc.want {
			t.Errorf("retryable(%v) = %v; want %v", tc.err, got, tc.want)
		}
	}
}

// Transient failures are retried until one succeeds; a closed Retry tries
// once.
func TestRetryDo(t *testing.T) {
	r := NewRetry(Traces, "test")
	unavailable := status.Error(codes.Unavailable, "down")
	n := 0
	err := r.do(context.Background(), func(context.Context) error {
		n++
		if n < 3 {
			return unavailable
		}
		return nil
	})
	if err != nil || n != 3 {
		t.Fatalf("do = %v after %d attempts; want success on the third", err, n)
	}
	r.Close()
	n = 0
	err = r.do(context.Background(), func(context.Context) error { n++; return unavailable })
	if !errors.Is(err, unavailable) || n != 1 {
		t.Fatalf("closed: do = %v after %d attempts; want one attempt and its error", err, n)
	}
	// A permanent failure is not retried.
	r2 := NewRetry(Traces, "test")
	n = 0
	bad := status.Error(codes.InvalidArgument, "bad")
	if err := r2.do(context.Background(), func(context.Context) error { n++; return bad }); !errors.Is(err, bad) || n != 1 {
		t.Fatalf("permanent: do = %v after %d attempts; want one", err, n)
	}
	// A done context ends the retries.
	ctx, cancel := context.WithCancel(context.Background())
	n = 0
	err = r2.do(ctx, func(context.Context) error {
		n++
		cancel()
		return unavailable
	})
	if !errors.Is(err, unavailable) || n != 1 {
		t.Fatalf("cancelled: do = %v after %d attempts; want one", err, n)
	}
}
