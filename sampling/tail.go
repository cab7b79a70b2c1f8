package sampling

import (
	"errors"
	"fmt"
	"log/slog"
	"math"
	"time"

	"github.com/observe-go/observe/internal/env"
)

// Defaults of the bounds of [Tail], used where a field is zero.
const (
	// DefaultMaxTraces is the default of [Tail.MaxTraces].
	DefaultMaxTraces = 10_000
	// DefaultMaxSpansPerTrace is the default of [Tail.MaxSpansPerTrace].
	DefaultMaxSpansPerTrace = 1_000
	// DefaultMaxLogsPerTrace is the default of [Tail.MaxLogsPerTrace].
	DefaultMaxLogsPerTrace = 1_000
	// DefaultMaxBytes is the default of [Tail.MaxBytes]: 64 MiB.
	DefaultMaxBytes = 64 << 20
	// DefaultMaxWait is the default of [Tail.MaxWait].
	DefaultMaxWait = 30 * time.Second
)

// Tail configures tail sampling: which traces a [TailProcessor] keeps whole,
// and how much it may hold while it waits to decide. The zero value keeps
// the traces that hold an error or a record at warn or above, drops the
// others, and uses the default bounds.
//
// A trace is kept when any of these holds, checked in this order:
//   - error: one of its spans has status Error or an "exception" event;
//   - level: one of its log records has a severity at or above Level;
//   - duration: Duration is above zero and its local root lasted at least
//     Duration;
//   - rate: its trace id falls in the kept share Rate.
//
// The other traces are dropped.
type Tail struct {
	// Duration keeps the traces whose local root span lasted at least this
	// long. Zero turns the rule off.
	Duration time.Duration
	// Level keeps the traces that hold a log record at or above this
	// level; a nil Level is slog.LevelWarn. Levels map to OpenTelemetry
	// severities as the log/slog bridges map them: Debug is 5, Info 9,
	// Warn 13 and Error 17, and levels in between keep their offset. The
	// Level is read for every record, so a [slog.LevelVar] can change it
	// at run time.
	Level slog.Leveler
	// Rate is the share, from 0 to 1, of the other traces kept. The
	// decision is taken from the trace id's randomness, so every process
	// given the same trace id decides the same.
	Rate float64

	// MaxTraces bounds the traces waiting for their decision; zero is
	// DefaultMaxTraces.
	MaxTraces int
	// MaxSpansPerTrace bounds the ended spans held for one trace; zero is
	// DefaultMaxSpansPerTrace.
	MaxSpansPerTrace int
	// MaxLogsPerTrace bounds the log records held for one trace; zero is
	// DefaultMaxLogsPerTrace.
	MaxLogsPerTrace int
	// MaxBytes bounds the approximate size of all that is held; zero is
	// DefaultMaxBytes.
	MaxBytes int64
	// MaxWait is the longest a trace waits for its decision, counted from
	// its first span started in this process; zero is DefaultMaxWait.
	MaxWait time.Duration
}

// TailFromEnv reads tail sampling from the environment through lookup (nil
// reads the process environment with [os.LookupEnv]). It is on when any of
// these is set (an empty value counts as unset):
//   - OBSERVE_TAIL_SAMPLING_DURATION: [Tail.Duration], a Go duration such
//     as "500ms" (default 0, the rule off);
//   - OBSERVE_TAIL_SAMPLING_LEVEL: [Tail.Level], debug, info, warn or error
//     (default warn);
//   - OBSERVE_TAIL_SAMPLING_RATE: [Tail.Rate], from 0 to 1 (default 0).
//
// The bounds keep their defaults. Every bad value is reported, each by an
// error naming the variable and the value, joined into one.
func TailFromEnv(lookup func(string) (string, bool)) (t Tail, on bool, err error) {
	r := env.New(lookup)
	d, dSet, dErr := r.Duration(env.TailSamplingDuration)
	lvl, lSet, lErr := r.Level(env.TailSamplingLevel)
	rate, rSet, rErr := r.Ratio(env.TailSamplingRate)
	if err := errors.Join(dErr, lErr, rErr); err != nil {
		return Tail{}, dSet || lSet || rSet, err
	}
	t.Duration, t.Rate = d, rate
	if lSet {
		t.Level = lvl
	}
	return t, dSet || lSet || rSet, nil
}

// Validate reports every field of t that is out of range, each by an error
// naming the field and its value, joined into one.
func (t Tail) Validate() error {
	var errs []error
	bad := func(field string, value any, want string) {
		errs = append(errs, fmt.Errorf("sampling.Tail.%s=%v: %s", field, value, want))
	}
	if t.Duration < 0 {
		bad("Duration", t.Duration, "want zero (off) or more")
	}
	if math.IsNaN(t.Rate) || t.Rate < 0 || t.Rate > 1 {
		bad("Rate", t.Rate, "want a number from 0 to 1")
	}
	if t.MaxTraces < 0 {
		bad("MaxTraces", t.MaxTraces, "want zero (the default) or more")
	}
	if t.MaxSpansPerTrace < 0 {
		bad("MaxSpansPerTrace", t.MaxSpansPerTrace, "want zero (the default) or more")
	}
	if t.MaxLogsPerTrace < 0 {
		bad("MaxLogsPerTrace", t.MaxLogsPerTrace, "want zero (the default) or more")
	}
	if t.MaxBytes < 0 {
		bad("MaxBytes", t.MaxBytes, "want zero (the default) or more")
	}
	if t.MaxWait < 0 {
		bad("MaxWait", t.MaxWait, "want zero (the default) or more")
	}
	return errors.Join(errs...)
}

// withDefaults returns t with every zero bound replaced by its default.
func (t Tail) withDefaults() Tail {
	if lv, ok := t.Level.(*slog.LevelVar); t.Level == nil || ok && lv == nil {
		t.Level = slog.LevelWarn
	}
	if t.MaxTraces == 0 {
		t.MaxTraces = DefaultMaxTraces
	}
	if t.MaxSpansPerTrace == 0 {
		t.MaxSpansPerTrace = DefaultMaxSpansPerTrace
	}
	if t.MaxLogsPerTrace == 0 {
		t.MaxLogsPerTrace = DefaultMaxLogsPerTrace
	}
	if t.MaxBytes == 0 {
		t.MaxBytes = DefaultMaxBytes
	}
	if t.MaxWait == 0 {
		t.MaxWait = DefaultMaxWait
	}
	return t
}
