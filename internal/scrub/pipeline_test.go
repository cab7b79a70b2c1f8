package scrub

import (
	"context"
	"errors"
	"reflect"
	"regexp"
	"strings"
	"sync"
	"testing"

	"go.opentelemetry.io/otel"
	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/codes"
	"go.opentelemetry.io/otel/log"
	sdklog "go.opentelemetry.io/otel/sdk/log"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/sdk/trace/tracetest"
	"go.opentelemetry.io/otel/trace"
)

func TestLogRecordNested(t *testing.T) {
	r := emit(t, Default(),
		attribute.StringValue("paid password=hunter2 with 4111 1111 1111 1111, token "+testJWT),
		attribute.String("password", "hunter2"),
		attribute.String("user", "ada"),
		attribute.Map("req",
			attribute.String("path", "/pay"),
			attribute.Map("headers",
				attribute.StringSlice("Authorization", []string{"Bearer x"}),
				attribute.StringSlice("Accept", []string{"*/*"}),
			),
		),
		attribute.StringSlice("tags", []string{"ok", "token=abc"}),
		attribute.Slice("mixed", attribute.StringValue(testJWT), attribute.Int64Value(4111111111111111), attribute.BoolValue(true)),
		attribute.Int64("amount", 1200),
		attribute.Int64("ref", 4111111111111111),
		attribute.Bool("session_active", true),
	)
	got := recordAttrs(r)
	for _, tc := range []struct {
		path []string
		want attribute.Value
	}{
		{[]string{"password"}, attribute.StringValue("[REDACTED: password]")},
		{[]string{"user"}, attribute.StringValue("ada")},
		{[]string{"req", "path"}, attribute.StringValue("/pay")},
		{[]string{"req", "headers", "Authorization"}, attribute.StringSliceValue([]string{"[REDACTED: auth]"})},
		{[]string{"req", "headers", "Accept"}, attribute.StringSliceValue([]string{"*/*"})},
		{[]string{"tags"}, attribute.StringSliceValue([]string{"ok", "token=[REDACTED: token]"})},
		{[]string{"mixed"}, attribute.SliceValue(attribute.StringValue("[REDACTED: jwt]"), attribute.StringValue("[REDACTED: card number]"), attribute.BoolValue(true))},
		{[]string{"amount"}, attribute.Int64Value(1200)},
		{[]string{"ref"}, attribute.StringValue("[REDACTED: card number]")},
		{[]string{"session_active"}, attribute.BoolValue(true)},
		{[]string{ScrubbedKey}, attribute.StringSliceValue([]string{
			"attributes.password", "attributes.req.headers.Authorization", "attributes.tags[1].token",
			"attributes.mixed[0]", "attributes.mixed[1]", "attributes.ref", "body.password", "body",
		})},
	} {
		v, ok := lookup(got, tc.path...)
		if !ok || v.Emit() != tc.want.Emit() {
			t.Errorf("%s = %s; want %s", strings.Join(tc.path, "."), v.Emit(), tc.want.Emit())
		}
	}
	// The body has no key of its own: value rules and key=value forms.
	if got, want := r.Body().AsString(), "paid password=[REDACTED: password] with [REDACTED: card number], token [REDACTED: jwt]"; got != want {
		t.Errorf("body = %q; want %q", got, want)
	}
}

func TestLogBodyMapAndError(t *testing.T) {
	logger, exp := logPipeline(t, Default())
	var rec log.Record
	rec.SetBody(attribute.MapValue(attribute.String("password", "x"), attribute.String("n", "1")))
	rec.SetErr(errors.New("login failed: password=hunter2"))
	logger.Emit(context.Background(), rec)
	r := exp.all()[0]
	body := map[string]attribute.Value{"body": r.Body()}
	if v, _ := lookup(body, "body", "password"); v.AsString() != "[REDACTED: password]" {
		t.Errorf("body.password = %q", v.Emit())
	}
	if v, _ := lookup(body, "body", "n"); v.AsString() != "1" {
		t.Errorf("body.n = %q", v.Emit())
	}
	attrs := recordAttrs(r)
	if got, want := attrs["exception.message"].AsString(), "login failed: password=[REDACTED: password]"; got != want {
		t.Errorf("exception.message = %q; want %q", got, want)
	}
	if got := attrs[ScrubbedKey].AsStringSlice(); !reflect.DeepEqual(got, []string{"attributes.exception.message.password", "body.password"}) {
		t.Errorf("%s = %q", ScrubbedKey, got)
	}
}

