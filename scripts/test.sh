#!/usr/bin/env bash
# The project's test command. From the repository root:
#
#   ./scripts/test.sh
#
# On a machine with only Go installed it:
#   1. installs what is missing: Prometheus and promtool (the binaries of
#      Debian's `prometheus` package, unpacked into .cache/prometheus without
#      installing the package, so no service is enabled or started), and a C
#      compiler for `go test -race` (Debian `gcc`);
#   2. builds the test collector from tools/otelcol into .cache/bin/otelcol-test
#      (skipped when the binary is up to date with tools/otelcol's sources);
#   3. installs Chromium and the forwarding example's npm packages when missing
#      and bundles its page (scripts/browser-setup.sh);
#      finds PostgreSQL's server binaries, installing Debian's postgresql-15
#      when missing without starting a service (scripts/postgres-setup.sh);
#   4. checks formatting with gofmt;
#   5. runs go vet ./...;
#   6. runs go test -race -count=1 ./... with the integration backends exported
#      (OBSERVE_ITEST=1, OBSERVE_OTELCOL_BIN, OBSERVE_PROMETHEUS_BIN,
#      OBSERVE_PROMTOOL_BIN, OBSERVE_POSTGRES_BIN_DIR), so integration tests fail rather than skip when a
#      backend is missing;
# and prints the wall time of each step. Extra arguments are passed to go test
# (e.g. ./scripts/test.sh -run TestCollector ./internal/itest/); the default
# package pattern is ./... .
#
# Prometheus binaries already named by OBSERVE_PROMETHEUS_BIN/OBSERVE_PROMTOOL_BIN
# or found on PATH are used as they are.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"
CACHE_DIR="$ROOT/.cache"
BIN_DIR="$CACHE_DIR/bin"
OTELCOL_BIN="$BIN_DIR/otelcol-test"

# ---- step timing -----------------------------------------------------------
STEP_NAMES=()
STEP_TIMES=()
STEP_RESULTS=()
CURRENT_STEP=""
STEP_START=""
RUN_START="$EPOCHREALTIME"

elapsed() { # elapsed START -> seconds with one decimal
	local start="${1//[.,]/}" now="${EPOCHREALTIME//[.,]/}" # microseconds
	local ms=$(((now - start) / 1000))
	printf '%d.%d' $((ms / 1000)) $(((ms % 1000) / 100))
}

begin() {
	CURRENT_STEP="$1"
	STEP_START="$EPOCHREALTIME"
	printf '\n==> %s\n' "$1"
}

end() { # end [RESULT]
	STEP_NAMES+=("$CURRENT_STEP")
	STEP_TIMES+=("$(elapsed "$STEP_START")")
	STEP_RESULTS+=("${1:-ok}")
	CURRENT_STEP=""
}

summary() {
	local rc=$?
	if [[ -n "$CURRENT_STEP" ]]; then
		end "FAILED (exit $rc)"
	fi
	printf '\n==> summary (wall time)\n'
	local i
	for i in "${!STEP_NAMES[@]}"; do
		printf '  %-24s %7ss  %s\n' "${STEP_NAMES[$i]}" "${STEP_TIMES[$i]}" "${STEP_RESULTS[$i]}"
	done
	printf '  %-24s %7ss  %s\n' "total" "$(elapsed "$RUN_START")" "$([[ $rc -eq 0 ]] && echo ok || echo "FAILED (exit $rc)")"
	exit "$rc"
}
trap summary EXIT

die() {
	printf 'scripts/test.sh: %s\n' "$*" >&2
	exit 1
}

# ---- Go --------------------------------------------------------------------
if ! command -v go >/dev/null 2>&1; then
	[[ -x /usr/local/go/bin/go ]] || die "go is not on PATH (install Go 1.26 or later)"
	export PATH="$PATH:/usr/local/go/bin"
fi

# ---- 1. install what is missing ------------------------------------------------
begin "install dependencies"
# apt_update runs apt-get update at most once per run, and only when a
# package has no install candidate yet (a new machine's empty lists).
APT_UPDATED=""
apt_update() {
	[[ -n "$APT_UPDATED" ]] && return 0
	"${SUDO[@]}" apt-get update </dev/null
	APT_UPDATED=1
}
SUDO=()
if [[ "$(id -u)" != 0 ]] && command -v sudo >/dev/null 2>&1; then
	SUDO=(sudo)
	[[ -t 0 ]] || SUDO=(sudo -n) # no terminal (CI): never wait for a password
fi
# Prometheus: the binaries of Debian's package, unpacked into .cache without
# installing the package, so that no prometheus service is enabled or
# started on the machine.
PROM_DIR="$CACHE_DIR/prometheus"
PROMETHEUS_BIN="${OBSERVE_PROMETHEUS_BIN:-$(command -v prometheus || true)}"
PROMTOOL_BIN="${OBSERVE_PROMTOOL_BIN:-$(command -v promtool || true)}"
installed=()
if [[ -z "$PROMETHEUS_BIN" || -z "$PROMTOOL_BIN" ]]; then
	if [[ ! -x "$PROM_DIR/usr/bin/prometheus" || ! -x "$PROM_DIR/usr/bin/promtool" ]]; then
		command -v apt-get >/dev/null 2>&1 ||
			die "apt-get not found: install Prometheus yourself and set OBSERVE_PROMETHEUS_BIN and OBSERVE_PROMTOOL_BIN"
		if ! apt-cache policy prometheus 2>/dev/null | grep -q 'Candidate: [0-9]'; then
			apt_update
		fi
		debs="$CACHE_DIR/debs"
		rm -rf "$debs" && mkdir -p "$debs"
		(cd "$debs" && apt-get download prometheus </dev/null)
		rm -rf "$PROM_DIR"
		dpkg-deb -x "$debs"/prometheus_*.deb "$PROM_DIR"
		rm -rf "$debs"
		installed+=("prometheus (unpacked into $PROM_DIR)")
	fi
	PROMETHEUS_BIN="$PROM_DIR/usr/bin/prometheus"
	PROMTOOL_BIN="$PROM_DIR/usr/bin/promtool"
