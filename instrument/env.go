package instrument

import (
	"log/slog"
	"regexp"

	"go.opentelemetry.io/otel"
	"go.opentelemetry.io/otel/log/global"

	"github.com/observe-go/observe/bridge"
	"github.com/observe-go/observe/internal/env"
)

// ExcludedURLsEnv names the variable that lists, comma-separated, regular
// expressions of request paths the server middleware skips.
const ExcludedURLsEnv = "OBSERVE_HTTP_EXCLUDED_URLS"

// ParseExcludedURLs parses the value of OBSERVE_HTTP_EXCLUDED_URLS. An
// invalid expression is an error naming the variable and the expression.
func ParseExcludedURLs(lookup func(string) (string, bool)) ([]*regexp.Regexp, error) {
	return env.New(lookup).Regexps(ExcludedURLsEnv)
}

// excludedFromEnv reads OBSERVE_HTTP_EXCLUDED_URLS; an invalid expression
// is reported through otel.Handle and left out (observe.Configure returns
// the same error at start-up).
func excludedFromEnv(lookup func(string) (string, bool)) []*regexp.Regexp {
	res, err := ParseExcludedURLs(lookup)
	if err != nil {
		otel.Handle(err)
	}
	return res
}

// defaultLogger writes access log records to the global LoggerProvider
// through observe's slog bridge, which adds the request id.
func defaultLogger() *slog.Logger {
	return slog.New(bridge.NewHandler(ScopeName, bridge.WithLoggerProvider(global.GetLoggerProvider())))
}
