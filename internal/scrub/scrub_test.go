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
