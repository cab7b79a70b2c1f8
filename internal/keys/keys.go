// Package keys names the attributes that observe's packages share, so that
// the HTTP middleware, the log bridge and the pipeline stages agree on them.
package keys

const (
	// RequestID is the attribute that carries the request id on spans and
	// log records.
	RequestID = "observe.request_id"

	// SpanLevel is the span attribute that holds the highest level, "warn"
	// or "error", of the records logged inside the span.
	SpanLevel = "observe.level"
)
