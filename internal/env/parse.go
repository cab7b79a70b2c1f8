package env

import (
	"errors"
	"fmt"
	"log/slog"
	"net/url"
	"regexp"
	"strconv"
	"strings"
	"time"
)

// Bool reads a boolean variable: "true" or "false", in any case.
func (r Reader) Bool(key string) (value, set bool, err error) {
	v, ok := r.Get(key)
	if !ok {
		return false, false, nil
	}
	b, err := ParseBool(v)
	if err != nil {
		return false, true, &Error{Key: key, Value: v, Err: err}
	}
	return b, true, nil
}

// ParseBool accepts "true" and "false" in any case.
func ParseBool(s string) (bool, error) {
	switch strings.ToLower(strings.TrimSpace(s)) {
	case "true":
		return true, nil
	case "false":
		return false, nil
	}
	return false, errors.New(`want "true" or "false"`)
}

// List reads a comma-separated list of names, lower-cased, with duplicates
// removed and order kept.
func (r Reader) List(key string) ([]string, bool, error) {
	v, ok := r.Get(key)
	if !ok {
		return nil, false, nil
	}
	l, err := ParseList(v)
	if err != nil {
		return nil, true, &Error{Key: key, Value: v, Err: err}
	}
	return l, true, nil
}

// ParseList splits a comma-separated list of names. Names are trimmed and
// lower-cased; an empty name is an error.
func ParseList(s string) ([]string, error) {
	parts := strings.Split(s, ",")
	out := make([]string, 0, len(parts))
	for i, p := range parts {
		p = strings.ToLower(strings.TrimSpace(p))
		if p == "" {
			return nil, fmt.Errorf("item %d of the list is empty", i+1)
		}
		for _, c := range p {
			if !(c >= 'a' && c <= 'z' || c >= '0' && c <= '9' || c == '_' || c == '-' || c == '.' || c == '/') {
				return nil, fmt.Errorf("item %q has the character %q; names hold letters, digits and _-./", p, c)
			}
		}
		if !contains(out, p) {
			out = append(out, p)
		}
	}
	return out, nil
}

func contains(l []string, s string) bool {
	for _, x := range l {
		if x == s {
			return true
		}
	}
	return false
}

// Millis reads a whole, non-negative number of milliseconds.
func (r Reader) Millis(key string) (time.Duration, bool, error) {
	v, ok := r.Get(key)
	if !ok {
		return 0, false, nil
	}
	d, err := ParseMillis(v)
	if err != nil {
		return 0, true, &Error{Key: key, Value: v, Err: err}
	}
	return d, true, nil
}

// maxMillis keeps durations inside time.Duration's range (about 106 days).
const maxMillis = int64(1<<63-1) / int64(time.Millisecond) / 1000

// ParseMillis parses a whole, non-negative number of milliseconds.
func ParseMillis(s string) (time.Duration, error) {
	n, err := strconv.ParseInt(strings.TrimSpace(s), 10, 64)
	if err != nil || n < 0 {
		return 0, errors.New("want a whole, non-negative number of milliseconds")
	}
	if n > maxMillis {
		return 0, fmt.Errorf("more than the largest accepted value, %d ms", maxMillis)
	}
	return time.Duration(n) * time.Millisecond, nil
}

// PositiveInt reads a whole number of at least 1.
func (r Reader) PositiveInt(key string) (int, bool, error) {
	v, ok := r.Get(key)
	if !ok {
		return 0, false, nil
	}
	n, err := strconv.Atoi(v)
	if err != nil || n < 1 {
		return 0, true, &Error{Key: key, Value: v, Err: errors.New("want a whole number of at least 1")}
	}
	return n, true, nil
}

// Ratio reads a number from 0 to 1.
func (r Reader) Ratio(key string) (float64, bool, error) {
	v, ok := r.Get(key)
	if !ok {
		return 0, false, nil
	}
	f, err := ParseRatio(v)
	if err != nil {
		return 0, true, &Error{Key: key, Value: v, Err: err}
	}
	return f, true, nil
}

// ParseRatio parses a number from 0 to 1.
func ParseRatio(s string) (float64, error) {
	f, err := strconv.ParseFloat(strings.TrimSpace(s), 64)
	if err != nil || f != f { // f != f is NaN
		return 0, errors.New("want a number from 0 to 1")
	}
	if f < 0 || f > 1 {
		return 0, errors.New("out of range: want a number from 0 to 1")
	}
	return f, nil
}

// Level reads a log level: debug, info, warn (or warning) or error.
func (r Reader) Level(key string) (slog.Level, bool, error) {
	v, ok := r.Get(key)
	if !ok {
		return slog.LevelInfo, false, nil
	}
	l, err := ParseLevel(v)
	if err != nil {
		return slog.LevelInfo, true, &Error{Key: key, Value: v, Err: err}
	}
	return l, true, nil
}

// ParseLevel parses debug, info, warn (or warning) or error, in any case.
func ParseLevel(s string) (slog.Level, error) {
	switch strings.ToLower(strings.TrimSpace(s)) {
	case "debug":
		return slog.LevelDebug, nil
	case "info":
		return slog.LevelInfo, nil
	case "warn", "warning":
		return slog.LevelWarn, nil
	case "error":
		return slog.LevelError, nil
	}
	return slog.LevelInfo, errors.New("want debug, info, warn or error")
}

// Port reads a TCP port number, 1 to 65535.
func (r Reader) Port(key string) (int, bool, error) {
	v, ok := r.Get(key)
	if !ok {
		return 0, false, nil
	}
	n, err := strconv.Atoi(v)
	if err != nil || n < 1 || n > 65535 {
		return 0, true, &Error{Key: key, Value: v, Err: errors.New("want a port number from 1 to 65535")}
	}
	return n, true, nil
}

