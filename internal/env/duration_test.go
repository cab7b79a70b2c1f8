package env

import (
	"errors"
	"strings"
	"testing"
	"time"
)

func TestParseDuration(t *testing.T) {
	for _, tc := range []struct {
		in      string
		want    time.Duration
		wantErr string
	}{
		{"500ms", 500 * time.Millisecond, ""},
		{" 1m30s ", 90 * time.Second, ""},
		{"0", 0, ""},
		{"1.5s", 1500 * time.Millisecond, ""},
		{"500", 0, "want a Go duration"},
		{"fast", 0, "want a Go duration"},
		{"-1s", 0, "zero or more"},
		{"9999999h", 0, "want a Go duration"},
	} {
		got, err := ParseDuration(tc.in)
		if tc.wantErr != "" {
			if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
				t.Errorf("ParseDuration(%q) = %v, %v; want an error containing %q", tc.in, got, err, tc.wantErr)
			}
			continue
		}
		if err != nil || got != tc.want {
			t.Errorf("ParseDuration(%q) = %v, %v; want %v", tc.in, got, err, tc.want)
		}
	}
}

func TestReaderDurationNamesVariable(t *testing.T) {
	r := New(FromMap(map[string]string{TailSamplingDuration: "half a second", "OK": "2s"}))
	if d, ok, err := r.Duration("OK"); d != 2*time.Second || !ok || err != nil {
		t.Errorf("Duration(OK) = %v, %v, %v; want 2s, true, nil", d, ok, err)
	}
	if _, ok, err := r.Duration("UNSET"); ok || err != nil {
		t.Errorf("Duration(UNSET) = _, %v, %v; want unset", ok, err)
	}
	_, ok, err := r.Duration(TailSamplingDuration)
	var e *Error
	if !ok || !errors.As(err, &e) || e.Key != TailSamplingDuration || e.Value != "half a second" {
		t.Fatalf("Duration = _, %v, %v; want an *Error naming %s and its value", ok, err, TailSamplingDuration)
	}
}

func FuzzParseDuration(f *testing.F) {
	for _, s := range []string{"500ms", "0", "-1s", "1h2m3.5s", "1e9ns", ".5s", "5", "9223372036854775807ns"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		d, err := ParseDuration(s)
		if err == nil && d < 0 {
			t.Fatalf("ParseDuration(%q) = %v; want no negative duration", s, d)
		}
		if err != nil && d != 0 {
			t.Fatalf("ParseDuration(%q) = %v with error %v; want 0", s, d, err)
		}
	})
}
