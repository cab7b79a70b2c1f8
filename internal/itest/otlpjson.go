package itest

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"math"
	"strconv"
	"strings"
)

// Span is one span from the collector's OTLP-JSON output, flattened.
type Span struct {
	Name         string
	TraceID      string // lowercase hex, 32 digits
	SpanID       string // lowercase hex, 16 digits
	ParentSpanID string // lowercase hex, or "" for a root span
	Kind         int    // 0 unspecified, 1 internal, 2 server, 3 client, 4 producer, 5 consumer
	// Attributes and Resource hold flattened values: string, int64, float64,
	// bool, []byte, []any (arrays), map[string]any (kvlists) or nil.
	Attributes    map[string]any
	Resource      map[string]any
	Scope         string // instrumentation scope name
	StatusCode    int    // 0 unset, 1 ok, 2 error
	StatusMessage string
}

// Metric is one metric of one export from the collector's OTLP-JSON output.
// The same metric exported several times appears once per export.
type Metric struct {
	Name        string
	Description string
	Unit        string
	Type        string // "sum", "gauge", "histogram", "exponentialHistogram" or "summary"
	Resource    map[string]any
	Scope       string
	DataPoints  []DataPoint
}

// DataPoint is one data point of a Metric.
type DataPoint struct {
	Attributes map[string]any
	// Value is asInt or asDouble for sum and gauge points, and count for
	// histogram, exponential histogram and summary points.
	Value float64
	// Sum is the sum of histogram, exponential histogram and summary points.
	Sum float64
}

// LogRecord is one log record from the collector's OTLP-JSON output.
type LogRecord struct {
	Body           any // flattened like attribute values
	SeverityText   string
	SeverityNumber int
	TraceID        string
	SpanID         string
	Attributes     map[string]any
	Resource       map[string]any
	Scope          string
}

// --- OTLP-JSON wire structs (only the fields used here) ---

type keyValue struct {
	Key   string   `json:"key"`
	Value anyValue `json:"value"`
}

type anyValue struct {
	StringValue *string    `json:"stringValue"`
	BoolValue   *bool      `json:"boolValue"`
	IntValue    *jsonInt   `json:"intValue"`
	DoubleValue *jsonFloat `json:"doubleValue"`
	BytesValue  *string    `json:"bytesValue"` // base64
	ArrayValue  *struct {
		Values []anyValue `json:"values"`
	} `json:"arrayValue"`
	KvlistValue *struct {
		Values []keyValue `json:"values"`
	} `json:"kvlistValue"`
}

type resource struct {
	Attributes []keyValue `json:"attributes"`
}

type scope struct {
	Name    string `json:"name"`
	Version string `json:"version"`
}

type tracesData struct {
	ResourceSpans []struct {
		Resource   resource `json:"resource"`
		ScopeSpans []struct {
			Scope scope `json:"scope"`
			Spans []struct {
				TraceID      string     `json:"traceId"`
				SpanID       string     `json:"spanId"`
				ParentSpanID string     `json:"parentSpanId"`
				Name         string     `json:"name"`
				Kind         jsonInt    `json:"kind"`
				Attributes   []keyValue `json:"attributes"`
				Status       struct {
					Code    jsonInt `json:"code"`
					Message string  `json:"message"`
				} `json:"status"`
			} `json:"spans"`
		} `json:"scopeSpans"`
	} `json:"resourceSpans"`
}

type numberPoint struct {
	Attributes []keyValue `json:"attributes"`
	AsInt      *jsonInt   `json:"asInt"`
	AsDouble   *jsonFloat `json:"asDouble"`
}

type countPoint struct {
	Attributes []keyValue `json:"attributes"`
	Count      jsonInt    `json:"count"`
	Sum        *jsonFloat `json:"sum"`
}

type metricsData struct {
	ResourceMetrics []struct {
		Resource     resource `json:"resource"`
		ScopeMetrics []struct {
			Scope   scope `json:"scope"`
			Metrics []struct {
				Name        string `json:"name"`
				Description string `json:"description"`
				Unit        string `json:"unit"`
				Sum         *struct {
					DataPoints []numberPoint `json:"dataPoints"`
				} `json:"sum"`
				Gauge *struct {
					DataPoints []numberPoint `json:"dataPoints"`
				} `json:"gauge"`
				Histogram *struct {
					DataPoints []countPoint `json:"dataPoints"`
				} `json:"histogram"`
				ExponentialHistogram *struct {
					DataPoints []countPoint `json:"dataPoints"`
				} `json:"exponentialHistogram"`
				Summary *struct {
					DataPoints []countPoint `json:"dataPoints"`
				} `json:"summary"`
			} `json:"metrics"`
		} `json:"scopeMetrics"`
	} `json:"resourceMetrics"`
}

