#!/usr/bin/env bash
# The soak run (not a test): the functional tests' stress run for a long
# time (default 10 minutes) against a private apemud of BUILD-DIR: guests
# with RSA on every queue, random configuration changes, hot plug and faults
# at once. It prints the seed, the requests answered per second, apemud's
# RSS at the start, after every tenth of the run (every queue reached has
# its ring after the first; it must not grow after that: growth_after_warm)
# and after the final checks, and the count of each kind of change; it fails if a request is lost, an invariant breaks or
# anything hangs (tests/functional/stress.py).
#   bench/soak.sh [BUILD-DIR] [--seconds S] [--seed N]
set -euo pipefail
cd "$(dirname "$0")/.."
build=build
if [ $# -gt 0 ] && [ "${1#--}" = "$1" ]; then
	build=$1
	shift
fi
export APEMU_BUILD="$PWD/$build"
exec /usr/bin/python3 tests/functional/stress.py "$@"
