#!/usr/bin/env bash
# The HTTP server benchmarks as the performance targets are stated: every
# variant (bare mux, otelhttp, the hand-written stack, observe with and
# without its access log) run RUNS times, interleaved (each run goes
# through every variant once), on one goroutine and from RunParallel, with
# GOMAXPROCS 1 and 2; then the medians and the ratios.
#
#   ./scripts/bench-http.sh [RUNS] [BENCHTIME]     (defaults: 6, 1s)
#
# The raw output is kept in .cache/bench-http.txt.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"
RUNS="${1:-6}"
BENCHTIME="${2:-1s}"
mkdir -p .cache
go test -c -o .cache/instrument.test ./instrument/
out=.cache/bench-http.txt
: >"$out"
for i in $(seq "$RUNS"); do
	echo "run $i of $RUNS" >&2
	(cd instrument && ../.cache/instrument.test -test.run '^$' -test.bench 'BenchmarkHTTPServer' \
		-test.benchmem -test.benchtime "$BENCHTIME" -test.cpu 1,2) | tee -a "$out" | grep -c '^Benchmark' >&2
done
go run ./internal/benchratio <"$out"