type logsData struct {
	ResourceLogs []struct {
		Resource  resource `json:"resource"`
		ScopeLogs []struct {
			Scope      scope `json:"scope"`
			LogRecords []struct {
				Body           anyValue   `json:"body"`
				SeverityText   string     `json:"severityText"`
				SeverityNumber jsonInt    `json:"severityNumber"`
				TraceID        string     `json:"traceId"`
				SpanID         string     `json:"spanId"`
				Attributes     []keyValue `json:"attributes"`
			} `json:"logRecords"`
		} `json:"scopeLogs"`
	} `json:"resourceLogs"`
}

// jsonInt accepts an integer as a JSON number, a decimal string (OTLP-JSON
// encodes 64-bit integers as strings) or an enum name such as
// "SPAN_KIND_SERVER".
type jsonInt int64

func (v *jsonInt) UnmarshalJSON(b []byte) error {
	s := string(b)
	if s == "null" {
		return nil
	}
	if strings.HasPrefix(s, `"`) {
		if err := json.Unmarshal(b, &s); err != nil {
			return err
		}
		if n, ok := enumValues[s]; ok {
			*v = jsonInt(n)
			return nil
		}
	}
	if n, err := strconv.ParseInt(s, 10, 64); err == nil {
		*v = jsonInt(n)
		return nil
	}
	if n, err := strconv.ParseUint(s, 10, 64); err == nil { // counts are uint64
		*v = jsonInt(int64(min(n, math.MaxInt64)))
		return nil
	}
	return fmt.Errorf("itest: %s is not an OTLP-JSON integer", b)
}

// jsonFloat accepts a JSON number or a string ("NaN", "Infinity", "-Infinity"
// or a decimal number).
type jsonFloat float64

func (v *jsonFloat) UnmarshalJSON(b []byte) error {
	s := string(b)
	if s == "null" {
		return nil
	}
	if strings.HasPrefix(s, `"`) {
		if err := json.Unmarshal(b, &s); err != nil {
			return err
		}
	}
	switch s {
	case "Infinity":
		s = "+Inf"
	case "-Infinity":
		s = "-Inf"
	}
	f, err := strconv.ParseFloat(s, 64)
	if err != nil {
		return fmt.Errorf("itest: %s is not an OTLP-JSON number", b)
	}
	*v = jsonFloat(f)
	return nil
}

// enumValues maps OTLP enum names to their numbers, for producers that write
// enums by name.
var enumValues = func() map[string]int64 {
	m := map[string]int64{
		"SPAN_KIND_UNSPECIFIED": 0, "SPAN_KIND_INTERNAL": 1, "SPAN_KIND_SERVER": 2,
		"SPAN_KIND_CLIENT": 3, "SPAN_KIND_PRODUCER": 4, "SPAN_KIND_CONSUMER": 5,
		"STATUS_CODE_UNSET": 0, "STATUS_CODE_OK": 1, "STATUS_CODE_ERROR": 2,
		"SEVERITY_NUMBER_UNSPECIFIED": 0,
	}
	for i, name := range []string{"TRACE", "DEBUG", "INFO", "WARN", "ERROR", "FATAL"} {
		base := int64(i*4 + 1)
		m["SEVERITY_NUMBER_"+name] = base
		for j := int64(2); j <= 4; j++ {
			m["SEVERITY_NUMBER_"+name+strconv.FormatInt(j, 10)] = base + j - 1
		}
	}
	return m
}()

// flatten turns an OTLP AnyValue into a plain Go value.
func (a anyValue) flatten() any {
	switch {
	case a.StringValue != nil:
		return *a.StringValue
	case a.BoolValue != nil:
		return *a.BoolValue
	case a.IntValue != nil:
		return int64(*a.IntValue)
	case a.DoubleValue != nil:
		return float64(*a.DoubleValue)
	case a.BytesValue != nil:
		if b, err := base64.StdEncoding.DecodeString(*a.BytesValue); err == nil {
			return b
		}
		return *a.BytesValue
	case a.ArrayValue != nil:
		out := make([]any, len(a.ArrayValue.Values))
		for i, v := range a.ArrayValue.Values {
			out[i] = v.flatten()
		}
		return out
	case a.KvlistValue != nil:
		return attrs(a.KvlistValue.Values)
	}
	return nil
}

func attrs(kvs []keyValue) map[string]any {
	m := make(map[string]any, len(kvs))
	for _, kv := range kvs {
		m[kv.Key] = kv.Value.flatten()
	}
	return m
}

