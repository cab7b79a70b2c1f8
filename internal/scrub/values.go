package scrub

import (
	"strconv"
	"strings"
)

// Names of the value rules, as they appear in markers and in [Match.Rule].
const (
	RuleCardNumber     = "card number"
	RuleJWT            = "jwt"
	RuleBearer         = "bearer token"
	RuleBasic          = "basic credentials"
	RulePrivateKey     = "private key"
	RuleURLCredentials = "url credentials"
)

// finding is a stretch of a string to redact.
type finding struct {
	start, end int
	rule       string
	marker     string
	key        string // for key=value forms: the key as written in the string
}

// findValues appends the value rules' findings in s.
func findValues(s string, c byteClass, digits int, out []finding) []finding {
	if digits >= 13 {
		out = findCards(s, digits, out)
	}
	if c&cJ != 0 {
		out = findJWTs(s, out)
	}
	if c.has(cSpace, cB) {
		out = findAuthSchemes(s, out)
	}
	if c&cDash != 0 {
		out = findPEM(s, out)
	}
	if c.has(cSep, cAt) {
		out = findURLCredentials(s, out)
	}
	return out
}

const (
	markerCard     = "[REDACTED: " + RuleCardNumber + "]"
	markerJWT      = "[REDACTED: " + RuleJWT + "]"
	markerBearer   = "[REDACTED: " + RuleBearer + "]"
	markerBasic    = "[REDACTED: " + RuleBasic + "]"
	markerPEM      = "[REDACTED: " + RulePrivateKey + "]"
	markerURLCreds = "[REDACTED: " + RuleURLCredentials + "]"
)

// digitGroup is a run of digits in a candidate card number.
type digitGroup struct{ start, end int }

// findCards finds card numbers, given the number of digits in s: 13 to 19 digits, in groups separated by one
// space or dash, that start as the major schemes' numbers do and pass the
// Luhn check. Where a sequence of groups is longer (a card number followed
// by its CVV), every run of whole groups is tried. A digit sequence that is
// the fraction or integer part of a decimal number is not a card.
func findCards(s string, digits int, out []finding) []finding {
	for i := 0; i < len(s); {
		for i < len(s) && s[i]-'0' > 9 {
			i++
		}
		if i == len(s) || digits < 13 {
			break // too few digits left for a card
		}
		// Most digit sequences are short: count first, look closer only at
		// those that can hold a card.
		n, e := 0, i
		for e < len(s) {
			if s[e]-'0' <= 9 {
				n++
				e++
			} else if e+1 < len(s) && (s[e] == ' ' || s[e] == '-') && s[e+1]-'0' <= 9 {
				e++
			} else {
				break
			}
		}
		if n >= 13 {
			out = cardSequence(s, i, out)
		}
		digits -= n
		i = e
	}
	return out
}

// cardSequence looks for card numbers in the digit sequence that starts at
// s[i]. It is kept out of findCards so that the scan over short sequences
// does not set up its group array.
//
//go:noinline
func cardSequence(s string, i int, out []finding) []finding {
	var gs [24]digitGroup
	decimalBefore := i >= 2 && s[i-1] == '.' && isDigit(s[i-2])
	groups, j := gs[:0], i // more than 24 groups: on the heap
	for {
		start := j
		for j < len(s) && isDigit(s[j]) {
			j++
		}
		groups = append(groups, digitGroup{start, j})
		if j+1 < len(s) && (s[j] == ' ' || s[j] == '-') && isDigit(s[j+1]) {
			j++
			continue
		}
		break
	}
	decimalAfter := j+1 < len(s) && s[j] == '.' && isDigit(s[j+1])
	return cardWindows(s, groups, decimalBefore, decimalAfter, out)
}

// cardWindows tries every run of whole groups, longest first from each
// start, and appends those that are card numbers.
func cardWindows(s string, gs []digitGroup, decimalBefore, decimalAfter bool, out []finding) []finding {
	for a := 0; a < len(gs); {
		best, total := -1, 0
		for b := a; b < len(gs); b++ {
			total += gs[b].end - gs[b].start
			if total > 19 {
				break
			}
			if total >= 13 && !(a == 0 && decimalBefore) && !(b == len(gs)-1 && decimalAfter) && isCard(s, gs[a:b+1]) {
				best = b
			}
		}
		if best < 0 {
			a++
			continue
		}
		out = append(out, finding{start: gs[a].start, end: gs[best].end, rule: RuleCardNumber, marker: markerCard})
		a = best + 1
	}
	return out
}

