// Package requestid carries a request's id in its context, so that the
// HTTP middleware that sets it and the log bridges that print it agree on
// one key.
package requestid

import (
	"context"
	"fmt"
)

type key struct{}

// HeaderName is the HTTP header that carries the request id.
const HeaderName = "X-Request-ID"

// Context is a context that carries a request id. A struct of the caller's
// may hold one, so that the context comes with the caller's allocation;
// Init must be called before it is used, and it must not be copied after.
type Context struct {
	context.Context
	id string
}

// Init makes c carry id, with parent for everything else.
func (c *Context) Init(parent context.Context, id string) {
	c.Context, c.id = parent, id
}

// Value returns c itself for the request id key, which FromContext reads
// without allocating, and asks the parent for other keys.
func (c *Context) Value(k any) any {
	if _, ok := k.(key); ok {
		return c
	}
	return c.Context.Value(k)
}

// String describes c, as the contexts of package context describe
// themselves.
func (c *Context) String() string {
	return fmt.Sprintf("%v.WithValue(request id, %s)", c.Context, c.id)
}

// NewContext returns a copy of ctx that carries id.
func NewContext(ctx context.Context, id string) context.Context {
	c := new(Context)
	c.Init(ctx, id)
	return c
}

// FromContext returns the request id in ctx, or "" when there is none.
func FromContext(ctx context.Context) string {
	if ctx == nil {
		return ""
	}
	if c, ok := ctx.Value(key{}).(*Context); ok {
		return c.id
	}
	return ""
}
