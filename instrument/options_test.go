package instrument_test

import (
	"log/slog"
	"net/http"
	"net/http/httptest"
	"regexp"
	"strings"
	"sync"
	"testing"

	"go.opentelemetry.io/otel"
	"go.opentelemetry.io/otel/attribute"

	"github.com/observe-go/observe/instrument"
)

func mapLookup(m map[string]string) func(string) (string, bool) {
	return func(k string) (string, bool) {
		v, ok := m[k]
		return v, ok
	}
}

// captureOtelErrors routes otel.Handle to the returned function's result
// for the duration of the test.
func captureOtelErrors(t *testing.T) func() []error {
	t.Helper()
	var (
		mu   sync.Mutex
		errs []error
	)
	prev := otel.GetErrorHandler()
	otel.SetErrorHandler(otel.ErrorHandlerFunc(func(err error) {
		mu.Lock()
		defer mu.Unlock()
		errs = append(errs, err)
	}))
	t.Cleanup(func() { otel.SetErrorHandler(prev) })
	return func() []error {
		mu.Lock()
		defer mu.Unlock()
		return append([]error(nil), errs...)
	}
}

func TestHTTPHandlerFilters(t *testing.T) {
	mux := func() *http.ServeMux {
		m := testMux()
		m.HandleFunc("GET /healthz", func(w http.ResponseWriter, _ *http.Request) { _, _ = w.Write([]byte("ok")) })
		m.HandleFunc("GET /healthz/deep", func(w http.ResponseWriter, _ *http.Request) { _, _ = w.Write([]byte("deep")) })
		m.HandleFunc("GET /metrics/", func(w http.ResponseWriter, _ *http.Request) { _, _ = w.Write([]byte("metrics")) })
		return m
	}
	tests := []struct {
		name    string
		setenv  string // set with t.Setenv when not empty
		opts    []instrument.ServerOption
		wantErr string // in the error reported through otel.Handle
		skipped []string
		kept    []string
	}{
		{
			name:    "env through WithEnvLookup",
			opts:    []instrument.ServerOption{instrument.WithEnvLookup(mapLookup(map[string]string{instrument.ExcludedURLsEnv: "^/healthz$,^/metrics"}))},
			skipped: []string{"/healthz", "/metrics/", "/metrics/x"},
			kept:    []string{"/healthz/deep", "/users/1"},
		},
		{
			name:    "env through t.Setenv",
			setenv:  "^/healthz$, ^/metrics",
			skipped: []string{"/healthz", "/metrics/"},
			kept:    []string{"/healthz/deep", "/users/1"},
		},
		{
			name:    "invalid expression reported, valid ones applied",
			opts:    []instrument.ServerOption{instrument.WithEnvLookup(mapLookup(map[string]string{instrument.ExcludedURLsEnv: "^/healthz$,(unclosed,^/metrics"}))},
			wantErr: "(unclosed",
			skipped: []string{"/healthz", "/metrics/"},
			kept:    []string{"/users/1"},
		},
		{
			name:    "WithExcludedURLs",
			opts:    []instrument.ServerOption{instrument.WithExcludedURLs(regexp.MustCompile(`^/healthz`), nil)},
			skipped: []string{"/healthz", "/healthz/deep"},
			kept:    []string{"/metrics/", "/users/1"},
		},
		{
			name: "WithExcludedURLs adds to the env",
			opts: []instrument.ServerOption{
				instrument.WithEnvLookup(mapLookup(map[string]string{instrument.ExcludedURLsEnv: "^/metrics"})),
				instrument.WithExcludedURLs(regexp.MustCompile(`^/healthz$`)),
			},
			skipped: []string{"/healthz", "/metrics/"},
			kept:    []string{"/healthz/deep", "/users/1"},
		},
		{
			name: "WithFilter",
			opts: []instrument.ServerOption{
				instrument.WithFilter(func(r *http.Request) bool { return r.Header.Get("X-Probe") == "" }),
				instrument.WithFilter(nil),
				instrument.WithHealthPathsTraced(),
			},
			skipped: []string{"/healthz?probe"},
			kept:    []string{"/healthz", "/users/1"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			errs := captureOtelErrors(t)
			if tt.setenv != "" {
				t.Setenv(instrument.ExcludedURLsEnv, tt.setenv)
			} else {
				// The process environment must not leak into the other cases.
				t.Setenv(instrument.ExcludedURLsEnv, "")
			}
			tel := newTelemetry(t)
			h := tel.handler(mux(), tt.opts...)
			get := func(target string) *httptest.ResponseRecorder {
				r := httptest.NewRequest(http.MethodGet, target, nil)
				if strings.HasSuffix(target, "?probe") {
					r.Header.Set("X-Probe", "1")
				}
				return serveOne(h, r)
			}
			for _, target := range tt.skipped {
				w := get(target)
				if w.Code != http.StatusOK {
					t.Errorf("excluded %s was answered %d, want it served", target, w.Code)
				}
				if w.Header().Get(instrument.RequestIDHeader) != "" {
					t.Errorf("excluded %s got a request id", target)
				}
			}
			if n := len(tel.spans.Ended()); n != 0 {
				t.Errorf("excluded requests made %d spans: %v", n, spanNames(tel.spans.Ended()))
			}
			if n := len(tel.logs.records()); n != 0 {
				t.Errorf("excluded requests made %d access log records", n)
			}
			if n := histogramCount(t, tel.collect(t), "http.server.request.duration"); n != 0 {
				t.Errorf("excluded requests made %d duration samples", n)
			}
			for _, target := range tt.kept {
				get(target)
			}
			tel.ended(t, len(tt.kept))
			if n := len(tel.logs.records()); n != len(tt.kept) {
				t.Errorf("got %d access log records, want %d", n, len(tt.kept))
			}
			if n := histogramCount(t, tel.collect(t), "http.server.request.duration"); n != uint64(len(tt.kept)) {
				t.Errorf("got %d duration samples, want %d", n, len(tt.kept))
			}

			got := errs()
			if tt.wantErr == "" {
				if len(got) != 0 {
					t.Errorf("otel.Handle got %v, want nothing", got)
				}
				return
			}
			if len(got) != 1 || !strings.Contains(got[0].Error(), tt.wantErr) || !strings.Contains(got[0].Error(), instrument.ExcludedURLsEnv) {
				t.Errorf("otel.Handle got %v, want one error naming %s and %q", got, instrument.ExcludedURLsEnv, tt.wantErr)
			}
		})
	}
}

