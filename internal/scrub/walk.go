package scrub

import (
	"errors"
	"strconv"
	"strings"

	"go.opentelemetry.io/otel"
	"go.opentelemetry.io/otel/attribute"
)

// mode says which rules apply to a value.
type mode uint8

const (
	// modeFull: key rules on keys; value rules and key=value forms in
	// strings.
	modeFull mode = iota
	// modeValues: value rules only. Safe keys and everything under them,
	// and a string log body.
	modeValues
)

// step is one step of the path to a value: a key, or "[index]" when key
// is empty.
type step struct {
	key   string
	index int
}

// maxDepth is how many steps of a path are kept; deeper values are still
// scrubbed, and their paths end in "…".
const maxDepth = 12

// walker scrubs the values of one span or record and collects the paths it
// redacted. It keeps the path to the current value on a fixed stack, so
// that a walk allocates nothing until something is redacted.
type walker struct {
	s       *Scrubber
	paths   []string
	stack   [maxDepth]step
	depth   int
	scratch keyInfo // the decision about a key that is not cached
}

func (w *walker) push(st step) {
	if w.depth < maxDepth {
		w.stack[w.depth] = st
	}
	w.depth++
}

func (w *walker) pop() { w.depth-- }

// path returns the current path followed by the key step extra, if any.
func (w *walker) path(extra string) string {
	n := min(w.depth, maxDepth)
	size := len(extra) + 4
	for _, st := range w.stack[:n] {
		size += len(st.key) + 4
	}
	var b strings.Builder
	b.Grow(size)
	for _, st := range w.stack[:n] {
		if st.key == "" {
			b.WriteByte('[')
			b.WriteString(strconv.Itoa(st.index))
			b.WriteByte(']')
			continue
		}
		if b.Len() > 0 {
			b.WriteByte('.')
		}
		b.WriteString(st.key)
	}
	if w.depth > maxDepth {
		b.WriteString(".…")
	}
	if extra != "" {
		if b.Len() > 0 {
			b.WriteByte('.')
		}
		b.WriteString(extra)
	}
	return b.String()
}

// lastKey returns the key of the nearest key step: the key whose value
// (or element of it) is being scrubbed.
func (w *walker) lastKey() string {
	for i := min(w.depth, maxDepth) - 1; i >= 0; i-- {
		if w.stack[i].key != "" {
			return w.stack[i].key
		}
	}
	return ""
}

// record notes a redacted path, once.
func (w *walker) record(p string) {
	for _, q := range w.paths {
		if q == p {
			return
		}
	}
	w.paths = append(w.paths, p)
}

// errAllowPanicked is reported when the Allow callback panics. The panic's
// value is not in it: it may hold the secret.
var errAllowPanicked = errors.New("scrub: the Allow callback panicked; the match was redacted")

// allowed asks the Allow callback about a match. A callback that panics
// allows nothing, and the panic is reported to otel.Handle.
func (w *walker) allowed(path string, value, rule string) (ok bool) {
	if w.s.allow == nil {
		return false
	}
	defer func() {
		if recover() != nil {
			ok = false
			otel.Handle(errAllowPanicked)
		}
	}()
	return w.s.allow(Match{Path: path, Value: value, Rule: rule})
}

// attrs scrubs a list of attributes at the current path. The input is
// never modified; the result is the input itself when nothing changed.
func (w *walker) attrs(in []attribute.KeyValue) ([]attribute.KeyValue, bool) {
	var out []attribute.KeyValue
	for i := range in {
		if w.clean(&in[i], modeFull) {
			continue
		}
		nkv, changed := w.kv(in[i], modeFull)
		if !changed {
			continue
		}
		if out == nil {
			out = make([]attribute.KeyValue, len(in), len(in)+1)
			copy(out, in)
		}
		out[i] = nkv
	}
	if out == nil {
		return in, false
	}
	return out, true
}

// kv scrubs one attribute found at the current path.
func (w *walker) kv(kv attribute.KeyValue, m mode) (attribute.KeyValue, bool) {
	t := kv.Value.Type()
	if w.clean(&kv, m) {
		return kv, false
	}
	w.push(step{key: string(kv.Key)})
	v, changed := w.kvValue(string(kv.Key), kv.Value, t, m)
	w.pop()
	if !changed {
		return kv, false
	}
	return attribute.KeyValue{Key: kv.Key, Value: v}, true
}

