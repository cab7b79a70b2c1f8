//go:build !linux

package procmetrics

// residentBytes is unknown outside Linux.
func residentBytes() (int64, bool) { return 0, false }
