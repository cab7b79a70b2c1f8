//go:build !race

package instrument_test

// raceEnabled reports whether the tests run under the race detector, which
// makes sync.Pool drop items at random and so changes allocation counts.
const raceEnabled = false