// clean reports that an attribute needs no change, deciding it without
// tracking the path, copying the value or recording anything: the common
// case. False means "look closer", not "dirty".
func (w *walker) clean(kv *attribute.KeyValue, m mode) bool {
	t := kv.Value.Type()
	switch t {
	case attribute.BOOL, attribute.EMPTY:
		return true
	case attribute.STRING, attribute.INT64, attribute.FLOAT64:
	default:
		return false
	}
	safe := false
	if m == modeFull {
		info := w.attrKey(string(kv.Key))
		if info.match || info.url {
			return false
		}
		safe = info.safe
	}
	switch t {
	case attribute.FLOAT64:
		return true
	case attribute.INT64:
		return !isCardInt(kv.Value.AsInt64())
	}
	s := kv.Value.AsString()
	c, digits := classify(s)
	kvForms := m == modeFull && c&cSep != 0 && !safe
	if !kvForms && !mayHoldValue(c, digits) {
		return true
	}
	return !w.s.anyFinding(s, c, digits, kvForms)
}

// anyFinding reports whether a rule finds anything in s. It is kept out of
// clean so that the finding buffer is set up only for the strings that
// need a search.
//
//go:noinline
func (s *Scrubber) anyFinding(v string, c byteClass, digits int, kvForms bool) bool {
	var buf [4]finding
	fs := findValues(v, c, digits, buf[:0])
	if kvForms {
		fs = s.findKeyValues(v, fs)
	}
	return len(fs) > 0
}

// isURLKey reports whether the value of key is scrubbed as a URL or query.
func isURLKey(key string) bool {
	return key == "url.query" || key == "url.full" || key == "http.url"
}

func (w *walker) kvValue(key string, v attribute.Value, t attribute.Type, m mode) (attribute.Value, bool) {
	if m == modeFull {
		info := w.attrKey(key)
		safe := info.safe
		if info.match {
			if safe {
				m = modeValues
			} else if out, changed, done := w.redactWhole(v, info.rule, info.marker); done {
				return out, changed
			}
		} else if t == attribute.STRING {
			switch key {
			case "url.query":
				if out, changed := w.query(v.AsString()); changed {
					return attribute.StringValue(out), true
				}
				return v, false
			case "url.full", "http.url":
				if out, changed := w.url(v.AsString()); changed {
					return attribute.StringValue(out), true
				}
				return v, false
			}
		} else if t >= attribute.BOOLSLICE && safe {
			m = modeValues
		}
	}
	return w.value(v, m)
}

// redactWhole replaces a value whose key matched a rule by the rule's
// marker. Booleans and empty strings hold nothing to hide and are kept.
// done is false when Allow let the match through: the value is then
// scrubbed like any other.
func (w *walker) redactWhole(v attribute.Value, rule, mark string) (out attribute.Value, changed, done bool) {
	switch v.Type() {
	case attribute.BOOL, attribute.EMPTY:
		return v, false, true
	case attribute.STRING:
		if v.AsString() == "" {
			return v, false, true
		}
	}
	path := w.path("")
	if w.s.allow != nil {
		text := v.AsString()
		if v.Type() != attribute.STRING {
			text = v.Emit()
		}
		if w.allowed(path, text, rule) {
			return v, false, false
		}
	}
	w.record(path)
	switch v.Type() {
	case attribute.STRINGSLICE:
		return attribute.StringSliceValue([]string{mark}), true, true
	case attribute.SLICE:
		return attribute.SliceValue(attribute.StringValue(mark)), true, true
	}
	return attribute.StringValue(mark), true, true
}

// value scrubs a value found at the current path.
func (w *walker) value(v attribute.Value, m mode) (attribute.Value, bool) {
	switch v.Type() {
	case attribute.STRING:
		if out, changed := w.str(v.AsString(), m); changed {
			return attribute.StringValue(out), true
		}
	case attribute.BYTESLICE:
		// AsString returns the bytes' text without copying them.
		if out, changed := w.str(v.AsString(), m); changed {
			return attribute.ByteSliceValue([]byte(out)), true
		}
	case attribute.INT64:
		if w.cardInt(v.AsInt64()) {
			return attribute.StringValue(markerCard), true
		}
	case attribute.INT64SLICE:
		return w.int64s(v)
	case attribute.STRINGSLICE:
		return w.strings(v, m)
	case attribute.SLICE:
		return w.slice(v, m)
	case attribute.MAP:
		return w.mapValue(v, m)
	}
	return v, false
}

func (w *walker) cardInt(n int64) bool {
	if !isCardInt(n) {
		return false
	}
	path := w.path("")
	if w.allowed(path, strconv.FormatInt(n, 10), RuleCardNumber) {
		return false
	}
	w.record(path)
	return true
}

