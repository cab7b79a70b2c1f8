package itest

import (
	"math"
	"reflect"
	"testing"
)

func TestDecodeTraces(t *testing.T) {
	data := []byte(`{"resourceSpans":[{"resource":{"attributes":[{"key":"service.name","value":{"stringValue":"svc"}}]},"scopeSpans":[{"scope":{"name":"lib","version":"1"},"spans":[` +
		`{"traceId":"5B8EFFF798038103D269B633813FC60C","spanId":"eee19b7ec3c1b174","parentSpanId":"","name":"root","kind":2,"attributes":[` +
		`{"key":"s","value":{"stringValue":"x"}},{"key":"i","value":{"intValue":"-9007199254740993"}},{"key":"i2","value":{"intValue":7}},` +
		`{"key":"d","value":{"doubleValue":1.5}},{"key":"dn","value":{"doubleValue":"NaN"}},{"key":"b","value":{"boolValue":false}},` +
		`{"key":"arr","value":{"arrayValue":{"values":[{"stringValue":"a"},{"intValue":"2"}]}}},` +
		`{"key":"kv","value":{"kvlistValue":{"values":[{"key":"k","value":{"boolValue":true}}]}}},` +
		`{"key":"bytes","value":{"bytesValue":"aGk="}},{"key":"empty","value":{}}],"status":{"code":2,"message":"boom"}},` +
		`{"traceId":"5b8efff798038103d269b633813fc60c","spanId":"eee19b7ec3c1b175","parentSpanId":"eee19b7ec3c1b174","name":"child","kind":"SPAN_KIND_CLIENT","status":{"code":"STATUS_CODE_OK"}}` +
		`]}]}]}` + "\n\n" +
		`{"resourceSpans":[{"resource":{},"scopeSpans":[{"scope":{},"spans":[{"traceId":"01","spanId":"02","name":"second-line"}]}]}]}` + "\n")
	spans, err := decodeTraces(data)
	if err != nil {
		t.Fatal(err)
	}
	if len(spans) != 3 {
		t.Fatalf("got %d spans, want 3: %+v", len(spans), spans)
	}
	root, child := spans[0], spans[1]
	if root.Name != "root" || root.TraceID != "5b8efff798038103d269b633813fc60c" || root.SpanID != "eee19b7ec3c1b174" ||
		root.ParentSpanID != "" || root.Kind != 2 || root.Scope != "lib" || root.StatusCode != 2 || root.StatusMessage != "boom" {
		t.Errorf("root span = %+v", root)
	}
	if got := root.Resource["service.name"]; got != "svc" {
		t.Errorf("resource service.name = %#v", got)
	}
	a := root.Attributes
	if a["s"] != "x" || a["i"] != int64(-9007199254740993) || a["i2"] != int64(7) || a["d"] != 1.5 || a["b"] != false {
		t.Errorf("scalar attributes = %#v", a)
	}
	if f, ok := a["dn"].(float64); !ok || !math.IsNaN(f) {
		t.Errorf("dn = %#v, want NaN", a["dn"])
	}
	if !reflect.DeepEqual(a["arr"], []any{"a", int64(2)}) {
		t.Errorf("arr = %#v", a["arr"])
	}
	if !reflect.DeepEqual(a["kv"], map[string]any{"k": true}) {
		t.Errorf("kv = %#v", a["kv"])
	}
	if !reflect.DeepEqual(a["bytes"], []byte("hi")) {
		t.Errorf("bytes = %#v", a["bytes"])
	}
	if v, ok := a["empty"]; !ok || v != nil {
		t.Errorf("empty = %#v, %v", v, ok)
	}
	if child.Kind != 3 || child.StatusCode != 1 || child.ParentSpanID != root.SpanID {
		t.Errorf("child span = %+v", child)
	}
	if spans[2].Name != "second-line" {
		t.Errorf("third span = %+v", spans[2])
	}
}

