package scrub

import (
	"errors"
	"fmt"
	"net/url"
	"regexp"
	"regexp/syntax"
	"strconv"
	"strings"

	"go.opentelemetry.io/otel/attribute"
)

// Redacted replaces a secret inside a URL (user information and query
// values), as the semantic conventions ask for url.full and url.query.
const Redacted = "REDACTED"

// ScrubbedKey is the attribute that lists the paths a [Scrubber] redacted
// in a span or log record, as a string slice ("attributes.password",
// "events[0].exception.message", "body").
const ScrubbedKey = "observe.scrubbed"

// Match is one secret found by a [Scrubber], as shown to [Options.Allow].
type Match struct {
	// Path locates the value: "attributes.password",
	// "attributes.user.card", "attributes.tags[2]", "body",
	// "events[0].exception.message", "links[1].token", "status.description",
	// "attributes.url.query.api_key"; a key found inside a string is
	// appended to the string's path ("attributes.msg.Password").
	Path string
	// Value is the text that would be redacted: the whole value (as
	// [attribute.Value.Emit] writes it) when its key matched, otherwise the
	// secret found in the string.
	Value string
	// Rule names the rule that matched, as it appears in the marker:
	// "password", "card number", "jwt", "custom pattern 1"...
	Rule string
}

// Options configure a [Scrubber]. The zero value is the default scrubber.
type Options struct {
	// Patterns are extra key patterns, checked after the built-in ones on
	// every key: attribute keys, nested map keys, query parameter names
	// and keys found in key=value forms inside strings. Nothing makes them
	// case-insensitive: write (?i) where that is wanted ([ParsePatterns]
	// does). They run only on keys, never on values. Nil entries are
	// ignored. A match is redacted as "[REDACTED: custom pattern N]", N
	// being the pattern's position in Patterns, from 1.
	Patterns []*regexp.Regexp
	// Allow, if set, is called for every match before it is redacted; a
	// true result lets that match through unchanged (and a value whose key
	// was allowed is still checked by the value rules). It runs on the
	// goroutine that ends the span or emits the record, and may be called
	// concurrently. Risk: the callback sees the secret in Match.Value and
	// decides that it is exported in clear; it must not log or keep it. A
	// callback that panics allows nothing; the panic is reported to
	// otel.Handle, without its value.
	Allow func(Match) bool
}

// Scrubber redacts secrets from span and log data. It is safe for
// concurrent use. See the package documentation for what it matches. Make
// one with [New] or use [Default]; a zero Scrubber works as the default
// one, without its cache of key decisions.
type Scrubber struct {
	patterns []userPattern
	allow    func(Match) bool
	keys     *keyCache
}

type userPattern struct {
	re     *regexp.Regexp
	rule   string
	marker string
}

// New returns a Scrubber with the built-in rules and the options' extra
// patterns and callback.
func New(o Options) *Scrubber {
	s := &Scrubber{allow: o.Allow, keys: new(keyCache)}
	for i, re := range o.Patterns {
		if re == nil {
			continue
		}
		rule := "custom pattern " + strconv.Itoa(i+1)
		s.patterns = append(s.patterns, userPattern{re: re, rule: rule, marker: marker(rule)})
	}
	return s
}

var defaultScrubber = New(Options{})

// Default returns the Scrubber with the built-in rules only.
func Default() *Scrubber { return defaultScrubber }

func marker(rule string) string { return "[REDACTED: " + rule + "]" }

// keyRule returns the rule that key matches, if any.
func (s *Scrubber) keyRule(key string) (rule, mark string, ok bool) {
	return s.matchKey(defaultKeys, key)
}

// queryKeyRule returns the rule that a query parameter name matches.
func (s *Scrubber) queryKeyRule(name string) (rule, mark string, ok bool) {
	return s.matchKey(queryKeys, name)
}

func (s *Scrubber) matchKey(m *keyMatcher, key string) (rule, mark string, ok bool) {
	if r := m.match(key); r >= 0 {
		return m.rules[r].rule, m.rules[r].marker, true
	}
	for i := range s.patterns {
		if s.patterns[i].re.MatchString(key) {
			return s.patterns[i].rule, s.patterns[i].marker, true
		}
	}
	return "", "", false
}

