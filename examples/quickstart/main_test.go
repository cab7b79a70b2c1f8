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

// TestQuickstartPrintsTree runs the program with an empty environment, as
// a user would with no backend, and checks the console tree.
func TestQuickstartPrintsTree(t *testing.T) {
	var out syncBuffer
	noEnv := func(string) (string, bool) { return "", false }
	if err := run(context.Background(), observe.WithEnvLookup(noEnv), observe.WithConsoleWriter(&out), observe.WithoutGlobals()); err != nil {
		t.Fatal(err)
	}
	got := out.String()
	t.Logf("console output:\n%s", got)
	lines := strings.Split(strings.TrimSpace(got), "\n")
	find := func(from int, substr string) int {
		for i := from; i < len(lines); i++ {
			if strings.Contains(lines[i], substr) {
				return i
			}
		}
		t.Fatalf("no line with %q after line %d in:\n%s", substr, from, got)
		return -1
	}
	indent := func(i int, name string) int {
		// Lines start with a time column; the name's column shows the depth.
		return strings.Index(lines[i], name)
	}
	order := find(0, "process order")
	validate := find(order+1, "validate cart")
	charge := find(validate+1, "charge card")
	payment := find(charge+1, "payment accepted")
	if !(indent(validate, "validate cart") > indent(order, "process order")) {
		t.Errorf("validate cart is not indented under process order:\n%s\n%s", lines[order], lines[validate])
	}
	if !(indent(payment, "payment accepted") > indent(charge, "charge card")) {
		t.Errorf("the log line is not indented under charge card:\n%s\n%s", lines[charge], lines[payment])
	}
	rejected := find(payment+1, "order rejected")
	if !strings.Contains(lines[rejected], "WARN") {
		t.Errorf("rejection not logged at WARN: %s", lines[rejected])
	}
	find(rejected, "quickstart finished")
}
