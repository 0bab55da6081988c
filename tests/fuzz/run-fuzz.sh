#!/bin/sh
# run-fuzz.sh TARGET CORPUS: run a libFuzzer target for FUZZ_SECONDS (20)
# from the seed corpus CORPUS (read only: new inputs go to a scratch
# directory), crash inputs to $FUZZ_ARTIFACTS (default: the build's
# fuzz-artifacts/). Exit status: the fuzzer's (0: nothing found).
set -eu
target=$1
corpus=$2
scratch=$(mktemp -d)
trap 'rm -rf "$scratch"' EXIT
artifacts=${FUZZ_ARTIFACTS:-$(dirname "$target")/fuzz-artifacts}
mkdir -p "$artifacts"
"$target" -max_total_time="${FUZZ_SECONDS:-20}" -timeout=10 -rss_limit_mb=2048 \
	-print_final_stats=1 -artifact_prefix="$artifacts/$(basename "$target")-" \
	"$scratch" "$corpus"
