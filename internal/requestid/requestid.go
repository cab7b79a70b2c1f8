// Package requestid carries a request's id in its context, so that the
// HTTP middleware that sets it and the log bridges that print it agree on
// one key.
package requestid

import "context"

type key struct{}

// AttributeKey is the attribute that carries the request id on spans and
// log records.
const AttributeKey = "observe.request_id"

// HeaderName is the HTTP header that carries the request id.
const HeaderName = "X-Request-ID"

// NewContext returns a copy of ctx that carries id.
func NewContext(ctx context.Context, id string) context.Context {
	return context.WithValue(ctx, key{}, id)
}

// FromContext returns the request id in ctx, or "" when there is none.
func FromContext(ctx context.Context) string {
	if ctx == nil {
		return ""
	}
	id, _ := ctx.Value(key{}).(string)
	return id
}
