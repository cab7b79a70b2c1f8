package bridge

import (
	"testing"

	"github.com/observe-go/observe/internal/requestid"
)

func TestRequestIDAttributeMatchesMiddleware(t *testing.T) {
	if RequestIDAttribute != requestid.AttributeKey {
		t.Fatalf("RequestIDAttribute = %q; the HTTP middleware uses %q", RequestIDAttribute, requestid.AttributeKey)
	}
}
