#!/usr/bin/env bash
# README's first command: runs the quickstart example. Arguments are passed on.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
exec go run ./examples/quickstart "$@"