// eachLine decodes each non-empty line of data as a JSON document into a new T.
func eachLine[T any](data []byte, fn func(*T)) error {
	for n, line := range bytes.Split(data, []byte("\n")) {
		line = bytes.TrimSpace(line)
		if len(line) == 0 {
			continue
		}
		var doc T
		if err := json.Unmarshal(line, &doc); err != nil {
			return fmt.Errorf("line %d: %v", n+1, err)
		}
		fn(&doc)
	}
	return nil
}

// decodeTraces decodes OTLP-JSON lines (one ExportTraceServiceRequest each).
func decodeTraces(data []byte) ([]Span, error) {
	var out []Span
	err := eachLine(data, func(d *tracesData) {
		for _, rs := range d.ResourceSpans {
			res := attrs(rs.Resource.Attributes)
			for _, ss := range rs.ScopeSpans {
				for _, s := range ss.Spans {
					out = append(out, Span{
						Name:          s.Name,
						TraceID:       strings.ToLower(s.TraceID),
						SpanID:        strings.ToLower(s.SpanID),
						ParentSpanID:  strings.ToLower(s.ParentSpanID),
						Kind:          int(s.Kind),
						Attributes:    attrs(s.Attributes),
						Resource:      res,
						Scope:         ss.Scope.Name,
						StatusCode:    int(s.Status.Code),
						StatusMessage: s.Status.Message,
					})
				}
			}
		}
	})
	return out, err
}

// decodeMetrics decodes OTLP-JSON lines (one ExportMetricsServiceRequest each).
func decodeMetrics(data []byte) ([]Metric, error) {
	var out []Metric
	err := eachLine(data, func(d *metricsData) {
		for _, rm := range d.ResourceMetrics {
			res := attrs(rm.Resource.Attributes)
			for _, sm := range rm.ScopeMetrics {
				for _, m := range sm.Metrics {
					metric := Metric{Name: m.Name, Description: m.Description, Unit: m.Unit, Resource: res, Scope: sm.Scope.Name}
					switch {
					case m.Sum != nil:
						metric.Type, metric.DataPoints = "sum", numberPoints(m.Sum.DataPoints)
					case m.Gauge != nil:
						metric.Type, metric.DataPoints = "gauge", numberPoints(m.Gauge.DataPoints)
					case m.Histogram != nil:
						metric.Type, metric.DataPoints = "histogram", countPoints(m.Histogram.DataPoints)
					case m.ExponentialHistogram != nil:
						metric.Type, metric.DataPoints = "exponentialHistogram", countPoints(m.ExponentialHistogram.DataPoints)
					case m.Summary != nil:
						metric.Type, metric.DataPoints = "summary", countPoints(m.Summary.DataPoints)
					}
					out = append(out, metric)
				}
			}
		}
	})
	return out, err
}

func numberPoints(pts []numberPoint) []DataPoint {
	out := make([]DataPoint, 0, len(pts))
	for _, p := range pts {
		dp := DataPoint{Attributes: attrs(p.Attributes)}
		if p.AsInt != nil {
			dp.Value = float64(*p.AsInt)
		} else if p.AsDouble != nil {
			dp.Value = float64(*p.AsDouble)
		}
		out = append(out, dp)
	}
	return out
}

func countPoints(pts []countPoint) []DataPoint {
	out := make([]DataPoint, 0, len(pts))
	for _, p := range pts {
		dp := DataPoint{Attributes: attrs(p.Attributes), Value: float64(p.Count)}
		if p.Sum != nil {
			dp.Sum = float64(*p.Sum)
		}
		out = append(out, dp)
	}
	return out
}

// decodeLogs decodes OTLP-JSON lines (one ExportLogsServiceRequest each).
func decodeLogs(data []byte) ([]LogRecord, error) {
	var out []LogRecord
	err := eachLine(data, func(d *logsData) {
		for _, rl := range d.ResourceLogs {
			res := attrs(rl.Resource.Attributes)
			for _, sl := range rl.ScopeLogs {
				for _, l := range sl.LogRecords {
					out = append(out, LogRecord{
						Body:           l.Body.flatten(),
						SeverityText:   l.SeverityText,
						SeverityNumber: int(l.SeverityNumber),
						TraceID:        strings.ToLower(l.TraceID),
						SpanID:         strings.ToLower(l.SpanID),
						Attributes:     attrs(l.Attributes),
						Resource:       res,
						Scope:          sl.Scope.Name,
					})
				}
			}
		}
	})
	return out, err
}
