package settings

import (
	"fmt"

	sdktrace "go.opentelemetry.io/otel/sdk/trace"

	"github.com/observe-go/observe/internal/env"
)

// samplerFromEnv reads OTEL_TRACES_SAMPLER and OTEL_TRACES_SAMPLER_ARG. The
// default is parentbased_always_on; the ratio samplers take an argument
// from 0 to 1, default 1.
func samplerFromEnv(r env.Reader) (sdktrace.Sampler, error) {
	ratio, ratioSet, err := r.Ratio(env.TracesSamplerArg)
	if err != nil {
		return nil, err
	}
	if !ratioSet {
		ratio = 1
	}
	name, ok := r.Get(env.TracesSampler)
	if !ok {
		return sdktrace.ParentBased(sdktrace.AlwaysSample()), nil
	}
	switch name {
	case "always_on":
		return sdktrace.AlwaysSample(), nil
	case "always_off":
		return sdktrace.NeverSample(), nil
	case "traceidratio":
		return sdktrace.TraceIDRatioBased(ratio), nil
	case "parentbased_always_on":
		return sdktrace.ParentBased(sdktrace.AlwaysSample()), nil
	case "parentbased_always_off":
		return sdktrace.ParentBased(sdktrace.NeverSample()), nil
	case "parentbased_traceidratio":
		return sdktrace.ParentBased(sdktrace.TraceIDRatioBased(ratio)), nil
	case "jaeger_remote", "parentbased_jaeger_remote", "xray":
		return nil, &env.Error{Key: env.TracesSampler, Value: name, Err: fmt.Errorf("%w", env.ErrUnsupported)}
	}
	return nil, &env.Error{Key: env.TracesSampler, Value: name, Err: fmt.Errorf("unknown sampler; want always_on, always_off, traceidratio, parentbased_always_on, parentbased_always_off or parentbased_traceidratio")}
}
