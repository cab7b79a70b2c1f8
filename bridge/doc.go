// Package bridge connects [log/slog] to OpenTelemetry logs and traces.
//
// [NewHandler] returns an [slog.Handler] that sends records to an
// OpenTelemetry [log.LoggerProvider] (the global one unless
// [WithLoggerProvider] is given) through the contrib otelslog bridge.
// Every processor of that provider, such as observe's console and the OTLP
// exporter, receives the same records. [WithCorrelation] wraps any other
// slog.Handler so that its records carry the ids of their context. The
// package depends only on the OpenTelemetry API, never on the SDK.
//
// # Conversion
//
// [NewHandler] converts an [slog.Record] to a [log.Record] as otelslog
// does:
//
//   - Time becomes the Timestamp; a zero Time is left unset.
//   - Message becomes the Body, a string.
//   - Level becomes the Severity (Debug is 5, Info 9, Warn 13, Error 17;
//     levels in between keep their offset) and its name the SeverityText.
//   - Attributes keep their keys; groups become map values, and empty
//     groups and empty attributes are left out.
//   - The source location is added as code.file.path, code.function.name
//     and code.line.number only with [WithSource](true).
//
// # Level threshold
//
//   - One threshold, [WithLevel], applies to every output of the provider:
//     a record below it reaches none of them. The default is
//     [slog.LevelInfo], so Debug records are dropped.
//   - Enabled compares the level before anything else, so a disabled call
//     such as logger.Debug("...") costs a few nanoseconds and allocates
//     nothing. A [*slog.LevelVar] changes the threshold at run time.
//
// # Correlation
//
// On records sent by [NewHandler]:
//
//   - The trace id, span id and trace flags come from the span in the
//     context passed to the logging call (InfoContext, WarnContext...); the
//     SDK copies them to the log record. A call without a context, or
//     outside any span, carries none.
//   - The request id that observe's HTTP middleware put in the context is
//     added as the attribute observe.request_id (instrument.RequestIDAttribute), at
//     the top level of the record even when groups are open.
//
// On records sent by [WithCorrelation] to the wrapped handler, the same
// values are added as plain attributes, at the top level, each only when
// the context has it: trace_id and span_id in lowercase hex ([TraceIDKey],
// [SpanIDKey]) and request_id ([RequestIDKey]).
//
// # Span level
//
//   - A record at [slog.LevelWarn] or above, logged by [NewHandler] with the
//     context of a recording span, sets the span attribute observe.level
//     ([SpanLevelAttribute]) to "warn", or "error" for [slog.LevelError]
//     and above.
//   - The attribute holds the highest level seen: a warning after an error
//     leaves "error" in place. The span API cannot read an attribute back,
//     so the levels set are remembered in a table bounded to a few thousand
//     spans; a span still open after 4096 other spans had their level
//     raised may have its "error" lowered by a later warning.
//   - A span that is not recording (not sampled) is left alone. No span
//     event is added.
//
// Whatever reads the finished spans (a console, a tail sampler, a query in
// the tracing backend) can then pick out the traces with a warning or an
// error without reading their logs.
package bridge
