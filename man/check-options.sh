#!/bin/bash
# Every subcommand of apemu and every option its --help names is in
# apemu(1) and offered by the bash completion, and apemud(8) names every
# option of apemud --help.
# check-options.sh APEMU APEMUD MAN-DIR COMPLETION
set -u
apemu=$1 apemud=$2 man=$3 completion=$4
failed=0
source "$completion"

# The page as text: \- is a plain '-' there.
page() { sed 's/\\-/-/g' "$man/$1"; }

offered()
{
	COMP_WORDS=("$@")
	COMP_CWORD=$(($# - 1))
	COMPREPLY=()
	_apemu
	printf '%s\n' "${COMPREPLY[@]}"
}

cmds=$("$apemu" --help | sed -n '/^Commands:/,/^$/p' | awk '$1 ~ /^[a-z]+$/ {print $1}')
[ -n "$cmds" ] || { echo "not ok: no commands in apemu --help"; exit 1; }
for c in $cmds; do
	page apemu.1 | grep -q -- "^\.B $c\$" || { echo "not ok: apemu(1) lacks the command $c"; failed=1; }
	offered apemu "${c:0:2}" | grep -qx "$c" || { echo "not ok: completion lacks the command $c"; failed=1; }
	for o in $("$apemu" "$c" --help | grep -o -- '--[a-z][a-z-]*' | sort -u); do
		page apemu.1 | grep -q -- "$o" || { echo "not ok: apemu(1) lacks $c $o"; failed=1; }
		offered apemu "$c" "--" | grep -qx -- "$o" || { echo "not ok: completion lacks $c $o"; failed=1; }
	done
	echo "ok: $c"
done
for o in $("$apemud" --help | grep -o -- '--[a-z][a-z-]*' | sort -u); do
	page apemud.8 | grep -q -- "$o" || { echo "not ok: apemud(8) lacks $o"; failed=1; }
done
echo "ok: apemud"
exit $failed
