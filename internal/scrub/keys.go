package scrub

// keyRule is one built-in key pattern: a word, optionally followed by an
// optional separator (one of "._ -") and a second word, matched as ASCII
// case-insensitive substrings of a key.
type keyRule struct {
	first  string // lower case, at least two bytes
	second string // lower case, or empty
	// startBound and endBound ask for a word boundary before first and after
	// the last word: the start or end of the key, a byte that is not a
	// letter, or a lower-to-upper case change ("userSSN", "JWTToken").
	startBound, endBound bool
	// notAuthor rejects "author", "authors", "authority" and the like while
	// keeping "authorization", "authorize" and "authorisation".
	notAuthor bool
	rule      string // the name in the marker
	marker    string // "[REDACTED: <rule>]", filled in by newKeyMatcher
}

// defaultKeyRules are the key patterns checked on every key: at least as
// broad as Logfire's defaults, plus payment data.
var defaultKeyRules = []keyRule{
	{first: "password", rule: "password"},
	{first: "passwd", rule: "password"},
	{first: "passphrase", rule: "password"},
	{first: "pwd", startBound: true, endBound: true, rule: "password"}, // mysql_pwd, db.pwd
	{first: "secret", rule: "secret"},
	{first: "auth", notAuthor: true, rule: "auth"},
	{first: "credential", rule: "credential"},
	{first: "private", second: "key", rule: "private key"},
	{first: "api", second: "key", rule: "api key"},
	{first: "access", second: "key", rule: "access key"},
	{first: "session", rule: "session"},
	{first: "sessid", rule: "session"}, // PHPSESSID
	{first: "cookie", rule: "cookie"},
	{first: "csrf", startBound: true, endBound: true, rule: "csrf"},
	{first: "xsrf", startBound: true, endBound: true, rule: "xsrf"},
	{first: "jwt", startBound: true, endBound: true, rule: "jwt"},
	{first: "ssn", startBound: true, endBound: true, rule: "ssn"},
	{first: "social", second: "security", rule: "social security"},
	{first: "credit", second: "card", rule: "credit card"},
	{first: "card", second: "num", startBound: true, rule: "card number"}, // card_number, cardNumber, card num
	{first: "card", second: "no", startBound: true, endBound: true, rule: "card number"},
	{first: "pan", startBound: true, endBound: true, rule: "pan"},
	{first: "cvv", rule: "cvv"},
	{first: "cvc", rule: "cvc"},
	{first: "security", second: "code", rule: "security code"},
	{first: "iban", rule: "iban"},
	{first: "token", rule: "token"},
	{first: "signature", rule: "signature"},
	{first: "pin", startBound: true, endBound: true, rule: "pin"},
	{first: "otp", startBound: true, endBound: true, rule: "otp"},
	{first: "bearer", startBound: true, endBound: true, rule: "bearer"},
}

// queryKeyRules are checked on URL query parameter names on top of the
// defaults: the names the semantic conventions ask instrumentation to
// redact (sig, Signature, AWSAccessKeyId are covered by the defaults and
// these) and the usual names of keys and OAuth codes in URLs.
var queryKeyRules = []keyRule{
	{first: "key", startBound: true, endBound: true, rule: "key"},
	{first: "sig", startBound: true, endBound: true, rule: "signature"},
	{first: "code", startBound: true, endBound: true, rule: "code"},
}

// lowerTab maps ASCII upper-case letters to lower case and every other
// byte to itself.
var lowerTab = func() (t [256]byte) {
	for i := range t {
		t[i] = byte(i)
	}
	for c := 'A'; c <= 'Z'; c++ {
		t[c] = byte(c + 'a' - 'A')
	}
	return t
}()

