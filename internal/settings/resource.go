package settings

import (
	"os"
	"path/filepath"
	"runtime/debug"

	"go.opentelemetry.io/otel/attribute"
	semconv "go.opentelemetry.io/otel/semconv/v1.43.0"

	"github.com/observe-go/observe/internal/env"
)

// resourceAttrs lists the resource's attributes, lowest precedence first:
// OTEL_RESOURCE_ATTRIBUTES, OTEL_SERVICE_NAME and OBSERVE_ENVIRONMENT,
// WithResourceAttributes, then the service options, then the defaults
// (the executable's name, the main module's version) for what is still
// missing.
func resourceAttrs(o Options, r env.Reader) ([]attribute.KeyValue, error) {
	fromEnv, _, err := r.KeyValues(env.ResourceAttributes, false)
	attrs := make([]attribute.KeyValue, 0, len(fromEnv)+len(o.ResourceAttrs)+3)
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
	for _, kv := range o.ResourceAttrs {
		attrs = append(attrs, kv)
		has[kv.Key] = true
	}
	switch {
	case o.ServiceName != "":
		attrs = append(attrs, semconv.ServiceName(o.ServiceName))
	case !has[semconv.ServiceNameKey]:
		attrs = append(attrs, semconv.ServiceName(executableName()))
	}
	switch {
	case o.ServiceVersion != "":
		attrs = append(attrs, semconv.ServiceVersion(o.ServiceVersion))
	case !has[semconv.ServiceVersionKey]:
		if v := mainModuleVersion(); v != "" {
			attrs = append(attrs, semconv.ServiceVersion(v))
		}
	}
	if o.Environment != "" {
		attrs = append(attrs, semconv.DeploymentEnvironmentNameKey.String(o.Environment))
	}
	return attrs, err
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