// OneOf reads a value that must be one of allowed (compared in lower case).
func (r Reader) OneOf(key string, allowed ...string) (string, bool, error) {
	v, ok := r.Get(key)
	if !ok {
		return "", false, nil
	}
	lv := strings.ToLower(v)
	if contains(allowed, lv) {
		return lv, true, nil
	}
	return "", true, &Error{Key: key, Value: v, Err: fmt.Errorf("want one of %s", strings.Join(allowed, ", "))}
}

// URL reads an http or https URL with a host. Credentials in the URL never
// appear in an error.
func (r Reader) URL(key string) (*url.URL, bool, error) {
	v, ok := r.Get(key)
	if !ok {
		return nil, false, nil
	}
	u, err := ParseURL(v)
	if err != nil {
		return nil, true, &Error{Key: key, Value: RedactURL(v), Err: err}
	}
	return u, true, nil
}

// wantURL says what an endpoint must look like.
const wantURL = "want an http:// or https:// URL with a host, such as http://localhost:4318"

// ParseURL parses an absolute http or https URL with a host.
func ParseURL(s string) (*url.URL, error) {
	s = strings.TrimSpace(s)
	u, err := url.Parse(s)
	if err != nil || u.Opaque != "" || (u.Scheme != "http" && u.Scheme != "https") {
		// "localhost:4317" parses with the scheme "localhost", and
		// "127.0.0.1:4318" does not parse: both get the same answer.
		return nil, errors.New(wantURL)
	}
	if u.Host == "" || u.Hostname() == "" {
		return nil, errors.New("the URL has no host: " + wantURL)
	}
	if p := u.Port(); p != "" {
		n, err := strconv.Atoi(p)
		if err != nil || n < 1 || n > 65535 {
			return nil, errors.New("the URL's port is out of range")
		}
	}
	if u.RawQuery != "" || u.Fragment != "" {
		return nil, errors.New("the URL must not have a query or fragment")
	}
	return u, nil
}

// RedactURL hides what may be secret in a URL-like string, whether or not
// it parses: the password of its user information, and its query and
// fragment, whose parameters may hold keys or tokens.
func RedactURL(s string) string {
	if i := strings.IndexAny(s, "?#"); i >= 0 {
		s = s[:i+1] + "xxxxx"
	}
	if u, err := url.Parse(s); err == nil && u.User != nil {
		return u.Redacted()
	}
	if i := strings.LastIndex(s, "@"); i >= 0 {
		if j := strings.Index(s, "://"); j >= 0 && j < i {
			return s[:j+3] + "xxxxx" + s[i:]
		}
		return "xxxxx" + s[i:]
	}
	return s
}

// KeyValue is one entry of a key=value list.
type KeyValue struct {
	Key, Value string
}

// KeyValues reads a W3C-Baggage-style list, "k1=v1,k2=v2", with
// percent-encoded values. With secret set, errors describe the faulty
// entry by position and never show a value.
func (r Reader) KeyValues(key string, secret bool) ([]KeyValue, bool, error) {
	v, ok := r.Get(key)
	if !ok {
		return nil, false, nil
	}
	kvs, err := ParseKeyValues(v, secret)
	if err != nil {
		shown := v
		if secret {
			shown = "(hidden)"
		}
		return nil, true, &Error{Key: key, Value: shown, Err: err}
	}
	return kvs, true, nil
}

// ParseKeyValues parses "k1=v1,k2=v2": keys and values are trimmed, values
// are percent-decoded, and empty entries are skipped. With secret set, error
// messages name an entry by position only.
func ParseKeyValues(s string, secret bool) ([]KeyValue, error) {
	var out []KeyValue
	for i, item := range strings.Split(s, ",") {
		if strings.TrimSpace(item) == "" {
			continue
		}
		k, v, ok := strings.Cut(item, "=")
		k = strings.TrimSpace(k)
		// Keys are shown; a value, or an entry without '=' (which may be a
		// bare token), is shown only when the list holds no secrets.
		name := fmt.Sprintf("entry %d", i+1)
		switch {
		case ok && k != "":
			name = fmt.Sprintf("entry %d (%q)", i+1, k)
		case !secret:
			name = fmt.Sprintf("entry %d (%q)", i+1, strings.TrimSpace(item))
		}
		if !ok {
			return nil, fmt.Errorf("%s has no '=' between key and value", name)
		}
		if k == "" {
			return nil, fmt.Errorf("%s has an empty key", name)
		}
		for _, c := range k {
			if c <= ' ' || c >= 0x7f || strings.ContainsRune(`"(),/:;<=>?@[\]{}`, c) {
				return nil, fmt.Errorf("%s has a key with the character %q", name, c)
			}
		}
		dv, err := url.PathUnescape(strings.TrimSpace(v))
		if err != nil {
			return nil, fmt.Errorf("%s has a badly percent-encoded value", name)
		}
		out = append(out, KeyValue{Key: k, Value: dv})
	}
	return out, nil
}

// Regexps reads a comma-separated list of regular expressions. The valid
// ones are returned even when another is invalid; the error names the
// invalid ones.
func (r Reader) Regexps(key string) ([]*regexp.Regexp, error) {
	v, ok := r.Get(key)
	if !ok {
		return nil, nil
	}
	var out []*regexp.Regexp
	var errs []error
	for _, p := range strings.Split(v, ",") {
		p = strings.TrimSpace(p)
		if p == "" {
			continue
		}
		re, err := regexp.Compile(p)
		if err != nil {
			errs = append(errs, &Error{Key: key, Value: p, Err: errors.New("not a valid regular expression")})
			continue
		}
		out = append(out, re)
	}
	return out, errors.Join(errs...)
}