func TestLogCleanRecordUntouched(t *testing.T) {
	attrs := []attribute.KeyValue{
		attribute.String("http.request.method", "GET"), attribute.String("url.path", "/users/42"),
		attribute.Int("http.response.status_code", 200), attribute.String("user", "ada"),
		attribute.String("note", "key=value pairs are fine"), attribute.Float64("ratio", 0.5),
	}
	r := emit(t, Default(), attribute.StringValue("hello 1700000000000"), attrs...)
	if got := recordAttrs(r); !reflect.DeepEqual(got, attrMap(attrs)) {
		t.Errorf("attributes = %v; want %v", got, attrMap(attrs))
	}
	if r.Body().AsString() != "hello 1700000000000" {
		t.Errorf("body = %q", r.Body().AsString())
	}
}

func TestLogScrubbedListMerged(t *testing.T) {
	r := emit(t, Default(), attribute.StringValue("x"),
		attribute.StringSlice(ScrubbedKey, []string{"attributes.earlier"}),
		attribute.String("token", "t"))
	if got := recordAttrs(r)[ScrubbedKey].AsStringSlice(); !reflect.DeepEqual(got, []string{"attributes.earlier", "attributes.token"}) {
		t.Errorf("%s = %q", ScrubbedKey, got)
	}
	// Only the body changed: the list is added to the attributes there.
	r = emit(t, Default(), attribute.StringValue("Bearer abcDEF123456"), attribute.String("user", "ada"))
	attrs := recordAttrs(r)
	if got := attrs[ScrubbedKey].AsStringSlice(); !reflect.DeepEqual(got, []string{"body"}) || attrs["user"].AsString() != "ada" {
		t.Errorf("attributes = %v", attrs)
	}
}

func TestLogProcessorDelegates(t *testing.T) {
	ctx := context.Background()
	p := Default().LogProcessor(sdklog.NewSimpleProcessor(&recordingExporter{}))
	if !p.Enabled(ctx, sdklog.EnabledParameters{Severity: log.SeverityInfo}) {
		t.Error("Enabled = false; the simple processor is enabled")
	}
	none := Default().LogProcessor(nil)
	if none.Enabled(ctx, sdklog.EnabledParameters{}) {
		t.Error("Enabled with no next processor = true")
	}
	if err := errors.Join(none.OnEmit(ctx, nil), none.ForceFlush(ctx), none.Shutdown(ctx), p.ForceFlush(ctx), p.Shutdown(ctx)); err != nil {
		t.Error(err)
	}
}

func TestSafeKeys(t *testing.T) {
	r := emit(t, Default(), attribute.StringValue(""),
		attribute.String("http.route", "/reset/{token}?token=x"),
		attribute.String("url.path", "/pay/4111111111111111/token=x"),
		attribute.String("db.query.summary", "UPDATE users SET password=?"),
		attribute.String("observe.request_id", "id=5"),
		attribute.String("trace_id", "4bf92f3577b34da6a3ce929d0e0e4736"),
		attribute.String("exception.stacktrace", "main.auth(...)\n\t/src/auth.go:12 password=x"),
		attribute.Int("gen_ai.usage.input_tokens", 120),
	)
	want := map[string]string{
		"http.route":                "/reset/{token}?token=x",
		"url.path":                  "/pay/[REDACTED: card number]/token=x",
		"db.query.summary":          "UPDATE users SET password=?",
		"observe.request_id":        "id=5",
		"trace_id":                  "4bf92f3577b34da6a3ce929d0e0e4736",
		"exception.stacktrace":      "main.auth(...)\n\t/src/auth.go:12 password=x",
		"gen_ai.usage.input_tokens": "120",
	}
	got := recordAttrs(r)
	for k, w := range want {
		if got[k].Emit() != w {
			t.Errorf("%s = %q; want %q", k, got[k].Emit(), w)
		}
	}
}

