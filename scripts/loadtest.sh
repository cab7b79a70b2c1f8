#!/usr/bin/env bash
# Loopback load test: requests per second of examples/quickstart served bare
# and behind observe.InstrumentHTTP, measured with wrk (Debian's package,
# installed when missing). Traffic goes to 127.0.0.1 only, for a bounded time.
#
#   ./scripts/loadtest.sh [DURATION_SECONDS] [CONNECTIONS]
#
# Telemetry is recorded in full (every span sampled, metrics aggregated, an
# access log record per request) and handed to the OTLP exporters of a real
# collector when tools/otelcol has been built by scripts/test.sh, else
# dropped by the none exporters after being recorded.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"
DURATION="${1:-10}"
CONNS="${2:-16}"

if ! command -v wrk >/dev/null 2>&1; then
	echo "installing wrk" >&2
	SUDO=()
	[[ "$(id -u)" == 0 ]] || SUDO=(sudo -n)
	"${SUDO[@]}" apt-get update </dev/null >&2
	"${SUDO[@]}" env DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends wrk </dev/null >&2
fi

mkdir -p .cache/bin
go build -o .cache/bin/quickstart ./examples/quickstart

free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }

pids=()
cleanup() { for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done; }
trap cleanup EXIT

telemetry_env=(OTEL_TRACES_EXPORTER=none OTEL_METRICS_EXPORTER=none OTEL_LOGS_EXPORTER=none OTEL_TRACES_SAMPLER=always_on)
if [[ -x .cache/bin/otelcol-test ]]; then
	out="$(mktemp -d)"
	grpc_port="$(free_port)"
	http_port="$(free_port)"
	OTELCOL_GRPC="127.0.0.1:$grpc_port" OTELCOL_HTTP="127.0.0.1:$http_port" OTELCOL_OUT="$out" \
		.cache/bin/otelcol-test --config tools/otelcol/otelcol.yaml >"$out/collector.log" 2>&1 &
	pids+=($!)
	sleep 1
	telemetry_env=(OTEL_EXPORTER_OTLP_ENDPOINT="http://127.0.0.1:$http_port" OTEL_TRACES_SAMPLER=always_on)
	echo "exporting to the test collector on 127.0.0.1:$http_port" >&2
fi

measure() { # measure MODE FLAGS...
	local mode="$1"
	shift
	local port
	port="$(free_port)"
	env "${telemetry_env[@]}" .cache/bin/quickstart -addr "127.0.0.1:$port" "$@" >/dev/null 2>&1 &
	local pid=$!
	pids+=("$pid")
	for _ in $(seq 50); do
		curl -fsS "http://127.0.0.1:$port/users/42" >/dev/null 2>&1 && break
		sleep 0.1
	done
	local rps
	rps="$(wrk -t2 -c"$CONNS" -d"${DURATION}s" "http://127.0.0.1:$port/users/42" | awk '/Requests\/sec/ {print $2}')"
	kill "$pid"
	wait "$pid" 2>/dev/null || true
	printf '%-14s %12s req/s\n' "$mode" "$rps"
}

echo "GET /users/42, ${DURATION}s, $CONNS connections, 2 wrk threads"
measure bare -bare
measure instrumented
