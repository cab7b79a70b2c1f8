package sampling

import (
	"time"

	"go.opentelemetry.io/otel/metric"
)

// TailOption configures a [TailProcessor].
type TailOption interface {
	apply(tailConfig) tailConfig
}

type tailOptionFunc func(tailConfig) tailConfig

func (f tailOptionFunc) apply(c tailConfig) tailConfig { return f(c) }

// tailConfig holds what the options set.
type tailConfig struct {
	meterProvider metric.MeterProvider
	// now is the clock of MaxWait and of the reports; time.Now unless a
	// test sets it.
	now func() time.Time
	// manualSweep leaves sweeping to the caller: no background goroutine.
	manualSweep bool
}

// WithMeterProvider sets the MeterProvider of the processor's own metrics
// (see the package documentation for their names). The default is the
// global MeterProvider; nil leaves the default.
func WithMeterProvider(mp metric.MeterProvider) TailOption {
	return tailOptionFunc(func(c tailConfig) tailConfig {
		if mp != nil {
			c.meterProvider = mp
		}
		return c
	})
}

// withClock sets the clock of MaxWait and of the overflow reports.
func withClock(now func() time.Time) TailOption {
	return tailOptionFunc(func(c tailConfig) tailConfig {
		c.now = now
		return c
	})
}

// withManualSweep starts no sweeper: the caller calls sweep.
func withManualSweep() TailOption {
	return tailOptionFunc(func(c tailConfig) tailConfig {
		c.manualSweep = true
		return c
	})
}
