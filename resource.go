package observe

import (
	"context"
	"errors"

	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/sdk/resource"
)

// newResource describes the service: the detected attributes (host,
// process, runtime, SDK) under attrs, which the settings resolved from the
// options and the environment.
func newResource(ctx context.Context, attrs []attribute.KeyValue) (*resource.Resource, error) {
	res, err := resource.New(ctx,
		resource.WithTelemetrySDK(),
		resource.WithHost(),
		resource.WithOSType(),
		resource.WithProcessPID(),
		resource.WithProcessExecutableName(),
		resource.WithProcessRuntimeName(),
		resource.WithProcessRuntimeVersion(),
		resource.WithProcessRuntimeDescription(),
		resource.WithAttributes(attrs...),
	)
	// A detector that cannot read something (a host name) leaves a partial
	// resource, which is still worth having.
	if errors.Is(err, resource.ErrPartialResource) {
		err = nil
	}
	return res, err
}
