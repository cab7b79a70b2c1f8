package bridge

import (
	"log/slog"

	"go.opentelemetry.io/otel/log"
)

// Option configures [NewHandler]. It is implemented only by the With*
// functions of this package.
type Option interface {
	apply(config) config
}

type optionFunc func(config) config

func (f optionFunc) apply(c config) config { return f(c) }

type config struct {
	provider log.LoggerProvider
	level    slog.Leveler
	source   bool
	version  string
}

func newConfig(opts []Option) config {
	c := config{level: slog.LevelInfo}
	for _, o := range opts {
		if o != nil {
			c = o.apply(c)
		}
	}
	return c
}

// WithLoggerProvider sets the LoggerProvider that records are sent to. The
// default is the global one, [go.opentelemetry.io/otel.GetLoggerProvider],
// which follows a provider registered later. A nil provider is ignored.
func WithLoggerProvider(p log.LoggerProvider) Option {
	return optionFunc(func(c config) config {
		if p != nil {
			c.provider = p
		}
		return c
	})
}

// WithLevel sets the lowest level the handler sends on; records below it are
// dropped before any work is done. The default is [slog.LevelInfo]. A
// [*slog.LevelVar] changes the level at run time. A nil leveler is ignored.
func WithLevel(l slog.Leveler) Option {
	return optionFunc(func(c config) config {
		if l != nil {
			c.level = l
		}
		return c
	})
}

// WithSource adds the caller's file, function and line to each record as the
// attributes code.file.path, code.function.name and code.line.number. The
// default is false, which saves resolving the caller's frame on every
// record.
func WithSource(on bool) Option {
	return optionFunc(func(c config) config {
		c.source = on
		return c
	})
}

// WithVersion sets the version of the instrumentation scope the records come
// from (the version of the program or package that logs). By default it is
// empty. An empty version is ignored.
func WithVersion(v string) Option {
	return optionFunc(func(c config) config {
		if v != "" {
			c.version = v
		}
		return c
	})
}
