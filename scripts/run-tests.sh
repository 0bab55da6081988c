#!/usr/bin/env bash
# Install what is missing, build apemu three times (plain, ASan+UBSan,
# TSan) and its libFuzzer targets (clang, ASan+UBSan), run every unit test
# in each build, each fuzz target for FUZZ_SECONDS (20), the functional tests against the
# ASan+UBSan build and the data-plane functional tests (guests, adapters,
# RSA) against the TSan build, build the Debian packages and smoke-test them
# installed (scripts/package-test.sh), and end with one line
# 'N passed, N failed'.
set -uo pipefail
cd "$(dirname "$0")/.."
root=$PWD

./scripts/install-deps.sh || exit 1
./scripts/build.sh build || exit 1
./scripts/build.sh build-asan -Db_sanitize=address,undefined -Db_lundef=false -Daudit=true || exit 1
./scripts/build.sh build-tsan -Db_sanitize=thread -Daudit=true || exit 1
# the libFuzzer targets alone (clang; the 'fuzz' alias target)
if [ ! -f build-fuzz/build.ninja ]; then
	CC=clang meson setup build-fuzz -Dfuzz=true -Db_sanitize=address,undefined \
		-Db_lundef=false >/dev/null || exit 1
fi
ninja -C build-fuzz fuzz >/dev/null || exit 1

export ASAN_OPTIONS=abort_on_error=1:detect_leaks=1
export UBSAN_OPTIONS=halt_on_error=1:print_stacktrace=1
results=()

for dir in build build-asan build-tsan; do
	echo "== unit tests ($dir)"
	suites=(--suite unit)
	[ "$dir" = build ] && suites+=(--suite docs) # man pages, completion: once
	meson test -C "$dir" --no-rebuild "${suites[@]}" --print-errorlogs >"$dir/unit.out" 2>&1
	grep -E '^ *[0-9]+/[0-9]+ ' "$dir/unit.out" || cat "$dir/unit.out"
	results+=(--meson "$dir/meson-logs/testlog.json")
done

echo "== fuzz targets (build-fuzz, ${FUZZ_SECONDS:-20} s each)"
meson test -C build-fuzz --no-rebuild --suite fuzz --num-processes 1 --print-errorlogs \
	>build-fuzz/fuzz.out 2>&1
grep -E '^ *[0-9]+/[0-9]+ ' build-fuzz/fuzz.out || cat build-fuzz/fuzz.out
cp build-fuzz/meson-logs/testlog.json build-fuzz/fuzz-testlog.json
results+=(--meson build-fuzz/fuzz-testlog.json)

if [ -d tests/functional ] && ls tests/functional/test_*.py >/dev/null 2>&1; then
	echo "== functional tests (build-asan)"
	APEMU_BUILD="$root/build-asan" /usr/bin/python3 -m pytest -q -p no:cacheprovider -p no:apemu.pytest_plugin \
		--junitxml="$root/build-asan/functional.xml" tests/functional
	results+=(--junit "$root/build-asan/functional.xml")
	echo "== data-plane functional tests (build-tsan)"
	APEMU_BUILD="$root/build-tsan" /usr/bin/python3 -m pytest -q -p no:cacheprovider -p no:apemu.pytest_plugin \
		--junitxml="$root/build-tsan/functional.xml" tests/functional/test_guest_protocol.py \
		tests/functional/test_dataplane.py tests/functional/test_guest_cli.py \
		tests/functional/test_rsa_cli.py tests/functional/test_untrusted.py \
		tests/functional/test_faults.py tests/functional/test_stress.py
	results+=(--junit "$root/build-tsan/functional.xml")
fi

if [ -d debian ]; then
	# the Debian packages: build, lintian, install into a fresh root, smoke-test
	./scripts/package-test.sh "$root/build/package.xml"
	results+=(--junit "$root/build/package.xml")
fi

echo "== results"
/usr/bin/python3 scripts/count-results.py "${results[@]}"
