#!/usr/bin/env bash
# A style test (meson suite 'style'): every external symbol a static library
# defines starts with one of its modules' prefixes, so that a reader can tell
# the module from the name and no generic name (emit, lookup_cards) leaks
# out of a library. Usage: check-symbols.sh LIBRARY.a PREFIX...
# Lists the symbols that have none of the prefixes and exits 1; 77
# (skipped, and meson says so) without nm.
set -uo pipefail
if [ $# -lt 2 ]; then
	echo "usage: check-symbols.sh LIBRARY.a PREFIX..." >&2
	exit 2
fi
lib=$1
shift
command -v nm >/dev/null || {
	echo "check-symbols: nm is not installed" >&2
	exit 77
}
# nm -A: "LIB.a:DIR/member.o:0000000000000000 T name" (--defined-only: no U)
if ! syms=$(nm -A -g --defined-only "$lib"); then
	echo "check-symbols: nm cannot read $lib" >&2
	exit 1
fi
total=0
bad=0
while read -r where type name; do
	[ -n "${name:-}" ] || continue
	total=$((total + 1))
	ok=0
	for p in "$@"; do
		case $name in "$p"*) ok=1 ;; esac
	done
	if [ "$ok" -eq 0 ]; then
		member=${where%:*}
		echo "check-symbols: ${member##*/} defines $name ($type), which has none of the prefixes $*"
		bad=$((bad + 1))
	fi
done <<<"$syms"
echo "check-symbols: $(basename "$lib"): $total symbols, $bad without a module prefix"
[ "$bad" -eq 0 ]
