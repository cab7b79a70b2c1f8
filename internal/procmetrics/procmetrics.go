// Package procmetrics reports the process's own resource use as the
// OpenTelemetry process metrics: CPU time, resident memory and open file
// descriptors. Every instrument is observable: nothing runs until a reader
// collects, and nothing runs on the application's request path.
package procmetrics

import (
	"context"
	"errors"
	"os"
	"runtime/metrics"

	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/metric"
)

// ScopeName is the instrumentation scope of the metrics.
const ScopeName = "github.com/observe-go/observe/internal/procmetrics"

var (
	cpuUser   = metric.WithAttributeSet(attribute.NewSet(attribute.String("cpu.mode", "user")))
	cpuSystem = metric.WithAttributeSet(attribute.NewSet(attribute.String("cpu.mode", "system")))
)

// Start registers the process metrics, and the Go garbage collector's cycle
// count and pause time, with mp:
//
//	process.cpu.time                     s        CPU seconds, by cpu.mode (user, system)
//	process.memory.usage                 By       resident memory (Linux; elsewhere the peak)
//	process.unix.file_descriptor.count   {file_descriptor}  open file descriptors (Linux)
//	go.gc.cycles                         {gc_cycle}  completed GC cycles
//	go.gc.pause.time                     s        total time the world was stopped for GC
//
// The callbacks end with mp's Shutdown.
func Start(mp metric.MeterProvider, version string) error {
	meter := mp.Meter(ScopeName, metric.WithInstrumentationVersion(version))
	cpu, e1 := meter.Float64ObservableCounter("process.cpu.time",
		metric.WithUnit("s"), metric.WithDescription("Total CPU seconds broken down by different CPU modes."))
	mem, e2 := meter.Int64ObservableUpDownCounter("process.memory.usage",
		metric.WithUnit("By"), metric.WithDescription("The amount of physical memory in use."))
	fds, e3 := meter.Int64ObservableUpDownCounter("process.unix.file_descriptor.count",
		metric.WithUnit("{file_descriptor}"), metric.WithDescription("Number of unix file descriptors in use by the process."))
	cycles, e4 := meter.Int64ObservableCounter("go.gc.cycles",
		metric.WithUnit("{gc_cycle}"), metric.WithDescription("Completed garbage collection cycles."))
	pause, e5 := meter.Float64ObservableCounter("go.gc.pause.time",
		metric.WithUnit("s"), metric.WithDescription("Total time the world was stopped for garbage collection."))
	if err := errors.Join(e1, e2, e3, e4, e5); err != nil {
		return err
	}
	samples := []metrics.Sample{{Name: "/gc/cycles/total:gc-cycles"}, {Name: "/sched/pauses/total/gc:seconds"}}
	_, err := meter.RegisterCallback(func(_ context.Context, o metric.Observer) error {
		if user, system, ok := cpuSeconds(); ok {
			o.ObserveFloat64(cpu, user, cpuUser)
			o.ObserveFloat64(cpu, system, cpuSystem)
		}
		if rss, ok := residentBytes(); ok {
			o.ObserveInt64(mem, rss)
		}
		if n, ok := openFiles(); ok {
			o.ObserveInt64(fds, n)
		}
		metrics.Read(samples)
		if samples[0].Value.Kind() == metrics.KindUint64 {
			o.ObserveInt64(cycles, int64(samples[0].Value.Uint64()))
		}
		if samples[1].Value.Kind() == metrics.KindFloat64Histogram {
			o.ObserveFloat64(pause, histogramSum(samples[1].Value.Float64Histogram()))
		}
		return nil
	}, cpu, mem, fds, cycles, pause)
	return err
}

// histogramSum estimates the total of a runtime histogram from its bucket
// midpoints (the runtime keeps no exact sum of pauses).
func histogramSum(h *metrics.Float64Histogram) float64 {
	var sum float64
	for i, n := range h.Counts {
		if n == 0 {
			continue
		}
		lo, hi := h.Buckets[i], h.Buckets[i+1]
		switch {
		case lo < -1e300:
			lo = hi
		case hi > 1e300:
			hi = lo
		}
		sum += float64(n) * (lo + hi) / 2
	}
	return sum
}

// openFiles counts the entries of /proc/self/fd.
func openFiles() (int64, bool) {
	f, err := os.Open("/proc/self/fd")
	if err != nil {
		return 0, false
	}
	defer f.Close()
	names, err := f.Readdirnames(-1)
	if err != nil {
		return 0, false
	}
	// The directory read itself holds one descriptor.
	return int64(len(names) - 1), true
}
