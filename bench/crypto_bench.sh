#!/usr/bin/env bash
# The crypto data plane against baselines measured in the same run: runs
# `apemu bench` of a build tree (default: build). Not a test.
#   bench/crypto_bench.sh [BUILD-DIR] [--fairness | --scale [N]] [--seconds S] [--json]
set -euo pipefail
cd "$(dirname "$0")/.."
build=build
if [ $# -gt 0 ] && [ "${1#-}" = "$1" ]; then
	build=$1
	shift
fi
exec "$build/src/cli/apemu" bench "$@"
