package env

// Names of the environment variables that turn on and tune tail sampling.
const (
	// TailSamplingDuration is the duration threshold, a Go duration such as
	// "500ms".
	TailSamplingDuration = "OBSERVE_TAIL_SAMPLING_DURATION"
	// TailSamplingLevel is the log level threshold: debug, info, warn or
	// error.
	TailSamplingLevel = "OBSERVE_TAIL_SAMPLING_LEVEL"
	// TailSamplingRate is the share, 0 to 1, of the other traces kept.
	TailSamplingRate = "OBSERVE_TAIL_SAMPLING_RATE"
)