func (w *walker) int64s(v attribute.Value) (attribute.Value, bool) {
	in := v.AsInt64Slice()
	var out []attribute.Value
	for i, n := range in {
		w.push(step{index: i})
		card := w.cardInt(n)
		w.pop()
		if !card {
			continue
		}
		if out == nil {
			out = make([]attribute.Value, len(in))
			for k, x := range in {
				out[k] = attribute.Int64Value(x)
			}
		}
		out[i] = attribute.StringValue(markerCard)
	}
	if out == nil {
		return v, false
	}
	return attribute.SliceValue(out...), true
}

func (w *walker) strings(v attribute.Value, m mode) (attribute.Value, bool) {
	in := v.AsStringSlice()
	var out []string
	for i, s := range in {
		w.push(step{index: i})
		ns, changed := w.str(s, m)
		w.pop()
		if !changed {
			continue
		}
		if out == nil {
			out = append([]string(nil), in...)
		}
		out[i] = ns
	}
	if out == nil {
		return v, false
	}
	return attribute.StringSliceValue(out), true
}

func (w *walker) slice(v attribute.Value, m mode) (attribute.Value, bool) {
	in := v.AsSlice()
	changedAny := false
	for i, x := range in {
		w.push(step{index: i})
		nx, changed := w.value(x, m)
		w.pop()
		if changed {
			in[i], changedAny = nx, true // in is a copy made by AsSlice
		}
	}
	if !changedAny {
		return v, false
	}
	return attribute.SliceValue(in...), true
}

func (w *walker) mapValue(v attribute.Value, m mode) (attribute.Value, bool) {
	in := v.AsMap()
	changedAny := false
	for i, kv := range in {
		if nkv, changed := w.kv(kv, m); changed {
			in[i], changedAny = nkv, true // in is a copy made by AsMap
		}
	}
	if !changedAny {
		return v, false
	}
	return attribute.MapValue(in...), true
}

// str scrubs a string found at the current path. The key whose value it is
// decides whether key=value forms are looked for (not under safe keys).
func (w *walker) str(s string, m mode) (string, bool) {
	flags, digits := classify(s)
	kvForms := m == modeFull && flags&cSep != 0
	if !kvForms && !mayHoldValue(flags, digits) {
		return s, false
	}
	if kvForms {
		if w.attrKey(w.lastKey()).safe {
			kvForms = false
		}
	}
	var buf [4]finding
	fs := findValues(s, flags, digits, buf[:0])
	if kvForms {
		fs = w.s.findKeyValues(s, fs)
	}
	if len(fs) == 0 {
		return s, false
	}
	return w.apply(s, fs, false)
}

// before orders findings by start; of two that start together, the longer
// one first, then the one found after a key (its path names the key).
func before(a, b finding) bool {
	if a.start != b.start {
		return a.start < b.start
	}
	if a.end != b.end {
		return a.end > b.end
	}
	return a.key != "" && b.key == ""
}

// apply asks Allow about each finding, records the paths and writes s with
// the remaining findings replaced by their markers (or by REDACTED inside
// URLs). Overlapping findings are merged.
func (w *walker) apply(s string, fs []finding, inURL bool) (string, bool) {
	for i := 1; i < len(fs); i++ { // insertion sort: a few findings
		for k := i; k > 0 && before(fs[k], fs[k-1]); k-- {
			fs[k], fs[k-1] = fs[k-1], fs[k]
		}
	}
	kept := fs[:0]
	for _, f := range fs {
		if w.s.allow == nil || !w.allowed(w.path(f.key), s[f.start:f.end], f.rule) {
			kept = append(kept, f)
		}
	}
	if len(kept) == 0 {
		return s, false
	}
	var b strings.Builder
	b.Grow(len(s) + 24*len(kept))
	last := 0
	for _, f := range kept {
		if f.start < last {
			last = max(last, f.end) // overlaps the previous one: swallowed
			continue
		}
		w.record(w.path(f.key))
		b.WriteString(s[last:f.start])
		switch {
		case !inURL:
			b.WriteString(f.marker)
		case f.rule == RuleURLCredentials && strings.IndexByte(s[f.start:f.end], ':') >= 0:
			b.WriteString(Redacted + ":" + Redacted)
		default:
			b.WriteString(Redacted)
		}
		last = f.end
	}
	b.WriteString(s[last:])
	return b.String(), true
}
