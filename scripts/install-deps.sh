#!/usr/bin/env bash
# Install the Debian 12 packages apemu needs to build, test and run.
# Runs apt-get update first whenever something is missing (always under CI).
set -euo pipefail

PACKAGES=(
	meson ninja-build gcc g++ pkg-config
	libfuse3-dev fuse3
	libssl-dev openssl
	libjson-c-dev
	libcmocka-dev
	python3 python3-pytest
	mdevctl udev
	libvirt-daemon libvirt-clients
	man-db
	debhelper dh-python dpkg-dev lintian bash-completion
	uuid-runtime util-linux procps
	clang libclang-rt-14-dev clang-format
	valgrind
)

missing=()
for p in "${PACKAGES[@]}"; do
	dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done

if [ "${#missing[@]}" -eq 0 ] && [ "${CI:-}" != "true" ]; then
	exit 0
fi
if [ "$(id -u)" -ne 0 ]; then
	echo "install-deps: missing packages (${missing[*]}); run as root" >&2
	exit 1
fi
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
apt-get install -y -qq --no-install-recommends "${PACKAGES[@]}" >/dev/null
