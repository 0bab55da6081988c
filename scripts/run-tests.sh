#!/usr/bin/env bash
# Install what is missing, build apemu three times (plain, all of it;
# ASan+UBSan and TSan, what their suites run) and its libFuzzer targets
# (clang, ASan+UBSan), run every unit test
# in the plain and the ASan+UBSan build and those that run threads (suite
# 'threads') in the TSan build, each fuzz target for FUZZ_SECONDS (20), two
# at a time, the functional tests against the ASan+UBSan build and the
# data-plane functional tests (guests, adapters, RSA: suite 'dataplane')
# against the TSan build, through meson, two files at a time where they
# may share the machine, build the Debian packages and smoke-test them
# installed (scripts/package-test.sh, beside the builds), and end with one
# line 'N passed, N failed'.
set -uo pipefail
cd "$(dirname "$0")/.."
root=$PWD

./scripts/install-deps.sh || exit 1

# The Debian packages (scripts/package-test.sh: build, lintian, install into
# a fresh root, smoke test) need nothing built here: they are made beside
# the builds and unit tests below, filling the gaps of those steps, and
# waited for before the fuzz targets and the functional tests, which want the
# machine to themselves. Their report comes in its place at the end.
pkg_pid=
if [ -d debian ]; then
	mkdir -p build
	./scripts/package-test.sh "$root/build/package.xml" >build/package-test.out 2>&1 &
	pkg_pid=$!
	trap 'wait "$pkg_pid"' EXIT # a failed build exits early: not before it
fi
# build/ is built whole (every target compiles, benchmarks too); the
# sanitizer builds only what their suites below run.
./scripts/build.sh build || exit 1
./scripts/build.sh build-asan --suites unit,functional \
	-Db_sanitize=address,undefined -Db_lundef=false -Daudit=true || exit 1
./scripts/build.sh build-tsan --suites threads,dataplane -Db_sanitize=thread -Daudit=true || exit 1
# the libFuzzer targets alone (clang; the 'fuzz' alias target)
if [ ! -f build-fuzz/build.ninja ]; then
	CC=clang meson setup build-fuzz -Dfuzz=true -Db_sanitize=address,undefined \
		-Db_lundef=false >/dev/null || exit 1
fi
ninja -C build-fuzz fuzz >/dev/null || exit 1

export ASAN_OPTIONS=abort_on_error=1:detect_leaks=1
export UBSAN_OPTIONS=halt_on_error=1:print_stacktrace=1
results=()

# meson test DIR NAME ARGS...: run, show one line per test (and the logs
# of what failed), keep the log as DIR/NAME-testlog.json (the next run in
# DIR overwrites testlog.json)
mtest() {
	local dir=$1 name=$2
	shift 2
	rm -f "$dir/meson-logs/testlog.json"
	if meson test -C "$dir" --no-rebuild --print-errorlogs "$@" >"$dir/$name.out" 2>&1; then
		grep -E '^ *[0-9]+/[0-9]+ ' "$dir/$name.out" || cat "$dir/$name.out"
	else
		cat "$dir/$name.out"
	fi
	cp "$dir/meson-logs/testlog.json" "$dir/$name-testlog.json" 2>/dev/null
	results+=(--meson "$dir/$name-testlog.json")
}

# The single-threaded tests give TSan nothing to check: suite 'threads'
# there. The random test's exhaustive owner scan runs in the plain build.
echo "== unit tests (build)"
mtest build unit --suite unit --suite docs --suite style # man pages, completion, layout: once
echo "== unit tests (build-asan)"
mtest build-asan unit --suite unit
echo "== unit tests that run threads (build-tsan)"
mtest build-tsan unit --suite threads

if [ -n "$pkg_pid" ]; then
	wait "$pkg_pid"
	pkg_rc=$?
	trap - EXIT
fi

# two at a time: each has its own scratch corpus and artifact names
echo "== fuzz targets (build-fuzz, ${FUZZ_SECONDS:-20} s each)"
mtest build-fuzz fuzz --suite fuzz --num-processes 2

if [ -d tests/functional ] && ls tests/functional/test_*.py >/dev/null 2>&1; then
	# one meson test per file (tests/functional/meson.build), each writing
	# its JUnit file there; count-results.py counts their cases. Stale
	# JUnit files would count a crashed file's cases of an earlier run.
	echo "== functional tests (build-asan)"
	rm -f build-asan/tests/functional/*.xml build-tsan/tests/functional/*.xml
	mtest build-asan functional --suite functional --num-processes 2
	echo "== data-plane functional tests (build-tsan)"
	mtest build-tsan functional --suite dataplane --num-processes 2
fi

if [ -n "$pkg_pid" ]; then
	# the Debian packages, made above: build, lintian, install into a fresh root, smoke-test
	cat build/package-test.out
	[ "$pkg_rc" -eq 0 ] || echo "package-test.sh failed (exit status $pkg_rc)"
	results+=(--junit "$root/build/package.xml")
fi

echo "== results"
/usr/bin/python3 scripts/count-results.py "${results[@]}"