func TestParseExcludedURLs(t *testing.T) {
	tests := []struct {
		name    string
		value   *string
		want    []string
		wantErr bool
	}{
		{name: "unset", value: nil, want: nil},
		{name: "empty", value: ptr(""), want: nil},
		{name: "list with spaces", value: ptr(" ^/a$ , ^/b ,"), want: []string{"^/a$", "^/b"}},
		{name: "invalid kept apart", value: ptr("^/a,[,^/b"), want: []string{"^/a", "^/b"}, wantErr: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			env := map[string]string{}
			if tt.value != nil {
				env[instrument.ExcludedURLsEnv] = *tt.value
			}
			res, err := instrument.ParseExcludedURLs(mapLookup(env))
			if (err != nil) != tt.wantErr {
				t.Fatalf("err = %v, want error: %v", err, tt.wantErr)
			}
			var got []string
			for _, re := range res {
				got = append(got, re.String())
			}
			if strings.Join(got, "|") != strings.Join(tt.want, "|") {
				t.Errorf("got %q, want %q", got, tt.want)
			}
		})
	}
}

func TestHTTPHandlerRequestAttributes(t *testing.T) {
	tel := newTelemetry(t)
	var sawUA bool
	mapper := func(r *http.Request, attrs []attribute.KeyValue) []attribute.KeyValue {
		out := make([]attribute.KeyValue, 0, len(attrs)+1)
		for _, kv := range attrs {
			if kv.Key == "user_agent.original" {
				sawUA = true
				continue
			}
			out = append(out, kv)
		}
		return append(out, attribute.String("app.tenant", r.Header.Get("X-Tenant")))
	}
	h := tel.handler(testMux(), instrument.WithRequestAttributes(mapper), instrument.WithRequestAttributes(nil))
	r := httptest.NewRequest(http.MethodGet, "/users/5", nil)
	r.Header.Set("User-Agent", "mapper-agent")
	r.Header.Set("X-Tenant", "acme")
	serveOne(h, r)

	if !sawUA {
		t.Error("the mapper did not get user_agent.original among the default attributes")
	}
	a := attrMap(tel.ended(t, 1)[0].Attributes())
	if a["app.tenant"].AsString() != "acme" {
		t.Errorf("app.tenant = %q, want acme", a["app.tenant"].Emit())
	}
	if v, ok := a["user_agent.original"]; ok {
		t.Errorf("user_agent.original = %q, want it dropped", v.Emit())
	}
	if a["http.route"].AsString() != "/users/{id}" || a["http.response.status_code"].AsInt64() != 200 {
		t.Error("the mapper lost the default attributes it returned")
	}
	for _, set := range tel.metricAttrSets(t) {
		if _, ok := set.Value("app.tenant"); ok {
			t.Errorf("metric attributes got the mapper's attribute: %s", set.Encoded(attribute.DefaultEncoder()))
		}
	}
	if n := histogramCount(t, tel.collect(t), "http.server.request.duration"); n != 1 {
		t.Errorf("duration samples = %d, want 1", n)
	}
	recs := tel.logs.records()
	if len(recs) != 1 {
		t.Fatalf("access log records = %d, want 1", len(recs))
	}
	if _, ok := recs[0].attrs()["app.tenant"]; ok {
		t.Error("the access log got the mapper's attribute")
	}
}

