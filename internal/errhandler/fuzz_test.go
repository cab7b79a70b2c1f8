package errhandler

import (
	"strings"
	"testing"
)

func FuzzKey(f *testing.F) {
	for _, s := range []string{
		"dial tcp 127.0.0.1:4317: connect: connection refused",
		"traces export failed, 512 spans lost (9216 in total): 503 Service Unavailable",
		"after 10.5s.", "naïve 42", "", ".1.", "a.b.c",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, msg string) {
		k := Key(msg)
		if strings.ContainsAny(k, "0123456789") {
			t.Errorf("Key(%q) = %q keeps a digit", msg, k)
		}
		if kk := Key(k); kk != k {
			t.Errorf("Key is not stable: Key(%q) = %q, Key of that = %q", msg, k, kk)
		}
		if len(k) > len(msg) {
			t.Errorf("Key(%q) = %q is longer than the message", msg, k)
		}
	})
}
