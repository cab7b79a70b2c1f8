package scrub

import (
	"encoding/base64"
	"strings"
	"testing"
)

const (
	testJWT = "eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.eyJzdWIiOiIxMjM0NTY3ODkwIn0.SflKxwRJSMeKKF2QT4fwpMeJf36POk6yJV_adQssw5c"
	testJWE = "eyJhbGciOiJSU0EtT0FFUCJ9.OKOawDo13gRp2ojaHV7LFpZcgV7T6DVZKTyKOMTYUmKoTCVJRgckCL9kiMT03JGe.48V1_ALb6US04U3b.5eym8TW_c8SuK0ltJ3rpYIzOeDQz7TALvtu6UG9oMo4vpzs9tX_EFShS8iB7j6jiSdiwkIr3ajwQzaBtQD_A.XFBoMYUZodetZdvTiFvSkQ"
)

var testPEM = "-----BEGIN RSA PRIVATE KEY-----\nMIIEowIBAAKCAQEAq1\nZ2VudGxl\n-----END RSA PRIVATE KEY-----"

func TestValueRules(t *testing.T) {
	basic := base64.StdEncoding.EncodeToString([]byte("ada:hunter2"))
	for _, tc := range []struct{ in, want string }{
		// Card numbers: Luhn-valid test numbers of the major schemes.
		{"4111111111111111", "[REDACTED: card number]"},
		{"paid with 4111 1111 1111 1111.", "paid with [REDACTED: card number]."},
		{"5555-5555-5555-4444", "[REDACTED: card number]"},
		{"amex 378282246310005 ok", "amex [REDACTED: card number] ok"},
		{"diners 3056 9309 0259 04", "diners [REDACTED: card number]"},
		{"unionpay 6200000000000005", "unionpay [REDACTED: card number]"},
		{"mir 2200000000000004", "mir [REDACTED: card number]"},
		{"19 digits 4111111111111111110", "19 digits [REDACTED: card number]"},
		{"card 4111 1111 1111 1111 123", "card [REDACTED: card number] 123"},
		{"4111111111111111,5555555555554444", "[REDACTED: card number],[REDACTED: card number]"},
		{"x4111111111111111y", "x[REDACTED: card number]y"},
		{strings.Repeat("1 ", 30) + "4111 1111 1111 1111", strings.Repeat("1 ", 30) + "[REDACTED: card number]"},
		// Not cards.
		{"4111111111111112", "4111111111111112"},             // Luhn fails
		{"411111111111", "411111111111"},                     // 12 digits
		{"41111111111111111111", "41111111111111111111"},     // 20 digits
		{"at 1700000000000", "at 1700000000000"},             // Unix milliseconds
		{"at 1700000000000000000", "at 1700000000000000000"}, // Unix nanoseconds
		{"0.4111111111111111", "0.4111111111111111"},         // a fraction
		{"4111111111111111.5", "4111111111111111.5"},         // an integer part
		{"4111  1111 1111 1111", "4111  1111 1111 1111"},     // two spaces: not one number
		{"2024-01-01T12:00:00Z", "2024-01-01T12:00:00Z"},
		{"9111111111111116", "9111111111111116"}, // Luhn-valid, no major scheme
		// JWTs.
		{testJWT, "[REDACTED: jwt]"},
		{"t=" + testJWT + "&x=1", "t=[REDACTED: jwt]&x=1"},
		{"jwe " + testJWE + " end", "jwe [REDACTED: jwt] end"},
		{"eyJhbGciOiJub25lIn0.eyJzdWIiOiJ4In0.", "[REDACTED: jwt]"}, // unsigned
		{"eyJ.eyJ.x", "eyJ.eyJ.x"},                                  // too short for a header
		{"eyJhbGciOiJIUzI1NiJ9 only", "eyJhbGciOiJIUzI1NiJ9 only"},
		// Bearer and basic credentials.
		{"Bearer abcDEF123456", "Bearer [REDACTED: bearer token]"},
		{"bearer sk_live_51Habc", "bearer [REDACTED: bearer token]"},
		{"got BEARER  abc.def.ghi from", "got BEARER  [REDACTED: bearer token] from"},
		{"Bearer " + testJWT, "Bearer [REDACTED: jwt]"}, // the more specific rule
		{"Bearer authentication failed", "Bearer authentication failed"},
		{"Bearer abc", "Bearer abc"},
		{"Basic " + basic, "Basic [REDACTED: basic credentials]"},
		{"Basic authentication failed", "Basic authentication failed"},
		{"Basic QWxhZGRpbg==", "Basic QWxhZGRpbg=="}, // no ':' inside
		{"Unbearer abcDEF123456", "Unbearer abcDEF123456"},
		// PEM private keys.
		{testPEM, "[REDACTED: private key]"},
		{"key:\n" + testPEM + "\nafter", "key:\n[REDACTED: private key]\nafter"},
		{"-----BEGIN PRIVATE KEY-----\nMIIEvQ (cut", "[REDACTED: private key]"},
		{"-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----", "-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----"},
		{"-----BEGIN OPENSSH PRIVATE KEY-----\nb3Blbn\n-----END OPENSSH PRIVATE KEY-----", "[REDACTED: private key]"},
		// URL credentials.
		{"dial postgres://ada:hunter2@db:5432/x: refused", "dial postgres://[REDACTED: url credentials]@db:5432/x: refused"},
		{"clone https://ghp_abc123@github.com/o/r", "clone https://[REDACTED: url credentials]@github.com/o/r"},
		{"https://REDACTED:REDACTED@h/x", "https://REDACTED:REDACTED@h/x"},
		{"mailto:ada@example.com", "mailto:ada@example.com"},
		{"https://h/x?to=ada@example.com", "https://h/x?to=ada@example.com"},
		// Nothing.
		{"", ""},
		{"GET /users/{id}", "GET /users/{id}"},
		{"Mozilla/5.0 (X11; Linux x86_64; rv:109.0) Gecko/20100101 Firefox/115.0", "Mozilla/5.0 (X11; Linux x86_64; rv:109.0) Gecko/20100101 Firefox/115.0"},
	} {
		got, changed := Default().String("msg", tc.in)
		if got != tc.want || changed != (tc.in != tc.want) {
			t.Errorf("String(msg, %q) = %q, %v; want %q", tc.in, got, changed, tc.want)
		}
	}
}

