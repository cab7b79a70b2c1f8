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
