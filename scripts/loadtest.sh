#!/usr/bin/env bash
# Loopback load test: requests per second of internal/loadtarget (one
# route, GET /users/{id}) served bare and behind Telemetry.InstrumentHTTP,
# measured with wrk (Debian's package, installed when missing), with the
# CPU time each process used. Traffic goes to 127.0.0.1 only, for a bounded
# time.
#
#   ./scripts/loadtest.sh [DURATION_SECONDS] [CONNECTIONS]   (defaults: 10, 16)
#
# Three runs, every span sampled and an access-log record per request:
#   bare       the mux alone;
#   discard    spans and log records batched as for OTLP, then counted and
#              dropped in process (the exporter name "discard"; metrics are
#              aggregated for MetricsHandler, not exported); the server
#              reports what reached the exporters, which must be every
#              request;
#   collector  OTLP/HTTP to a real OpenTelemetry Collector on loopback
#              (the one scripts/test.sh builds into .cache/bin), whose
#              share of the CPU is reported too.
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
go build -o .cache/bin/loadtarget ./internal/loadtarget

free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
# cpu_ticks PID: user and system clock ticks the process has used.
cpu_ticks() { awk '{print $14 + $15}' "/proc/$1/stat"; }
TCK="$(getconf CLK_TCK)"
NCPU="$(nproc)"

pids=()
cleanup() { for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done; }
trap cleanup EXIT

collector_pid=""
collector_env=()
if [[ -x .cache/bin/otelcol-test ]]; then
	out="$(mktemp -d)"
	grpc_port="$(free_port)"
	http_port="$(free_port)"
	OTELCOL_GRPC="127.0.0.1:$grpc_port" OTELCOL_HTTP="127.0.0.1:$http_port" OTELCOL_OUT="$out" \
		.cache/bin/otelcol-test --config tools/otelcol/otelcol.yaml >"$out/collector.log" 2>&1 &
	collector_pid=$!
	pids+=("$collector_pid")
	for _ in $(seq 100); do
		curl -fsS -o /dev/null -X POST -H 'Content-Type: application/json' -d '{}' "http://127.0.0.1:$http_port/v1/traces" 2>/dev/null && break
		sleep 0.1
	done
	collector_env=(OTEL_EXPORTER_OTLP_ENDPOINT="http://127.0.0.1:$http_port" OTEL_EXPORTER_OTLP_PROTOCOL=http/protobuf)
else
	echo "no collector at .cache/bin/otelcol-test (scripts/test.sh builds it): the collector run is skipped" >&2
fi

common=(OTEL_TRACES_SAMPLER=always_on OTEL_SERVICE_NAME=loadtarget)

# measure MODE [ENV...] [-- FLAGS...]
measure() {
	local mode="$1"
	shift
	local envs=() flags=()
	while [[ $# -gt 0 && "$1" != "--" ]]; do envs+=("$1"); shift; done
	[[ $# -gt 0 ]] && shift && flags=("$@")
	local port
	port="$(free_port)"
	local result
	result="$(mktemp)"
	env "${common[@]}" "${envs[@]}" .cache/bin/loadtarget -addr "127.0.0.1:$port" "${flags[@]}" >"$result" 2>/dev/null &
	local pid=$!
	pids+=("$pid")
	for _ in $(seq 50); do
		curl -fsS "http://127.0.0.1:$port/users/42" >/dev/null 2>&1 && break
		sleep 0.1
	done
	local s0 c0=0 s1 c1=0 rps
	s0="$(cpu_ticks "$pid")"
	[[ -n "$collector_pid" ]] && c0="$(cpu_ticks "$collector_pid")"
	rps="$(wrk -t2 -c"$CONNS" -d"${DURATION}s" "http://127.0.0.1:$port/users/42" | awk '/Requests\/sec/ {print $2}')"
	s1="$(cpu_ticks "$pid")"
	[[ -n "$collector_pid" ]] && c1="$(cpu_ticks "$collector_pid")"
	kill -TERM "$pid"
	wait "$pid" 2>/dev/null || true
	local server_share collector_share
	server_share="$(awk -v t=$((s1 - s0)) -v h="$TCK" -v d="$DURATION" -v n="$NCPU" 'BEGIN {printf "%.0f%%", 100*t/h/d/n}')"
	collector_share="-"
	if [[ "$mode" == collector ]]; then
		collector_share="$(awk -v t=$((c1 - c0)) -v h="$TCK" -v d="$DURATION" -v n="$NCPU" 'BEGIN {printf "%.0f%%", 100*t/h/d/n}')"
	fi
	printf '| %-9s | %10s | %6s | %9s | %s |\n' "$mode" "$rps" "$server_share" "$collector_share" "$(cat "$result")"
	rm -f "$result"
}

echo "GET /users/42 for ${DURATION}s over $CONNS connections (wrk, 2 threads) on $NCPU CPUs; CPU shares are of the whole machine"
echo
echo "| run | requests/s | server CPU | collector CPU | server's count at exit |"
echo "| --- | ---: | ---: | ---: | --- |"
measure bare OTEL_TRACES_EXPORTER=none OTEL_METRICS_EXPORTER=none OTEL_LOGS_EXPORTER=none -- -bare
measure discard OTEL_TRACES_EXPORTER=discard OTEL_METRICS_EXPORTER=none OTEL_LOGS_EXPORTER=discard
if [[ -n "$collector_pid" ]]; then
	measure collector "${collector_env[@]}"
	# What the collector wrote: each span has one "spanId" key in its file
	# (these spans have no links), each log record one
	# "observedTimeUnixNano".
	sleep 2
	echo
	echo "the collector wrote $(grep -o '"spanId"' "$out/traces.jsonl" | wc -l) spans and $(grep -o '"observedTimeUnixNano"' "$out/logs.jsonl" | wc -l) log records"
fi
