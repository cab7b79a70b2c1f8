package env

import (
	"errors"
	"strings"
	"time"
)

// Duration reads a non-negative Go duration such as "500ms" or "1m30s".
func (r Reader) Duration(key string) (time.Duration, bool, error) {
	v, ok := r.Get(key)
	if !ok {
		return 0, false, nil
	}
	d, err := ParseDuration(v)
	if err != nil {
		return 0, true, &Error{Key: key, Value: v, Err: err}
	}
	return d, true, nil
}

// ParseDuration parses a non-negative Go duration such as "500ms" or
// "1m30s", as [time.ParseDuration] reads it. A number needs a unit, except 0.
func ParseDuration(s string) (time.Duration, error) {
	d, err := time.ParseDuration(strings.TrimSpace(s))
	if err != nil {
		return 0, errors.New(`want a Go duration such as "500ms", "2s" or "1m30s" (units ns, us, ms, s, m, h)`)
	}
	if d < 0 {
		return 0, errors.New("want a duration of zero or more")
	}
	return d, nil
}