func TestInStringForms(t *testing.T) {
	for _, tc := range []struct{ in, want string }{
		// slog.Any of a struct, fmt's %v and %+v.
		{"{User:ada Password:hunter2}", "{User:ada Password:[REDACTED: password]}"},
		{"&{Name:ada APIKey:sk_live_x Age:3}", "&{Name:ada APIKey:[REDACTED: api key] Age:3}"},
		{"{ada hunter2}", "{ada hunter2}"}, // %v has no keys: nothing to go by
		{"{User:ada Card:{Number:4111111111111111 CVV:123}}", "{User:ada Card:{Number:[REDACTED: card number] CVV:[REDACTED: cvv]}}"},
		{"{Secret:{Value:x Other:y} Next:1}", "{Secret:[REDACTED: secret] Next:1}"},
		// A logged http.Header.
		{"map[Accept:[*/*] Authorization:[Bearer x] Cookie:[a=b; c=d]]", "map[Accept:[*/*] Authorization:[REDACTED: auth] Cookie:[REDACTED: cookie]]"},
		// slog's text handler, logfmt, query strings.
		{"user=ada password=hunter2 n=1", "user=ada password=[REDACTED: password] n=1"},
		{`user=ada token="a b c" n=1`, `user=ada token="[REDACTED: token]" n=1`},
		{"a=1&api_token=x&b=2", "a=1&api_token=[REDACTED: token]&b=2"},
		{"cookie=sid=abc;theme=dark next=1", "cookie=[REDACTED: cookie] next=1"},
		// JSON, escaped JSON.
		{`{"user":"ada","password":"hun\"ter2","n":1}`, `{"user":"ada","password":"[REDACTED: password]","n":1}`},
		{`{"api_key": 12345, "n": 1}`, `{"api_key": [REDACTED: api key], "n": 1}`},
		{`{"auth":{"user":"a","pass":"b"}}`, `{"auth":[REDACTED: auth]}`},
		{`{\"password\":\"hunter2\"}`, `{\"password\":\"[REDACTED: password]\"}`},
		{`{'secret': 'x y'}`, `{'secret': '[REDACTED: secret]'}`},
		// Header lines and "key: value".
		{"Authorization: Bearer x\r\nAccept: */*", "Authorization: [REDACTED: auth]\r\nAccept: */*"},
		{"password: hunter 2\nuser: ada", "password: [REDACTED: password]\nuser: ada"},
		{"password : hunter2, user: ada", "password : [REDACTED: password], user: ada"},
		{"api key: k-123", "api key: [REDACTED: api key]"},
		{"Credit Card: 1234", "Credit Card: [REDACTED: credit card]"},
		{"user[password]=x&y=1", "user[password]=[REDACTED: password]&y=1"},
		// What is not a key=value form.
		{"if token == nil", "if token == nil"},
		{"token != x", "token != x"},
		{"password:", "password:"},
		{"password=", "password="},
		{"reset your password", "reset your password"},
		{"https://h/x", "https://h/x"},
		{"12:30:00", "12:30:00"},
		{"author=ada", "author=ada"},
	} {
		got, changed := Default().String("msg", tc.in)
		if got != tc.want || changed != (tc.in != tc.want) {
			t.Errorf("String(msg, %q)\n got  %q, %v\n want %q", tc.in, got, changed, tc.want)
		}
	}
}

func TestValueUnderSensitiveKey(t *testing.T) {
	for _, tc := range []struct{ key, in, want string }{
		{"password", "hunter2", "[REDACTED: password]"},
		{"Authorization", "Bearer x", "[REDACTED: auth]"},
		{"card_number", "4111 1111 1111 1111", "[REDACTED: card number]"},
		{"password", "", ""}, // nothing to hide
		{"note", "password", "password"},
	} {
		got, _ := Default().String(tc.key, tc.in)
		if got != tc.want {
			t.Errorf("String(%q, %q) = %q; want %q", tc.key, tc.in, got, tc.want)
		}
	}
}

func TestIsCardInt(t *testing.T) {
	for n, want := range map[int64]bool{
		4111111111111111:    true,
		378282246310005:     true,
		4111111111111112:    false,
		1700000000000:       false,
		1700000000000000000: false,
		123:                 false,
		-4111111111111111:   false,
	} {
		if got := isCardInt(n); got != want {
			t.Errorf("isCardInt(%d) = %v; want %v", n, got, want)
		}
	}
}

func TestStringNoAllocWhenClean(t *testing.T) {
	values := []string{
		"GET", "/api/v1/users/{id}", "200", "Mozilla/5.0 (X11; Linux x86_64; rv:109.0)",
		"2024-01-01T12:00:00Z", "user=ada n=1", "db.example.com", strings.Repeat("x", 200),
	}
	if n := testing.AllocsPerRun(100, func() {
		for _, v := range values {
			if _, changed := Default().String("value", v); changed {
				t.Fatalf("%q changed", v)
			}
		}
	}); n != 0 {
		t.Fatalf("String allocates %v times on clean values", n)
	}
}
