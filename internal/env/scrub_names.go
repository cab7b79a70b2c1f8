package env

// Names of the environment variables that configure scrubbing.
const (
	// ObserveScrubbing turns scrubbing off when "false"; it is on when
	// unset.
	ObserveScrubbing = "OBSERVE_SCRUBBING"
	// ObserveScrubbingPatterns holds extra key patterns: comma-separated
	// regular expressions, matched case-insensitively, added to the
	// defaults.
	ObserveScrubbingPatterns = "OBSERVE_SCRUBBING_PATTERNS"
)
