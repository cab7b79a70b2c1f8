package env

import (
	"errors"
	"log/slog"
	"strings"
	"testing"
	"time"
)

func TestGetTreatsEmptyAsUnset(t *testing.T) {
	r := New(FromMap(map[string]string{"A": "  x ", "B": "", "C": "   "}))
	for _, tc := range []struct {
		key    string
		want   string
		wantOK bool
	}{
		{"A", "x", true},
		{"B", "", false},
		{"C", "", false},
		{"D", "", false},
	} {
		got, ok := r.Get(tc.key)
		if got != tc.want || ok != tc.wantOK {
			t.Errorf("Get(%q) = %q, %v; want %q, %v", tc.key, got, ok, tc.want, tc.wantOK)
		}
	}
}

func TestNewNilReadsProcess(t *testing.T) {
	t.Setenv("OBSERVE_TEST_PROCESS_VAR", "yes")
	if v, ok := New(nil).Get("OBSERVE_TEST_PROCESS_VAR"); !ok || v != "yes" {
		t.Fatalf("Get = %q, %v; want yes, true", v, ok)
	}
}

func TestParseList(t *testing.T) {
	for _, tc := range []struct {
		in      string
		want    []string
		wantErr string
	}{
		{"otlp", []string{"otlp"}, ""},
		{" Console , OTLP ", []string{"console", "otlp"}, ""},
		{"otlp,otlp,none", []string{"otlp", "none"}, ""},
		{"otlp,,console", nil, "item 2 of the list is empty"},
		{"otlp,", nil, "item 2 of the list is empty"},
		{"ot lp", nil, `item "ot lp" has the character ' '`},
		{"otlp;console", nil, "character ';'"},
	} {
		got, err := ParseList(tc.in)
		if tc.wantErr != "" {
			if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
				t.Errorf("ParseList(%q) error = %v; want it to contain %q", tc.in, err, tc.wantErr)
			}
			continue
		}
		if err != nil || strings.Join(got, "|") != strings.Join(tc.want, "|") {
			t.Errorf("ParseList(%q) = %q, %v; want %q", tc.in, got, err, tc.want)
		}
	}
}

func TestParseKeyValues(t *testing.T) {
	for _, tc := range []struct {
		name    string
		in      string
		secret  bool
		want    []KeyValue
		wantErr string
		hidden  string
	}{
		{name: "plain", in: "a=1,b=2", want: []KeyValue{{"a", "1"}, {"b", "2"}}},
		{name: "spaces and percent", in: " api-key = abc%20def , x=%2C", want: []KeyValue{{"api-key", "abc def"}, {"x", ","}}},
		{name: "empty value", in: "a=", want: []KeyValue{{"a", ""}}},
		{name: "value with equals", in: "a=b=c", want: []KeyValue{{"a", "b=c"}}},
		{name: "trailing comma", in: "a=1,", want: []KeyValue{{"a", "1"}}},
		{name: "no equals", in: "a=1,garbage", wantErr: `entry 2 ("garbage") has no '='`},
		{name: "no equals secret", in: "Bearer s3cr3t", secret: true, wantErr: "entry 1 has no '='", hidden: "s3cr3t"},
		{name: "bad percent secret", in: "Authorization=Bearer%zz-s3cr3t", secret: true, wantErr: `entry 1 ("Authorization") has a badly percent-encoded value`, hidden: "s3cr3t"},
		{name: "empty key", in: "=v", wantErr: "has an empty key"},
		{name: "bad key char", in: "a b=1", wantErr: "a key with the character ' '"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, err := ParseKeyValues(tc.in, tc.secret)
			if tc.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
					t.Fatalf("error = %v; want it to contain %q", err, tc.wantErr)
				}
				if tc.hidden != "" && strings.Contains(err.Error(), tc.hidden) {
					t.Fatalf("error %q shows the secret %q", err, tc.hidden)
				}
				return
			}
			if err != nil || len(got) != len(tc.want) {
				t.Fatalf("got %v, %v; want %v", got, err, tc.want)
			}
			for i := range got {
				if got[i] != tc.want[i] {
					t.Fatalf("got %v; want %v", got, tc.want)
				}
			}
		})
	}
}

func TestKeyValuesSecretHidesValueInError(t *testing.T) {
	r := New(FromMap(map[string]string{"H": "Authorization=Bearer token-123,broken"}))
	_, _, err := r.KeyValues("H", true)
	var e *Error
	if !errors.As(err, &e) || e.Key != "H" {
		t.Fatalf("error = %v; want an *Error for H", err)
	}
	if strings.Contains(err.Error(), "token-123") {
		t.Fatalf("error %q shows the token", err)
	}
}

