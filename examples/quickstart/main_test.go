package main

import (
	"bytes"
	"context"
	"strings"
	"sync"
	"testing"

	"github.com/observe-go/observe"
)

type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// TestDemoPrintsDistributedTree runs the program as `quickstart -demo` with
// an empty environment, as a user would with no backend, and checks the
// console tree.
func TestDemoPrintsDistributedTree(t *testing.T) {
	var out syncBuffer
	noEnv := func(string) (string, bool) { return "", false }
	if err := run(context.Background(), "127.0.0.1:0", true, observe.WithEnvLookup(noEnv), observe.WithConsoleWriter(&out), observe.WithoutGlobals()); err != nil {
		t.Fatal(err)
	}
	got := out.String()
	t.Logf("console output:\n%s", got)
	lines := strings.Split(strings.TrimSpace(got), "\n")
	find := func(from int, substr string) int {
		t.Helper()
		for i := from; i < len(lines); i++ {
			if strings.Contains(lines[i], substr) {
				return i
			}
		}
		t.Fatalf("no line with %q after line %d in:\n%s", substr, from, got)
		return -1
	}
	col := func(i int, s string) int { return strings.Index(lines[i], s) }

	find(0, "GET /hello [server]")
	find(0, "GET /users/{id} [server]")
	find(0, "unknown user")
	outer := find(0, "GET /users/{id}/greeting [server]")
	client := find(outer+1, "GET /hello [client]")
	inner := find(client+1, "GET /hello [server]")
	if !(col(client, "GET /hello") > col(outer, "GET /users")) {
		t.Errorf("the client span is not nested under the request:\n%s\n%s", lines[outer], lines[client])
	}
	if !(col(inner, "GET /hello") > col(client, "GET /hello")) {
		t.Errorf("the called server's span is not nested under the client span:\n%s\n%s", lines[client], lines[inner])
	}
	find(0, "GET /hello 422")
	if strings.Contains(got, "/users/7 [server]") {
		t.Error("a raw path was used as a span name")
	}
	// The database query is a client span under its request's span.
	order := find(0, "GET /orders/{id} [server]")
	query := find(order+1, "SELECT orders [client]")
	if !(col(query, "SELECT orders") > col(order, "GET /orders")) {
		t.Errorf("the query span is not nested under the request:\n%s\n%s", lines[order], lines[query])
	}
	// The health check is served but neither traced nor logged.
	if strings.Contains(got, "GET /health") {
		t.Error("the /health probe was traced or logged")
	}
}
