package instrument_test

import (
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strconv"
	"strings"
	"testing"

	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/codes"
	"go.opentelemetry.io/otel/propagation"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/trace"

	"github.com/observe-go/observe/instrument"
)

func TestClientServerEndToEnd(t *testing.T) {
	prop := propagation.NewCompositeTextMapPropagator(propagation.TraceContext{}, propagation.Baggage{})
	tel := newTelemetry(t)
	headers := make(chan http.Header, 1)
	mux := testMux()
	mux.HandleFunc("GET /echo-headers", func(w http.ResponseWriter, r *http.Request) {
		headers <- r.Header.Clone()
	})
	srv := httptest.NewServer(tel.handler(mux, instrument.WithPropagator(prop)))
	defer srv.Close()
	client := instrument.WrapClient(srv.Client(),
		instrument.WithTracerProvider(tel.tp), instrument.WithMeterProvider(tel.mp), instrument.WithPropagator(prop))
	u, err := url.Parse(srv.URL)
	if err != nil {
		t.Fatal(err)
	}
	port, _ := strconv.Atoi(u.Port())

	tests := []struct {
		name       string
		template   string // ContextWithURLTemplate
		path       string
		userinfo   string
		wantCode   int
		wantName   string
		wantStatus codes.Code
		wantFull   string // url.full after the host
		secrets    []string
	}{
		{
			name: "200 with credentials and secrets", path: "/users/42?api_key=k-secret-1&token=t-secret-2&name=x",
			userinfo: "alice:pw-secret-3@", wantCode: 200, wantName: "GET", wantStatus: codes.Unset,
			wantFull: "/users/42?api_key=REDACTED&token=REDACTED&name=x",
			secrets:  []string{"alice", "pw-secret-3", "k-secret-1", "t-secret-2"},
		},
		{
			name: "url template", template: "/users/{id}", path: "/users/7",
			wantCode: 200, wantName: "GET /users/{id}", wantStatus: codes.Unset, wantFull: "/users/7",
		},
		{
			name: "404 is a client error", path: "/nowhere", wantCode: 404, wantName: "GET",
			wantStatus: codes.Error, wantFull: "/nowhere",
		},
		{
			name: "500 is a client error", path: "/fail", wantCode: 500, wantName: "GET",
			wantStatus: codes.Error, wantFull: "/fail",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			tel.spans.Reset()
			ctx := context.Background()
			if tt.template != "" {
				ctx = instrument.ContextWithURLTemplate(ctx, tt.template)
			}
			target := "http://" + tt.userinfo + u.Host + tt.path
			req, err := http.NewRequestWithContext(ctx, http.MethodGet, target, nil)
			if err != nil {
				t.Fatal(err)
			}
			req.Header.Set("X-Caller", "1")
			before := req.Header.Clone()
			resp, err := client.Do(req)
			if err != nil {
				t.Fatalf("Do: %v", err)
			}
			_, _ = io.Copy(io.Discard, resp.Body)
			resp.Body.Close()
			if resp.StatusCode != tt.wantCode {
				t.Fatalf("code = %d, want %d", resp.StatusCode, tt.wantCode)
			}
			if len(req.Header) != len(before) || req.Header.Get("traceparent") != "" || req.Header.Get("X-Caller") != "1" {
				t.Errorf("caller's header map changed: %v, was %v", req.Header, before)
			}

			spans := tel.ended(t, 2)
			client, server := byKind(t, spans, trace.SpanKindClient), byKind(t, spans, trace.SpanKindServer)
			if server.Parent().SpanID() != client.SpanContext().SpanID() || server.SpanContext().TraceID() != client.SpanContext().TraceID() {
				t.Errorf("server span's parent %v is not the client span %v", server.Parent(), client.SpanContext())
			}
			if !server.Parent().IsRemote() {
				t.Error("server span's parent is not remote")
			}
			if client.Name() != tt.wantName {
				t.Errorf("client span name = %q, want %q", client.Name(), tt.wantName)
			}
			ca := attrMap(client.Attributes())
			wantFull := "http://" + u.Host + tt.wantFull
			if tt.userinfo != "" {
				wantFull = "http://REDACTED:REDACTED@" + u.Host + tt.wantFull
			}
			for k, v := range map[attribute.Key]attribute.Value{
				"url.full":                  attribute.StringValue(wantFull),
				"http.request.method":       attribute.StringValue("GET"),
				"server.address":            attribute.StringValue(u.Hostname()),
				"server.port":               attribute.IntValue(port),
				"http.response.status_code": attribute.IntValue(tt.wantCode),
			} {
				if ca[k] != v {
					t.Errorf("client %s = %q, want %q", k, ca[k].Emit(), v.Emit())
				}
			}
			if tt.template != "" && ca["url.template"].AsString() != tt.template {
				t.Errorf("url.template = %q, want %q", ca["url.template"].Emit(), tt.template)
			}
			if client.Status().Code != tt.wantStatus {
				t.Errorf("client status = %v, want %v", client.Status().Code, tt.wantStatus)
			}
			if et, ok := ca["error.type"]; (tt.wantCode >= 400) != ok || ok && et.AsString() != strconv.Itoa(tt.wantCode) {
				t.Errorf("client error.type = %q (present %v)", et.Emit(), ok)
			}
			for _, s := range spans {
				for _, secret := range tt.secrets {
					assertNoSecret(t, s, secret)
				}
			}
		})
	}

	t.Run("injected headers reach the server", func(t *testing.T) {
		tel.spans.Reset()
		resp, err := client.Get(srv.URL + "/echo-headers")
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		spans := tel.ended(t, 2)
		c := byKind(t, spans, trace.SpanKindClient)
		got := <-headers
		gotTraceparent, gotAuth := got.Get("traceparent"), got.Get("Authorization")
		want := "00-" + c.SpanContext().TraceID().String() + "-" + c.SpanContext().SpanID().String() + "-01"
		if gotTraceparent != want {
			t.Errorf("server got traceparent %q, want %q", gotTraceparent, want)
		}
		if gotAuth != "" {
			t.Errorf("server got Authorization %q from nowhere", gotAuth)
		}
	})

	t.Run("client duration metric", func(t *testing.T) {
		m := tel.metric(t, "http.client.request.duration")
		if m.Unit != "s" {
			t.Errorf("unit = %q, want s", m.Unit)
		}
		if n := histogramCount(t, tel.collect(t), "http.client.request.duration"); n != uint64(len(tests)+1) {
			t.Errorf("client duration count = %d, want %d", n, len(tests)+1)
		}
		for _, set := range tel.metricAttrSets(t) {
			for _, kv := range set.ToSlice() {
				if kv.Key == "url.full" || strings.Contains(kv.Value.Emit(), "secret") {
					t.Errorf("metric attribute %s = %q", kv.Key, kv.Value.Emit())
				}
			}
		}
	})
}

