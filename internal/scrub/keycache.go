package scrub

import (
	"strings"
	"sync/atomic"
)

// keyInfo is what a Scrubber decided about an attribute key.
type keyInfo struct {
	key    string
	rule   string
	marker string
	match  bool // the key matches a key rule
	safe   bool // the key is a safe key
	url    bool // the value is a URL or a query (url.full, url.query)
}

// keyCacheSize is the number of slots of a keyCache; keySlot assumes 1<<9.
const keyCacheSize = 512

// keyCache remembers the decisions about attribute keys, which come from a
// small, fixed set in practice. A slot is filled once, by the first key
// that lands on it, and never replaced: a program with many distinct keys
// costs at most about 2*keyCacheSize small allocations over its life (a
// lost race allocates once more), and keys that do not get a slot are
// matched each time, without allocating.
type keyCache [keyCacheSize]atomic.Pointer[keyInfo]

// keySlot spreads keys over the slots from their length and a few bytes.
func keySlot(k string) uint {
	n := uint(len(k))
	if n == 0 {
		return 0
	}
	h := (n ^ uint(k[0])<<8 ^ uint(k[n-1])<<16 ^ uint(k[n/2])<<24 ^ uint(k[n/4])<<32) * 0x9E3779B97F4A7C15
	return h >> (64 - 9) // keyCacheSize is 1<<9
}

// maxCachedKey bounds the length of a cached key.
const maxCachedKey = 128

// attrKey returns the decision about an attribute (or nested map) key:
// the cached one, or one made in the walker's scratch space. A key has two
// slots to choose from, so that two hot keys that land on the same slot
// both find a place.
func (w *walker) attrKey(k string) *keyInfo {
	s, tmp := w.s, &w.scratch
	if s.keys == nil { // a Scrubber not made by New
		tmp.rule, tmp.marker, tmp.match = s.keyRule(k)
		tmp.safe, tmp.url = isSafeKey(k), isURLKey(k)
		return tmp
	}
	h := keySlot(k)
	first, second := &s.keys[h], &s.keys[(h+1)%keyCacheSize]
	if e := first.Load(); e != nil && e.key == k {
		return e
	}
	if e := second.Load(); e != nil && e.key == k {
		return e
	}
	tmp.rule, tmp.marker, tmp.match = s.keyRule(k)
	tmp.safe = isSafeKey(k)
	tmp.url = isURLKey(k)
	if len(k) <= maxCachedKey && (first.Load() == nil || second.Load() == nil) {
		e := *tmp
		e.key = strings.Clone(k)
		if !first.CompareAndSwap(nil, &e) {
			second.CompareAndSwap(nil, &e)
		}
	}
	return tmp
}
