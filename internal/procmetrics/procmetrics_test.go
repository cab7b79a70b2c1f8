package procmetrics

import (
	"context"
	"os"
	"runtime"
	"testing"

	sdkmetric "go.opentelemetry.io/otel/sdk/metric"
	"go.opentelemetry.io/otel/sdk/metric/metricdata"
)

func collect(t testing.TB, r *sdkmetric.ManualReader) map[string]metricdata.Metrics {
	t.Helper()
	var rm metricdata.ResourceMetrics
	if err := r.Collect(context.Background(), &rm); err != nil {
		t.Fatal(err)
	}
	out := map[string]metricdata.Metrics{}
	for _, sm := range rm.ScopeMetrics {
		for _, m := range sm.Metrics {
			out[m.Name] = m
		}
	}
	return out
}

func TestProcessMetrics(t *testing.T) {
	r := sdkmetric.NewManualReader()
	mp := sdkmetric.NewMeterProvider(sdkmetric.WithReader(r))
	defer mp.Shutdown(context.Background())
	if err := Start(mp, "test"); err != nil {
		t.Fatal(err)
	}
	runtime.GC()
	f, err := os.Open(os.DevNull) // one more descriptor than before
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	got := collect(t, r)

	cpu := got["process.cpu.time"].Data.(metricdata.Sum[float64])
	if len(cpu.DataPoints) != 2 || !cpu.IsMonotonic {
		t.Fatalf("process.cpu.time: %+v; want a monotonic sum by cpu.mode user and system", cpu)
	}
	var total float64
	for _, dp := range cpu.DataPoints {
		total += dp.Value
	}
	if total <= 0 {
		t.Errorf("process.cpu.time total %v; this test used CPU", total)
	}
	if rss := got["process.memory.usage"].Data.(metricdata.Sum[int64]).DataPoints[0].Value; rss < 1<<20 {
		t.Errorf("process.memory.usage = %d bytes; a Go test binary holds megabytes", rss)
	}
	if fds := got["process.unix.file_descriptor.count"].Data.(metricdata.Sum[int64]).DataPoints[0].Value; fds < 4 {
		t.Errorf("process.unix.file_descriptor.count = %d; stdin, stdout, stderr and /dev/null are open", fds)
	}
	if n := got["go.gc.cycles"].Data.(metricdata.Sum[int64]).DataPoints[0].Value; n < 1 {
		t.Errorf("go.gc.cycles = %d after runtime.GC", n)
	}
	if _, ok := got["go.gc.pause.time"]; !ok {
		t.Error("go.gc.pause.time missing")
	}
}

// BenchmarkCollect is the cost of one collection of the process metrics,
// paid by the reader's goroutine at each export, never by a request.
func BenchmarkCollect(b *testing.B) {
	r := sdkmetric.NewManualReader()
	mp := sdkmetric.NewMeterProvider(sdkmetric.WithReader(r))
	defer mp.Shutdown(context.Background())
	if err := Start(mp, "bench"); err != nil {
		b.Fatal(err)
	}
	var rm metricdata.ResourceMetrics
	b.ReportAllocs()
	for b.Loop() {
		if err := r.Collect(context.Background(), &rm); err != nil {
			b.Fatal(err)
		}
	}
}
