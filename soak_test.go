package observe_test

import (
	"bufio"
	"bytes"
	"context"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/observe-go/observe"
	"github.com/observe-go/observe/internal/itest"
)

// TestSoak runs load for OBSERVE_SOAK (a Go duration, e.g. 10m) against a
// real collector that is stopped a third of the way in and started again
// on the same ports two thirds of the way in. It prints the process's
// resident memory over time and the telemetry delivered against what was
// dropped, and fails if anything is unaccounted for (OBSERVE_SOAK_RECORDS
// sets the log records per request, 5 by default;
// OBSERVE_SOAK_KEEP_COLLECTOR=1 keeps the collector up throughout). The
// collector's files take several GiB of temporary disk for 10 minutes.
// scripts/soak.sh runs it; the default test command does not (it is
// skipped without the variable).
func TestSoak(t *testing.T) {
	d, err := time.ParseDuration(os.Getenv("OBSERVE_SOAK"))
	if err != nil || d <= 0 {
		t.Skip("set OBSERVE_SOAK to a duration (scripts/soak.sh) to run the soak test")
	}
	col1 := itest.StartCollector(t)
	errs := &syncBuffer{}
	vars := map[string]string{
		"OTEL_EXPORTER_OTLP_ENDPOINT": col1.HTTPEndpoint,
		"OTEL_METRICS_EXPORTER":       "none",
	}
	// The batch settings of the process environment apply, to compare
	// queue and batch sizes.
	for _, kv := range os.Environ() {
		if k, v, _ := strings.Cut(kv, "="); strings.HasPrefix(k, "OTEL_BSP_") || strings.HasPrefix(k, "OTEL_BLRP_") {
			vars[k] = v
		}
	}
	withGlobals(t)
	tel, err := observe.Configure(observe.WithErrorWriter(errs), observe.WithConsoleWriter(io.Discard), observe.WithEnvLookup(envMap(vars)))
	if err != nil {
		t.Fatal(err)
	}
	recordsPerRequest := 5
	if n, err := strconv.Atoi(os.Getenv("OBSERVE_SOAK_RECORDS")); err == nil && n >= 0 {
		recordsPerRequest = n
	}
	srv := httptest.NewServer(tel.InstrumentHTTP(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		for i := range recordsPerRequest {
			tel.Logger().InfoContext(r.Context(), "working", "step", i)
		}
		fmt.Fprint(w, "ok")
	})))
	defer srv.Close()

	stop := make(chan struct{})
	var requests atomic.Int64
	var wg sync.WaitGroup
	for range 4 {
		wg.Go(func() {
			for {
				select {
				case <-stop:
					return
				default:
				}
				resp, err := srv.Client().Get(srv.URL + "/soak")
				if err != nil {
					continue
				}
				_, _ = io.Copy(io.Discard, resp.Body)
				_ = resp.Body.Close()
				requests.Add(1)
			}
		})
	}

	start := time.Now()
	tick := time.NewTicker(d / 20)
	defer tick.Stop()
	var col2 *itest.Collector
	stopped := false
	t.Logf("%d records per request; %s", recordsPerRequest, vars)
	t.Logf("%8s %10s %10s  %s", "elapsed", "RSS MiB", "requests", "collector")
	for elapsed := time.Duration(0); elapsed < d; elapsed = time.Since(start) {
		<-tick.C
		state := "up"
		switch {
		case os.Getenv("OBSERVE_SOAK_KEEP_COLLECTOR") != "":
		case elapsed >= 2*d/3 && col2 == nil:
			col2 = itest.StartCollectorWith(t, itest.CollectorSpec{
				Name: "otelcol-restarted", Config: itest.CollectorConfig, DirEnv: "OTELCOL_OUT",
				Env: map[string]string{"OTELCOL_GRPC": col1.GRPCEndpoint, "OTELCOL_HTTP": strings.TrimPrefix(col1.HTTPEndpoint, "http://")},
			})
			state = "restarted"
		case elapsed >= d/3 && !stopped:
			col1.Stop(t, 30*time.Second)
			stopped = true
			state = "stopped"
		case stopped && col2 == nil:
			state = "down"
		}
		rss, _ := residentMiB()
		t.Logf("%8s %10.1f %10d  %s", elapsed.Round(time.Second), rss, requests.Load(), state)
	}
	close(stop)
	wg.Wait()
	// Close waits for the handlers still running, whose access-log
	// records come after their responses.
	srv.Close()
	if err := tel.Shutdown(context.Background()); err != nil {
		t.Logf("Shutdown: %v", err)
	}
	n := requests.Load()
	// Stopping the collector that is up drains its batch processor into
	// its files.
	if col2 != nil {
		col2.Stop(t, 30*time.Second)
	} else if !stopped {
		col1.Stop(t, 30*time.Second)
	}
	// The files hold gigabytes after a long run: count without decoding.
	spans := countInFiles(t, col1, "traces.jsonl", `"spanId":`)
	logs := countInFiles(t, col1, "logs.jsonl", `"severityNumber":`)
	if col2 != nil {
		spans += countInFiles(t, col2, "traces.jsonl", `"spanId":`)
		logs += countInFiles(t, col2, "logs.jsonl", `"severityNumber":`)
	}
	droppedSpans, droppedLogs := lastTotal(errs.String(), "spans"), lastTotal(errs.String(), "log records")
	t.Logf("requests %d; spans: delivered %d, dropped %d; log records (%d per request + the access log): made %d, delivered %d, dropped %d",
		n, spans, droppedSpans, recordsPerRequest, n*int64(recordsPerRequest+1), logs, droppedLogs)
	if int64(spans)+droppedSpans < n {
		t.Errorf("%d spans neither delivered nor counted as dropped", n-int64(spans)-droppedSpans)
	}
	if made := n * int64(recordsPerRequest+1); int64(logs)+droppedLogs < made {
		t.Errorf("%d log records neither delivered nor counted as dropped", made-int64(logs)-droppedLogs)
	}
	t.Logf("errors reported:\n%s", errs)
}