func TestTypedReaders(t *testing.T) {
	r := New(FromMap(map[string]string{
		"BOOL_T": "TRUE", "BOOL_F": "false", "BOOL_BAD": "yes",
		"MS": "250", "MS_NEG": "-1", "MS_FLOAT": "1.5", "MS_UNIT": "5s", "MS_HUGE": "99999999999999999",
		"INT": "10", "INT_ZERO": "0",
		"RATIO": "0.25", "RATIO_HIGH": "1.5", "RATIO_NAN": "NaN",
		"LVL": "Warning", "LVL_BAD": "verbose",
		"PORT": "9464", "PORT_BAD": "70000",
		"URL": "https://collector.example:4318/base", "URL_NOSCHEME": "localhost:4318", "URL_PW": "http://u:hunter2@h:99999",
		"ONE": "GRPC", "ONE_BAD": "http/xml",
	}))
	wantErr := func(name string, err error, key, contains string) {
		t.Helper()
		var e *Error
		if !errors.As(err, &e) || e.Key != key || !strings.Contains(err.Error(), contains) {
			t.Errorf("%s: error = %v; want an *Error for %s containing %q", name, err, key, contains)
		}
	}

	if b, ok, err := r.Bool("BOOL_T"); !b || !ok || err != nil {
		t.Errorf("Bool(TRUE) = %v, %v, %v", b, ok, err)
	}
	if b, ok, err := r.Bool("BOOL_F"); b || !ok || err != nil {
		t.Errorf("Bool(false) = %v, %v, %v", b, ok, err)
	}
	_, _, err := r.Bool("BOOL_BAD")
	wantErr("Bool", err, "BOOL_BAD", `BOOL_BAD="yes": want "true" or "false"`)

	if d, ok, err := r.Millis("MS"); d != 250*time.Millisecond || !ok || err != nil {
		t.Errorf("Millis = %v, %v, %v", d, ok, err)
	}
	for _, k := range []string{"MS_NEG", "MS_FLOAT", "MS_UNIT"} {
		_, _, err := r.Millis(k)
		wantErr("Millis", err, k, "milliseconds")
	}
	_, _, err = r.Millis("MS_HUGE")
	wantErr("Millis", err, "MS_HUGE", "largest")

	if n, ok, err := r.PositiveInt("INT"); n != 10 || !ok || err != nil {
		t.Errorf("PositiveInt = %v, %v, %v", n, ok, err)
	}
	_, _, err = r.PositiveInt("INT_ZERO")
	wantErr("PositiveInt", err, "INT_ZERO", "at least 1")

	if f, ok, err := r.Ratio("RATIO"); f != 0.25 || !ok || err != nil {
		t.Errorf("Ratio = %v, %v, %v", f, ok, err)
	}
	_, _, err = r.Ratio("RATIO_HIGH")
	wantErr("Ratio", err, "RATIO_HIGH", "out of range")
	_, _, err = r.Ratio("RATIO_NAN")
	wantErr("Ratio", err, "RATIO_NAN", "from 0 to 1")

	if l, ok, err := r.Level("LVL"); l != slog.LevelWarn || !ok || err != nil {
		t.Errorf("Level = %v, %v, %v", l, ok, err)
	}
	if l, ok, err := r.Level("UNSET"); l != slog.LevelInfo || ok || err != nil {
		t.Errorf("Level(unset) = %v, %v, %v", l, ok, err)
	}
	_, _, err = r.Level("LVL_BAD")
	wantErr("Level", err, "LVL_BAD", "debug, info, warn or error")

	if n, ok, err := r.Port("PORT"); n != 9464 || !ok || err != nil {
		t.Errorf("Port = %v, %v, %v", n, ok, err)
	}
	_, _, err = r.Port("PORT_BAD")
	wantErr("Port", err, "PORT_BAD", "1 to 65535")

	if u, ok, err := r.URL("URL"); err != nil || !ok || u.Host != "collector.example:4318" || u.Path != "/base" {
		t.Errorf("URL = %v, %v, %v", u, ok, err)
	}
	_, _, err = r.URL("URL_NOSCHEME")
	wantErr("URL", err, "URL_NOSCHEME", "http:// or https://")
	_, _, err = r.URL("URL_PW")
	wantErr("URL", err, "URL_PW", "port")
	if strings.Contains(err.Error(), "hunter2") {
		t.Errorf("URL error %q shows the password", err)
	}

	if v, ok, err := r.OneOf("ONE", "grpc", "http/protobuf"); v != "grpc" || !ok || err != nil {
		t.Errorf("OneOf = %v, %v, %v", v, ok, err)
	}
	_, _, err = r.OneOf("ONE_BAD", "grpc", "http/protobuf")
	wantErr("OneOf", err, "ONE_BAD", "want one of grpc, http/protobuf")
}

func TestRedactURL(t *testing.T) {
	for in, want := range map[string]string{
		"http://u:pw@h:1/x":  "http://u:xxxxx@h:1/x",
		"http://h:1/x":       "http://h:1/x",
		"ht tp://u:pw@h/%zz": "ht tp://xxxxx@h/%zz",
		"u:pw@h":             "xxxxx@h",
	} {
		if got := RedactURL(in); got != want {
			t.Errorf("RedactURL(%q) = %q; want %q", in, got, want)
		}
	}
}
