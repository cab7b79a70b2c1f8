package sampling

import (
	"unsafe"

	"go.opentelemetry.io/otel/attribute"
	sdklog "go.opentelemetry.io/otel/sdk/log"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
)

// The sizes below are estimates of the heap an ended span or a cloned
// record keeps alive, made to err on the high side; MaxBytes bounds their
// sum. They count the SDK's structures, strings and attribute values, not
// what is shared with other spans (the resource and the scope).
const (
	spanBaseBytes  = 448 // the span snapshot
	kvBytes        = 64  // an attribute.KeyValue and its share of a slice
	eventBaseBytes = 96  // a sdktrace.Event
	linkBaseBytes  = 112 // a sdktrace.Link
	scalarsBytes   = 64  // the array behind a slice of numbers or booleans, beyond its elements
	maxValueDepth  = 4   // nested values deeper count nothing more
)

var recordBaseBytes = int64(unsafe.Sizeof(sdklog.Record{})) + 64

// spanBytes estimates the heap an ended span keeps alive.
func spanBytes(s sdktrace.ReadOnlySpan) int64 {
	n := int64(spanBaseBytes+len(s.Name())+len(s.Status().Description)) + attrsBytes(s.Attributes())
	for _, ev := range s.Events() {
		n += eventBaseBytes + int64(len(ev.Name)) + attrsBytes(ev.Attributes)
	}
	for _, l := range s.Links() {
		n += linkBaseBytes + attrsBytes(l.Attributes)
	}
	return n
}

// recordBytes estimates the heap a clone of r keeps alive.
func recordBytes(r *sdklog.Record) int64 {
	n := recordBaseBytes + int64(len(r.EventName())+len(r.SeverityText())) + valueBytes(r.Body(), 0)
	r.WalkAttributes(func(kv attribute.KeyValue) bool {
		n += kvBytes + int64(len(kv.Key)) + valueBytes(kv.Value, 0)
		return true
	})
	return n
}

func attrsBytes(kvs []attribute.KeyValue) int64 {
	n := int64(len(kvs)) * kvBytes
	for _, kv := range kvs {
		n += int64(len(kv.Key)) + valueBytes(kv.Value, 0)
	}
	return n
}

// valueBytes estimates the size of what v refers to beyond its own header.
// Strings are counted by length; composite values (rare) are walked, at
// the cost of the copy their accessors make.
func valueBytes(v attribute.Value, depth int) int64 {
	switch v.Type() {
	case attribute.STRING:
		return int64(len(v.AsString()))
	case attribute.BOOLSLICE, attribute.INT64SLICE, attribute.FLOAT64SLICE:
		return scalarsBytes + 8*int64(len(v.AsInt64Slice())+len(v.AsFloat64Slice())+len(v.AsBoolSlice()))
	}
	if depth >= maxValueDepth {
		return 0
	}
	var n int64
	switch v.Type() {
	case attribute.STRINGSLICE:
		for _, s := range v.AsStringSlice() {
			n += 16 + int64(len(s))
		}
	case attribute.BYTESLICE:
		n = int64(len(v.AsByteSlice()))
	case attribute.SLICE:
		for _, e := range v.AsSlice() {
			n += kvBytes + valueBytes(e, depth+1)
		}
	case attribute.MAP:
		for _, kv := range v.AsMap() {
			n += kvBytes + int64(len(kv.Key)) + valueBytes(kv.Value, depth+1)
		}
	}
	return n
}
