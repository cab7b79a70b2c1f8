package forwarding

import (
	"errors"
	"strings"
	"testing"
)

// TestConfiguration covers where the upstream comes from and every
// configuration error, which must name the variable or option but never
// show the endpoint or a header value.
func TestConfiguration(t *testing.T) {
	const secret = "hunter2-secret"
	tests := []struct {
		name    string
		env     map[string]string
		opts    []Option
		urls    [numSignals]string // "" means not forwarded
		headers map[string]string  // the traces upstream's headers
		err     string             // a substring of the error; "" for none
		notConf bool               // the error wraps ErrNotConfigured
	}{
		{name: "nothing", notConf: true, err: "no OTLP/HTTP endpoint"},
		{name: "generic endpoint is a base URL",
			env:  map[string]string{"OTEL_EXPORTER_OTLP_ENDPOINT": "https://otlp.example.com/base/"},
			urls: [numSignals]string{"https://otlp.example.com/base/v1/traces", "https://otlp.example.com/base/v1/metrics", "https://otlp.example.com/base/v1/logs"}},
		{name: "per-signal endpoint used as is",
			env: map[string]string{
				"OTEL_EXPORTER_OTLP_ENDPOINT":         "http://collector:4318",
				"OTEL_EXPORTER_OTLP_TRACES_ENDPOINT":  "https://traces.example.com/custom/path",
				"OTEL_EXPORTER_OTLP_METRICS_ENDPOINT": " ",
			},
			urls: [numSignals]string{"https://traces.example.com/custom/path", "http://collector:4318/v1/metrics", "http://collector:4318/v1/logs"}},
		{name: "only one signal",
			env:  map[string]string{"OTEL_EXPORTER_OTLP_LOGS_ENDPOINT": "http://logs:4318/v1/logs"},
			urls: [numSignals]string{"", "", "http://logs:4318/v1/logs"}},
		{name: "WithEndpoint beats the environment",
			env:  map[string]string{"OTEL_EXPORTER_OTLP_TRACES_ENDPOINT": "http://env:4318/v1/traces", "OTEL_EXPORTER_OTLP_PROTOCOL": "grpc"},
			opts: []Option{WithEndpoint("http://option:4318")},
			urls: [numSignals]string{"http://option:4318/v1/traces", "http://option:4318/v1/metrics", "http://option:4318/v1/logs"}},
		{name: "headers from the environment, percent-decoded",
			env: map[string]string{
				"OTEL_EXPORTER_OTLP_ENDPOINT": "http://c:4318",
				"OTEL_EXPORTER_OTLP_HEADERS":  "Authorization=Bearer%20tok,x-b=1",
			},
			urls:    [numSignals]string{"http://c:4318/v1/traces", "http://c:4318/v1/metrics", "http://c:4318/v1/logs"},
			headers: map[string]string{"Authorization": "Bearer tok", "X-B": "1"}},
		{name: "per-signal headers replace the generic ones",
			env: map[string]string{
				"OTEL_EXPORTER_OTLP_ENDPOINT":       "http://c:4318",
				"OTEL_EXPORTER_OTLP_HEADERS":        "authorization=generic",
				"OTEL_EXPORTER_OTLP_TRACES_HEADERS": "x-traces=1",
			},
			urls:    [numSignals]string{"http://c:4318/v1/traces", "http://c:4318/v1/metrics", "http://c:4318/v1/logs"},
			headers: map[string]string{"X-Traces": "1"}},
		{name: "WithHeaders replaces the environment",
			env:     map[string]string{"OTEL_EXPORTER_OTLP_ENDPOINT": "http://c:4318", "OTEL_EXPORTER_OTLP_HEADERS": "authorization=env"},
			opts:    []Option{WithHeaders(map[string]string{"x-option": "1"})},
			urls:    [numSignals]string{"http://c:4318/v1/traces", "http://c:4318/v1/metrics", "http://c:4318/v1/logs"},
			headers: map[string]string{"X-Option": "1"}},
		{name: "grpc protocol", env: map[string]string{"OTEL_EXPORTER_OTLP_ENDPOINT": "http://c:4317", "OTEL_EXPORTER_OTLP_PROTOCOL": "grpc"},
			err: "OTEL_EXPORTER_OTLP_PROTOCOL=grpc"},
		{name: "grpc for traces only", env: map[string]string{"OTEL_EXPORTER_OTLP_ENDPOINT": "http://c:4318", "OTEL_EXPORTER_OTLP_TRACES_PROTOCOL": "GRPC"},
			err: "OTEL_EXPORTER_OTLP_TRACES_PROTOCOL=grpc"},
		{name: "bad endpoint", env: map[string]string{"OTEL_EXPORTER_OTLP_ENDPOINT": "ftp://user:" + secret + "@c/"},
			err: "OTEL_EXPORTER_OTLP_ENDPOINT: want an http:// or https:// URL"},
		{name: "bad per-signal endpoint", env: map[string]string{"OTEL_EXPORTER_OTLP_METRICS_ENDPOINT": "http://" + secret + ".example/?q=1"},
			err: "OTEL_EXPORTER_OTLP_METRICS_ENDPOINT: the URL must not have a query"},
		{name: "bad WithEndpoint", opts: []Option{WithEndpoint(secret)}, err: "WithEndpoint: want an http:// or https:// URL"},
		{name: "malformed header list", env: map[string]string{"OTEL_EXPORTER_OTLP_ENDPOINT": "http://c", "OTEL_EXPORTER_OTLP_HEADERS": "Bearer " + secret},
			err: "OTEL_EXPORTER_OTLP_HEADERS"},
		{name: "header with a newline", opts: []Option{WithEndpoint("http://c"), WithHeaders(map[string]string{"Authorization": secret + "\r\nX-Evil: 1"})},
			err: `WithHeaders: header "Authorization": the value holds a control character`},
		{name: "header with a bad name", opts: []Option{WithEndpoint("http://c"), WithHeaders(map[string]string{"Bad Name": secret})},
			err: "not a valid HTTP header name"},
		{name: "reserved header", env: map[string]string{"OTEL_EXPORTER_OTLP_ENDPOINT": "http://c", "OTEL_EXPORTER_OTLP_HEADERS": "host=" + secret},
			err: `OTEL_EXPORTER_OTLP_HEADERS: header "host": this header is set by the handler`},
		{name: "wildcard with credentials", opts: []Option{WithEndpoint("http://c"), WithAllowedOrigins("*"), WithCredentials()},
			err: "cannot be combined with WithCredentials"},
		{name: "credentials without origins", opts: []Option{WithEndpoint("http://c"), WithCredentials()},
			err: "WithCredentials needs WithAllowedOrigins"},
		{name: "origin with a path", opts: []Option{WithEndpoint("http://c"), WithAllowedOrigins("https://app.example/page")},
			err: "WithAllowedOrigins"},
		{name: "origin without scheme", opts: []Option{WithEndpoint("http://c"), WithAllowedOrigins("app.example")},
			err: "want an http:// or https:// origin"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			opts := append([]Option{WithEnvLookup(mapEnv(tt.env))}, tt.opts...)
			h, err := New(opts...)
			if tt.err != "" {
				if err == nil {
					t.Fatalf("New() succeeded, want an error with %q", tt.err)
				}
				if !strings.Contains(err.Error(), tt.err) {
					t.Errorf("error %q, want it to contain %q", err, tt.err)
				}
				if strings.Contains(err.Error(), secret) {
					t.Errorf("error %q shows a secret", err)
				}
				if errors.Is(err, ErrNotConfigured) != tt.notConf {
					t.Errorf("errors.Is(err, ErrNotConfigured) = %v, want %v", !tt.notConf, tt.notConf)
				}
				return
			}
			if err != nil {
				t.Fatalf("New: %v", err)
			}
			for s := range numSignals {
				got := ""
				if u := h.upstreams[s].url; u != nil {
					got = u.String()
				}
				if got != tt.urls[s] {
					t.Errorf("%v upstream %q, want %q", s, got, tt.urls[s])
				}
			}
			if tt.headers != nil {
				got := h.upstreams[sigTraces].header
				if len(got) != len(tt.headers) {
					t.Errorf("headers %v, want %v", got, tt.headers)
				}
				for k, v := range tt.headers {
					if got.Get(k) != v {
						t.Errorf("header %s = %q, want %q", k, got.Get(k), v)
					}
				}
			}
		})
	}
}

// TestOptionsIgnoreZeroValues: nil and zero arguments leave the defaults.
func TestOptionsIgnoreZeroValues(t *testing.T) {
	c := newConfig([]Option{
		WithEndpoint(""), WithHeaders(nil), WithClient(nil), WithMaxBodyBytes(0),
		WithMaxBodyBytes(-1), WithMaxInFlight(0), WithAuthorizer(nil), WithMeterProvider(nil),
		WithEnvLookup(nil), nil,
	})
	if c.endpoint != "" || c.headersSet || c.client != nil || c.maxBody != DefaultMaxBodyBytes ||
		c.maxInFlight != DefaultMaxInFlight || c.authorizer != nil || c.meterProvider != nil || c.lookup != nil {
		t.Errorf("zero-valued options changed the config: %+v", c)
	}
}