// isCard reports whether the digits of gs start as a card number of the
// major schemes (2 to 6: Mastercard, Amex, Diners, JCB, Visa, Maestro,
// Discover, UnionPay; 81: UnionPay) and pass the Luhn check. Numbers that
// start with 1 are left alone: millisecond and nanosecond Unix times do.
func isCard(s string, gs []digitGroup) bool {
	first := s[gs[0].start]
	if first < '2' || first > '6' {
		if first != '8' || secondDigit(s, gs) != '1' {
			return false
		}
	}
	sum, double := 0, false
	for g := len(gs) - 1; g >= 0; g-- {
		for k := gs[g].end - 1; k >= gs[g].start; k-- {
			d := int(s[k] - '0')
			if double {
				if d *= 2; d > 9 {
					d -= 9
				}
			}
			sum += d
			double = !double
		}
	}
	return sum%10 == 0
}

func secondDigit(s string, gs []digitGroup) byte {
	if gs[0].end-gs[0].start > 1 {
		return s[gs[0].start+1]
	}
	if len(gs) > 1 {
		return s[gs[1].start]
	}
	return 0
}

// isCardInt reports whether an integer attribute is a card number.
func isCardInt(v int64) bool {
	if v < 1e12 {
		return false
	}
	var buf [20]byte
	d := strconv.AppendInt(buf[:0], v, 10)
	if len(d) < 13 || len(d) > 19 {
		return false
	}
	s := string(d) // does not escape: the compiler keeps it on the stack
	return isCard(s, []digitGroup{{0, len(s)}})
}

func isB64URL(c byte) bool {
	return isLetter(c) || isDigit(c) || c == '-' || c == '_'
}

func skipB64URL(s string, i int) int {
	for i < len(s) && isB64URL(s[i]) {
		i++
	}
	return i
}

// findJWTs finds JSON Web Tokens: a header that starts with "eyJ" (base64url
// of `{"`), a payload and a signature, dot-separated base64url parts; the
// extra parts of a JWE are included.
func findJWTs(s string, out []finding) []finding {
	for off := 0; off < len(s); {
		k := strings.Index(s[off:], "eyJ")
		if k < 0 {
			break
		}
		i := off + k
		j := skipB64URL(s, i+3)
		end := -1
		if j-i >= 10 && j < len(s) && s[j] == '.' {
			p := skipB64URL(s, j+1)
			if p-(j+1) >= 2 && p < len(s) && s[p] == '.' {
				e := skipB64URL(s, p+1)
				for e+1 < len(s) && s[e] == '.' && isB64URL(s[e+1]) {
					e = skipB64URL(s, e+1)
				}
				end = e
			}
		}
		if end < 0 {
			// No later "eyJ" inside this header run can do better.
			off = j
			continue
		}
		out = append(out, finding{start: i, end: end, rule: RuleJWT, marker: markerJWT})
		off = end
	}
	return out
}

func isAlnum(c byte) bool { return isLetter(c) || isDigit(c) }

func isToken68(c byte) bool {
	return isAlnum(c) || c == '-' || c == '.' || c == '_' || c == '~' || c == '+' || c == '/'
}

// findAuthSchemes finds the credentials of "Bearer <token>" and
// "Basic <base64>" (the scheme in any case, as a word). The scheme is kept.
// A bearer token has at least 8 characters and a digit, both cases, or
// punctuation, so that "Bearer authentication failed" is left alone; a
// basic credential must be base64 of text that holds a ':'.
func findAuthSchemes(s string, out []finding) []finding {
	for i := 0; i < len(s); i++ {
		sp := strings.IndexByte(s[i:], ' ')
		if sp < 0 {
			break
		}
		i += sp
		var rule, marker string
		switch {
		case i >= 6 && equalFold(s[i-6:i], "bearer") && (i == 6 || !isAlnum(s[i-7])):
			rule, marker = RuleBearer, markerBearer
		case i >= 5 && equalFold(s[i-5:i], "basic") && (i == 5 || !isAlnum(s[i-6])):
			rule, marker = RuleBasic, markerBasic
		default:
			continue
		}
		j := i
		for j < len(s) && s[j] == ' ' {
			j++
		}
		start := j
		var digit, upper, lower, punct bool
		for ; j < len(s) && isToken68(s[j]); j++ {
			c := s[j]
			digit = digit || isDigit(c)
			upper = upper || isUpper(c)
			lower = lower || isLower(c)
			punct = punct || !isAlnum(c)
		}
		for j < len(s) && s[j] == '=' {
			j++
			punct = true
		}
		n := j - start
		ok := false
		if rule == RuleBearer {
			ok = n >= 8 && (digit || upper && lower || punct)
		} else {
			ok = n >= 8 && n%4 == 0 && base64HasColon(s[start:j])
		}
		if ok {
			out = append(out, finding{start: start, end: j, rule: rule, marker: marker})
			i = j - 1
		}
	}
	return out
}

