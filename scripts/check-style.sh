#!/usr/bin/env bash
# The style test (meson suite 'style'): every C source and header of the
# tree must be as clang-format (.clang-format, clang-format 14 of Debian 12)
# writes it. Lists the files that differ and exits 1; 77 (skipped, and
# meson says so) without clang-format. Fix with:
#   clang-format -i $(git ls-files '*.c' '*.h')
set -uo pipefail
cd "${1:-$(dirname "$0")/..}" || exit 1
command -v clang-format >/dev/null || {
	echo "check-style: clang-format is not installed" >&2
	exit 77
}
if git rev-parse --is-inside-work-tree >/dev/null 2>&1; then
	mapfile -t files < <(git ls-files '*.c' '*.h')
else
	mapfile -t files < <(find include src tests examples bench -name '*.[ch]' | sort)
fi
bad=0
# One clang-format for the whole tree (a process per file cost 15 times the
# CPU); only when that finds a difference, one per file to name each.
if ! clang-format --dry-run --Werror "${files[@]}" >/dev/null 2>&1; then
	for f in "${files[@]}"; do
		if ! clang-format --dry-run --Werror "$f" >/dev/null 2>&1; then
			echo "check-style: $f differs from clang-format's layout"
			bad=$((bad + 1))
		fi
	done
	if [ "$bad" -eq 0 ]; then
		echo "check-style: clang-format failed on all ${#files[@]} files at once, on none alone" >&2
		exit 1
	fi
fi
echo "check-style: ${#files[@]} files, $bad differ"
[ "$bad" -eq 0 ]
