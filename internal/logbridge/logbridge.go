// Package logbridge lets observe's packages reach the OpenTelemetry logger
// behind observe's slog handler (package bridge), so that records they build
// themselves, such as the HTTP access log, go straight to the Logs API
// instead of through slog and its conversion.
package logbridge

import (
	"context"
	"log/slog"
	"sync/atomic"

	"go.opentelemetry.io/otel/log"
)

// Target is where a handler of package bridge sends its records.
type Target struct {
	// Logger emits records under the handler's instrumentation scope. Like
	// the handler, it adds the request id of the context to each record
	// and raises the level of the context's span for warnings and errors.
	Logger log.Logger
	// Level is the handler's threshold: records below it are dropped.
	Level slog.Leveler
	// Provider is the LoggerProvider behind Logger.
	Provider log.LoggerProvider
	// SpanLevel raises the level of the span in ctx for a record of
	// severity sev, as Logger does when it emits the record. A record
	// emitted once its span has ended needs it called while the span is
	// open.
	SpanLevel func(ctx context.Context, sev log.Severity)
}

var resolver atomic.Pointer[func(slog.Handler) (Target, bool)]

// SetResolver installs the function that [Resolve] calls; package bridge
// installs it when it is initialised.
func SetResolver(f func(slog.Handler) (Target, bool)) { resolver.Store(&f) }

// Resolve returns the target of h when h is a handler of package bridge
// with no attributes or groups added, whose records therefore carry nothing
// beyond what their caller gives them.
func Resolve(h slog.Handler) (Target, bool) {
	f := resolver.Load()
	if f == nil || h == nil {
		return Target{}, false
	}
	return (*f)(h)
}
