package scrub

import (
	"context"
	"encoding/base64"
	"errors"
	"strconv"
	"strings"
	"testing"

	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/codes"
	"go.opentelemetry.io/otel/log"
	"go.opentelemetry.io/otel/trace"
)

// gen builds a tree of attributes from fuzz bytes: neutral values that no
// rule can match (their alphabet has no vowel but 'u', no 'e', 'J' without
// "ey", fewer than 13 digits, no '@'), and secrets planted under sensitive
// keys or in every form the rules cover.
type gen struct {
	data    []byte
	pos     int
	secrets []string
	neutral []expectation // values that must come out unchanged
}

type expectation struct {
	path []string
	want string
}

func (g *gen) next() byte {
	if g.pos >= len(g.data) {
		return 0
	}
	b := g.data[g.pos]
	g.pos++
	return b
}

func (g *gen) n(k int) int { return int(g.next()) % k }

const (
	neutralAlphabet = "dfghkmquvwxyzbJ0123456789 :=-/.{}[]&,"
	keyLetters      = "dfghkmquvwxyz"
	alnum           = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789"
)

var sensitiveKeys = []string{
	"password", "api_key", "Authorization", "card_number", "cvv", "session_id", "X-Csrf-Token",
	"client_secret", "ssn", "pan", "iban", "access_token", "private_key", "cookie", "jwt", "userPin",
}

func (g *gen) neutralString() string {
	b := make([]byte, g.n(13))
	for i := range b {
		b[i] = neutralAlphabet[g.n(len(neutralAlphabet))]
	}
	return string(b)
}

func (g *gen) neutralKey(i int) string {
	b := []byte{'k'}
	for n := g.n(5); n >= 0; n-- {
		b = append(b, keyLetters[g.n(len(keyLetters))])
	}
	return string(b) + "_" + strconv.Itoa(i)
}

// secret returns a new secret: "Zs", 8 letters or digits, "9q". 'Z' and
// 's' are in no neutral value or key, so a secret is found only where it
// was planted.
func (g *gen) secret() string {
	b := []byte("Zs")
	for range 8 {
		b = append(b, alnum[g.n(len(alnum))])
	}
	s := string(append(b, '9', 'q'))
	g.secrets = append(g.secrets, s)
	return s
}

func (g *gen) card() string {
	d := []byte{'4'}
	for range 14 {
		d = append(d, '0'+byte(g.n(10)))
	}
	sum := 0
	for i := len(d) - 1; i >= 0; i-- { // the check digit will be rightmost
		x := int(d[i] - '0')
		if (len(d)-1-i)%2 == 0 {
			if x *= 2; x > 9 {
				x -= 9
			}
		}
		sum += x
	}
	d = append(d, '0'+byte((10-sum%10)%10))
	raw := string(d)
	g.secrets = append(g.secrets, raw)
	sep := []string{"", " ", "-"}[g.n(3)]
	if sep == "" {
		return raw
	}
	return raw[:4] + sep + raw[4:8] + sep + raw[8:12] + sep + raw[12:]
}

// planted returns a string with a secret in one of the forms the rules
// cover; valuesOnly keeps to the forms found without keys (a log body).
func (g *gen) planted(valuesOnly bool) string {
	var form string
	kinds := 12
	if valuesOnly {
		kinds = 6
	}
	switch g.n(kinds) {
	case 0:
		form = "Authorization: Bearer " + g.secret()
	case 1:
		form = g.card()
	case 2:
		payload := base64.RawURLEncoding.EncodeToString([]byte(`{"sub":"` + g.secret() + `"}`))
		g.secrets = append(g.secrets, payload)
		form = "eyJhbGciOiJIUzI1NiJ9." + payload + "." + g.secret()
	case 3:
		form = "-----BEGIN PRIVATE KEY-----\n" + g.secret() + "\n-----END PRIVATE KEY-----"
	case 4:
		form = "postgres://ada:" + g.secret() + "@db/x"
	case 5:
		enc := base64.StdEncoding.EncodeToString([]byte("ada:" + g.secret()))
		g.secrets = append(g.secrets, enc)
		form = "Basic " + enc
	case 6:
		form = "password=" + g.secret()
	case 7:
		form = "{User:ada Password:" + g.secret() + "}"
	case 8:
		form = "map[Authorization:[Bearer " + g.secret() + "] Cookie:[sid=" + g.secret() + "]]"
	case 9:
		form = `{"api_key":"` + g.secret() + `"}`
	case 10:
		form = "token: " + g.secret()
	case 11:
		form = "cvv=" + g.secret()
	}
	return g.neutralString() + " " + form + " " + g.neutralString()
}