// isSafeKey reports whether a key's value is not scrubbed by key, nor for
// key=value forms inside it: the instrumentation made these values safe
// (routes and templates, not paths with values; query summaries), they are
// identifiers needed as they are, or they are names and stack traces from
// the code. Value rules (card numbers, JWTs, bearer and basic credentials,
// private keys, URL credentials) still apply to them.
func isSafeKey(k string) bool {
	switch k {
	case "http.route", "url.path", "url.template",
		"db.query.summary", "db.operation.name", "db.collection.name",
		"trace_id", "span_id", "parent_span_id", "trace.id", "span.id", "trace.parent_id",
		"traceId", "spanId", "observe.request_id", ScrubbedKey,
		"exception.type", "exception.stacktrace", "code.stacktrace",
		"code.function.name", "code.file.path", "code.line.number", "code.column.number",
		"code.function", "code.filepath", "code.lineno", "code.namespace",
		"gen_ai.usage.input_tokens", "gen_ai.usage.output_tokens", "gen_ai.request.max_tokens",
		"gen_ai.usage.cache_read.input_tokens", "gen_ai.usage.cache_creation.input_tokens":
		return true
	}
	return false
}

// String scrubs v as the value of the attribute key: the whole value is
// redacted if key matches a key rule, otherwise the secrets found in it
// are. It reports whether v changed.
func (s *Scrubber) String(key, v string) (string, bool) {
	if s == nil {
		s = defaultScrubber
	}
	w := walker{s: s}
	kv, changed := w.kv(attribute.String(key, v), modeFull)
	return kv.Value.AsString(), changed
}

// Query returns a raw URL query with the value of every parameter whose
// name matches a key rule (or one of the extra patterns), or whose value
// holds a card number, JWT or other credential, replaced by REDACTED. The
// order, the other values and their encoding are kept. A query with
// nothing to redact is returned as it is, without allocating.
func (s *Scrubber) Query(raw string) string {
	if s == nil {
		s = defaultScrubber
	}
	w := walker{s: s}
	w.push(step{key: "url.query"})
	out, _ := w.query(raw)
	return out
}

// URL returns u as a string with its user information replaced by
// REDACTED:REDACTED (or REDACTED when it has no password), its query
// scrubbed as [Scrubber.Query] does, card numbers and JWTs in its path
// replaced by REDACTED, and its fragment dropped, as the semantic
// conventions ask of url.full.
func (s *Scrubber) URL(u *url.URL) string {
	if u == nil {
		return ""
	}
	if s == nil {
		s = defaultScrubber
	}
	c := *u
	if c.User != nil {
		if _, hasPassword := c.User.Password(); hasPassword {
			c.User = url.UserPassword(Redacted, Redacted)
		} else {
			c.User = url.User(Redacted)
		}
	}
	c.Fragment, c.RawFragment = "", ""
	w := walker{s: s}
	w.push(step{key: "url.full"})
	out, _ := w.url(c.String())
	return out
}

// SensitiveKey reports whether a query parameter named key (percent-encoded
// or not) matches a built-in key rule.
func SensitiveKey(key string) bool {
	if k, err := url.QueryUnescape(key); err == nil {
		key = k
	}
	return queryKeys.match(key) >= 0
}

// Query is [Scrubber.Query] of the default scrubber.
func Query(rawQuery string) string { return defaultScrubber.Query(rawQuery) }

// URL is [Scrubber.URL] of the default scrubber.
func URL(u *url.URL) string { return defaultScrubber.URL(u) }

// ParsePatterns parses a comma-separated list of regular expressions (the
// form of OBSERVE_SCRUBBING_PATTERNS) into case-insensitive key patterns
// for [Options.Patterns]. Empty items are skipped. Every invalid item is
// reported, by position and text, in one joined error; the valid ones are
// returned with it.
func ParsePatterns(list string) ([]*regexp.Regexp, error) {
	var out []*regexp.Regexp
	var errs []error
	for i, p := range strings.Split(list, ",") {
		p = strings.TrimSpace(p)
		if p == "" {
			continue
		}
		re, err := regexp.Compile("(?i)" + p)
		if err != nil {
			reason := "not a valid regular expression"
			var se *syntax.Error
			if errors.As(err, &se) {
				reason = string(se.Code)
			}
			errs = append(errs, fmt.Errorf("scrubbing pattern %d (%q): %s", i+1, p, reason))
			continue
		}
		out = append(out, re)
	}
	return out, errors.Join(errs...)
}