func TestAllow(t *testing.T) {
	var mu sync.Mutex
	var seen []Match
	s := New(Options{Allow: func(m Match) bool {
		mu.Lock()
		defer mu.Unlock()
		seen = append(seen, m)
		return m.Path == "attributes.csrf_token_name" || m.Rule == RuleCardNumber && m.Path == "attributes.test_card"
	}})
	r := emit(t, s, attribute.StringValue(""),
		attribute.String("csrf_token_name", "X-CSRF-Token"),
		attribute.String("token", "t0k"),
		attribute.String("test_card", "4111111111111111"),
		attribute.String("msg", "password=hunter2"),
	)
	got := recordAttrs(r)
	for k, w := range map[string]string{
		"csrf_token_name": "X-CSRF-Token",
		"token":           "[REDACTED: token]",
		"test_card":       "4111111111111111",
		"msg":             "password=[REDACTED: password]",
	} {
		if got[k].AsString() != w {
			t.Errorf("%s = %q; want %q", k, got[k].AsString(), w)
		}
	}
	want := []Match{
		{Path: "attributes.csrf_token_name", Value: "X-CSRF-Token", Rule: "csrf"},
		{Path: "attributes.token", Value: "t0k", Rule: "token"},
		{Path: "attributes.test_card", Value: "4111111111111111", Rule: RuleCardNumber},
		{Path: "attributes.msg.password", Value: "hunter2", Rule: "password"},
	}
	if !reflect.DeepEqual(seen, want) {
		t.Errorf("Allow saw\n%+v\nwant\n%+v", seen, want)
	}
	if l := got[ScrubbedKey].AsStringSlice(); !reflect.DeepEqual(l, []string{"attributes.token", "attributes.msg.password"}) {
		t.Errorf("%s = %q", ScrubbedKey, l)
	}
}

func TestExtraPatterns(t *testing.T) {
	pats, err := ParsePatterns(`^x-tenant-, internal_ref`)
	if err != nil {
		t.Fatal(err)
	}
	s := New(Options{Patterns: append(pats, nil, regexp.MustCompile(`^Exact$`))})
	for _, tc := range []struct{ key, in, want string }{
		{"X-Tenant-Id", "t1", "[REDACTED: custom pattern 1]"},
		{"attrs.internal_ref", "r1", "[REDACTED: custom pattern 2]"},
		{"msg", "see INTERNAL_REF=abc now", "see INTERNAL_REF=[REDACTED: custom pattern 2] now"},
		{"msg", "internal_ref abc", "internal_ref abc"}, // patterns run on keys, not values
		{"Exact", "v", "[REDACTED: custom pattern 4]"},
		{"exact", "v", "v"}, // case is the pattern's business
		{"password", "x", "[REDACTED: password]"},
	} {
		if got, _ := s.String(tc.key, tc.in); got != tc.want {
			t.Errorf("String(%q, %q) = %q; want %q", tc.key, tc.in, got, tc.want)
		}
	}
	if got := s.Query("Internal_Ref=1&page=2"); got != "Internal_Ref=REDACTED&page=2" {
		t.Errorf("Query = %q", got)
	}
	if got, _ := Default().String("X-Tenant-Id", "t1"); got != "t1" {
		t.Errorf("the default scrubber took the extra pattern: %q", got)
	}
}

func TestParsePatterns(t *testing.T) {
	res, err := ParsePatterns("a, (b, ,c[,^ok$")
	if len(res) != 2 || !res[0].MatchString("A") || !res[1].MatchString("OK") {
		t.Errorf("patterns = %v; want a and ^ok$, case-insensitive", res)
	}
	if err == nil {
		t.Fatal("no error for two invalid patterns")
	}
	msg := err.Error()
	for _, want := range []string{`scrubbing pattern 2 ("(b"): missing closing )`, `scrubbing pattern 4 ("c["): missing closing ]`} {
		if strings.Count(msg, want) != 1 {
			t.Errorf("error %q does not name %q once", msg, want)
		}
	}
	if strings.Contains(msg, "(?i)") {
		t.Errorf("error %q shows the added flag", msg)
	}
	if res, err := ParsePatterns(" , "); res != nil || err != nil {
		t.Errorf("empty list = %v, %v", res, err)
	}
}