func TestDecodeMetrics(t *testing.T) {
	data := []byte(`{"resourceMetrics":[{"resource":{"attributes":[{"key":"service.name","value":{"stringValue":"svc"}}]},"scopeMetrics":[{"scope":{"name":"meter"},"metrics":[` +
		`{"name":"requests","unit":"{request}","sum":{"dataPoints":[{"attributes":[{"key":"code","value":{"intValue":"200"}}],"asInt":"7"}],"aggregationTemporality":2,"isMonotonic":true}},` +
		`{"name":"temp","unit":"Cel","gauge":{"dataPoints":[{"asDouble":21.5}]}},` +
		`{"name":"latency","unit":"s","histogram":{"dataPoints":[{"count":"3","sum":1.25,"bucketCounts":["1","2"],"explicitBounds":[0.5]}],"aggregationTemporality":2}},` +
		`{"name":"sizes","exponentialHistogram":{"dataPoints":[{"count":"4","sum":10}]}}` +
		`]}]}]}` + "\n")
	ms, err := decodeMetrics(data)
	if err != nil {
		t.Fatal(err)
	}
	want := []Metric{
		{Name: "requests", Unit: "{request}", Type: "sum", Scope: "meter", Resource: map[string]any{"service.name": "svc"},
			DataPoints: []DataPoint{{Attributes: map[string]any{"code": int64(200)}, Value: 7}}},
		{Name: "temp", Unit: "Cel", Type: "gauge", Scope: "meter", Resource: map[string]any{"service.name": "svc"},
			DataPoints: []DataPoint{{Attributes: map[string]any{}, Value: 21.5}}},
		{Name: "latency", Unit: "s", Type: "histogram", Scope: "meter", Resource: map[string]any{"service.name": "svc"},
			DataPoints: []DataPoint{{Attributes: map[string]any{}, Value: 3, Sum: 1.25}}},
		{Name: "sizes", Type: "exponentialHistogram", Scope: "meter", Resource: map[string]any{"service.name": "svc"},
			DataPoints: []DataPoint{{Attributes: map[string]any{}, Value: 4, Sum: 10}}},
	}
	if !reflect.DeepEqual(ms, want) {
		t.Errorf("metrics =\n%+v\nwant\n%+v", ms, want)
	}
}

func TestDecodeLogs(t *testing.T) {
	data := []byte(`{"resourceLogs":[{"resource":{"attributes":[{"key":"service.name","value":{"stringValue":"svc"}}]},"scopeLogs":[{"scope":{"name":"logger"},"logRecords":[` +
		`{"timeUnixNano":"1","severityNumber":9,"severityText":"INFO","body":{"stringValue":"hello"},"attributes":[{"key":"user","value":{"stringValue":"ann"}}],"traceId":"5b8efff798038103d269b633813fc60c","spanId":"eee19b7ec3c1b174"},` +
		`{"severityNumber":"SEVERITY_NUMBER_WARN2","body":{"kvlistValue":{"values":[{"key":"n","value":{"intValue":"1"}}]}}}` +
		`]}]}]}` + "\n")
	logs, err := decodeLogs(data)
	if err != nil {
		t.Fatal(err)
	}
	want := []LogRecord{
		{Body: "hello", SeverityText: "INFO", SeverityNumber: 9, TraceID: "5b8efff798038103d269b633813fc60c", SpanID: "eee19b7ec3c1b174",
			Attributes: map[string]any{"user": "ann"}, Resource: map[string]any{"service.name": "svc"}, Scope: "logger"},
		{Body: map[string]any{"n": int64(1)}, SeverityNumber: 14,
			Attributes: map[string]any{}, Resource: map[string]any{"service.name": "svc"}, Scope: "logger"},
	}
	if !reflect.DeepEqual(logs, want) {
		t.Errorf("logs =\n%#v\nwant\n%#v", logs, want)
	}
}

func TestDecodeRejectsBadJSON(t *testing.T) {
	if _, err := decodeTraces([]byte("{\"resourceSpans\": [\n")); err == nil {
		t.Error("decodeTraces accepted a truncated document")
	}
	if _, err := decodeMetrics([]byte(`{"resourceMetrics":[{"scopeMetrics":[{"metrics":[{"sum":{"dataPoints":[{"asInt":"x"}]}}]}]}]}`)); err == nil {
		t.Error(`decodeMetrics accepted asInt "x"`)
	}
}
