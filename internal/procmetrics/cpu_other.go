//go:build !unix

package procmetrics

// cpuSeconds is unknown outside Unix.
func cpuSeconds() (user, system float64, ok bool) { return 0, 0, false }
