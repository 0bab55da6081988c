#!/bin/bash
# The bash completion of apemu without a running instance: subcommands,
# each subcommand's options, events, values of --cpu and --bits, the words
# after "shell --". (Words from a running instance: tests/functional/test_completion.py.)
# check-completion.sh COMPLETION-FILE
set -u
source "$1"
failed=0

# complete WORD... : COMPREPLY for the last word, one per line, sorted
complete_line()
{
	COMP_WORDS=("$@")
	COMP_CWORD=$(($# - 1))
	COMPREPLY=()
	_apemu
	printf '%s\n' "${COMPREPLY[@]}" | LC_ALL=C sort -u | tr '\n' ' ' | sed 's/ $//'
}

expect()
{
	local want=$1 got
	shift
	got=$(complete_line "$@")
	if [ "$got" != "$want" ]; then
		echo "not ok: apemu completion of [$*]: got [$got], want [$want]"
		failed=1
	else
		echo "ok: [$*] -> [$got]"
	fi
}

expect "--help bench dmesg event guest monitor rsa shell start status stop" apemu ""
expect "start status stop" apemu st
expect "--abi --group --help --machine --mount" apemu start --
expect "cur v8" apemu start --abi ""
expect "--check --help --json --mount" apemu status --mount /tmp/x --
expect "--all --count --help --mount --property --timeout" apemu monitor --
expect "fault-busy fault-chkstop-busy fault-clear fault-delay fault-rc fault-reset-pending" apemu event fault-
expect "--keep-going --keys" apemu rsa --ke
expect "--mdev --me --me-public --mount" apemu rsa --m
expect "--fairness --help --json --scale --seconds" apemu bench --
expect "--cpu --help --mdev --memory --mount --no-open" apemu guest --
expect "adapter-add adapter-config adapter-remove" apemu event adapter-
expect "CEX8A CEX8C CEX8P" apemu event adapter-add 5 CEX8
expect "off on" apemu event adapter-config 5 o
expect "off" apemu event chkstop 0x0b of
expect "max_msg_size=" apemu event adapter-add 5 CEX8A depth=3 max
expect "ap=off,apqci=off ap=off,apqci=on" apemu guest --cpu ap=off,apqc
expect "2048" apemu rsa --bits 20
expect "mdevctl" apemu shell -- mdevct
expect "/etc/os-release" apemu shell -- cat /etc/os-rel
expect "" apemu guest --mdev 1
exit $failed
