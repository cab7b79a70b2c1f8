package requestid

import (
	"context"
	"testing"
)

func TestContextRoundTrip(t *testing.T) {
	ctx := context.Background()
	if got := FromContext(ctx); got != "" {
		t.Fatalf("empty context has id %q", got)
	}
	ctx = NewContext(ctx, "req-1")
	if got := FromContext(ctx); got != "req-1" {
		t.Fatalf("FromContext = %q; want req-1", got)
	}
	//lint:ignore SA1012 a nil context must not panic
	if got := FromContext(nil); got != "" { //nolint:staticcheck
		t.Fatalf("nil context has id %q", got)
	}
}
