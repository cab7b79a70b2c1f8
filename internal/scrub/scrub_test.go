package scrub

import (
	"net/url"
	"strings"
	"testing"
)

func TestQuery(t *testing.T) {
	for _, tc := range []struct{ in, want string }{
		{"", ""},
		{"name=world", "name=world"},
		{"name=world&token=abc123", "name=world&token=REDACTED"},
		{"access_token=a&X-Goog-Signature=b&AWSAccessKeyId=c&sig=d&page=2", "access_token=REDACTED&X-Goog-Signature=REDACTED&AWSAccessKeyId=REDACTED&sig=REDACTED&page=2"},
		{"Password=hunter2;user=ada", "Password=REDACTED;user=ada"},
		{"api%5Fkey=s3cr3t", "api%5Fkey=REDACTED"},
		{"token=&token", "token=&token"},
		{"client_secret=x=y&q=1", "client_secret=REDACTED&q=1"},
		{"a=1&&b=2", "a=1&&b=2"},
	} {
		if got := Query(tc.in); got != tc.want {
			t.Errorf("Query(%q) = %q; want %q", tc.in, got, tc.want)
		}
	}
}

func TestQueryNoAllocWhenClean(t *testing.T) {
	q := "name=world&page=2&sort=asc"
	if n := testing.AllocsPerRun(100, func() { _ = Query(q) }); n != 0 {
		t.Fatalf("Query allocates %v times on a clean query", n)
	}
}

func TestURL(t *testing.T) {
	for in, want := range map[string]string{
		"https://ada:hunter2@api.example.com/v1/users?id=1&api_key=k#frag": "https://REDACTED:REDACTED@api.example.com/v1/users?id=1&api_key=REDACTED",
		"http://token@h/x":    "http://REDACTED@h/x",
		"http://h:8080/a?b=c": "http://h:8080/a?b=c",
	} {
		u, err := url.Parse(in)
		if err != nil {
			t.Fatal(err)
		}
		if got := URL(u); got != want {
			t.Errorf("URL(%q) = %q; want %q", in, got, want)
		}
	}
	if URL(nil) != "" {
		t.Error("URL(nil) not empty")
	}
}

func FuzzQuery(f *testing.F) {
	for _, s := range []string{"a=1&token=x", "token=", "=x", "&&", "k%ZZ=1", "secret=a;b=c"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		got := Query(s)
		// Redaction keeps the shape: as many separators as before.
		if strings.Count(got, "&")+strings.Count(got, ";") != strings.Count(s, "&")+strings.Count(s, ";") {
			t.Fatalf("Query(%q) = %q changed the pairs", s, got)
		}
		for _, pair := range strings.FieldsFunc(got, func(r rune) bool { return r == '&' || r == ';' }) {
			if k, v, ok := strings.Cut(pair, "="); ok && v != "" && SensitiveKey(k) && v != Redacted {
				t.Fatalf("Query(%q) = %q leaves %q under %q", s, got, v, k)
			}
		}
	})
}

func TestQueryPaymentAndValues(t *testing.T) {
	for _, tc := range []struct{ in, want string }{
		{"card_number=4111111111111111&cvv=123&q=ok", "card_number=REDACTED&cvv=REDACTED&q=ok"},
		{"api_token=x&pan=1&iban=DE89&session_id=s", "api_token=REDACTED&pan=REDACTED&iban=REDACTED&session_id=REDACTED"},
		{"key=AIzaSy&code=4/0Adeu&state=xyz", "key=REDACTED&code=REDACTED&state=xyz"},
		// Values, whatever the name; encoded or not.
		{"q=4111111111111111&page=2", "q=REDACTED&page=2"},
		{"q=4111%201111%201111%201111", "q=REDACTED"},
		{"q=4111+1111+1111+1111", "q=REDACTED"},
		{"id_hint=" + testJWT, "id_hint=REDACTED"},
		{"page=1700000000000", "page=1700000000000"},
		{"q=%ZZ", "q=%ZZ"},
	} {
		if got := Query(tc.in); got != tc.want {
			t.Errorf("Query(%q) = %q; want %q", tc.in, got, tc.want)
		}
	}
}

func TestURLAttributes(t *testing.T) {
	for _, tc := range []struct{ key, in, want string }{
		{"url.full", "https://ada:hunter2@api.example.com/v1?id=1&api_key=k", "https://REDACTED:REDACTED@api.example.com/v1?id=1&api_key=REDACTED"},
		{"url.full", "https://tok@h/x", "https://REDACTED@h/x"},
		{"url.full", "https://REDACTED:REDACTED@h/x?a=1", "https://REDACTED:REDACTED@h/x?a=1"},
		{"url.full", "https://h/reset/" + testJWT + "/done", "https://h/reset/REDACTED/done"},
		{"url.full", "https://h/cb#access_token=abc&state=1", "https://h/cb#access_token=REDACTED&state=1"},
		{"url.full", "https://h/p?card_number=4111111111111111#frag", "https://h/p?card_number=REDACTED#frag"},
		{"url.full", "/relative?password=x", "/relative?password=REDACTED"},
		{"url.full", "https://h/orders/4111111111111111", "https://h/orders/REDACTED"},
		{"url.full", "https://h/x?page=2", "https://h/x?page=2"},
		{"http.url", "http://u:p@h/", "http://REDACTED:REDACTED@h/"},
		{"url.query", "password=x&page=2", "password=REDACTED&page=2"},
		{"url.query", "page=2", "page=2"},
	} {
		got, changed := Default().String(tc.key, tc.in)
		if got != tc.want || changed != (tc.in != tc.want) {
			t.Errorf("String(%q, %q) = %q, %v; want %q", tc.key, tc.in, got, changed, tc.want)
		}
	}
	u, _ := url.Parse("https://h/orders/" + testJWT + "?cvv=1")
	if got, want := URL(u), "https://h/orders/REDACTED?cvv=REDACTED"; got != want {
		t.Errorf("URL = %q; want %q", got, want)
	}
}

func TestURLNoAllocWhenClean(t *testing.T) {
	if n := testing.AllocsPerRun(100, func() {
		if got, changed := Default().String("url.full", "https://api.example.com:8443/v1/users?id=1&page=2"); changed {
			t.Fatalf("changed to %q", got)
		}
	}); n != 0 {
		t.Fatalf("a clean url.full allocates %v times", n)
	}
}
