package observe

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"runtime/debug"

	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/sdk/resource"
	semconv "go.opentelemetry.io/otel/semconv/v1.43.0"

	"github.com/observe-go/observe/internal/env"
)

// newResource describes the service. Precedence, highest first: the
// service options, WithResourceAttributes, OTEL_SERVICE_NAME and
// OBSERVE_ENVIRONMENT, OTEL_RESOURCE_ATTRIBUTES, the detectors (host,
// process, runtime, SDK), then the defaults (the executable's name, the
// main module's version).
func newResource(ctx context.Context, c config, r env.Reader) (*resource.Resource, error) {
	fromEnv, _, err := r.KeyValues(env.ResourceAttributes, false)
	if err != nil {
		return nil, err
	}
	attrs := make([]attribute.KeyValue, 0, len(fromEnv)+len(c.resourceAttrs)+3)
	has := map[attribute.Key]bool{}
	for _, kv := range fromEnv {
		attrs = append(attrs, attribute.String(kv.Key, kv.Value))
		has[attribute.Key(kv.Key)] = true
	}
	if v, ok := r.Get(env.ServiceName); ok {
		attrs = append(attrs, semconv.ServiceName(v))
		has[semconv.ServiceNameKey] = true
	}
	if v, ok := r.Get(env.ObserveEnvironment); ok {
		attrs = append(attrs, semconv.DeploymentEnvironmentNameKey.String(v))
	}
	for _, kv := range c.resourceAttrs {
		attrs = append(attrs, kv)
		has[kv.Key] = true
	}
	switch {
	case c.serviceName != "":
		attrs = append(attrs, semconv.ServiceName(c.serviceName))
	case !has[semconv.ServiceNameKey]:
		attrs = append(attrs, semconv.ServiceName(executableName()))
	}
	switch {
	case c.serviceVersion != "":
		attrs = append(attrs, semconv.ServiceVersion(c.serviceVersion))
	case !has[semconv.ServiceVersionKey]:
		if v := mainModuleVersion(); v != "" {
			attrs = append(attrs, semconv.ServiceVersion(v))
		}
	}
	if c.environment != "" {
		attrs = append(attrs, semconv.DeploymentEnvironmentNameKey.String(c.environment))
	}

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

func executableName() string {
	if len(os.Args) > 0 && os.Args[0] != "" {
		return filepath.Base(os.Args[0])
	}
	if exe, err := os.Executable(); err == nil {
		return filepath.Base(exe)
	}
	return "unknown_service:go"
}

func mainModuleVersion() string {
	bi, ok := debug.ReadBuildInfo()
	if !ok || bi.Main.Version == "" || bi.Main.Version == "(devel)" {
		return ""
	}
	return bi.Main.Version
}
