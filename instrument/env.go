package instrument

import (
	"regexp"

	"go.opentelemetry.io/otel"

	"github.com/observe-go/observe/internal/env"
)

// ExcludedURLsEnv names the variable that lists, comma-separated, regular
// expressions of request paths the server middleware skips.
const ExcludedURLsEnv = env.ObserveHTTPExcludedURLs

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
