package console

import (
	"strconv"
	"time"
	"unicode/utf8"

	"go.opentelemetry.io/otel/attribute"
)

// ANSI escape sequences used when colour is on.
const (
	ansiReset  = "\x1b[0m"
	ansiBold   = "\x1b[1m"
	ansiDim    = "\x1b[2m"
	ansiRed    = "\x1b[31m"
	ansiYellow = "\x1b[33m"
	ansiBlue   = "\x1b[34m"
)

const (
	timeLayout = "15:04:05.000"
	// maxAttrs is the number of attributes printed on one line; the rest
	// are replaced by an ellipsis.
	maxAttrs  = 10
	hexDigits = "0123456789abcdef"
)

// appendEscaped appends s with control characters, invalid UTF-8 and
// characters that reorder or break lines escaped, so that s stays on one
// line and cannot carry terminal escape sequences.
func appendEscaped(b []byte, s string) []byte {
	for i := 0; i < len(s); i++ {
		if c := s[i]; c < 0x20 || c >= 0x7f {
			return appendEscapedFrom(b, s, i)
		}
	}
	return append(b, s...)
}

func appendEscapedFrom(b []byte, s string, i int) []byte {
	b = append(b, s[:i]...)
	for i < len(s) {
		c := s[i]
		if c < utf8.RuneSelf {
			switch {
			case c >= 0x20 && c != 0x7f:
				b = append(b, c)
			case c == '\n':
				b = append(b, `\n`...)
			case c == '\r':
				b = append(b, `\r`...)
			case c == '\t':
				b = append(b, `\t`...)
			default:
				b = appendHexEscape(b, 'x', uint32(c), 2)
			}
			i++
			continue
		}
		r, size := utf8.DecodeRuneInString(s[i:])
		switch {
		case r == utf8.RuneError && size == 1:
			b = appendHexEscape(b, 'x', uint32(c), 2)
		case unsafeRune(r):
			b = appendHexEscape(b, 'u', uint32(r), 4)
		default:
			b = append(b, s[i:i+size]...)
		}
		i += size
	}
	return b
}

// unsafeRune reports whether r is a C1 control character or a character
// that changes line structure or text direction.
func unsafeRune(r rune) bool {
	switch {
	case r >= 0x80 && r < 0xa0, // C1 controls, including CSI
		r == 0x061c, r == 0x200e, r == 0x200f, // bidi marks
		r >= 0x2028 && r <= 0x202e, // line and paragraph separators, bidi embeddings
		r >= 0x2066 && r <= 0x2069, // bidi isolates
		r == 0xfeff:
		return true
	}
	return false
}

func appendHexEscape(b []byte, kind byte, v uint32, digits int) []byte {
	b = append(b, '\\', kind)
	for shift := 4 * (digits - 1); shift >= 0; shift -= 4 {
		b = append(b, hexDigits[(v>>uint(shift))&0xf])
	}
	return b
}

// needsQuote reports whether the string attribute value s must be quoted to
// be read back unambiguously: it is empty or holds spaces, quotes, control
// or non-printable characters.
func needsQuote(s string) bool {
	if s == "" {
		return true
	}
	for i := 0; i < len(s); {
		c := s[i]
		if c < utf8.RuneSelf {
			if c <= ' ' || c == '"' || c == 0x7f {
				return true
			}
			i++
			continue
		}
		r, size := utf8.DecodeRuneInString(s[i:])
		if (r == utf8.RuneError && size == 1) || !strconv.IsPrint(r) || unsafeRune(r) {
			return true
		}
		i += size
	}
	return false
}

// appendValue appends an attribute value: strings bare unless they need
// quotes, numbers and booleans as Go writes them, slices and maps as JSON.
func appendValue(b []byte, v attribute.Value) []byte {
	switch v.Type() {
	case attribute.STRING:
		s := v.AsString()
		if needsQuote(s) {
			return strconv.AppendQuote(b, s)
		}
		return append(b, s...)
	case attribute.BOOL:
		return strconv.AppendBool(b, v.AsBool())
	case attribute.INT64:
		return strconv.AppendInt(b, v.AsInt64(), 10)
	case attribute.FLOAT64:
		return strconv.AppendFloat(b, v.AsFloat64(), 'g', -1, 64)
	case attribute.EMPTY:
		return append(b, `""`...)
	default:
		return appendEscaped(b, v.String())
	}
}

// appendKV appends " key=value".
func appendKV(b []byte, key string, v attribute.Value) []byte {
	b = append(b, ' ')
	b = appendEscaped(b, key)
	b = append(b, '=')
	return appendValue(b, v)
}

// appendDuration appends d with three significant digits and a unit:
// 850ns, 812µs, 1.23ms, 12.3ms, 123ms, 1.52s, 2m5s.
func appendDuration(b []byte, d time.Duration) []byte {
	if d < 0 {
		d = 0
	}
	if d < time.Microsecond {
		return append(strconv.AppendInt(b, int64(d), 10), "ns"...)
	}
	if us := (d + time.Microsecond/2) / time.Microsecond; us < 1000 {
		return append(strconv.AppendInt(b, int64(us), 10), "µs"...)
	}
	if b, ok := appendScaled(b, d, time.Millisecond, "ms"); ok {
		return b
	}
	if b, ok := appendScaled(b, d, time.Second, "s"); ok && d < time.Minute {
		return b
	}
	s := int64((d + time.Second/2) / time.Second)
	if h := s / 3600; h > 0 {
		b = append(strconv.AppendInt(b, h, 10), 'h')
	}
	if s >= 60 {
		b = append(strconv.AppendInt(b, s/60%60, 10), 'm')
	}
	return append(strconv.AppendInt(b, s%60, 10), 's')
}

// appendScaled appends d in unit with two, one or no decimals, whichever
// keeps three significant digits, if d rounds to less than 1000 units.
func appendScaled(b []byte, d, unit time.Duration, suffix string) ([]byte, bool) {
	scale := unit / 100
	for decimals := 2; decimals >= 0; decimals-- {
		n := int64((d + scale/2) / scale)
		if n < 1000 {
			div := int64(1)
			for range decimals {
				div *= 10
			}
			b = strconv.AppendInt(b, n/div, 10)
			if decimals > 0 {
				b = append(b, '.')
				frac := n % div
				if decimals == 2 && frac < 10 {
					b = append(b, '0')
				}
				b = strconv.AppendInt(b, frac, 10)
			}
			return append(b, suffix...), true
		}
		scale *= 10
	}
	return b, false
}

// levelName maps a severity number, or failing that a severity text, to a
// five-character column value and its colour.
func levelName(sev int, text string) (name, color string) {
	switch {
	case sev >= 21:
		return "FATAL", ansiRed + ansiBold
	case sev >= 17:
		return "ERROR", ansiRed
	case sev >= 13:
		return "WARN ", ansiYellow
	case sev >= 9:
		return "INFO ", ansiBlue
	case sev >= 5:
		return "DEBUG", ansiDim
	case sev >= 1:
		return "TRACE", ansiDim
	}
	switch text {
	case "":
		return "     ", ""
	case "fatal", "FATAL", "critical", "CRITICAL":
		return levelName(21, "")
	case "error", "ERROR", "err", "ERR":
		return levelName(17, "")
	case "warn", "WARN", "warning", "WARNING":
		return levelName(13, "")
	case "info", "INFO":
		return levelName(9, "")
	case "debug", "DEBUG":
		return levelName(5, "")
	case "trace", "TRACE":
		return levelName(1, "")
	}
	return "     ", ""
}
