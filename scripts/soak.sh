#!/usr/bin/env bash
# Soak test (not part of the default test command): load against a real
# OpenTelemetry Collector that is stopped a third of the way in and started
# again two thirds of the way in, printing resident memory over time and the
# telemetry delivered against what was counted as dropped.
#
#   ./scripts/soak.sh [duration]    # default 10m
#
# It builds the test collector as scripts/test.sh does (run that once first
# on a new machine: it installs what the tests need) and runs TestSoak
# without the race detector, so that memory figures are the program's own.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"
duration="${1:-10m}"
OTELCOL_BIN="$ROOT/.cache/bin/otelcol-test"
if [[ ! -x "$OTELCOL_BIN" ]]; then
	mkdir -p "$ROOT/.cache/bin"
	(cd tools/otelcol && go build -mod=readonly -buildvcs=false -trimpath -ldflags='-s -w' -o "$OTELCOL_BIN" .)
fi
OBSERVE_SOAK="$duration" OBSERVE_ITEST=1 OBSERVE_OTELCOL_BIN="$OTELCOL_BIN" \
	go test -count=1 -run '^TestSoak$' -v -timeout "$(($(sed 's/[^0-9]//g' <<<"$duration") * 3 + 10))m" .