func TestSpanScrubbed(t *testing.T) {
	tp, exp := tracePipeline(t, Default())
	link := trace.NewSpanContext(trace.SpanContextConfig{TraceID: trace.TraceID{1}, SpanID: trace.SpanID{2}})
	_, span := tp.Tracer("t").Start(context.Background(), "POST /pay",
		trace.WithAttributes(
			attribute.String("http.request.header.authorization", "Bearer x"),
			attribute.String("url.query", "a=1&card_number=4111111111111111"),
			attribute.String("url.full", "https://ada:pw@h/pay?cvv=123"),
			attribute.String("http.route", "/pay"),
		),
		trace.WithLinks(trace.Link{SpanContext: link, Attributes: []attribute.KeyValue{attribute.String("api_key", "k")}}),
	)
	span.AddEvent("note", trace.WithAttributes(attribute.String("msg", "sent Bearer abcDEF123456")))
	span.RecordError(errors.New("charge failed: card_number=4111111111111111"))
	span.SetStatus(codes.Error, "token=abc rejected")
	span.End()

	s := exp.GetSpans()[0]
	attrs := attrMap(s.Attributes)
	for k, want := range map[string]string{
		"http.request.header.authorization": "[REDACTED: auth]",
		"url.query":                         "a=1&card_number=REDACTED",
		"url.full":                          "https://REDACTED:REDACTED@h/pay?cvv=REDACTED",
		"http.route":                        "/pay",
	} {
		if got := attrs[k].AsString(); got != want {
			t.Errorf("%s = %q; want %q", k, got, want)
		}
	}
	if got := attrMap(s.Events[0].Attributes)["msg"].AsString(); got != "sent Bearer [REDACTED: bearer token]" {
		t.Errorf("event msg = %q", got)
	}
	if got := attrMap(s.Events[1].Attributes)["exception.message"].AsString(); got != "charge failed: card_number=[REDACTED: card number]" {
		t.Errorf("exception.message = %q", got)
	}
	if got := attrMap(s.Links[0].Attributes)["api_key"].AsString(); got != "[REDACTED: api key]" {
		t.Errorf("link api_key = %q", got)
	}
	if s.Status.Description != "token=[REDACTED: token] rejected" || s.Status.Code != codes.Error {
		t.Errorf("status = %+v", s.Status)
	}
	want := []string{
		"attributes.http.request.header.authorization", "attributes.url.query.card_number",
		"attributes.url.full", "attributes.url.full.cvv", "events[0].msg",
		"events[1].exception.message.card_number", "links[0].api_key", "status.description.token",
	}
	if got := attrs[ScrubbedKey].AsStringSlice(); !reflect.DeepEqual(got, want) {
		t.Errorf("%s =\n%q\nwant\n%q", ScrubbedKey, got, want)
	}
	if s.Name != "POST /pay" || !s.SpanContext.Equal(span.SpanContext()) {
		t.Errorf("span identity changed: %q %v", s.Name, s.SpanContext)
	}
}

// startReader reads the span's attributes at start, as the console does,
// and writes one.
type startReader struct {
	mu    sync.Mutex
	attrs []attribute.KeyValue
}

func (p *startReader) OnStart(_ context.Context, s sdktrace.ReadWriteSpan) {
	p.mu.Lock()
	p.attrs = s.Attributes()
	p.mu.Unlock()
	s.SetAttributes(attribute.String("written.at.start", "yes"))
}
func (p *startReader) OnEnd(sdktrace.ReadOnlySpan)      {}
func (p *startReader) Shutdown(context.Context) error   { return nil }
func (p *startReader) ForceFlush(context.Context) error { return nil }

func TestSpanOnStartView(t *testing.T) {
	reader := &startReader{}
	tp, exp := tracePipeline(t, Default(), reader)
	_, span := tp.Tracer("t").Start(context.Background(), "op", trace.WithAttributes(
		attribute.String("password", "hunter2"), attribute.String("user", "ada")))
	span.End()
	reader.mu.Lock()
	atStart := attrMap(reader.attrs)
	reader.mu.Unlock()
	if atStart["password"].AsString() != "[REDACTED: password]" || atStart["user"].AsString() != "ada" {
		t.Errorf("attributes at start = %v", atStart)
	}
	if got := attrMap(exp.GetSpans()[0].Attributes)["written.at.start"].AsString(); got != "yes" {
		t.Errorf("a write through the start view did not reach the span: %q", got)
	}
}

