package observe_test

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/sdk/trace/tracetest"

	"github.com/observe-go/observe"
	"github.com/observe-go/observe/internal/itest"
)

// The secrets a payments-style handler lets slip into its telemetry.
var secrets = []string{
	"hunter2",                    // a password
	"sk_live_51HxYzQ2eZvKYlo2C0", // an API key
	"4111 1111 1111 1111",        // a card number
	"4111111111111111",           // the same, without spaces
	"abc.def-SESSION-cookie",     // a cookie value
	"eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxMjM0In0.dBjftJeZ4CVPmB92K27uhbUJU1p1r_wW1gFWFOEjXk", // a JWT
	"s3cr3t-bearer-token", // an Authorization credential
	"CUST-PRIVATE-9876",   // a value under a custom pattern
}

// paymentHandler logs what careless code logs: the request's headers, a
// struct with a password, a form body with a card number.
func paymentHandler(logger func() *slog.Logger, client *http.Client, next string) http.Handler {
	type login struct {
		User     string
		Password string
	}
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		ctx := r.Context()
		l := logger()
		l.InfoContext(ctx, "request headers", "headers", r.Header)
		l.InfoContext(ctx, "login", "user", login{User: "ada", Password: "hunter2"})
		l.InfoContext(ctx, "payment body", "body", "card_number=4111 1111 1111 1111&cvv=123&amount=10")
		l.WarnContext(ctx, "charging card 4111111111111111 with api_key=sk_live_51HxYzQ2eZvKYlo2C0")
		l.InfoContext(ctx, "token", "jwt", "eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxMjM0In0.dBjftJeZ4CVPmB92K27uhbUJU1p1r_wW1gFWFOEjXk",
			slog.Group("customer", slog.String("customer_ref", "CUST-PRIVATE-9876"), slog.String("country", "NL")))
		if next != "" {
			req, _ := http.NewRequestWithContext(ctx, http.MethodGet, next+"?customer_ref=CUST-PRIVATE-9876&card_number=4111111111111111&page=2", nil)
			req.Header.Set("Authorization", "Bearer s3cr3t-bearer-token")
			if resp, err := client.Do(req); err == nil {
				_, _ = io.Copy(io.Discard, resp.Body)
				_ = resp.Body.Close()
			}
		}
		fmt.Fprint(w, "ok")
	})
}

func doPayment(t *testing.T, url string) {
	t.Helper()
	req, _ := http.NewRequest(http.MethodPost, url+"/pay?api_key=sk_live_51HxYzQ2eZvKYlo2C0&cvv=123&customer_ref=CUST-PRIVATE-9876&page=1", nil)
	req.Header.Set("Authorization", "Bearer s3cr3t-bearer-token")
	req.Header.Set("Cookie", "session=abc.def-SESSION-cookie")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	_, _ = io.Copy(io.Discard, resp.Body)
	_ = resp.Body.Close()
}

// Nothing a payments handler logs carelessly reaches the console (pretty or
// JSON) or an exporter, on the server or the client side; what matched no
// rule stays as it was.
func TestScrubbingEverywhere(t *testing.T) {
	for _, format := range []string{"pretty", "json"} {
		t.Run(format, func(t *testing.T) {
			console := &syncBuffer{}
			spans, logs := tracetest.NewSpanRecorder(), &logRecorder{}
			tel := configure(t, map[string]string{
				"OBSERVE_CONSOLE_FORMAT":     format,
				"OBSERVE_SCRUBBING_PATTERNS": "customer_ref",
			}, observe.WithConsoleWriter(console), observe.WithSpanProcessor(spans), observe.WithLogProcessor(logs))
			backend := httptest.NewServer(tel.InstrumentHTTP(http.NotFoundHandler()))
			defer backend.Close()
			front := httptest.NewServer(tel.InstrumentHTTP(paymentHandler(tel.Logger, tel.HTTPClient(nil), backend.URL)))
			defer front.Close()
			doPayment(t, front.URL)
			if err := tel.ForceFlush(context.Background()); err != nil {
				t.Fatal(err)
			}

			var exported strings.Builder
			for _, s := range spans.Ended() {
				fmt.Fprintln(&exported, s.Name(), s.Attributes(), s.Events(), s.Status())
			}
			for _, r := range logs.Records() {
				fmt.Fprintln(&exported, r.Body().Emit())
				r.WalkAttributes(func(kv attribute.KeyValue) bool {
					fmt.Fprintln(&exported, kv.Key, kv.Value.Emit())
					return true
				})
			}
			if err := tel.Shutdown(context.Background()); err != nil {
				t.Fatal(err)
			}
			for where, text := range map[string]string{"exporters": exported.String(), "console": console.String()} {
				for _, secret := range secrets {
					if strings.Contains(text, secret) {
						t.Errorf("%s show the secret %q:\n%s", where, secret, text)
					}
				}
				for _, kept := range []string{"page=1", "page=2", "NL", "amount=10", "ada"} {
					if !strings.Contains(text, kept) {
						t.Errorf("%s lost %q, which matches no rule", where, kept)
					}
				}
				if !strings.Contains(text, "[REDACTED: card number]") || !strings.Contains(text, "REDACTED") {
					t.Errorf("%s show no marker", where)
				}
			}
		})
	}
}