fi
if [[ "$(go env CGO_ENABLED)" != 1 ]] || ! command -v "$(go env CC)" >/dev/null 2>&1; then
	# go test -race needs cgo. gcc and libc6-dev start no service.
	command -v apt-get >/dev/null 2>&1 || die "no C compiler for go test -race: install gcc"
	[[ "$(id -u)" == 0 || ${#SUDO[@]} -gt 0 ]] || die "not root and sudo not found: install gcc and libc6-dev as root"
	if ! apt-cache policy gcc 2>/dev/null | grep -q 'Candidate: [0-9]'; then
		apt_update
	fi
	"${SUDO[@]}" env DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends gcc libc6-dev </dev/null
	installed+=(gcc libc6-dev)
fi
echo "prometheus: $PROMETHEUS_BIN, promtool: $PROMTOOL_BIN, C compiler: $(go env CC)"
if ((${#installed[@]} == 0)); then
	end "ok (already installed)"
else
	end "ok (installed ${installed[*]})"
fi
version="$("$PROMETHEUS_BIN" --version 2>&1)" || die "$PROMETHEUS_BIN --version failed: $version"
echo "${version%%$'\n'*}"

# ---- 2. the test collector -------------------------------------------------
begin "build collector"
# The stamp covers everything the build depends on, so the build (several
# minutes of CPU on a cold Go cache: the load-balancing exporter brings in
# k8s.io/client-go and the AWS SDK) is skipped when nothing changed; go build's
# own cache makes a rebuild with a warm cache take seconds anyway.
stamp="$(
	{
		go version
		go env GOOS GOARCH
		cd tools/otelcol && find . -type f \( -name '*.go' -o -name go.mod -o -name go.sum \) -print0 | LC_ALL=C sort -z | xargs -0 sha256sum
	} | sha256sum | cut -d' ' -f1
)"
if [[ -x "$OTELCOL_BIN" && -f "$OTELCOL_BIN.stamp" && "$(cat "$OTELCOL_BIN.stamp")" == "$stamp" ]]; then
	echo "$OTELCOL_BIN is up to date"
	end "ok (up to date)"
else
	mkdir -p "$BIN_DIR"
	rm -f "$OTELCOL_BIN.stamp"
	# -mod=readonly: the committed go.mod/go.sum must be complete (no checksum
	# database look-ups, no silent edits).
	(cd tools/otelcol && go build -mod=readonly -buildvcs=false -trimpath -ldflags='-s -w' -o "$OTELCOL_BIN" .)
	echo "$stamp" >"$OTELCOL_BIN.stamp"
	echo "built $OTELCOL_BIN"
	end
fi

# ---- 3. the browser, Node packages and the page bundle ---------------------
begin "browser setup"
# scripts/browser-setup.sh installs Chromium and the npm packages when
# missing, bundles the forwarding example's page, and prints KEY=VALUE lines
# (OBSERVE_CHROMIUM_BIN, OBSERVE_NODE_BIN, OBSERVE_NODE_MODULES) for go test.
browser_env="$(./scripts/browser-setup.sh)"
while IFS= read -r line; do
	[[ "$line" == *=* ]] || continue
	export "${line?}"
	echo "$line"
done <<<"$browser_env"
end

# ---- 3b. PostgreSQL's server binaries ----------------------------------------
begin "postgres setup"
# The database tests start their own throwaway server from these binaries.
postgres_env="$(./scripts/postgres-setup.sh)"
export "${postgres_env?}"
echo "$postgres_env"
end

# ---- 4. gofmt --------------------------------------------------------------
begin "gofmt"
go_files=()
if git rev-parse --is-inside-work-tree >/dev/null 2>&1; then
	# Tracked files plus new files not ignored by .gitignore.
	while IFS= read -r -d '' f; do
		[[ -f "$f" ]] && go_files+=("$f")
	done < <(git ls-files -z --cached --others --exclude-standard -- '*.go')
else
	while IFS= read -r -d '' f; do
		go_files+=("$f")
	done < <(find . -path ./.cache -prune -o -path ./.git -prune -o -type f -name '*.go' -print0)
fi
echo "${#go_files[@]} Go files"
if ((${#go_files[@]} > 0)); then
	unformatted="$(gofmt -l "${go_files[@]}")"
	if [[ -n "$unformatted" ]]; then
		printf 'these files are not gofmt-formatted (run gofmt -w on them):\n%s\n' "$unformatted" >&2
		exit 1
	fi
fi
end

# ---- 5. go vet -------------------------------------------------------------
begin "go vet"
go vet ./...
end

# ---- 6. go test ------------------------------------------------------------
begin "go test"
export OBSERVE_ITEST=1
export OBSERVE_OTELCOL_BIN="$OTELCOL_BIN"
OBSERVE_PROMETHEUS_BIN="$(cd "$(dirname "$PROMETHEUS_BIN")" && pwd)/$(basename "$PROMETHEUS_BIN")"
OBSERVE_PROMTOOL_BIN="$(cd "$(dirname "$PROMTOOL_BIN")" && pwd)/$(basename "$PROMTOOL_BIN")"
export OBSERVE_PROMETHEUS_BIN OBSERVE_PROMTOOL_BIN
if (($# == 0)); then
	set -- ./...
fi
go test -race -count=1 "$@"
end