// attrs returns up to five attributes; checked says whether their
// neutral values are expected unchanged (no sensitive key above them).
func (g *gen) attrs(depth int, path []string, checked bool) []attribute.KeyValue {
	var out []attribute.KeyValue
	for i := range 1 + g.n(5) {
		switch g.n(6) {
		case 0: // a sensitive key: whatever is under it goes
			key := sensitiveKeys[g.n(len(sensitiveKeys))] + "_" + strconv.Itoa(i)
			switch g.n(3) {
			case 0:
				out = append(out, attribute.String(key, g.neutralString()+g.secret()))
			case 1:
				out = append(out, attribute.StringSlice(key, []string{g.secret(), g.neutralString()}))
			case 2:
				out = append(out, attribute.Map(key, g.attrs(depth+1, nil, false)...))
			}
		case 1, 2:
			key, v := g.neutralKey(i), g.neutralString()
			out = append(out, attribute.String(key, v))
			g.expect(checked, path, key, v)
		case 3:
			out = append(out, attribute.String(g.neutralKey(i), g.planted(false)))
		case 4:
			key := g.neutralKey(i)
			if depth >= 3 {
				v := g.neutralString()
				out = append(out, attribute.String(key, v))
				g.expect(checked, path, key, v)
				continue
			}
			out = append(out, attribute.Map(key, g.attrs(depth+1, append(path[:len(path):len(path)], key), checked)...))
		case 5:
			key := g.neutralKey(i)
			var l []string
			for k := range 1 + g.n(3) {
				if g.n(2) == 0 {
					l = append(l, g.planted(false))
					continue
				}
				v := g.neutralString()
				l = append(l, v)
				g.expect(checked, path, key, v, "["+strconv.Itoa(k)+"]")
			}
			out = append(out, attribute.StringSlice(key, l))
		}
	}
	return out
}

func (g *gen) expect(checked bool, path []string, steps ...string) {
	if !checked {
		return
	}
	want := steps[1]
	steps = append([]string{steps[0]}, steps[2:]...)
	g.neutral = append(g.neutral, expectation{path: append(append([]string(nil), path...), steps...), want: want})
}

// FuzzScrub plants secrets in random trees of attributes, log bodies,
// exception messages and status descriptions, and checks what the
// exporters receive: no planted secret, and every neutral value as it was.
func FuzzScrub(f *testing.F) {
	for _, seed := range []string{
		"\x00\x01\x02\x03\x04\x05\x06\x07\x08\x09\x0a\x0b",
		"\x03\x03\x03\x03\x03\x03\x03\x03\x01\x05\x09",
		"\x04\x04\x04\x04\x04\x05\x05\x05\x00\x00\x00\x02",
		"\x02\x00\x01\x02\x03\x04\x05\x06\x07\x08\x09\x0a\x0b\x0c\x0d\x0e\x0f\x10\x11",
		"\x05\x05\x00\x07\x00\x08\x01\x09\x03",
	} {
		f.Add([]byte(seed))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		g := &gen{data: data}
		attrs := g.attrs(0, nil, true)
		var body attribute.Value
		neutralBody := ""
		if g.n(2) == 0 {
			neutralBody = g.neutralString()
			body = attribute.StringValue(neutralBody)
		} else {
			body = attribute.StringValue(g.planted(true))
		}
		message, status := g.planted(false), g.planted(false)

		// Logs.
		logger, lexp := logPipeline(t, Default())
		var rec log.Record
		rec.SetBody(body)
		rec.AddAttributes(attrs...)
		rec.SetErr(errors.New(message))
		logger.Emit(context.Background(), rec)
		r := lexp.all()[0]
		text := renderRecord(r)
		check(t, g, "log record", text, recordAttrs(r))
		if neutralBody != "" && r.Body().AsString() != neutralBody {
			t.Errorf("neutral body %q became %q", neutralBody, r.Body().AsString())
		}

		// Spans.
		tp, sexp := tracePipeline(t, Default())
		_, span := tp.Tracer("fuzz").Start(context.Background(), "op", trace.WithAttributes(attrs...))
		span.RecordError(errors.New(message))
		span.SetStatus(codes.Error, status)
		span.End()
		s := sexp.GetSpans()[0]
		check(t, g, "span", renderSpan(s), attrMap(s.Attributes))
	})
}