// OBSERVE_SCRUBBING=false and WithoutScrubbing turn it off; WithScrubbing's
// Allow lets one match through.
func TestScrubbingSwitches(t *testing.T) {
	for name, tc := range map[string]struct {
		vars map[string]string
		opts []observe.Option
		want bool // whether the password reaches the exporter
	}{
		"default":          {want: false},
		"variable off":     {vars: map[string]string{"OBSERVE_SCRUBBING": "false"}, want: true},
		"option off":       {opts: []observe.Option{observe.WithoutScrubbing()}, want: true},
		"option beats off": {vars: map[string]string{"OBSERVE_SCRUBBING": "false"}, opts: []observe.Option{observe.WithScrubbing(observe.Scrubbing{})}, want: false},
		"allow this match": {opts: []observe.Option{observe.WithScrubbing(observe.Scrubbing{Allow: func(m observe.ScrubMatch) bool { return m.Path == "attributes.password" }})}, want: true},
	} {
		t.Run(name, func(t *testing.T) {
			logs := &logRecorder{}
			tel := configure(t, tc.vars, append(tc.opts, observe.WithLogProcessor(logs))...)
			tel.Logger().Info("login", "password", "hunter2")
			rs := logs.Records()
			if len(rs) != 1 {
				t.Fatalf("%d records", len(rs))
			}
			v, _ := recordAttr(rs[0], "password")
			if got := v == "hunter2"; got != tc.want {
				t.Errorf("password exported as %q; want it in the clear: %v", v, tc.want)
			}
			_, scrubbed := recordAttr(rs[0], "observe.scrubbed")
			if scrubbed == tc.want {
				t.Errorf("observe.scrubbed present: %v; want it when the value is redacted", scrubbed)
			}
		})
	}
	for _, bad := range []struct {
		vars map[string]string
		opts []observe.Option
		want string
	}{
		{vars: map[string]string{"OBSERVE_SCRUBBING": "maybe"}, want: `OBSERVE_SCRUBBING="maybe"`},
		{vars: map[string]string{"OBSERVE_SCRUBBING_PATTERNS": "ok,(unclosed"}, want: "OBSERVE_SCRUBBING_PATTERNS"},
		{opts: []observe.Option{observe.WithScrubbing(observe.Scrubbing{Patterns: []string{"[bad"}})}, want: "WithScrubbing: pattern 1"},
	} {
		_, err := observe.Configure(append([]observe.Option{observe.WithoutGlobals(), observe.WithEnvLookup(envMap(bad.vars))}, bad.opts...)...)
		if err == nil || !strings.Contains(err.Error(), bad.want) {
			t.Errorf("Configure = %v; want an error naming %s", err, bad.want)
		}
	}
}

// The worst case through a real collector: what it writes to its files
// holds no secret.
func TestIntegrationScrubbingThroughCollector(t *testing.T) {
	col := itest.StartCollector(t)
	tel := configure(t, map[string]string{
		"OTEL_EXPORTER_OTLP_ENDPOINT": col.HTTPEndpoint,
		"OBSERVE_SCRUBBING_PATTERNS":  "customer_ref",
	})
	backend := httptest.NewServer(tel.InstrumentHTTP(http.NotFoundHandler()))
	defer backend.Close()
	front := httptest.NewServer(tel.InstrumentHTTP(paymentHandler(tel.Logger, tel.HTTPClient(nil), backend.URL)))
	defer front.Close()
	doPayment(t, front.URL)
	if err := tel.Shutdown(context.Background()); err != nil {
		t.Fatal(err)
	}
	col.WaitLogs(t, 10*time.Second, func(l []itest.LogRecord) bool { return len(l) >= 7 })
	col.WaitTraces(t, 10*time.Second, func(s []itest.Span) bool { return len(s) >= 3 })
	files, _ := filepath.Glob(filepath.Join(col.Dir, "*"))
	var all strings.Builder
	for _, f := range files {
		if b, err := os.ReadFile(f); err == nil {
			all.Write(b)
		}
	}
	if !strings.Contains(all.String(), "REDACTED") {
		t.Fatalf("the collector's files show no redaction at all; did the telemetry arrive?\n%s", all.String())
	}
	for _, secret := range secrets {
		if strings.Contains(all.String(), secret) || strings.Contains(all.String(), strings.ReplaceAll(secret, " ", "")) && secret != "4111 1111 1111 1111" {
			t.Errorf("the collector received the secret %q", secret)
		}
	}
}
