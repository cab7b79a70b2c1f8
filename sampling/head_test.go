package sampling

import (
	"context"
	"errors"
	"math"
	"strings"
	"testing"
	"time"

	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/trace"

	"github.com/observe-go/observe/internal/env"
)

var (
	remoteSampled = trace.NewSpanContext(trace.SpanContextConfig{
		TraceID: trace.TraceID{1}, SpanID: trace.SpanID{1}, TraceFlags: trace.FlagsSampled, Remote: true,
	})
	remoteUnsampled = trace.NewSpanContext(trace.SpanContextConfig{
		TraceID: trace.TraceID{2}, SpanID: trace.SpanID{2}, Remote: true,
	})
)

// sampled starts and ends a root span, and a span under each remote
// parent, with s, and reports which were sampled.
func sampled(s sdktrace.Sampler) (root, underSampled, underUnsampled bool) {
	tp := sdktrace.NewTracerProvider(sdktrace.WithSampler(s))
	defer func() { _ = tp.Shutdown(context.Background()) }()
	tr := tp.Tracer("t")
	start := func(ctx context.Context) bool {
		_, span := tr.Start(ctx, "span")
		defer span.End()
		return span.SpanContext().IsSampled()
	}
	return start(context.Background()),
		start(trace.ContextWithRemoteSpanContext(context.Background(), remoteSampled)),
		start(trace.ContextWithRemoteSpanContext(context.Background(), remoteUnsampled))
}

func TestHeadFromEnv(t *testing.T) {
	for _, tc := range []struct {
		sampler, arg                                string
		wantRoot, wantUnderSampled, wantUnderUnsamp bool
	}{
		{"", "", true, true, false},
		{"always_on", "", true, true, true},
		{"always_off", "", false, false, false},
		{"traceidratio", "0", false, false, false},
		{"traceidratio", "1", true, true, true},
		{"parentbased_always_on", "", true, true, false},
		{"parentbased_always_off", "", false, true, false},
		{"parentbased_traceidratio", "0", false, true, false},
		{"parentbased_traceidratio", "", true, true, false},
		{" always_off ", "", false, false, false},
	} {
		t.Run(tc.sampler+"/"+tc.arg, func(t *testing.T) {
			s, err := HeadFromEnv(env.FromMap(map[string]string{env.TracesSampler: tc.sampler, env.TracesSamplerArg: tc.arg}))
			if err != nil {
				t.Fatalf("HeadFromEnv: %v", err)
			}
			root, us, uu := sampled(s)
			if root != tc.wantRoot || us != tc.wantUnderSampled || uu != tc.wantUnderUnsamp {
				t.Errorf("sampled root, under a sampled parent, under an unsampled one = %v, %v, %v; want %v, %v, %v",
					root, us, uu, tc.wantRoot, tc.wantUnderSampled, tc.wantUnderUnsamp)
			}
		})
	}
}

func TestHeadFromEnvErrors(t *testing.T) {
	for _, tc := range []struct {
		name string
		vars map[string]string
		want []string
	}{
		{"unknown sampler", map[string]string{env.TracesSampler: "sometimes"}, []string{`OTEL_TRACES_SAMPLER="sometimes"`, "unknown sampler"}},
		{"arg out of range", map[string]string{env.TracesSampler: "traceidratio", env.TracesSamplerArg: "1.5"}, []string{`OTEL_TRACES_SAMPLER_ARG="1.5"`, "out of range"}},
		{"arg not a number", map[string]string{env.TracesSamplerArg: "half"}, []string{`OTEL_TRACES_SAMPLER_ARG="half"`}},
		{"unsupported sampler", map[string]string{env.TracesSampler: "jaeger_remote"}, []string{`OTEL_TRACES_SAMPLER="jaeger_remote"`, "not supported"}},
		{"both bad", map[string]string{env.TracesSampler: "sometimes", env.TracesSamplerArg: "-1"}, []string{`OTEL_TRACES_SAMPLER="sometimes"`, `OTEL_TRACES_SAMPLER_ARG="-1"`}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			s, err := HeadFromEnv(env.FromMap(tc.vars))
			if err == nil || s != nil {
				t.Fatalf("HeadFromEnv = %v, %v; want an error", s, err)
			}
			for _, w := range tc.want {
				if strings.Count(err.Error(), w) != 1 {
					t.Errorf("error %q; want %q in it once", err, w)
				}
			}
			var e *env.Error
			if !errors.As(err, &e) {
				t.Errorf("error %v is not an *env.Error", err)
			}
		})
	}
}

func TestHeadFromEnvNilReadsTheProcess(t *testing.T) {
	t.Setenv(env.TracesSampler, "always_off")
	s, err := HeadFromEnv(nil)
	if err != nil {
		t.Fatal(err)
	}
	if root, _, _ := sampled(s); root {
		t.Fatal("sampled a root with OTEL_TRACES_SAMPLER=always_off in the process environment")
	}
}

func TestRateLimitedFollowsTheParent(t *testing.T) {
	s := RateLimited(0)
	root, us, uu := sampled(s)
	if root || !us || uu {
		t.Errorf("RateLimited(0): sampled root, under sampled, under unsampled = %v, %v, %v; want false, true, false", root, us, uu)
	}
	if root, _, _ := sampled(RateLimited(math.Inf(1))); !root {
		t.Errorf("RateLimited(+Inf) did not sample a root")
	}
	if d := RateLimited(10).Description(); !strings.Contains(d, "ParentBased{root:RateLimited{perSecond:10}") {
		t.Errorf("Description = %q; want it to say parent-based, rate-limited at 10 per second", d)
	}
}

func TestTokenBucket(t *testing.T) {
	for _, tc := range []struct {
		perSecond float64
		steps     []time.Duration // advance before each take
		want      []bool
	}{
		// Full at the start: a burst of max(1, perSecond).
		{2, []time.Duration{0, 0, 0, 500 * time.Millisecond, 0, time.Hour, 0, 0, 0}, []bool{true, true, false, true, false, true, true, false, false}},
		{0.5, []time.Duration{0, 0, time.Second, time.Second, 0}, []bool{true, false, false, true, false}},
		{0, []time.Duration{0, time.Hour}, []bool{false, false}},
		{-3, []time.Duration{0}, []bool{false}},
		{math.NaN(), []time.Duration{0}, []bool{false}},
	} {
		c := newFakeClock()
		b := newTokenBucket(tc.perSecond, c.Now)
		for i, d := range tc.steps {
			c.Advance(d)
			if got := b.take(); got != tc.want[i] {
				t.Errorf("perSecond %v: take %d = %v; want %v", tc.perSecond, i, got, tc.want[i])
			}
		}
	}
}
