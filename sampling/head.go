package sampling

import (
	"errors"
	"fmt"
	"math"
	"sync"
	"time"

	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/trace"

	"github.com/observe-go/observe/internal/env"
)

// HeadFromEnv returns the head sampler that OTEL_TRACES_SAMPLER and
// OTEL_TRACES_SAMPLER_ARG select, read through lookup (nil reads the process
// environment with [os.LookupEnv]). An empty value counts as unset.
//
// OTEL_TRACES_SAMPLER accepts always_on, always_off, traceidratio,
// parentbased_always_on (the default), parentbased_always_off and
// parentbased_traceidratio. OTEL_TRACES_SAMPLER_ARG is the ratio, from 0 to
// 1 (default 1), of the ratio samplers. jaeger_remote,
// parentbased_jaeger_remote and xray are valid in the specification but not
// supported.
//
// A bad value gives an error naming the variable and the value; when both
// variables are bad, the error reports both.
func HeadFromEnv(lookup func(string) (string, bool)) (sdktrace.Sampler, error) {
	r := env.New(lookup)
	ratio, ratioSet, argErr := r.Ratio(env.TracesSamplerArg)
	if !ratioSet {
		ratio = 1
	}
	name, ok := r.Get(env.TracesSampler)
	var s sdktrace.Sampler
	var nameErr error
	switch {
	case !ok:
		s = sdktrace.ParentBased(sdktrace.AlwaysSample())
	case name == "always_on":
		s = sdktrace.AlwaysSample()
	case name == "always_off":
		s = sdktrace.NeverSample()
	case name == "traceidratio":
		s = sdktrace.TraceIDRatioBased(ratio)
	case name == "parentbased_always_on":
		s = sdktrace.ParentBased(sdktrace.AlwaysSample())
	case name == "parentbased_always_off":
		s = sdktrace.ParentBased(sdktrace.NeverSample())
	case name == "parentbased_traceidratio":
		s = sdktrace.ParentBased(sdktrace.TraceIDRatioBased(ratio))
	case name == "jaeger_remote", name == "parentbased_jaeger_remote", name == "xray":
		nameErr = &env.Error{Key: env.TracesSampler, Value: name, Err: fmt.Errorf("%w", env.ErrUnsupported)}
	default:
		nameErr = &env.Error{Key: env.TracesSampler, Value: name, Err: errors.New("unknown sampler; want always_on, always_off, traceidratio, parentbased_always_on, parentbased_always_off or parentbased_traceidratio")}
	}
	if err := errors.Join(nameErr, argErr); err != nil {
		return nil, err
	}
	return s, nil
}

// RateLimited returns a parent-based sampler that follows the decision of a
// sampled or unsampled parent, local or remote, and samples at most
// perSecond new root traces per second in this process. It is a token
// bucket holding max(1, perSecond) tokens, full at the start and refilled at
// perSecond tokens a second; a new root trace takes one token, or is not
// sampled when none is left.
//
// A perSecond of zero, below zero or NaN samples no new root trace;
// +Inf samples every one. Its Description reads
// "ParentBased{root:RateLimited{perSecond:N},...}".
func RateLimited(perSecond float64) sdktrace.Sampler {
	return sdktrace.ParentBased(newTokenBucket(perSecond, time.Now))
}

// tokenBucket is the root sampler of [RateLimited].
type tokenBucket struct {
	rate, burst float64
	now         func() time.Time

	mu     sync.Mutex
	tokens float64
	last   time.Time
}

func newTokenBucket(perSecond float64, now func() time.Time) *tokenBucket {
	if math.IsNaN(perSecond) || perSecond < 0 {
		perSecond = 0
	}
	return &tokenBucket{rate: perSecond, burst: math.Max(1, perSecond), tokens: math.Max(1, perSecond), now: now, last: now()}
}

// take reports whether a token was left, and takes it.
func (b *tokenBucket) take() bool {
	if b.rate == 0 {
		return false
	}
	if math.IsInf(b.rate, 1) {
		return true
	}
	now := b.now()
	b.mu.Lock()
	defer b.mu.Unlock()
	if el := now.Sub(b.last); el > 0 {
		b.tokens = math.Min(b.burst, b.tokens+el.Seconds()*b.rate)
		b.last = now
	}
	if b.tokens < 1 {
		return false
	}
	b.tokens--
	return true
}

// ShouldSample implements [sdktrace.Sampler].
func (b *tokenBucket) ShouldSample(p sdktrace.SamplingParameters) sdktrace.SamplingResult {
	d := sdktrace.Drop
	if b.take() {
		d = sdktrace.RecordAndSample
	}
	return sdktrace.SamplingResult{Decision: d, Tracestate: trace.SpanContextFromContext(p.ParentContext).TraceState()}
}

// Description implements [sdktrace.Sampler].
func (b *tokenBucket) Description() string {
	return fmt.Sprintf("RateLimited{perSecond:%g}", b.rate)
}
