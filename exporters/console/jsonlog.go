package console

import (
	"context"
	"encoding/base64"
	"math"
	"strconv"
	"time"
	"unicode/utf8"

	"go.opentelemetry.io/otel/attribute"
	sdklog "go.opentelemetry.io/otel/sdk/log"

	"github.com/observe-go/observe/internal/keys"
)

// Names of the fields of a JSON log line. An attribute with one of these
// keys is written as "attr." followed by the key.
const (
	jsonTime      = "time"
	jsonLevel     = "level"
	jsonMsg       = "msg"
	jsonEvent     = "event"
	jsonTraceID   = "trace_id"
	jsonSpanID    = "span_id"
	jsonRequestID = "request_id"
	jsonDropped   = "dropped_attributes"
	// requestIDAttr is the record attribute whose value becomes request_id.
	requestIDAttr = keys.RequestID
)

// jsonLogProcessor writes each record as one flat JSON object per line,
// into the Console's buffer.
type jsonLogProcessor struct {
	part
}

var _ sdklog.Processor = (*jsonLogProcessor)(nil)

// Enabled reports whether the processor still writes records.
func (p *jsonLogProcessor) Enabled(context.Context, sdklog.EnabledParameters) bool {
	return !p.stopped.Load()
}

// OnEmit writes r as one JSON line.
func (p *jsonLogProcessor) OnEmit(_ context.Context, r *sdklog.Record) error {
	if p.stopped.Load() || r == nil {
		return nil
	}
	buf := getBuf()
	*buf = p.c.appendJSONRecord(*buf, r)
	p.c.out.append(sigLogs, *buf)
	putBuf(buf)
	return nil
}

// appendJSONRecord appends r as a JSON object and a newline: time, level,
// msg, event, trace_id, span_id and request_id when the record has them,
// then its attributes.
func (c *Console) appendJSONRecord(b []byte, r *sdklog.Record) []byte {
	b = append(b, '{')
	first := true
	field := func(key string) {
		if !first {
			b = append(b, ',')
		}
		first = false
		b = appendJSONString(b, key)
		b = append(b, ':')
	}

	if c.cfg.timestamps {
		t := r.Timestamp()
		if t.IsZero() {
			t = r.ObservedTimestamp()
		}
		if t.IsZero() {
			t = c.cfg.now()
		}
		field(jsonTime)
		b = append(b, '"')
		b = t.UTC().AppendFormat(b, time.RFC3339Nano)
		b = append(b, '"')
	}
	if level := jsonLevelName(r); level != "" {
		field(jsonLevel)
		b = appendJSONString(b, level)
	}
	if body := r.Body(); body.Type() != attribute.EMPTY {
		field(jsonMsg)
		b = appendJSONValue(b, body)
	}
	if name := r.EventName(); name != "" {
		field(jsonEvent)
		b = appendJSONString(b, name)
	}
	if tid := r.TraceID(); tid.IsValid() {
		field(jsonTraceID)
		b = appendJSONHex(b, tid[:])
	}
	if sid := r.SpanID(); sid.IsValid() {
		field(jsonSpanID)
		b = appendJSONHex(b, sid[:])
	}
	r.WalkAttributes(func(kv attribute.KeyValue) bool {
		if kv.Key == requestIDAttr && kv.Value.Type() == attribute.STRING {
			field(jsonRequestID)
			b = appendJSONString(b, kv.Value.AsString())
			return false
		}
		return true
	})
	r.WalkAttributes(func(kv attribute.KeyValue) bool {
		key := string(kv.Key)
		switch key {
		case requestIDAttr:
			if kv.Value.Type() == attribute.STRING {
				return true
			}
		case jsonTime, jsonLevel, jsonMsg, jsonEvent, jsonTraceID, jsonSpanID, jsonRequestID, jsonDropped:
			key = "attr." + key
		}
		field(key)
		b = appendJSONValue(b, kv.Value)
		return true
	})
	if n := r.DroppedAttributes(); n > 0 {
		field(jsonDropped)
		b = strconv.AppendInt(b, int64(n), 10)
	}
	return append(b, '}', '\n')
}

// jsonLevelName is the record's severity text, or else the name of its
// severity number (TRACE, DEBUG, INFO, WARN, ERROR, FATAL), or "".
func jsonLevelName(r *sdklog.Record) string {
	if t := r.SeverityText(); t != "" {
		return t
	}
	switch sev := int(r.Severity()); {
	case sev >= 21:
		return "FATAL"
	case sev >= 17:
		return "ERROR"
	case sev >= 13:
		return "WARN"
	case sev >= 9:
		return "INFO"
	case sev >= 5:
		return "DEBUG"
	case sev >= 1:
		return "TRACE"
	}
	return ""
}

