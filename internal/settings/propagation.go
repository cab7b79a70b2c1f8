package settings

import (
	"fmt"

	"go.opentelemetry.io/contrib/propagators/b3"
	"go.opentelemetry.io/otel/propagation"

	"github.com/observe-go/observe/internal/env"
)

// propagatorFromEnv reads OTEL_PROPAGATORS: tracecontext, baggage, b3 (single
// header), b3multi, none; the default is tracecontext,baggage.
func propagatorFromEnv(r env.Reader) (propagation.TextMapPropagator, error) {
	names, ok, err := r.List(env.Propagators)
	if err != nil {
		return nil, err
	}
	if !ok {
		names = []string{"tracecontext", "baggage"}
	}
	var props []propagation.TextMapPropagator
	for _, n := range names {
		switch n {
		case "tracecontext":
			props = append(props, propagation.TraceContext{})
		case "baggage":
			props = append(props, propagation.Baggage{})
		case "b3":
			props = append(props, b3.New(b3.WithInjectEncoding(b3.B3SingleHeader)))
		case "b3multi":
			props = append(props, b3.New(b3.WithInjectEncoding(b3.B3MultipleHeader)))
		case "none":
			if len(names) > 1 {
				return nil, &env.Error{Key: env.Propagators, Value: fmt.Sprint(names), Err: fmt.Errorf("none cannot be combined with other propagators")}
			}
		case "jaeger", "xray", "ottrace":
			return nil, &env.Error{Key: env.Propagators, Value: n, Err: fmt.Errorf("%w; want tracecontext, baggage, b3, b3multi or none", env.ErrUnsupported)}
		default:
			return nil, &env.Error{Key: env.Propagators, Value: n, Err: fmt.Errorf("unknown propagator; want tracecontext, baggage, b3, b3multi or none")}
		}
	}
	return propagation.NewCompositeTextMapPropagator(props...), nil
}