var b64Std = func() (t [256]int8) {
	for i := range t {
		t[i] = -1
	}
	const alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/"
	for i := 0; i < len(alphabet); i++ {
		t[alphabet[i]] = int8(i)
	}
	return t
}()

// base64HasColon reports whether s is padded standard base64 whose decoded
// bytes hold a ':', as user:password does.
func base64HasColon(s string) bool {
	colon := false
	for i := 0; i+4 <= len(s); i += 4 {
		var q [4]int8
		for k := 0; k < 4; k++ {
			c := s[i+k]
			if c == '=' {
				if i+4 != len(s) || k < 2 {
					return false
				}
				q[k] = -2
				continue
			}
			if q[k] = b64Std[c]; q[k] < 0 {
				return false
			}
		}
		b0 := byte(q[0])<<2 | byte(q[1])>>4
		colon = colon || b0 == ':'
		if q[2] >= 0 {
			b1 := byte(q[1])<<4 | byte(q[2])>>2
			colon = colon || b1 == ':'
			if q[3] >= 0 {
				b2 := byte(q[2])<<6 | byte(q[3])
				colon = colon || b2 == ':'
			}
		}
	}
	return colon
}

// equalFold reports whether s equals the lower-case ASCII word w in any case.
func equalFold(s, w string) bool {
	_, ok := hasFoldPrefix(s, 0, w)
	return ok && len(s) == len(w)
}

// findPEM finds private-key PEM blocks, from "-----BEGIN ... PRIVATE KEY-----"
// to the matching END line, or to the end of the string when it is cut.
func findPEM(s string, out []finding) []finding {
	const begin, end = "-----BEGIN ", "-----END "
	for off := 0; off < len(s); {
		k := strings.Index(s[off:], begin)
		if k < 0 {
			break
		}
		i := off + k
		le := strings.Index(s[i+len(begin):], "-----")
		if le < 0 {
			break
		}
		after := i + len(begin) + le + 5
		if !strings.Contains(s[i+len(begin):after-5], "PRIVATE KEY") {
			off = after
			continue
		}
		stop := len(s)
		if e := strings.Index(s[after:], end); e >= 0 {
			if t := strings.Index(s[after+e+len(end):], "-----"); t >= 0 {
				stop = after + e + len(end) + t + 5
			}
		}
		out = append(out, finding{start: i, end: stop, rule: RulePrivateKey, marker: markerPEM})
		off = stop
	}
	return out
}

func isSchemeChar(c byte) bool {
	return isAlnum(c) || c == '+' || c == '-' || c == '.'
}

func isAuthorityEnd(c byte) bool {
	switch c {
	case '/', '?', '#', ' ', '\t', '\r', '\n', '"', '\'', '<', '>', '`', '\\':
		return true
	}
	return false
}

// findURLCredentials finds the user information of URLs in a string
// ("postgres://ada:hunter2@db/x"). The username goes with the password: it
// is often a token itself ("https://<token>@github.com").
func findURLCredentials(s string, out []finding) []finding {
	for off := 0; off < len(s); {
		k := strings.Index(s[off:], "://")
		if k < 0 {
			break
		}
		i := off + k
		a := i + 3
		e := a
		for e < len(s) && !isAuthorityEnd(s[e]) {
			e++
		}
		if i > 0 && isSchemeChar(s[i-1]) {
			if at := strings.LastIndexByte(s[a:e], '@'); at > 0 && !alreadyRedacted(s[a:a+at]) {
				out = append(out, finding{start: a, end: a + at, rule: RuleURLCredentials, marker: markerURLCreds})
			}
		}
		// The next URL may start inside this one's end ("a://b@c://d@e"):
		// go on from the authority's start. The scan above stops at the
		// '/' of the next "://", so every byte is scanned about once.
		off = a
	}
	return out
}

// alreadyRedacted reports whether URL user information is one that
// [URL] or a marker wrote.
func alreadyRedacted(ui string) bool {
	return ui == Redacted || ui == Redacted+":"+Redacted || strings.HasPrefix(ui, "[REDACTED: ") && strings.HasSuffix(ui, "]")
}