// appendJSONHex appends id as a JSON string of lowercase hex digits.
func appendJSONHex(b []byte, id []byte) []byte {
	b = append(b, '"')
	for _, x := range id {
		b = append(b, hexDigits[x>>4], hexDigits[x&0xf])
	}
	return append(b, '"')
}

// appendJSONValue appends v as JSON: strings, numbers and booleans as
// themselves (non-finite floats as the strings "NaN", "+Inf" and "-Inf"),
// slices as arrays, maps as objects, bytes as a base64 string, and an empty
// value as null.
func appendJSONValue(b []byte, v attribute.Value) []byte {
	switch v.Type() {
	case attribute.STRING:
		return appendJSONString(b, v.AsString())
	case attribute.BOOL:
		return strconv.AppendBool(b, v.AsBool())
	case attribute.INT64:
		return strconv.AppendInt(b, v.AsInt64(), 10)
	case attribute.FLOAT64:
		return appendJSONFloat(b, v.AsFloat64())
	case attribute.BOOLSLICE:
		return appendJSONArray(b, v.AsBoolSlice(), strconv.AppendBool)
	case attribute.INT64SLICE:
		return appendJSONArray(b, v.AsInt64Slice(), func(b []byte, n int64) []byte { return strconv.AppendInt(b, n, 10) })
	case attribute.FLOAT64SLICE:
		return appendJSONArray(b, v.AsFloat64Slice(), appendJSONFloat)
	case attribute.STRINGSLICE:
		return appendJSONArray(b, v.AsStringSlice(), appendJSONString)
	case attribute.SLICE:
		return appendJSONArray(b, v.AsSlice(), appendJSONValue)
	case attribute.BYTESLICE:
		b = append(b, '"')
		b = base64.StdEncoding.AppendEncode(b, v.AsByteSlice())
		return append(b, '"')
	case attribute.MAP:
		b = append(b, '{')
		for i, kv := range v.AsMap() {
			if i > 0 {
				b = append(b, ',')
			}
			b = appendJSONString(b, string(kv.Key))
			b = append(b, ':')
			b = appendJSONValue(b, kv.Value)
		}
		return append(b, '}')
	default:
		return append(b, "null"...)
	}
}

func appendJSONArray[T any](b []byte, s []T, f func([]byte, T) []byte) []byte {
	b = append(b, '[')
	for i, x := range s {
		if i > 0 {
			b = append(b, ',')
		}
		b = f(b, x)
	}
	return append(b, ']')
}

func appendJSONFloat(b []byte, f float64) []byte {
	switch {
	case math.IsNaN(f):
		return append(b, `"NaN"`...)
	case math.IsInf(f, 1):
		return append(b, `"+Inf"`...)
	case math.IsInf(f, -1):
		return append(b, `"-Inf"`...)
	}
	return strconv.AppendFloat(b, f, 'g', -1, 64)
}

// appendJSONString appends s as a JSON string. Besides what JSON requires,
// it escapes DEL, C1 controls and the characters that break lines or
// reorder text, so that a line cannot steer a terminal, and replaces
// invalid UTF-8 with U+FFFD.
func appendJSONString(b []byte, s string) []byte {
	b = append(b, '"')
	start := 0
	for i := 0; i < len(s); {
		c := s[i]
		if c >= 0x20 && c != '"' && c != '\\' && c < 0x7f {
			i++
			continue
		}
		if c < utf8.RuneSelf {
			b = append(b, s[start:i]...)
			switch c {
			case '"', '\\':
				b = append(b, '\\', c)
			case '\n':
				b = append(b, `\n`...)
			case '\r':
				b = append(b, `\r`...)
			case '\t':
				b = append(b, `\t`...)
			default:
				b = appendHexEscape(b, 'u', uint32(c), 4)
			}
			i++
			start = i
			continue
		}
		r, size := utf8.DecodeRuneInString(s[i:])
		switch {
		case r == utf8.RuneError && size == 1:
			b = append(b, s[start:i]...)
			b = append(b, `\ufffd`...)
		case unsafeRune(r):
			b = append(b, s[start:i]...)
			b = appendHexEscape(b, 'u', uint32(r), 4)
		default:
			i += size
			continue
		}
		i += size
		start = i
	}
	b = append(b, s[start:]...)
	return append(b, '"')
}