func check(t *testing.T, g *gen, what, text string, attrs map[string]attribute.Value) {
	t.Helper()
	for _, sec := range g.secrets {
		if strings.Contains(text, sec) {
			t.Fatalf("%s leaks %q:\n%s", what, sec, text)
		}
	}
	for _, e := range g.neutral {
		v, ok := lookup(attrs, e.path...)
		if !ok || v.AsString() != e.want {
			t.Fatalf("%s: neutral value at %v = %q (%v); want %q\n%s", what, e.path, v.Emit(), ok, e.want, text)
		}
	}
	if _, ok := attrs[ScrubbedKey]; !ok {
		t.Fatalf("%s: secrets were planted and %s is missing", what, ScrubbedKey)
	}
}

// FuzzString scrubs arbitrary text: no panic, a change is reported and
// leaves a marker, and scrubbing the result again changes nothing.
func FuzzString(f *testing.F) {
	for _, s := range []string{
		"password=hunter2", "{User:ada Password:x}", "map[Authorization:[Bearer x]]", testJWT, testPEM,
		"4111 1111 1111 1111", "https://u:p@h/x?token=1", `{"a":"b\"","secret":[1,{"x":2}]}`,
		"Basic QWxhZGRpbjpvcGVuIHNlc2FtZQ==", "-----BEGIN PRIVATE KEY-----", "eyJ" + strings.Repeat("a", 20) + ".",
		"token: ", "k=v=w:x", "\\\"password\\\":\\\"x", "a://b://c@", "[[[[password=x",
	} {
		f.Add("msg", s)
		f.Add("url.full", s)
	}
	f.Fuzz(func(t *testing.T, key, s string) {
		out, changed := Default().String(key, s)
		if changed == (out == s) {
			t.Fatalf("String(%q, %q) = %q, changed %v", key, s, out, changed)
		}
		if changed && !strings.Contains(out, "REDACTED") {
			t.Fatalf("String(%q, %q) = %q: no marker", key, s, out)
		}
		if again, _ := Default().String(key, out); again != out {
			t.Fatalf("String(%q, %q) = %q, then %q", key, s, out, again)
		}
	})
}

// FuzzParsePatterns: every item is either compiled or reported, once, by
// position.
func FuzzParsePatterns(f *testing.F) {
	for _, s := range []string{"a,b", "(,[", ",,,", "a{1,2}", `\`, "(?i)x"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		res, err := ParsePatterns(s)
		nonEmpty := 0
		for _, p := range strings.Split(s, ",") {
			if strings.TrimSpace(p) != "" {
				nonEmpty++
			}
		}
		bad := 0
		if err != nil {
			for _, line := range strings.Split(err.Error(), "\n") {
				if !strings.HasPrefix(line, "scrubbing pattern ") {
					t.Fatalf("ParsePatterns(%q): error line %q", s, line)
				}
				bad++
			}
		}
		if len(res)+bad != nonEmpty {
			t.Fatalf("ParsePatterns(%q): %d compiled + %d errors for %d items", s, len(res), bad, nonEmpty)
		}
	})
}
