package observe_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"go.opentelemetry.io/otel/codes"
	"go.opentelemetry.io/otel/sdk/trace/tracetest"
	"go.opentelemetry.io/otel/trace"

	"github.com/observe-go/observe"
	"github.com/observe-go/observe/internal/env"
	"github.com/observe-go/observe/internal/itest"
	"github.com/observe-go/observe/sampling"
)

// With tail sampling on, traces with an error, a warning or a slow root are
// exported whole with their log records, the others are dropped with
// theirs, and the console still shows everything.
func TestTailSamplingThroughConfigure(t *testing.T) {
	spans, logs := tracetest.NewSpanRecorder(), &logRecorder{}
	console := &syncBuffer{}
	tel := configure(t, map[string]string{
		"OBSERVE_TAIL_SAMPLING_DURATION": "500ms",
		"OBSERVE_TAIL_SAMPLING_RATE":     "0",
		"OTEL_TRACES_EXPORTER":           "console",
		"OTEL_LOGS_EXPORTER":             "console",
	}, observe.WithSpanProcessor(spans), observe.WithLogProcessor(logs), observe.WithConsoleWriter(console))
	tracer := tel.TracerProvider().Tracer("test")
	t0 := time.Now()
	run := func(name string, childErr bool, level string, took time.Duration) {
		ctx, root := tracer.Start(context.Background(), name, trace.WithTimestamp(t0))
		cctx, child := tracer.Start(ctx, name+" child", trace.WithTimestamp(t0))
		switch level {
		case "warn":
			tel.Logger().WarnContext(cctx, name+" record")
		default:
			tel.Logger().InfoContext(cctx, name+" record")
		}
		if childErr {
			child.SetStatus(codes.Error, "failed")
		}
		// The child ends after its root: it is part of the decision.
		root.End(trace.WithTimestamp(t0.Add(took)))
		child.End(trace.WithTimestamp(t0.Add(took)))
	}
	run("ordinary", false, "info", time.Millisecond)
	run("failing", true, "info", time.Millisecond)
	run("warning", false, "warn", time.Millisecond)
	run("slow", false, "info", time.Second)
	if err := tel.ForceFlush(context.Background()); err != nil {
		t.Fatal(err)
	}

	exported := map[string]int{}
	for _, s := range spans.Ended() {
		exported[strings.TrimSuffix(s.Name(), " child")]++
	}
	records := map[string]bool{}
	for _, r := range logs.Records() {
		records[strings.TrimSuffix(r.Body().AsString(), " record")] = true
	}
	for _, kept := range []string{"failing", "warning", "slow"} {
		if exported[kept] != 2 || !records[kept] {
			t.Errorf("%s: %d spans and record %v exported; want the whole trace: 2 spans and its record", kept, exported[kept], records[kept])
		}
	}
	if exported["ordinary"] != 0 || records["ordinary"] {
		t.Errorf("ordinary: %d spans and record %v exported; want the trace dropped with its record", exported["ordinary"], records["ordinary"])
	}
	if err := tel.Shutdown(context.Background()); err != nil {
		t.Fatal(err)
	}
	for _, name := range []string{"ordinary", "ordinary record", "failing", "slow"} {
		if !strings.Contains(console.String(), name) {
			t.Errorf("the console lacks %q: it shows everything, before sampling", name)
		}
	}
}

// The kept and dropped traces are counted in the Telemetry's own metrics.
func TestTailSamplingSelfTelemetry(t *testing.T) {
	tel := configure(t, map[string]string{"OTEL_TRACES_EXPORTER": "console"},
		observe.WithTailSampling(sampling.Tail{Rate: 0}), observe.WithSpanProcessor(tracetest.NewSpanRecorder()))
	_, span := tel.TracerProvider().Tracer("test").Start(context.Background(), "dropped")
	span.End()
	if body := scrape(t, tel.MetricsHandler()); !strings.Contains(body, `observe_sampling_traces_total{observe_sampling_decision="dropped"`) {
		t.Errorf("MetricsHandler lacks the dropped trace count:\n%s", body)
	}
}

// A head sampler from the environment that drops traces would starve the
// tail sampler: Configure says so.
func TestTailSamplingRefusesAStarvingHeadSampler(t *testing.T) {
	_, err := observe.Configure(observe.WithoutGlobals(), observe.WithEnvLookup(env.FromMap(map[string]string{
		"OTEL_TRACES_SAMPLER":        "traceidratio",
		"OTEL_TRACES_SAMPLER_ARG":    "0.1",
		"OBSERVE_TAIL_SAMPLING_RATE": "0.1",
	})))
	if err == nil || !strings.Contains(err.Error(), `OTEL_TRACES_SAMPLER="traceidratio"`) || !strings.Contains(err.Error(), "tail sampling") {
		t.Fatalf("Configure = %v; want an error naming OTEL_TRACES_SAMPLER and tail sampling", err)
	}
	for _, bad := range []map[string]string{
		{"OBSERVE_TAIL_SAMPLING_DURATION": "5 minutes"},
		{"OBSERVE_TAIL_SAMPLING_LEVEL": "loud"},
		{"OBSERVE_TAIL_SAMPLING_RATE": "2"},
	} {
		if _, err := observe.Configure(observe.WithoutGlobals(), observe.WithEnvLookup(env.FromMap(bad))); err == nil {
			t.Errorf("%v accepted", bad)
		} else {
			for k := range bad {
				if !strings.Contains(err.Error(), k) {
					t.Errorf("error %q does not name %s", err, k)
				}
			}
		}
	}
}

