// Package console writes traces, logs and metrics to a terminal for people
// to read, or as JSON lines.
//
// A [Console] is created with [New] and hands out three parts that share its
// buffered writer: [Console.SpanProcessor] for a TracerProvider,
// [Console.LogProcessor] for a LoggerProvider and [Console.MetricExporter]
// for a PeriodicReader. Because the parts share one view of the open spans,
// a log record is indented under the span it was emitted in.
//
// # Pretty format
//
// [FormatPretty], the default, writes one line per event, in the order the
// events happen. Each line is the time (15:04:05.000, local time; left out
// with [WithTimestamps](false)), a five-character level column, two spaces
// of indentation per level of nesting, and the text:
//
//   - A span inside which nothing else was written gets a single line, when
//     it ends: its name, a [server] or [client] tag for those span kinds,
//     its duration (812µs, 12.3ms, 1.52s), its attributes as key=value, the
//     exception.type and exception.message of its exception events, and
//     "error: description" if its status is Error.
//   - A span inside which a child span starts or a log record is emitted
//     gets an opening line at that moment (name, kind and attributes so
//     far), and a closing line "└ name duration" when it ends, with the
//     attributes added since, exceptions and status. The closing line shows
//     the end time.
//   - A log record shows its level (TRACE, DEBUG, INFO, WARN, ERROR, FATAL,
//     from the severity number or else the severity text), its body and its
//     attributes, one level deeper than its span.
//   - When a line belongs to another trace than the line before it, the
//     open ancestors of its span are written again first, marked with ↳,
//     so that interleaved requests stay readable.
//   - At each metric export, one line per data point:
//     "metric name{key=value,...} value", or "count=N sum=S" for histograms
//     and summaries.
//
// Strings are quoted only when they are empty or hold spaces, quotes or
// non-printable characters. At most ten attributes are shown per line,
// then "…". Names, messages and keys are written verbatim except that
// control characters, invalid UTF-8 and characters that break lines or
// reorder text are escaped, so a line stays one line and telemetry cannot
// send escape sequences to the terminal. With [WithColor](true) levels,
// names, attributes and errors are coloured with ANSI sequences; otherwise
// the output holds no escape bytes.
//
// # JSON format
//
// [FormatJSON] writes each span, log record and metric export as one
// compact JSON object per line, with trace and span ids in lowercase hex.
// Spans and metric exports are encoded by the OpenTelemetry stdout
// exporters (stdouttrace and stdoutmetric). A log record is one flat object
// that log tools can index, its fields in this order:
//
//   - time: the record's timestamp, else its observed timestamp, else the
//     clock, in UTC, RFC 3339 with nanoseconds; left out with
//     [WithTimestamps](false).
//   - level: the severity text (INFO, WARN, ERROR+2...), else the name of
//     the severity number; left out when the record has neither.
//   - msg: the body, a string or any JSON value; event: the event name.
//   - trace_id and span_id, when the record was emitted in a span.
//   - request_id: the value of the record's observe.request_id attribute.
//   - then every other attribute under its own key: maps as objects, slices
//     as arrays, bytes as base64, NaN and infinities as the strings "NaN",
//     "+Inf" and "-Inf". An attribute whose key is one of the field names
//     above is written as "attr." followed by its key.
//   - dropped_attributes: how many attributes the SDK's limits dropped, when
//     any were.
//
// For example:
//
//	{"time":"2025-01-02T14:04:05.123456789Z","level":"WARN","msg":"disk almost full","trace_id":"4bf92f3577b34da6a3ce929d0e0e4736","span_id":"00f067aa0ba902b7","request_id":"req-42","free_mb":12}
//
// Strings escape what JSON requires and also DEL, C1 controls and the
// characters that break lines or reorder text; invalid UTF-8 becomes
// U+FFFD.
//
// # Buffering, drops and lifetime
//
// Recording a span, record or metric export costs its formatting and an
// append to an in-memory buffer; it never waits for the destination. The
// Console's own goroutine writes the buffer to the destination when it
// passes 32 KiB, when [Console.Flush] or a part's ForceFlush or Shutdown
// waits for it, and otherwise about the flush interval
// ([WithFlushInterval], 100ms by default) after a line is buffered. The
// goroutine starts with the first line buffered and returns when it finds
// the buffer empty.
//
// The buffer holds at most 1 MiB besides the chunk being written. When a
// destination does not take lines as fast as they come (a pipe nobody
// reads, a stalled terminal), a line that does not fit is dropped, never
// waited for, and counted:
//
//   - The drops are passed to [go.opentelemetry.io/otel.Handle] as a
//     [*DropError] naming the signal, for example "console: 812 lines of
//     logs dropped (812 in total): the output is not being read fast enough
//     and the 1024 KiB buffer is full": a second after the first drop, then
//     at most once every 10 seconds while drops go on, and at Shutdown.
//   - [Console.RegisterMetrics] registers the counter observe.console.dropped
//     ({line}, attribute signal = traces, logs or metrics).
//
// Flush, ForceFlush and Shutdown return by their context's deadline
// whatever the destination does. If lines are still waiting then, they
// return an error that wraps the context's and says how many; the
// goroutine stays blocked in the destination's Write and writes them when
// it returns. Errors writing in the background go to otel.Handle, once
// until a write succeeds again; a write that a Flush, ForceFlush or
// Shutdown waits for returns its error to that caller instead. A failed
// write loses its chunk; its lines are counted in observe.console.dropped.
// Shutting a part down twice has no further effect. Once every part that
// was obtained is shut down and the buffer is written, the Console runs no
// timer or goroutine.
//
// Memory: besides the 1 MiB of waiting lines and the chunk being written,
// a Console keeps for reuse the buffers its load made it grow, up to 1 MiB
// each.
//
// Open spans are tracked in a map bounded to 10 000 entries; spans started
// beyond that are printed unnested when they end.
package console
