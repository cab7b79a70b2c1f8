package instrument

import (
	"log/slog"
	"strings"

	"google.golang.org/grpc/stats"
)

// GRPCServerOption configures [GRPCServerHandler] and [GRPCServerOptions].
// Every [Option] (the providers and the propagator) is one, and so is every
// [GRPCOption].
type GRPCServerOption interface {
	applyGRPCServer(*grpcServerConfig)
}

// GRPCClientOption configures [GRPCClientHandler]. Every [Option] (the
// providers and the propagator) is one, and so is every [GRPCOption].
type GRPCClientOption interface {
	applyGRPCClient(*grpcClientConfig)
}

// GRPCOption configures both gRPC handlers: it is a [GRPCServerOption] and
// a [GRPCClientOption].
type GRPCOption interface {
	GRPCServerOption
	GRPCClientOption
}

// grpcFilter is what both gRPC handlers share: which RPCs they record.
type grpcFilter struct {
	filters []func(*stats.RPCTagInfo) bool
	// all keeps the health and reflection services, which are left out by
	// default.
	all bool
}

// skip reports whether the RPC is served without telemetry.
func (f *grpcFilter) skip(info *stats.RPCTagInfo) bool {
	if !f.all && systemService(info.FullMethodName) {
		return true
	}
	for _, keep := range f.filters {
		if !keep(info) {
			return true
		}
	}
	return false
}

// systemService reports whether fullMethod belongs to the gRPC health
// checking service or to server reflection (v1 and v1alpha): services that
// load balancers and tools call, not users.
func systemService(fullMethod string) bool {
	return strings.HasPrefix(fullMethod, "/grpc.health.v1.Health/") ||
		strings.HasPrefix(fullMethod, "/grpc.reflection.v1.ServerReflection/") ||
		strings.HasPrefix(fullMethod, "/grpc.reflection.v1alpha.ServerReflection/")
}

type grpcServerConfig struct {
	providers
	grpcFilter
	logger *slog.Logger
	noLog  bool
}

type grpcClientConfig struct {
	providers
	grpcFilter
	noRequestID bool
}

func newGRPCServerConfig(opts []GRPCServerOption) grpcServerConfig {
	var c grpcServerConfig
	for _, o := range opts {
		if o != nil {
			o.applyGRPCServer(&c)
		}
	}
	return c
}

func newGRPCClientConfig(opts []GRPCClientOption) grpcClientConfig {
	var c grpcClientConfig
	for _, o := range opts {
		if o != nil {
			o.applyGRPCClient(&c)
		}
	}
	return c
}

func (f providerOption) applyGRPCServer(c *grpcServerConfig) { f(&c.providers) }
func (f providerOption) applyGRPCClient(c *grpcClientConfig) { f(&c.providers) }

// grpcServerOption is a [GRPCServerOption] only.
type grpcServerOption func(*grpcServerConfig)

func (f grpcServerOption) applyGRPCServer(c *grpcServerConfig) { f(c) }

// grpcClientOption is a [GRPCClientOption] only.
type grpcClientOption func(*grpcClientConfig)

func (f grpcClientOption) applyGRPCClient(c *grpcClientConfig) { f(c) }

// grpcFilterOption sets what both handlers share; it is a [GRPCOption].
type grpcFilterOption func(*grpcFilter)

func (f grpcFilterOption) applyGRPCServer(c *grpcServerConfig) { f(&c.grpcFilter) }
func (f grpcFilterOption) applyGRPCClient(c *grpcClientConfig) { f(&c.grpcFilter) }

// WithGRPCFilter adds a filter: an RPC for which f returns false gets no
// span, no metrics, no request id and no access log record. Filters of
// go.opentelemetry.io/contrib/instrumentation/google.golang.org/grpc/otelgrpc/filters
// can be given as they are. A nil filter is ignored.
func WithGRPCFilter(f func(*stats.RPCTagInfo) bool) GRPCOption {
	return grpcFilterOption(func(c *grpcFilter) {
		if f != nil {
			c.filters = append(c.filters, f)
		}
	})
}

// WithGRPCHealthAndReflection records the calls to the gRPC health checking
// service (grpc.health.v1.Health) and to server reflection
// (grpc.reflection.v1.ServerReflection and v1alpha). By default they are
// left out of traces, metrics and the access log: load balancers and
// Kubernetes probes call the health service every few seconds.
func WithGRPCHealthAndReflection() GRPCOption {
	return grpcFilterOption(func(c *grpcFilter) { c.all = true })
}

// WithGRPCLogger sends the server's access log through l instead of the
// LoggerProvider: one record per RPC, logged with the RPC's context. By
// default the record is built for the OpenTelemetry Logs API directly and
// emitted to the LoggerProvider (see [WithLoggerProvider]). A nil logger is
// ignored.
func WithGRPCLogger(l *slog.Logger) GRPCServerOption {
	return grpcServerOption(func(c *grpcServerConfig) {
		if l != nil {
			c.logger = l
		}
	})
}

// WithoutGRPCAccessLog turns the server's access log off.
func WithoutGRPCAccessLog() GRPCServerOption {
	return grpcServerOption(func(c *grpcServerConfig) { c.noLog = true })
}