func TestHTTPTransportError(t *testing.T) {
	tel := newTelemetry(t)
	srv := httptest.NewServer(http.NotFoundHandler())
	target := srv.URL + "/gone"
	srv.Close()

	client := instrument.WrapClient(&http.Client{Transport: &http.Transport{}},
		instrument.WithTracerProvider(tel.tp), instrument.WithMeterProvider(tel.mp))
	defer client.CloseIdleConnections()
	resp, err := client.Get(target)
	if err == nil {
		resp.Body.Close()
		t.Fatal("GET on a closed server succeeded")
	}
	s := tel.ended(t, 1)[0]
	if s.SpanKind() != trace.SpanKindClient || s.Name() != "GET" {
		t.Errorf("span %q kind %v, want GET client", s.Name(), s.SpanKind())
	}
	if s.Status().Code != codes.Error {
		t.Errorf("status = %v, want Error", s.Status())
	}
	a := attrMap(s.Attributes())
	if a["error.type"].AsString() == "" {
		t.Error("error.type missing")
	}
	if _, ok := a["http.response.status_code"]; ok {
		t.Error("http.response.status_code set without a response")
	}
	if n := histogramCount(t, tel.collect(t), "http.client.request.duration"); n != 1 {
		t.Errorf("duration count = %d, want 1", n)
	}
}

func TestHTTPTransportDefaults(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) { _, _ = w.Write([]byte("ok")) }))
	defer srv.Close()
	tests := []struct {
		name   string
		client *http.Client
	}{
		{"HTTPTransport(nil)", &http.Client{Transport: instrument.HTTPTransport(nil)}},
		{"WrapClient(nil)", instrument.WrapClient(nil)},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			resp, err := tt.client.Get(srv.URL)
			if err != nil {
				t.Fatal(err)
			}
			b, _ := io.ReadAll(resp.Body)
			resp.Body.Close()
			if string(b) != "ok" {
				t.Errorf("body = %q", b)
			}
		})
	}
	if http.DefaultClient.Transport != nil {
		t.Error("WrapClient(nil) changed http.DefaultClient")
	}
	type unwrapper interface{ Unwrap() http.RoundTripper }
	if u, ok := instrument.HTTPTransport(nil).(unwrapper); !ok || u.Unwrap() != http.DefaultTransport {
		t.Error("HTTPTransport(nil) does not wrap http.DefaultTransport")
	}
}

func byKind(t *testing.T, spans []sdktrace.ReadOnlySpan, kind trace.SpanKind) sdktrace.ReadOnlySpan {
	t.Helper()
	for _, s := range spans {
		if s.SpanKind() == kind {
			return s
		}
	}
	t.Fatalf("no %v span in %v", kind, spanNames(spans))
	return nil
}

// assertNoSecret fails if secret is in s's name, attributes or events.
func assertNoSecret(t *testing.T, s sdktrace.ReadOnlySpan, secret string) {
	t.Helper()
	if strings.Contains(s.Name(), secret) {
		t.Errorf("span name %q holds %q", s.Name(), secret)
	}
	for _, kv := range s.Attributes() {
		if strings.Contains(kv.Value.Emit(), secret) {
			t.Errorf("span %q attribute %s = %q holds %q", s.Name(), kv.Key, kv.Value.Emit(), secret)
		}
	}
	for _, e := range s.Events() {
		for _, kv := range e.Attributes {
			if strings.Contains(kv.Value.Emit(), secret) {
				t.Errorf("span %q event %s attribute %s holds %q", s.Name(), e.Name, kv.Key, secret)
			}
		}
	}
}
