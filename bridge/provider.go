package bridge

import (
	"context"

	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/log"
	"go.opentelemetry.io/otel/log/embedded"

	"github.com/observe-go/observe/internal/keys"
	"github.com/observe-go/observe/internal/requestid"
)

// correlatingProvider hands out loggers that add what the context knows
// beyond the span: the request id, and the level of the span.
type correlatingProvider struct {
	embedded.LoggerProvider
	next log.LoggerProvider
}

func (p correlatingProvider) Logger(name string, opts ...log.LoggerOption) log.Logger {
	return correlatingLogger{next: p.next.Logger(name, opts...)}
}

type correlatingLogger struct {
	embedded.Logger
	next log.Logger
}

// Emit adds the request id of ctx to r at the top level, below any group
// otelslog made, raises the level of the span in ctx for warnings and
// errors, and passes r on.
func (l correlatingLogger) Emit(ctx context.Context, r log.Record) {
	if id := requestid.FromContext(ctx); id != "" {
		r.AddAttributes(attribute.String(keys.RequestID, id))
	}
	spanLevelOf(ctx, r.Severity())
	l.next.Emit(ctx, r)
}

// spanLevelOf raises the level of the span in ctx for a record of severity
// sev, if it is a warning or an error.
func spanLevelOf(ctx context.Context, sev log.Severity) {
	if sev >= log.SeverityWarn1 {
		raiseSpanLevel(ctx, sev)
	}
}

func (l correlatingLogger) Enabled(ctx context.Context, p log.EnabledParameters) bool {
	return l.next.Enabled(ctx, p)
}