// keyMatcher finds built-in key rules in a key. A bitset over the first
// two (lower-cased) bytes of every rule lets the scan skip almost every
// position with two table loads, so a key that matches nothing costs about
// a nanosecond a byte and never allocates.
type keyMatcher struct {
	rules   []keyRule
	pairs   [1 << 16 / 64]uint64
	byFirst [256][]uint8 // indexes into rules, by the rule's first byte
}

func newKeyMatcher(sets ...[]keyRule) *keyMatcher {
	m := &keyMatcher{}
	for _, set := range sets {
		m.rules = append(m.rules, set...)
	}
	for i, r := range m.rules {
		m.rules[i].marker = marker(r.rule)
		p := uint(r.first[0])<<8 | uint(r.first[1])
		m.pairs[p>>6] |= 1 << (p & 63)
		m.byFirst[r.first[0]] = append(m.byFirst[r.first[0]], uint8(i))
	}
	return m
}

var (
	defaultKeys = newKeyMatcher(defaultKeyRules)
	queryKeys   = newKeyMatcher(defaultKeyRules, queryKeyRules)
)

// match returns the index of the first rule found in k, or -1.
func (m *keyMatcher) match(k string) int {
	for i := 0; i+1 < len(k); i++ {
		c0, c1 := lowerTab[k[i]], lowerTab[k[i+1]]
		p := uint(c0)<<8 | uint(c1)
		if m.pairs[p>>6]&(1<<(p&63)) == 0 {
			continue
		}
		for _, ri := range m.byFirst[c0] {
			if r := &m.rules[ri]; r.first[1] == c1 && r.matchAt(k, i) {
				return int(ri)
			}
		}
	}
	return -1
}

// matchAt reports whether r matches k at i.
func (r *keyRule) matchAt(k string, i int) bool {
	j, ok := hasFoldPrefix(k, i, r.first)
	if !ok {
		return false
	}
	if r.startBound && !boundaryBefore(k, i) {
		return false
	}
	if r.second != "" {
		if j < len(k) && isKeySep(k[j]) {
			j++
		}
		if j, ok = hasFoldPrefix(k, j, r.second); !ok {
			return false
		}
	}
	if r.endBound && !boundaryAfter(k, j) {
		return false
	}
	if r.notAuthor {
		if _, ok := hasFoldPrefix(k, j, "or"); ok {
			_, iz := hasFoldPrefix(k, j+2, "iz")
			_, is := hasFoldPrefix(k, j+2, "is")
			return iz || is
		}
	}
	return true
}

// hasFoldPrefix reports whether k[i:] starts with the lower-case word w,
// ignoring ASCII case, and returns the index after it.
func hasFoldPrefix(k string, i int, w string) (int, bool) {
	if i < 0 || len(k)-i < len(w) {
		return i, false
	}
	for n := 0; n < len(w); n++ {
		if lowerTab[k[i+n]] != w[n] {
			return i, false
		}
	}
	return i + len(w), true
}

func isKeySep(c byte) bool { return c == '.' || c == '_' || c == ' ' || c == '-' }

func isLower(c byte) bool  { return 'a' <= c && c <= 'z' }
func isUpper(c byte) bool  { return 'A' <= c && c <= 'Z' }
func isLetter(c byte) bool { return isLower(c) || isUpper(c) }
func isDigit(c byte) bool  { return '0' <= c && c <= '9' }

// boundaryBefore reports whether a word may start at k[i].
func boundaryBefore(k string, i int) bool {
	return i == 0 || !isLetter(k[i-1]) || isUpper(k[i]) && isLower(k[i-1])
}

// boundaryAfter reports whether a word may end before k[j].
func boundaryAfter(k string, j int) bool {
	if j >= len(k) || !isLetter(k[j]) {
		return true
	}
	if isUpper(k[j]) && isLower(k[j-1]) {
		return true // camelCase: "pinCode"
	}
	// An acronym followed by a capitalised word: "JWTToken".
	return isUpper(k[j]) && isUpper(k[j-1]) && j+1 < len(k) && isLower(k[j+1])
}
