package env

import (
	"regexp"
	"strconv"
	"strings"
	"testing"
)

var secretErr = regexp.MustCompile(`^entry (\d+)(?: \((".*")\))? has (?:no '=' between key and value|an empty key|a key with the character .*|a badly percent-encoded value)$`)

// The parsers take outside input: they must return a value or an error,
// never panic, and never echo a secret they were told to hide.

func FuzzParseKeyValues(f *testing.F) {
	for _, s := range []string{"a=1,b=2", "Authorization=Bearer%20x", "=", ",,,", "a=%", "k=v=w", "\x00=\xff"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		kvs, err := ParseKeyValues(s, true)
		if err != nil {
			// A secret list's error names an entry by position, and by key
			// only where the entry has one: never a value.
			m := secretErr.FindStringSubmatch(err.Error())
			if m == nil {
				t.Fatalf("unexpected error form %q", err)
			}
			if m[2] != "" {
				n, _ := strconv.Atoi(m[1])
				item := strings.Split(s, ",")[n-1]
				k, _, ok := strings.Cut(item, "=")
				if !ok || strconv.Quote(strings.TrimSpace(k)) != m[2] {
					t.Fatalf("error %q shows more than the key of %q", err, item)
				}
			}
			return
		}
		for _, kv := range kvs {
			if kv.Key == "" {
				t.Fatalf("empty key accepted from %q", s)
			}
		}
	})
}

func FuzzParseList(f *testing.F) {
	for _, s := range []string{"otlp", "console,otlp", ",", "a,,b", " X "} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		l, err := ParseList(s)
		if err != nil {
			return
		}
		seen := map[string]bool{}
		for _, n := range l {
			if n == "" || n != strings.ToLower(strings.TrimSpace(n)) || seen[n] {
				t.Fatalf("ParseList(%q) = %q", s, l)
			}
			seen[n] = true
		}
	})
}

func FuzzParseScalars(f *testing.F) {
	for _, s := range []string{"0", "1", "-1", "0.5", "NaN", "Inf", "1e400", "true", "debug", "http://h:1", "http://[::1]:4318/x"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		if d, err := ParseMillis(s); err == nil && d < 0 {
			t.Fatalf("ParseMillis(%q) = %v", s, d)
		}
		if r, err := ParseRatio(s); err == nil && (r < 0 || r > 1 || r != r) {
			t.Fatalf("ParseRatio(%q) = %v", s, r)
		}
		_, _ = ParseBool(s)
		_, _ = ParseLevel(s)
		if u, err := ParseURL(s); err == nil && (u.Host == "" || (u.Scheme != "http" && u.Scheme != "https")) {
			t.Fatalf("ParseURL(%q) = %v", s, u)
		}
		_ = RedactURL(s)
	})
}
