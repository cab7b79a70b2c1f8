package scrub_test

import (
	"context"
	"fmt"
	"net/url"

	"go.opentelemetry.io/otel/attribute"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/sdk/trace/tracetest"
	"go.opentelemetry.io/otel/trace"

	"github.com/observe-go/observe/internal/scrub"
)

func ExampleScrubber_String() {
	s := scrub.Default()
	for _, kv := range [][2]string{
		{"password", "hunter2"},
		{"user", "{User:ada Password:hunter2}"},
		{"headers", "map[Accept:[*/*] Authorization:[Bearer x] Cookie:[sid=1]]"},
		{"note", "paid with 4111 1111 1111 1111"},
		{"http.route", "/users/{id}"},
	} {
		out, _ := s.String(kv[0], kv[1])
		fmt.Println(kv[0], "=", out)
	}
	// Output:
	// password = [REDACTED: password]
	// user = {User:ada Password:[REDACTED: password]}
	// headers = map[Accept:[*/*] Authorization:[REDACTED: auth] Cookie:[REDACTED: cookie]]
	// note = paid with [REDACTED: card number]
	// http.route = /users/{id}
}

func ExampleScrubber_URL() {
	u, _ := url.Parse("https://ada:hunter2@api.example.com/v1/pay?card_number=4111111111111111&page=2")
	fmt.Println(scrub.Default().URL(u))
	// Output:
	// https://REDACTED:REDACTED@api.example.com/v1/pay?card_number=REDACTED&page=2
}

func ExampleNew() {
	patterns, err := scrub.ParsePatterns("^x-tenant-")
	if err != nil {
		fmt.Println(err)
		return
	}
	s := scrub.New(scrub.Options{
		Patterns: patterns,
		// Let the name of the CSRF header through: it is not a secret.
		Allow: func(m scrub.Match) bool { return m.Path == "csrf_header_name" },
	})
	for _, kv := range [][2]string{
		{"X-Tenant-Id", "t-42"},
		{"csrf_header_name", "X-CSRF-Token"},
		{"csrf_token", "8f14e45f"},
	} {
		out, _ := s.String(kv[0], kv[1])
		fmt.Println(kv[0], "=", out)
	}
	// Output:
	// X-Tenant-Id = [REDACTED: custom pattern 1]
	// csrf_header_name = X-CSRF-Token
	// csrf_token = [REDACTED: csrf]
}

func ExampleScrubber_SpanProcessor() {
	exp := tracetest.NewInMemoryExporter()
	tp := sdktrace.NewTracerProvider(sdktrace.WithSpanProcessor(
		scrub.Default().SpanProcessor(sdktrace.NewSimpleSpanProcessor(exp)),
	))
	defer func() { _ = tp.Shutdown(context.Background()) }()

	_, span := tp.Tracer("example").Start(context.Background(), "login",
		trace.WithAttributes(attribute.String("user", "ada"), attribute.String("password", "hunter2")))
	span.End()

	for _, kv := range exp.GetSpans()[0].Attributes {
		fmt.Println(kv.Key, "=", kv.Value.Emit())
	}
	// Output:
	// user = ada
	// password = [REDACTED: password]
	// observe.scrubbed = ["attributes.password"]
}