func TestHTTPHandlerRedaction(t *testing.T) {
	secrets := []string{"tok-secret-1", "Bearer auth-secret-2", "auth-secret-2", "cookie-secret-3", "setcookie-secret-4", "pw-secret-5"}
	tests := []struct {
		name      string
		query     string
		wantQuery string
	}{
		{"token", "token=tok-secret-1&name=x", "token=REDACTED&name=x"},
		{"password and api key", "password=pw-secret-5&api_key=tok-secret-1&page=2", "password=REDACTED&api_key=REDACTED&page=2"},
		{"nothing sensitive", "page=2&sort=name", "page=2&sort=name"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			tel := newTelemetry(t)
			h := tel.handler(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				http.SetCookie(w, &http.Cookie{Name: "sid", Value: "setcookie-secret-4"})
				slog.New(tel.logs).InfoContext(r.Context(), "handled")
				w.WriteHeader(http.StatusInternalServerError)
			}))
			r := httptest.NewRequest(http.MethodGet, "/login?"+tt.query, nil)
			r.Header.Set("Authorization", "Bearer auth-secret-2")
			r.Header.Set("Cookie", "session=cookie-secret-3")
			serveOne(h, r)

			s := tel.ended(t, 1)[0]
			if got := attrMap(s.Attributes())["url.query"].AsString(); got != tt.wantQuery {
				t.Errorf("url.query = %q, want %q", got, tt.wantQuery)
			}
			for _, secret := range secrets {
				assertNoSecret(t, s, secret)
				for _, rec := range tel.logs.records() {
					if strings.Contains(rec.record.Message, secret) {
						t.Errorf("log message %q holds %q", rec.record.Message, secret)
					}
					rec.record.Attrs(func(a slog.Attr) bool {
						if strings.Contains(a.Value.String(), secret) {
							t.Errorf("log attribute %s = %q holds %q", a.Key, a.Value, secret)
						}
						return true
					})
				}
				if strings.Contains(tel.metricAttrsText(t), secret) {
					t.Errorf("metric attributes hold %q", secret)
				}
			}
		})
	}
}

func TestHTTPHandlerServerTiming(t *testing.T) {
	timing := regexp.MustCompile(`^app;dur=[0-9]+\.[0-9]{3}$`)
	handlers := map[string]http.HandlerFunc{
		"write":        func(w http.ResponseWriter, _ *http.Request) { _, _ = w.Write([]byte("x")) },
		"write header": func(w http.ResponseWriter, _ *http.Request) { w.WriteHeader(http.StatusNoContent) },
		"flush":        func(w http.ResponseWriter, _ *http.Request) { w.(http.Flusher).Flush() },
		"nothing":      func(http.ResponseWriter, *http.Request) {},
	}
	tests := []struct {
		name string
		on   bool
	}{
		{"WithServerTiming", true},
		{"default", false},
	}
	for _, tt := range tests {
		for hname, hf := range handlers {
			t.Run(tt.name+"/"+hname, func(t *testing.T) {
				opts := []instrument.ServerOption{instrument.WithoutAccessLog()}
				if tt.on {
					opts = append(opts, instrument.WithServerTiming())
				}
				// Through a real server, so the header is checked on the wire.
				srv := httptest.NewServer(instrument.HTTPHandler(hf, opts...))
				defer srv.Close()
				resp, err := srv.Client().Get(srv.URL)
				if err != nil {
					t.Fatal(err)
				}
				resp.Body.Close()
				got := resp.Header.Values("Server-Timing")
				if !tt.on {
					if len(got) != 0 {
						t.Errorf("Server-Timing = %q, want none", got)
					}
					return
				}
				if len(got) != 1 || !timing.MatchString(got[0]) {
					t.Errorf("Server-Timing = %q, want one app;dur=<ms>", got)
				}
			})
		}
	}
}