func TestSpanCleanPassesOriginal(t *testing.T) {
	sr := tracetest.NewSpanRecorder()
	tp := sdktrace.NewTracerProvider(sdktrace.WithSpanProcessor(sr))
	_, span := tp.Tracer("t").Start(context.Background(), "op", trace.WithAttributes(cleanAttrs()...))
	span.AddEvent("e", trace.WithAttributes(attribute.String("k", "v")))
	span.End()
	ro := sr.Ended()[0]

	out := tracetest.NewSpanRecorder()
	p := Default().SpanProcessor(out)
	p.OnEnd(ro)
	if got := out.Ended()[0]; got != ro {
		t.Errorf("a clean span was replaced by %T", got)
	}
	if n := testing.AllocsPerRun(100, func() {
		if _, changed := Default().scrubSpan(ro); changed {
			t.Fatal("a clean span changed")
		}
	}); n != 0 {
		t.Errorf("scrubbing a clean span allocates %v times", n)
	}
}

func TestRecordNoAllocWhenClean(t *testing.T) {
	logger, exp := logPipeline(t, Default())
	var rec log.Record
	rec.SetBody(attribute.StringValue("request handled"))
	rec.AddAttributes(cleanAttrs()...)
	logger.Emit(context.Background(), rec)
	r := exp.all()[0]
	if n := testing.AllocsPerRun(100, func() { Default().scrubRecord(&r) }); n != 0 {
		t.Errorf("scrubbing a clean record allocates %v times", n)
	}
	if _, ok := recordAttrs(r)[ScrubbedKey]; ok {
		t.Error("a clean record got the scrubbed list")
	}
}

// cleanAttrs are ten attributes of an HTTP server span or access log,
// none of which matches a rule.
func cleanAttrs() []attribute.KeyValue {
	return []attribute.KeyValue{
		attribute.String("http.request.method", "GET"),
		attribute.String("url.path", "/api/v1/users/42"),
		attribute.String("url.scheme", "https"),
		attribute.String("http.route", "/api/v1/users/{id}"),
		attribute.Int("http.response.status_code", 200),
		attribute.String("server.address", "api.example.com"),
		attribute.Int("server.port", 443),
		attribute.String("client.address", "10.0.0.7"),
		attribute.String("user_agent.original", "Mozilla/5.0 (X11; Linux x86_64; rv:109.0) Gecko/20100101 Firefox/115.0"),
		attribute.String("observe.request_id", "01HZX3J5W8E6T7Q9R2M4N6P8S0"),
	}
}

func TestAllowPanics(t *testing.T) {
	var mu sync.Mutex
	var handled []error
	prev := otel.GetErrorHandler()
	otel.SetErrorHandler(otel.ErrorHandlerFunc(func(err error) {
		mu.Lock()
		handled = append(handled, err)
		mu.Unlock()
	}))
	t.Cleanup(func() { otel.SetErrorHandler(prev) })

	s := New(Options{Allow: func(m Match) bool { panic("saw " + m.Value) }})
	if got, _ := s.String("password", "hunter2"); got != "[REDACTED: password]" {
		t.Errorf("String = %q; want the marker", got)
	}
	mu.Lock()
	defer mu.Unlock()
	if len(handled) != 1 || !errors.Is(handled[0], errAllowPanicked) || strings.Contains(handled[0].Error(), "hunter2") {
		t.Errorf("handled %v; want one report of the panic, without the secret", handled)
	}
}

func TestZeroScrubber(t *testing.T) {
	var s Scrubber
	if got, _ := s.String("api_key", "k"); got != "[REDACTED: api key]" {
		t.Errorf("String = %q", got)
	}
	if got, _ := s.String("user", "ada"); got != "ada" {
		t.Errorf("String = %q", got)
	}
}
