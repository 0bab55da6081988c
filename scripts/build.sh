#!/usr/bin/env bash
# Configure (once) and build a build directory:
#   build.sh DIR [--suites SUITE,...] [meson options...]
# With --suites, only what the tests of those suites run (their programs and
# the targets they depend on, scripts/suite-targets.py): a build directory
# kept for some suites alone (the TSan build's 'threads' and 'dataplane')
# need not compile the rest.
set -euo pipefail
cd "$(dirname "$0")/.."
dir=$1
shift
suites=
if [ "${1:-}" = --suites ]; then
	suites=${2//,/ }
	shift 2
fi
if [ ! -f "$dir/build.ninja" ]; then
	meson setup "$dir" "$@" >/dev/null
fi
if [ -n "$suites" ]; then
	# shellcheck disable=SC2086 # one word a suite
	targets=$(./scripts/suite-targets.py "$dir" $suites)
	# shellcheck disable=SC2086 # one word a target (paths without blanks)
	ninja -C "$dir" $targets >/dev/null
else
	ninja -C "$dir" >/dev/null
fi
