// Package scrub removes secrets and card data from spans and log records
// before any exporter or the console sees them.
//
// One engine, a [Scrubber], serves two pipeline stages:
// [Scrubber.SpanProcessor], which hands the processors after it a
// read-only span whose attributes, events (exception messages included),
// link attributes and status description are scrubbed, and
// [Scrubber.LogProcessor], which scrubs each record in place in OnEmit.
// Both belong first in their pipeline, so that every exporter, printer and
// user processor after them gets scrubbed data. [Scrubber.Query] and
// [Scrubber.URL] serve the HTTP instrumentation for url.query and url.full.
//
// # What is matched
//
// Keys (attribute keys, nested map keys, which is how slog groups arrive,
// query parameter names, and keys found inside strings), ignoring ASCII
// case: password, passwd, passphrase, pwd (as a word: mysql_pwd), secret,
// auth (but not author, authors, authority: authorization and authorize
// match), credential, private key, api key (apikey, api_key, x-api-key),
// access key, session (and sessid), cookie, csrf, xsrf, jwt, ssn (as words), social
// security, credit card, card number (card_number, cardNumber, card_no),
// pan (as a word: not "span", "company", "japan"), cvv, cvc, security code,
// iban, token, signature, pin and otp (as words), bearer. Two-word names
// may be written together or with one of "._ -" between the words. Words
// are delimited by the ends of the key, non-letters, and case changes
// (userSSN, pinCode, JWTToken). Query parameter names are also matched
// against key, sig and code (as words), for API keys, signatures and OAuth
// codes. These are Logfire's default patterns plus payment data.
//
// Values, whatever their key:
//   - card numbers: 13 to 19 digits, in groups separated by one space or
//     dash, that pass the Luhn check and start with 2 to 6 or 81 (the major
//     schemes); numbers starting with 1, such as Unix times in
//     milliseconds or nanoseconds, are not cards, nor are the digits of a
//     decimal fraction. Integer attributes are checked too;
//   - JWTs: "eyJ" and three (or, for JWE, five) dot-separated base64url
//     parts;
//   - "Bearer <token>" (at least 8 characters with a digit, both cases or
//     punctuation) and "Basic <base64 of user:password>": the scheme is
//     kept, the credential is not;
//   - PEM private-key blocks, BEGIN to END;
//   - user information in URLs written in a string (scheme://user:pass@).
//
// Inside string values, key=value, "key: value" and Key:value forms whose
// key matches: "password=hunter2", Go's rendering of a struct logged with
// slog.Any ("{User:ada Password:hunter2}"), a header dump
// ("map[Authorization:[Bearer x] Cookie:[a=b]]"), JSON
// ("{\"api_key\":\"k\"}"), a query string. The value after the key is
// redacted: a quoted or bracketed value whole; after "key: " the rest of
// the line up to a ',' or an unbalanced bracket; after "key=" or "Key:"
// up to white space, '&' or ','. Logfire instead redacts the whole string
// when any pattern occurs in it. This package redacts only the value,
// because the rest of such a string is usually what makes the record
// useful ("login failed for ada: password=[REDACTED: password]" says who
// and why), and a pattern word that is not a key ("reset your password")
// then costs nothing; the price is that a secret with spaces in it,
// written after "key=" with no quotes, is redacted only up to its first
// space.
//
// Extra key patterns come from [Options.Patterns] (or [ParsePatterns] of
// OBSERVE_SCRUBBING_PATTERNS); they run on keys only.
//
// # The replacement
//
// A redacted value is replaced by a marker that names the rule and never
// repeats the secret: "[REDACTED: password]", "[REDACTED: card number]",
// "[REDACTED: custom pattern 1]". Where the key matched, the whole value
// is replaced (a string slice by a one-element slice); booleans and empty
// strings are kept, as they hide nothing. Inside URLs (url.full, url.query,
// [Scrubber.Query], [Scrubber.URL]) the replacement is the semantic
// conventions' REDACTED, so that the URL stays one: user information
// becomes REDACTED:REDACTED. A scrubbed span or record gets the attribute
// observe.scrubbed ([ScrubbedKey]), the list of redacted paths
// ("attributes.password", "body", "events[0].exception.message",
// "attributes.url.query.api_key", "attributes.msg.Password").
//
// # What is not scrubbed
//
//   - By key, and for key=value forms (value rules still apply): values the
//     instrumentation made safe or that are needed as they are:
//     http.route, url.path, url.template, db.query.summary,
//     db.operation.name, db.collection.name; trace and span ids (trace_id,
//     span_id, parent_span_id, trace.id, span.id, traceId, spanId);
//     observe.request_id and observe.scrubbed; exception.type,
//     exception.stacktrace, code.stacktrace and the code.* location
//     attributes; the gen_ai token counts.
//   - Span names, event names, resources and instrumentation scopes.
//   - Metric attributes. They are bounded by design (route templates,
//     methods, status codes; never ids or free text), and metrics must stay
//     full-fidelity: rewriting an attribute would merge or split series.
//   - Keys themselves: a key is never rewritten, only its value.
//
// # Cost
//
// The decision about an attribute key is cached in the Scrubber (a
// bounded table, filled once per slot and never evicted; keys that do not
// get a slot are matched again, with a table over their first two bytes).
// A string value is classified in one pass, one table load and add a byte;
// only a string with 13 digits or more, a 'J', a space and a 'b', a '-',
// an '@' with a ':', or a '=' or ':' is searched further. A span or record
// where nothing matches is passed on as it is, without allocation (nested
// map and slice values excepted: reading them copies them). User patterns
// are regular expressions, run once per distinct attribute key (then
// cached) and on every key found in a string. Figures are in the
// package's benchmarks (BenchmarkRecord, BenchmarkSpan).
package scrub
