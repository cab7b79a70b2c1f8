package sampling

import (
	"strings"
	"testing"

	"github.com/observe-go/observe/internal/env"
)

// The environment and the trace state are outside input: their readers
// must return a value or an error, never panic.

func FuzzTailFromEnv(f *testing.F) {
	f.Add("500ms", "warn", "0.1")
	f.Add("", "", "")
	f.Add("-1s", "loud", "NaN")
	f.Add("1e3h", "WARNING", "1e-400")
	f.Fuzz(func(t *testing.T, d, l, r string) {
		vars := map[string]string{env.TailSamplingDuration: d, env.TailSamplingLevel: l, env.TailSamplingRate: r}
		tail, on, err := TailFromEnv(env.FromMap(vars))
		set := strings.TrimSpace(d) != "" || strings.TrimSpace(l) != "" || strings.TrimSpace(r) != ""
		if on != set {
			t.Fatalf("on = %v for %q; want %v", on, vars, set)
		}
		if err != nil {
			return
		}
		if verr := tail.Validate(); verr != nil {
			t.Fatalf("TailFromEnv(%q) = %+v, which is not valid: %v", vars, tail, verr)
		}
	})
}

func FuzzHeadFromEnv(f *testing.F) {
	f.Add("parentbased_traceidratio", "0.5")
	f.Add("", "")
	f.Add("xray", "2")
	f.Add("always_on", "NaN")
	f.Fuzz(func(t *testing.T, name, arg string) {
		s, err := HeadFromEnv(env.FromMap(map[string]string{env.TracesSampler: name, env.TracesSamplerArg: arg}))
		if (s == nil) == (err == nil) {
			t.Fatalf("HeadFromEnv(%q, %q) = %v, %v; want a sampler or an error", name, arg, s, err)
		}
	})
}

func FuzzExplicitRandomness(f *testing.F) {
	f.Add("rv:0123456789abcd")
	f.Add("th:8;rv:ffffffffffffff")
	f.Add("rv:+123456789abcd")
	f.Add(";;rv:")
	f.Fuzz(func(t *testing.T, ot string) {
		if r, ok := explicitRandomness(ot); ok && r >= maxThreshold {
			t.Fatalf("explicitRandomness(%q) = %#x; want below 2^56", ot, r)
		}
	})
}
