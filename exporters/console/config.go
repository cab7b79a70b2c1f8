package console

import "time"

// Format selects how a [Console] renders telemetry.
type Format int

const (
	// FormatPretty writes one human-readable line per span, log record and
	// metric data point, with spans and records nested by indentation.
	FormatPretty Format = iota
	// FormatJSON writes one compact JSON object per line: spans and metrics
	// as the OpenTelemetry stdout exporters do, log records as flat objects
	// with time, level, msg, trace_id, span_id, request_id and their
	// attributes.
	FormatJSON
)

const (
	defaultFlushInterval = 100 * time.Millisecond
	// flushThreshold is the buffered size above which the writer that
	// crosses it writes the buffer out itself.
	flushThreshold = 32 << 10
)

// Option configures a [Console]. It is implemented only by the With*
// functions of this package.
type Option interface {
	apply(config) config
}

type optionFunc func(config) config

func (f optionFunc) apply(c config) config { return f(c) }

type config struct {
	color         bool
	format        Format
	flushInterval time.Duration
	now           func() time.Time
	timestamps    bool
}

func newConfig(opts []Option) config {
	c := config{
		format:        FormatPretty,
		flushInterval: defaultFlushInterval,
		now:           time.Now,
		timestamps:    true,
	}
	for _, o := range opts {
		if o != nil {
			c = o.apply(c)
		}
	}
	return c
}

// WithColor turns ANSI colours on or off in [FormatPretty] output. The
// default is false. The caller decides whether the output is a terminal and
// whether NO_COLOR is set; this package never looks at the environment.
func WithColor(on bool) Option {
	return optionFunc(func(c config) config {
		c.color = on
		return c
	})
}

// WithFormat selects the output format. The default is [FormatPretty]. An
// unknown format is ignored.
func WithFormat(f Format) Option {
	return optionFunc(func(c config) config {
		if f == FormatPretty || f == FormatJSON {
			c.format = f
		}
		return c
	})
}

// WithFlushInterval sets how long a written line may stay in the buffer
// before a timer writes it out. The default is 100ms. A duration that is not
// positive is ignored.
func WithFlushInterval(d time.Duration) Option {
	return optionFunc(func(c config) config {
		if d > 0 {
			c.flushInterval = d
		}
		return c
	})
}

// WithClock sets the clock used for lines that carry no time of their own:
// metric lines and log records without a timestamp. It exists for tests and
// examples that need stable output. The default is [time.Now]; nil is
// ignored.
func WithClock(now func() time.Time) Option {
	return optionFunc(func(c config) config {
		if now != nil {
			c.now = now
		}
		return c
	})
}

// WithTimestamps turns the time column of [FormatPretty] output, and the
// timestamps of [FormatJSON] output, on or off. The default is true; false
// makes output deterministic, which examples need.
func WithTimestamps(on bool) Option {
	return optionFunc(func(c config) config {
		c.timestamps = on
		return c
	})
}
