#!/usr/bin/env bash
# Finds PostgreSQL's server binaries for the integration tests (the tests
# start their own throwaway server with initdb and postgres, see
# internal/itest/postgres.go), installing Debian's postgresql-15 when there
# are none. scripts/test.sh runs it before go test and exports the line it
# prints; by hand:
#
#   set -a; eval "$(./scripts/postgres-setup.sh)"; set +a
#   OBSERVE_ITEST=1 go test -run SQL ./instrument/
#
# The binaries are looked for, in this order:
#   1. OBSERVE_POSTGRES_BIN_DIR, if it is set and holds initdb, postgres,
#      pg_ctl and pg_isready;
#   2. /usr/lib/postgresql/<version>/bin, the newest version that has them
#      (where Debian's packages put them);
#   3. the directory `pg_config --bindir` names;
#   4. otherwise Debian's postgresql-15 is installed with apt-get, without
#      starting or enabling any service, and without making a cluster:
#      - a policy-rc.d that answers 101 ("action forbidden") is in place
#        while apt-get runs, so invoke-rc.d starts nothing (a policy-rc.d
#        that was there before is put back afterwards);
#      - postgresql-common is installed first, then a drop-in
#        /etc/postgresql-common/createcluster.d/observe-tests.conf sets
#        create_main_cluster = false, so installing postgresql-15 makes no
#        "main" cluster under /var/lib/postgresql.
#      Unpacking the .deb with dpkg-deb -x instead (as scripts/test.sh does
#      for Prometheus) does not work here: postgres needs libpq5, libicu,
#      libllvm and more, which only a real install brings.
# It prints one line on stdout:
#
#   OBSERVE_POSTGRES_BIN_DIR=/usr/lib/postgresql/15/bin
#
# Everything else goes to stderr. It exits non-zero, with a message, when
# no binaries can be found or installed.
set -euo pipefail

# stdout is kept for the KEY=VALUE line.
exec 3>&1 1>&2

log() { printf 'postgres-setup: %s\n' "$*" >&2; }
die() {
	printf 'postgres-setup: error: %s\n' "$*" >&2
	exit 1
}

TOOLS=(initdb postgres pg_ctl pg_isready)

has_tools() { # has_tools DIR
	local t
	[[ -n "$1" && -d "$1" ]] || return 1
	for t in "${TOOLS[@]}"; do
		[[ -x "$1/$t" ]] || return 1
	done
}

find_bin_dir() {
	if [[ -n "${OBSERVE_POSTGRES_BIN_DIR:-}" ]]; then
		if has_tools "$OBSERVE_POSTGRES_BIN_DIR"; then
			echo "$OBSERVE_POSTGRES_BIN_DIR"
			return 0
		fi
		log "OBSERVE_POSTGRES_BIN_DIR=$OBSERVE_POSTGRES_BIN_DIR lacks one of ${TOOLS[*]}; looking elsewhere"
	fi
	local d
	while IFS= read -r d; do
		if has_tools "$d"; then
			echo "$d"
			return 0
		fi
	done < <(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -t/ -k5,5 -V -r)
	if command -v pg_config >/dev/null 2>&1; then
		d="$(pg_config --bindir 2>/dev/null || true)"
		if has_tools "$d"; then
			echo "$d"
			return 0
		fi
	fi
	return 1
}

install_postgres() {
	command -v apt-get >/dev/null 2>&1 || die "no PostgreSQL server binaries and no apt-get: install PostgreSQL and set OBSERVE_POSTGRES_BIN_DIR to its bin directory"
	local sudo=()
	if [[ "$(id -u)" != 0 ]]; then
		command -v sudo >/dev/null 2>&1 || die "not root and sudo not found: install postgresql-15 as root, or set OBSERVE_POSTGRES_BIN_DIR"
		sudo=(sudo)
		[[ -t 0 ]] || sudo=(sudo -n) # no terminal (CI): never wait for a password
	fi
	if ! apt-cache policy postgresql-15 2>/dev/null | grep -q 'Candidate: [0-9]'; then
		"${sudo[@]}" apt-get update </dev/null
	fi

	# No service may start while apt-get runs.
	local policy=/usr/sbin/policy-rc.d saved=""
	if [[ -e "$policy" ]]; then
		saved="$(mktemp)"
		"${sudo[@]}" cp -p "$policy" "$saved"
	fi
	restore_policy() {
		if [[ -n "$saved" ]]; then
			"${sudo[@]}" cp -p "$saved" "$policy"
			rm -f "$saved"
		else
			"${sudo[@]}" rm -f "$policy"
		fi
	}
	trap restore_policy EXIT
	printf '#!/bin/sh\n# scripts/postgres-setup.sh: start no service while packages install.\nexit 101\n' |
		"${sudo[@]}" tee "$policy" >/dev/null
	"${sudo[@]}" chmod 755 "$policy"

	local apt=(env DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends)
	"${sudo[@]}" "${apt[@]}" postgresql-common </dev/null
	# No "main" cluster: the tests make their own, in a temporary directory.
	"${sudo[@]}" mkdir -p /etc/postgresql-common/createcluster.d
	printf '# scripts/postgres-setup.sh: the tests make their own clusters.\ncreate_main_cluster = false\n' |
		"${sudo[@]}" tee /etc/postgresql-common/createcluster.d/observe-tests.conf >/dev/null
	"${sudo[@]}" "${apt[@]}" postgresql-15 </dev/null

	restore_policy
	trap - EXIT
}

if ! dir="$(find_bin_dir)"; then
	log "no PostgreSQL server binaries found: installing Debian's postgresql-15 (no service started, no cluster made)"
	install_postgres
	dir="$(find_bin_dir)" || die "postgresql-15 was installed but ${TOOLS[*]} are still not found under /usr/lib/postgresql"
fi
log "$("$dir/postgres" --version)"
printf 'OBSERVE_POSTGRES_BIN_DIR=%s\n' "$dir" >&3