// In-process tail sampling against a real collector: error, warn-level and
// slow traces arrive whole (the late child included) with their records;
// ordinary traces arrive at the rate, whole, with theirs; the records of
// dropped traces never arrive.
func TestIntegrationTailSampling(t *testing.T) {
	col := itest.StartCollector(t)
	tel := configure(t, map[string]string{
		"OTEL_EXPORTER_OTLP_ENDPOINT":    col.HTTPEndpoint,
		"OBSERVE_TAIL_SAMPLING_DURATION": "500ms",
		"OBSERVE_TAIL_SAMPLING_RATE":     "0.25",
	})
	tracer := tel.TracerProvider().Tracer("test")
	t0 := time.Now()
	want := map[string]string{} // trace id -> kind
	run := func(kind string, childErr bool, warn bool, took time.Duration) {
		ctx, root := tracer.Start(context.Background(), kind, trace.WithTimestamp(t0))
		cctx, child := tracer.Start(ctx, kind+" child", trace.WithTimestamp(t0))
		if warn {
			tel.Logger().WarnContext(cctx, kind+" record")
		} else {
			tel.Logger().InfoContext(cctx, kind+" record")
		}
		if childErr {
			child.SetStatus(codes.Error, "failed")
		}
		root.End(trace.WithTimestamp(t0.Add(took)))
		child.End(trace.WithTimestamp(t0.Add(took))) // after its root
		want[root.SpanContext().TraceID().String()] = kind
	}
	const ordinary = 400
	for range ordinary {
		run("ordinary", false, false, time.Millisecond)
	}
	for range 10 {
		run("error", true, false, time.Millisecond)
		run("warn", false, true, time.Millisecond)
		run("slow", false, false, time.Second)
	}
	if err := tel.Shutdown(context.Background()); err != nil {
		t.Fatal(err)
	}
	// Everything was exported by Shutdown; wait until the files hold it.
	spans := col.WaitTraces(t, 20*time.Second, func(s []itest.Span) bool { return len(s) >= 60 })
	logs := col.WaitLogs(t, 20*time.Second, func(l []itest.LogRecord) bool { return len(l) >= 30 })
	perTrace := map[string]int{}
	for _, s := range spans {
		perTrace[s.TraceID]++
	}
	recorded := map[string]int{}
	for _, l := range logs {
		recorded[l.TraceID]++
	}
	kept := map[string]int{}
	for id, n := range perTrace {
		if n != 2 {
			t.Errorf("trace %s (%s) arrived with %d spans; want it whole, 2", id, want[id], n)
		}
		if recorded[id] != 1 {
			t.Errorf("trace %s (%s) arrived with %d records; want its 1", id, want[id], recorded[id])
		}
		kept[want[id]]++
	}
	for id := range recorded {
		if perTrace[id] == 0 {
			t.Errorf("a record of the dropped trace %s (%s) was exported", id, want[id])
		}
	}
	for _, kind := range []string{"error", "warn", "slow"} {
		if kept[kind] != 10 {
			t.Errorf("%d of 10 %s traces kept; want all", kept[kind], kind)
		}
	}
	// Binomial(400, 0.25): mean 100, sd 8.7; five sd either side.
	if k := kept["ordinary"]; k < 57 || k > 143 {
		t.Errorf("%d of %d ordinary traces kept; want about 25%%", k, ordinary)
	}
}

// Past its bounds the tail sampler keeps what it holds at once rather than
// grow, and counts it.
func TestTailSamplingBoundsCounted(t *testing.T) {
	rec := tracetest.NewSpanRecorder()
	tel := configure(t, nil, observe.WithTailSampling(sampling.Tail{MaxTraces: 2}), observe.WithSpanProcessor(rec))
	tracer := tel.TracerProvider().Tracer("test")
	var roots []trace.Span
	for range 5 {
		ctx, root := tracer.Start(context.Background(), "open")
		_, child := tracer.Start(ctx, "child")
		child.End()
		roots = append(roots, root)
	}
	body := scrape(t, tel.MetricsHandler())
	if !strings.Contains(body, `observe_sampling_reason="overflow"`) {
		t.Errorf("no overflow counted with 5 open traces and MaxTraces 2:\n%s", body)
	}
	for _, r := range roots {
		r.End()
	}
}
