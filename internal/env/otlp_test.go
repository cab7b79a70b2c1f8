package env

import (
	"strings"
	"testing"
)

func TestReadOTLP(t *testing.T) {
	for _, tc := range []struct {
		name     string
		vars     map[string]string
		signal   string
		endpoint string
		protocol string
		headers  map[string]string
		timeout  string
		gzip     bool
	}{
		{name: "defaults http", signal: "traces", endpoint: "http://localhost:4318/v1/traces", protocol: "http/protobuf", timeout: "10s"},
		{name: "defaults grpc", vars: map[string]string{"OTEL_EXPORTER_OTLP_PROTOCOL": "grpc"}, signal: "logs", endpoint: "http://localhost:4317", protocol: "grpc", timeout: "10s"},
		{name: "generic base gets the path", vars: map[string]string{"OTEL_EXPORTER_OTLP_ENDPOINT": "https://otel.example.com/ingest/"}, signal: "metrics", endpoint: "https://otel.example.com/ingest/v1/metrics", protocol: "http/protobuf", timeout: "10s"},
		{name: "per-signal endpoint used as it is", vars: map[string]string{"OTEL_EXPORTER_OTLP_ENDPOINT": "http://a:4318", "OTEL_EXPORTER_OTLP_LOGS_ENDPOINT": "http://b:9999/custom"}, signal: "logs", endpoint: "http://b:9999/custom", protocol: "http/protobuf", timeout: "10s"},
		{name: "grpc keeps the base", vars: map[string]string{"OTEL_EXPORTER_OTLP_ENDPOINT": "http://c:4317", "OTEL_EXPORTER_OTLP_TRACES_PROTOCOL": "grpc"}, signal: "traces", endpoint: "http://c:4317", protocol: "grpc", timeout: "10s"},
		{
			name:   "per-signal headers, timeout and compression win",
			vars:   map[string]string{"OTEL_EXPORTER_OTLP_HEADERS": "a=1", "OTEL_EXPORTER_OTLP_METRICS_HEADERS": "api-key=s%3Dx,b=2", "OTEL_EXPORTER_OTLP_TIMEOUT": "100", "OTEL_EXPORTER_OTLP_METRICS_TIMEOUT": "2500", "OTEL_EXPORTER_OTLP_METRICS_COMPRESSION": "gzip"},
			signal: "metrics", endpoint: "http://localhost:4318/v1/metrics", protocol: "http/protobuf", headers: map[string]string{"api-key": "s=x", "b": "2"}, timeout: "2.5s", gzip: true,
		},
	} {
		t.Run(tc.name, func(t *testing.T) {
			all, err := New(FromMap(tc.vars)).OTLP()
			if err != nil {
				t.Fatal(err)
			}
			s := all[map[string]int{"traces": 0, "metrics": 1, "logs": 2}[tc.signal]]
			if s.Endpoint.String() != tc.endpoint || s.Protocol != tc.protocol || s.Timeout.String() != tc.timeout || s.Gzip != tc.gzip {
				t.Errorf("got %s %s %s gzip=%v; want %s %s %s gzip=%v", s.Endpoint, s.Protocol, s.Timeout, s.Gzip, tc.endpoint, tc.protocol, tc.timeout, tc.gzip)
			}
			if len(s.Headers) != len(tc.headers) {
				t.Errorf("headers = %v; want %v", s.Headers, tc.headers)
			}
			for k, v := range tc.headers {
				if got := s.HeaderMap()[k]; got != v {
					t.Errorf("header %s = %q; want %q", k, got, v)
				}
			}
		})
	}
}

func TestOTLPBadGenericValueReportedOnce(t *testing.T) {
	_, err := New(FromMap(map[string]string{"OTEL_EXPORTER_OTLP_TIMEOUT": "abc", "OTEL_EXPORTER_OTLP_COMPRESSION": "zstd"})).OTLP()
	if err == nil {
		t.Fatal("no error")
	}
	for _, key := range []string{`OTEL_EXPORTER_OTLP_TIMEOUT="abc"`, `OTEL_EXPORTER_OTLP_COMPRESSION="zstd"`} {
		if n := strings.Count(err.Error(), key); n != 1 {
			t.Errorf("%s reported %d times in %q; want once", key, n, err)
		}
	}
}
