package scrub

// byteClass is the set of byte classes found in a string, as returned by
// classify: each class is an 8-bit field, non-zero when the class occurs.
type byteClass uint64

// Byte classes for the one-pass prefilter of a string value: a string with
// none of these (and fewer than 13 digits) cannot match a value rule or hold
// a key=value form, and is passed on after one table-driven pass.
const (
	cSep   byteClass = 0xff << (8 * iota) // '=' or ':': key=value forms, URLs
	cJ                                    // 'J': "eyJ" starts a JWT
	cSpace                                // ' ': "Bearer x", "Basic x"
	cB                                    // 'b' or 'B'
	cDash                                 // '-': "-----BEGIN"
	cAt                                   // '@': URL credentials
	cDigit                                // counted, not returned
)

// has reports whether both classes occur.
func (c byteClass) has(a, b byteClass) bool { return c&a != 0 && c&b != 0 }

// classTab holds, for each byte, a one in the lowest bit of its class's
// field. Summing the entries of up to 255 bytes counts each class without
// a carry from one field into the next: one load and one add per byte,
// and no branch.
var classTab = func() (t [256]uint64) {
	one := func(c byteClass) uint64 { return uint64(c) & (uint64(c) >> 7) } // lowest bit of the field
	t['='], t[':'] = one(cSep), one(cSep)
	t['J'] = one(cJ)
	t[' '] = one(cSpace)
	t['b'], t['B'] = one(cB), one(cB)
	t['-'] = one(cDash)
	t['@'] = one(cAt)
	for c := '0'; c <= '9'; c++ {
		t[c] = one(cDigit)
	}
	return t
}()

// classify returns the classes of the bytes of s and its number of digits.
func classify(s string) (classes byteClass, digits int) {
	for len(s) > 0 {
		chunk := s[:min(len(s), 255)]
		s = s[len(chunk):]
		var acc uint64
		for len(chunk) >= 4 {
			acc += classTab[chunk[0]] + classTab[chunk[1]] + classTab[chunk[2]] + classTab[chunk[3]]
			chunk = chunk[4:]
		}
		for i := 0; i < len(chunk); i++ {
			acc += classTab[chunk[i]]
		}
		classes |= byteClass(acc) &^ cDigit
		digits += int((byteClass(acc) & cDigit) >> 48)
	}
	return classes, digits
}

// mayHoldValue reports whether a string of these classes may match a
// value rule.
func mayHoldValue(c byteClass, digits int) bool {
	return digits >= 13 || c&(cJ|cDash) != 0 || c.has(cSpace, cB) || c.has(cSep, cAt)
}