// countInFiles counts the occurrences of key in the collector's file,
// line by line: each span has one "spanId" (the soak's spans have no
// links), each log record one "severityNumber".
func countInFiles(t *testing.T, c *itest.Collector, name, key string) int {
	t.Helper()
	f, err := os.Open(filepath.Join(c.Dir, name))
	if err != nil {
		t.Fatalf("%s: %v", name, err)
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	sc.Buffer(make([]byte, 1<<20), 512<<20) // one export request per line
	n := 0
	for sc.Scan() {
		n += bytes.Count(sc.Bytes(), []byte(key))
	}
	if err := sc.Err(); err != nil {
		t.Fatalf("%s: %v", name, err)
	}
	return n
}

// lastTotal sums, over the kinds of report that name item, the last "(N in
// total)" each gave: items dropped by a full queue and lost by failed
// exports.
func lastTotal(errs, item string) int64 {
	var sum int64
	for _, kind := range []string{item + ` dropped before export to \S+`, `export to \S+ failed, \d+ ` + item + ` lost`} {
		m := regexp.MustCompile(kind+` \((\d+) in total\)`).FindAllStringSubmatch(errs, -1)
		if len(m) > 0 {
			n, _ := strconv.ParseInt(m[len(m)-1][1], 10, 64)
			sum += n
		}
	}
	return sum
}

// residentMiB reads the process's resident set size.
func residentMiB() (float64, error) {
	b, err := os.ReadFile("/proc/self/statm")
	if err != nil {
		return 0, err
	}
	f := strings.Fields(string(b))
	pages, err := strconv.ParseInt(f[1], 10, 64)
	return float64(pages*int64(os.Getpagesize())) / (1 << 20), err
}
