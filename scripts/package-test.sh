#!/usr/bin/env bash
# Build the Debian packages, check them with lintian, install them into a
# fresh directory and run the installed apemu against a smoke scenario.
# package-test.sh [JUNIT-XML]: one test case per step in JUNIT-XML (for
# count-results.py), a line per step on stdout; exit 1 if a step failed.
#
# The build happens in a copy of the tree under a temporary directory
# (dpkg-buildpackage writes ../*.deb), removed at the end with everything
# in it (APEMU_PKG_KEEP=1 keeps it). DEB_BUILD_OPTIONS: nocheck, parallel=2 (override with $JOBS).
set -uo pipefail
cd "$(dirname "$0")/.."
src=$PWD
junit=${1:-}
work=$(mktemp -d /tmp/apemu-pkg.XXXXXX)
root=$work/root
mount=$work/run/sys
multiarch=$(dpkg-architecture -qDEB_HOST_MULTIARCH)
version=$(dpkg-parsechangelog -l debian/changelog -S Version)
cases=()
failed=0

cleanup()
{
	if [ -x "$root/usr/bin/apemu" ] && [ -S "$mount.sock" ]; then
		LD_LIBRARY_PATH=$root/usr/lib/$multiarch "$root/usr/bin/apemu" stop --mount "$mount" >/dev/null 2>&1
	fi
	mountpoint -q "$mount" 2>/dev/null && umount -l "$mount"
	if [ -n "${APEMU_PKG_KEEP:-}" ]; then echo "kept $work"; else rm -rf "$work"; fi
}
trap cleanup EXIT

xml_escape() { sed -e 's/&/\&amp;/g' -e 's/</\&lt;/g' -e 's/>/\&gt;/g' -e 's/"/\&quot;/g'; }

# step NAME LOG COMMAND...: run, record the outcome (the log's tail on failure)
step()
{
	local name=$1 log=$2 t0=$SECONDS
	shift 2
	if "$@" >"$log" 2>&1; then
		echo "  ok   $name ($((SECONDS - t0)) s)"
		cases+=("<testcase classname=\"package\" name=\"$name\" time=\"$((SECONDS - t0))\"/>")
		return 0
	fi
	echo "  FAIL $name ($((SECONDS - t0)) s); log tail:"
	tail -25 "$log" | sed 's/^/       /'
	cases+=("<testcase classname=\"package\" name=\"$name\" time=\"$((SECONDS - t0))\"><failure message=\"$name failed\">$(tail -25 "$log" | xml_escape)</failure></testcase>")
	failed=$((failed + 1))
	return 1
}

build()
(
	mkdir -p "$work/apemu-$version"
	if git -C "$src" rev-parse --git-dir >/dev/null 2>&1; then
		git -C "$src" ls-files -co --exclude-standard -z | tar -C "$src" --null -T - -cf -
	else
		tar -C "$src" --exclude='./build*' -cf - .
	fi | tar -C "$work/apemu-$version" -xf -
	cd "$work/apemu-$version" &&
		DEB_BUILD_OPTIONS="nocheck parallel=${JOBS:-2}" dpkg-buildpackage -us -uc -b
)

install_root()
{
	mkdir -p "$root"
	for deb in "$work"/*.deb; do
		echo "$(basename "$deb"):"
		dpkg-deb -c "$deb" | awk '{print "   " $6}'
		dpkg-deb -x "$deb" "$root" || return 1
	done
}

# The installed programs, library, man pages and Python package, nothing
# from the build tree: a guest on an mdev made with mdevctl reaches its queue.
smoke_cli()
(
	export LD_LIBRARY_PATH=$root/usr/lib/$multiarch PATH=$root/usr/bin:$PATH LC_ALL=C
	set -ex
	ldd "$root/usr/bin/apemu" | grep -q "$root/usr/lib/$multiarch/libapemu-guest.so.0"
	apemu start --mount "$mount"
	apemu status --mount "$mount"
	apemu shell --mount "$mount" -- sh -c 'echo -5 > /sys/bus/ap/apmask; echo -4 > /sys/bus/ap/aqmask'
	u=11111111-1111-4111-8111-111111111111
	apemu shell --mount "$mount" -- mdevctl start -u $u -p matrix -t vfio_ap-passthrough
	apemu shell --mount "$mount" -- sh -c "echo 5 > /sys/bus/mdev/devices/$u/assign_adapter; echo 4 > /sys/bus/mdev/devices/$u/assign_domain"
	out=$(echo 'tapq 05.0004' | apemu guest --mount "$mount" --mdev $u)
	echo "$out"
	echo "$out" | grep -q '"cc":0,"rc":0'
	apemu stop --mount "$mount"
	for page in man1/apemu.1 man5/apemu-machine.5 man8/apemud.8 man3/libapemu-guest.3; do
		man -l "$root/usr/share/man/$page.gz" | grep -q .
	done
	grep -q "ExecStart=/usr/bin/apemud --mount %f" "$root/lib/systemd/system/apemu@.service"
	bash -c "source $root/usr/share/bash-completion/completions/apemu; complete -p apemu"
)

# python3-apemu's pytest plugin, loaded through its entry point.
smoke_python()
(
	export LD_LIBRARY_PATH=$root/usr/lib/$multiarch APEMU=$root/usr/bin/apemu LC_ALL=C
	export PYTHONPATH=$root/usr/lib/python3/dist-packages
	mkdir -p "$work/t"
	cat >"$work/t/test_smoke.py" <<'PY'
def test_mdevctl_lists_an_mdev(apemu_host):
    u = apemu_host.create_mdev(adapters=[5], domains=[4])
    assert u in apemu_host.run(["mdevctl", "list"]).stdout
PY
	cd "$work/t" && /usr/bin/python3 -m pytest -v -p no:cacheprovider test_smoke.py
)

echo "== Debian packages (in $work)"
if step "dpkg-buildpackage" "$work/build.log" build; then
	step "lintian (no errors)" "$work/lintian.log" lintian --fail-on error "$work"/apemu_"${version}"_*.changes
	grep -v "^running with root" "$work/lintian.log" | sed 's/^/       lintian: /'
	if step "install into a fresh root" "$work/install.log" install_root; then
		step "smoke: installed apemu, apemud, libapemu-guest, man pages" "$work/smoke.log" smoke_cli
		step "smoke: python3-apemu's apemu_host fixture" "$work/python.log" smoke_python
	fi
fi

if [ -n "$junit" ]; then
	{
		echo "<?xml version=\"1.0\" encoding=\"utf-8\"?>"
		echo "<testsuite name=\"package\" tests=\"${#cases[@]}\" failures=\"$failed\" errors=\"0\" skipped=\"0\">"
		printf '%s\n' "${cases[@]}"
		echo "</testsuite>"
	} >"$junit"
fi
[ "$failed" -eq 0 ] && [ "${#cases[@]}" -gt 0 ]
