package instrument_test

import (
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/codes"
	"go.opentelemetry.io/otel/trace"

	"github.com/observe-go/observe/instrument"
)

func TestHTTPHandlerSemanticConventions(t *testing.T) {
	type want struct {
		code     int
		name     string
		attrs    map[attribute.Key]attribute.Value
		absent   []attribute.Key
		status   codes.Code
		errType  string // "" means error.type absent
		rawPaths []string
	}
	tests := []struct {
		name   string
		method string
		target string
		body   string
		want   want
	}{
		{
			name:   "matched GET route",
			method: http.MethodGet,
			target: "http://example.com:8080/users/42",
			want: want{
				code: http.StatusOK,
				name: "GET /users/{id}",
				attrs: map[attribute.Key]attribute.Value{
					"http.request.method":       attribute.StringValue("GET"),
					"url.path":                  attribute.StringValue("/users/42"),
					"url.scheme":                attribute.StringValue("http"),
					"http.route":                attribute.StringValue("/users/{id}"),
					"http.response.status_code": attribute.IntValue(200),
					"client.address":            attribute.StringValue("192.0.2.1"),
					"user_agent.original":       attribute.StringValue("test-agent/1.0"),
					"server.address":            attribute.StringValue("example.com"),
					"server.port":               attribute.IntValue(8080),
					"network.protocol.version":  attribute.StringValue("1.1"),
				},
				absent: []attribute.Key{"http.request.method_original", "url.query"},
				status: codes.Unset,
			},
		},
		{
			name:   "POST created",
			method: http.MethodPost,
			target: "http://example.com/orders",
			body:   "hello",
			want: want{
				code: http.StatusCreated,
				name: "POST /orders",
				attrs: map[attribute.Key]attribute.Value{
					"http.request.method":       attribute.StringValue("POST"),
					"http.route":                attribute.StringValue("/orders"),
					"http.response.status_code": attribute.IntValue(201),
					"server.address":            attribute.StringValue("example.com"),
				},
				status: codes.Unset,
			},
		},
		{
			name:   "422 is not a server error",
			method: http.MethodPut,
			target: "http://example.com/items/7",
			want: want{
				code: http.StatusUnprocessableEntity,
				name: "PUT /items/{id}",
				attrs: map[attribute.Key]attribute.Value{
					"http.route":                attribute.StringValue("/items/{id}"),
					"http.response.status_code": attribute.IntValue(422),
				},
				status: codes.Unset,
			},
		},
		{
			name:   "500 is an error",
			method: http.MethodGet,
			target: "http://example.com/fail",
			want: want{
				code: http.StatusInternalServerError,
				name: "GET /fail",
				attrs: map[attribute.Key]attribute.Value{
					"http.route":                attribute.StringValue("/fail"),
					"http.response.status_code": attribute.IntValue(500),
				},
				status:  codes.Error,
				errType: "500",
			},
		},
		{
			name:   "503 is an error",
			method: http.MethodGet,
			target: "http://example.com/unavailable",
			want: want{
				code: http.StatusServiceUnavailable,
				name: "GET /unavailable",
				attrs: map[attribute.Key]attribute.Value{
					"http.response.status_code": attribute.IntValue(503),
				},
				status:  codes.Error,
				errType: "503",
			},
		},
		{
			name:   "unmatched path answered 404 by the mux",
			method: http.MethodGet,
			target: "http://example.com/nowhere/secret-path-123",
			want: want{
				code: http.StatusNotFound,
				name: "GET",
				attrs: map[attribute.Key]attribute.Value{
					"http.request.method":       attribute.StringValue("GET"),
					"http.response.status_code": attribute.IntValue(404),
				},
				absent:   []attribute.Key{"http.route"},
				status:   codes.Unset,
				rawPaths: []string{"nowhere", "secret-path-123"},
			},
		},
		{
			name:   "unknown method",
			method: "FOO",
			target: "http://example.com/users/42",
			want: want{
				code: http.StatusMethodNotAllowed,
				name: "HTTP",
				attrs: map[attribute.Key]attribute.Value{
					"http.request.method":          attribute.StringValue("_OTHER"),
					"http.request.method_original": attribute.StringValue("FOO"),
					"http.response.status_code":    attribute.IntValue(405),
				},
				absent:   []attribute.Key{"http.route"},
				status:   codes.Unset,
				rawPaths: []string{"users/42"},
			},
		},
		{
			name:   "unknown method on a route for any method",
			method: "FOO",
			target: "http://example.com/any",
			want: want{
				code: http.StatusOK,
				name: "HTTP /any",
				attrs: map[attribute.Key]attribute.Value{
					"http.request.method":          attribute.StringValue("_OTHER"),
					"http.request.method_original": attribute.StringValue("FOO"),
					"http.route":                   attribute.StringValue("/any"),
				},
				status: codes.Unset,
			},
		},
		{
			name:   "HEAD matches the GET pattern",
			method: http.MethodHead,
			target: "http://example.com/users/42",
			want: want{
				code: http.StatusOK,
				name: "HEAD /users/{id}",
				attrs: map[attribute.Key]attribute.Value{
					"http.request.method":       attribute.StringValue("HEAD"),
					"http.route":                attribute.StringValue("/users/{id}"),
					"http.response.status_code": attribute.IntValue(200),
				},
				status: codes.Unset,
			},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			tel := newTelemetry(t)
			h := tel.handler(testMux())
			var body *strings.Reader
			if tt.body != "" {
				body = strings.NewReader(tt.body)
			}
			var r *http.Request
			if body != nil {
				r = httptest.NewRequest(tt.method, tt.target, body)
			} else {
				r = httptest.NewRequest(tt.method, tt.target, nil)
			}
			r.Header.Set("User-Agent", "test-agent/1.0")
			w := serveOne(h, r)
			if w.Code != tt.want.code {
				t.Fatalf("response code = %d, want %d", w.Code, tt.want.code)
			}

			spans := tel.ended(t, 1)
			s := spans[0]
			if s.Name() != tt.want.name {
				t.Errorf("span name = %q, want %q", s.Name(), tt.want.name)
			}
			if s.SpanKind() != trace.SpanKindServer {
				t.Errorf("span kind = %v, want server", s.SpanKind())
			}
			got := attrMap(s.Attributes())
			for k, v := range tt.want.attrs {
				if g, ok := got[k]; !ok {
					t.Errorf("attribute %s missing", k)
				} else if g != v {
					t.Errorf("attribute %s = %v (%s), want %v (%s)", k, g.Emit(), g.Type(), v.Emit(), v.Type())
				}
			}
			if v, ok := got["http.response.status_code"]; !ok || v.Type() != attribute.INT64 {
				t.Errorf("http.response.status_code = %v, want an int", v)
			}
			id := got[instrument.RequestIDAttribute].AsString()
			if id == "" || id != w.Header().Get(instrument.RequestIDHeader) {
				t.Errorf("%s = %q, response %s = %q", instrument.RequestIDAttribute, id,
					instrument.RequestIDHeader, w.Header().Get(instrument.RequestIDHeader))
			}
			for _, k := range tt.want.absent {
				if v, ok := got[k]; ok {
					t.Errorf("attribute %s = %v, want none", k, v.Emit())
				}
			}
			if s.Status().Code != tt.want.status {
				t.Errorf("status = %v, want %v", s.Status().Code, tt.want.status)
			}
			if v, ok := got["error.type"]; tt.want.errType == "" && ok {
				t.Errorf("error.type = %q, want none", v.Emit())
			} else if tt.want.errType != "" && v.AsString() != tt.want.errType {
				t.Errorf("error.type = %q, want %q", v.Emit(), tt.want.errType)
			}
			// A raw path may only be in url.path: never in the name, in
			// any other attribute, or in a metric attribute.
			for _, raw := range tt.want.rawPaths {
				if strings.Contains(s.Name(), raw) {
					t.Errorf("span name %q holds the raw path %q", s.Name(), raw)
				}
				for _, kv := range s.Attributes() {
					if kv.Key != "url.path" && strings.Contains(kv.Value.Emit(), raw) {
						t.Errorf("attribute %s = %q holds the raw path %q", kv.Key, kv.Value.Emit(), raw)
					}
				}
				if strings.Contains(tel.metricAttrsText(t), raw) {
					t.Errorf("metric attributes hold the raw path %q", raw)
				}
			}
		})
	}
}

// metricAttrsText renders every attribute of every data point collected.
func (tel *telemetry) metricAttrsText(t *testing.T) string {
	t.Helper()
	var b strings.Builder
	for _, set := range tel.metricAttrSets(t) {
		b.WriteString(set.Encoded(attribute.DefaultEncoder()))
		b.WriteByte('\n')
	}
	return b.String()
}
