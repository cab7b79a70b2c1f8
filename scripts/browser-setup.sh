#!/usr/bin/env bash
# Prepares the headless-browser tests of examples/forwarding. scripts/test.sh
# runs it before go test and exports the lines it prints; by hand:
#
#   set -a; eval "$(./scripts/browser-setup.sh)"; set +a
#   OBSERVE_ITEST=1 OBSERVE_OTELCOL_BIN=... go test ./examples/forwarding/
#
# It makes sure that, in this order:
#   1. Chromium is installed (Debian package `chromium`, /usr/bin/chromium),
#      unless OBSERVE_CHROMIUM_BIN already names a working executable;
#   2. Node.js 20 or later and npm are on PATH (Debian `nodejs` and `npm`
#      are installed when node is missing);
#   3. examples/forwarding/web/node_modules matches package-lock.json
#      (`npm ci`, only when node_modules is missing or was installed from
#      another lock file or Node version);
#   4. the page's bundle examples/forwarding/web/dist/app.js is up to date
#      (`npm run build`, esbuild; only when a source is newer than it);
# then prints on stdout, one per line and unquoted, the variables the tests
# read:
#
#   OBSERVE_CHROMIUM_BIN=/usr/bin/chromium
#   OBSERVE_NODE_BIN=/usr/bin/node
#   OBSERVE_NODE_MODULES=/abs/path/examples/forwarding/web/node_modules
#
# Everything else it says goes to stderr. Each step is skipped when its work
# is already done, so a second run takes well under a second. It exits
# non-zero, with a message on stderr, when a step fails.
set -euo pipefail

# stdout is kept for the KEY=VALUE lines; every other output goes to stderr.
exec 3>&1 1>&2

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
WEB="$ROOT/examples/forwarding/web"

log() { printf 'browser-setup: %s\n' "$*" >&2; }
die() {
	printf 'browser-setup: error: %s\n' "$*" >&2
	exit 1
}

[[ -f "$WEB/package.json" && -f "$WEB/package-lock.json" ]] ||
	die "$WEB/package.json or package-lock.json is missing"

# One run at a time: two concurrent npm ci in the same folder would clash.
mkdir -p "$ROOT/.cache"
if command -v flock >/dev/null 2>&1; then
	exec 4>"$ROOT/.cache/browser-setup.lock"
	flock 4
fi

# ---- apt-get, as root or through sudo ---------------------------------------
APT_UPDATED=0
apt_install() { # apt_install PACKAGE...
	command -v apt-get >/dev/null 2>&1 || die "apt-get not found: install $* yourself"
	local sudo=()
	if [[ "$(id -u)" != 0 ]]; then
		command -v sudo >/dev/null 2>&1 || die "not root and sudo not found: run as root: apt-get install -y --no-install-recommends $*"
		sudo=(sudo)
		[[ -t 0 ]] || sudo=(sudo -n) # no terminal (CI): never wait for a password
	fi
	if ((APT_UPDATED == 0)); then
		log "apt-get update"
		"${sudo[@]}" apt-get update </dev/null || die "apt-get update failed"
		APT_UPDATED=1
	fi
	log "apt-get install $*"
	"${sudo[@]}" env DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends "$@" </dev/null ||
		die "apt-get install $* failed"
}

# ---- 1. Chromium ----------------------------------------------------------------
if [[ -n "${OBSERVE_CHROMIUM_BIN:-}" ]]; then
	CHROMIUM_BIN="$OBSERVE_CHROMIUM_BIN"
	[[ -x "$CHROMIUM_BIN" && ! -d "$CHROMIUM_BIN" ]] ||
		die "OBSERVE_CHROMIUM_BIN=$CHROMIUM_BIN is not an executable file (unset it to install Debian's chromium)"
else
	CHROMIUM_BIN=/usr/bin/chromium
	if [[ ! -x "$CHROMIUM_BIN" ]]; then
		apt_install chromium
		[[ -x "$CHROMIUM_BIN" ]] || die "$CHROMIUM_BIN is still missing after installing the chromium package"
	fi
fi
version="$("$CHROMIUM_BIN" --version 2>&1)" || die "$CHROMIUM_BIN --version failed: $version"
version="${version##*$'\n'}" # Debian's wrapper script may print warnings first
log "chromium: $CHROMIUM_BIN ($version)"

# ---- 2. Node.js and npm ---------------------------------------------------------
if ! command -v node >/dev/null 2>&1 || ! command -v npm >/dev/null 2>&1; then
	apt_install nodejs npm
fi
NODE_BIN="$(command -v node)" || die "node is not on PATH"
node_version="$(node --version)" || die "node --version failed"
node_major="${node_version#v}"
node_major="${node_major%%.*}"
if ! [[ "$node_major" =~ ^[0-9]+$ ]] || ((node_major < 20)); then
	die "Node.js $node_version is too old: playwright-core needs Node.js 20 or later"
fi
log "node: $NODE_BIN ($node_version), npm $(npm --version 2>/dev/null)"

# ---- 3. node_modules ----------------------------------------------------------
# The stamp records what node_modules was installed from; any change to the
# lock file, package.json or the Node version makes it stale.
stamp_file="$WEB/node_modules/.observe-browser-setup.stamp"
stamp="$(
	{
		node --version
		sha256sum "$WEB/package.json" "$WEB/package-lock.json" | cut -d' ' -f1
	} | sha256sum | cut -d' ' -f1
)"
if [[ -f "$stamp_file" && "$(cat "$stamp_file")" == "$stamp" && -d "$WEB/node_modules/playwright-core" ]]; then
	log "node_modules is up to date"
else
	log "npm ci in $WEB"
	(cd "$WEB" && npm ci --no-audit --no-fund --loglevel=error) || die "npm ci failed in $WEB"
	echo "$stamp" >"$stamp_file"
	rm -f "$WEB/dist/app.js" # rebuild with the new packages
fi

# ---- 4. the page's bundle -------------------------------------------------------
bundle="$WEB/dist/app.js"
if [[ -f "$bundle" ]] && [[ -z "$(find "$WEB/src" "$WEB/build.mjs" "$WEB/package-lock.json" -newer "$bundle" -print -quit)" ]]; then
	log "bundle $bundle is up to date"
else
	log "building $bundle"
	(cd "$WEB" && npm run --silent build) || die "bundling the page failed (npm run build in $WEB)"
	[[ -f "$bundle" ]] || die "npm run build did not write $bundle"
fi

printf 'OBSERVE_CHROMIUM_BIN=%s\nOBSERVE_NODE_BIN=%s\nOBSERVE_NODE_MODULES=%s\n' \
	"$CHROMIUM_BIN" "$NODE_BIN" "$WEB/node_modules" >&3
