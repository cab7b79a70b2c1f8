package main

import (
	"bytes"
	"strings"
	"testing"
)

func TestRatiosAndInvalidRuns(t *testing.T) {
	in := `goos: linux
BenchmarkHTTPServer/always/bare-2     	 100	  1000 ns/op	  1100 cpu-ns/op	 0 logs/op	 0 spans/op	  64 B/op	 4 allocs/op
BenchmarkHTTPServer/always/otelhttp-2 	 100	 11000 ns/op	 21100 cpu-ns/op	 0 logs/op	 1.000 spans/op	 6000 B/op	 40 allocs/op
BenchmarkHTTPServer/always/stack-2    	 100	 21000 ns/op	 41100 cpu-ns/op	 1.000 logs/op	 1.000 spans/op	 7000 B/op	 50 allocs/op
BenchmarkHTTPServer/always/observe-2  	 100	  6000 ns/op	 11100 cpu-ns/op	 1.000 logs/op	 1.000 spans/op	 4000 B/op	 19 allocs/op
BenchmarkHTTPServer/always/observe-2  	--- FAIL: BenchmarkHTTPServer/always/observe-2
    compare_bench_test.go:130: invalid: delivered 0.9 spans
BenchmarkHTTPServer/always/observe-2  	 100	  8000 ns/op	 13100 cpu-ns/op	 1.000 logs/op	 1.000 spans/op	 4000 B/op	 19 allocs/op
BenchmarkHTTPServer/always/observe-2  	 100	  7000 ns/op	 12100 cpu-ns/op	 1.000 logs/op	 1.000 spans/op	 4000 B/op	 19 allocs/op
`
	var out bytes.Buffer
	if err := run(strings.NewReader(in), &out); err != nil {
		t.Fatal(err)
	}
	got := out.String()
	for _, want := range []string{
		// Three valid runs, one invalid; the median of 6000, 7000, 8000.
		"| HTTPServer | 2 | always | observe | 3 | 1 | 7000 | 12100 | 4000 | 19 | 1.0000 | 1.0000 |",
		// (7000-1000)/(21000-1000) and (12100-1100)/(41100-1100); then
		// against otelhttp; allocations over bare.
		"| HTTPServer | 2 | always | 0.30; 0.28 | 0.60; 0.55 | -; - | 15 |",
	} {
		if !strings.Contains(got, want) {
			t.Errorf("output lacks %q:\n%s", want, got)
		}
	}
}

func TestNoResults(t *testing.T) {
	if err := run(strings.NewReader("PASS\n"), &bytes.Buffer{}); err == nil {
		t.Error("no error for an input without results")
	}
}
