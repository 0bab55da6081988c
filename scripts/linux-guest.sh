#!/usr/bin/env bash
# A real Linux guest on apemu's adapters: Debian 12's s390x kernel boots
# under QEMU's TCG with a patched QEMU (scripts/linux-guest/qemu-7.2-apemu-ap.patch)
# that hands its AP instructions to apemud through libapemu-guest. Inside
# the guest, Linux's own AP bus and zcrypt find the mdev's adapters; the
# guest's /init (scripts/linux-guest/init) checks them and computes RSA
# through /dev/z90crypt (scripts/linux-guest/zcrypt-check.c), the host
# checks the results against OpenSSL's and changes the mdev while the guest
# runs (scripts/linux-guest/run.py). Prints one line per check and
# 'N passed, N failed'.
#
# Downloads Debian's qemu 7.2 source, linux-image-s390x, busybox-static
# (s390x) and qemu-system-data (the s390-ccw firmware) from the configured
# Debian mirror, and builds the patched qemu-system-s390x once, into the
# cache directory (APEMU_LINUX_GUEST_CACHE, default
# /var/cache/apemu-linux-guest), outside the source tree. Run as root.
# APEMU_LINUX_GUEST_QEMU=PATH uses a qemu-system-s390x built with the patch
# elsewhere (while working on the patch).
set -euo pipefail
cd "$(dirname "$0")/.."
root=$PWD
cache=${APEMU_LINUX_GUEST_CACHE:-/var/cache/apemu-linux-guest}
mount=${APEMU_LINUX_GUEST_MOUNT:-/run/apemu/linux-guest}
timeout=${APEMU_LINUX_GUEST_TIMEOUT:-900}
patchfile=$root/scripts/linux-guest/qemu-7.2-apemu-ap.patch
say() { printf '# %s\n' "$*"; }
export LC_ALL=C DEBIAN_FRONTEND=noninteractive

# ---- packages: apemu's, a cross compiler, what QEMU's build needs ----
./scripts/install-deps.sh >/dev/null
if ! dpkg --print-foreign-architectures | grep -qx s390x; then
	dpkg --add-architecture s390x
fi
need=(gcc-s390x-linux-gnu libc6-dev-s390x-cross linux-libc-dev-s390x-cross
	libglib2.0-dev libpixman-1-dev ninja-build flex bison dpkg-dev cpio kmod
	openssl curl xz-utils patch python3)
missing=()
for p in "${need[@]}"; do
	dpkg -s "$p" >/dev/null 2>&1 || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ] || ! apt-cache show busybox-static:s390x >/dev/null 2>&1; then
	say "installing ${missing[*]:-nothing} (apt-get update first)"
	apt-get update -qq
	[ ${#missing[@]} -eq 0 ] || apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi

# ---- downloads (apt-get download: the mirror's packages, checked) ----
mkdir -p "$cache/debs"
kpkg=$(apt-cache depends linux-image-s390x:s390x | awk '/Depends: linux-image-/ {sub(/:s390x$/, "", $2); print $2; exit}')
[ -n "$kpkg" ] || { echo "linux-guest: no linux-image-s390x in the archive" >&2; exit 1; }
(
	cd "$cache/debs"
	for p in "$kpkg:s390x" busybox-static:s390x qemu-system-data; do
		name=${p%%:*}
		ls "${name}"_*.deb >/dev/null 2>&1 || apt-get download -qq "$p" 2>/dev/null
	done
)

# ---- QEMU: Debian's 7.2 source, our patch, the s390x system emulator only ----
qver=$(apt-cache show qemu-system-data | awk '/^Version:/ {print $2; exit}')
key=$(cat "$patchfile" <(echo "$qver") | sha256sum | cut -c1-12)
qdir=$cache/qemu-$key
qemu=${APEMU_LINUX_GUEST_QEMU:-$qdir/build/qemu-system-s390x}
./scripts/build.sh build # libapemu-guest, apemu, apemud
export PKG_CONFIG_PATH=$root/build/meson-uninstalled
if [ ! -x "$qemu" ]; then
	say "building qemu-system-s390x $qver with the apemu-ap patch into $qdir (once)"
	t0=$(date +%s)
	rm -rf "$qdir" && mkdir -p "$qdir/dl"
	(
		cd "$qdir/dl"
		# the source package of the qemu-system-data in the archive: its
		# .dsc beside the binary package in the pool, files checked by dpkg-source
		uri=$(apt-get download --print-uris qemu-system-data | awk -F"'" 'NR==1 {print $2}')
		pool=${uri%/*}
		dsc=qemu_${qver#*:}.dsc
		curl -fsSL -o "$dsc" "$pool/${dsc//+/%2b}"
		awk '/^Files:/ {f=1; next} /^[^ ]/ {f=0} f && NF == 3 {print $3}' "$dsc" | while read -r f; do
			curl -fsSL -o "$f" "$pool/${f//+/%2b}"
		done
		# (no keyring for the uploader's signature here: dpkg-source checks
		# the files against the .dsc's checksums)
		dpkg-source -q -x "$dsc" "$qdir/src" >source.log 2>&1 ||
			{ cat source.log >&2; exit 1; }
	)
	patch -s -d "$qdir/src" -p1 <"$patchfile"
	mkdir -p "$qdir/build"
	(
		cd "$qdir/build"
		../src/configure --target-list=s390x-softmmu --disable-docs --disable-werror \
			--disable-tools --disable-guest-agent --disable-user --disable-gtk --disable-sdl \
			--disable-vnc --disable-opengl --disable-virglrenderer --disable-capstone \
			--disable-curl --disable-libssh --disable-spice --disable-xen --disable-fuse \
			--disable-install-blobs >configure.log 2>&1 ||
			{ tail -20 configure.log >&2; exit 1; }
		ninja qemu-system-s390x >build.log 2>&1 || { tail -30 build.log >&2; exit 1; }
	)
	rm -rf "$qdir/dl"
	say "qemu built in $(($(date +%s) - t0)) s"
fi

# ---- the guest: kernel, firmware, initramfs ----
work=$(mktemp -d /tmp/apemu-linux-guest.XXXXXX)
apemu=$root/build/src/cli/apemu
cleanup() {
	"$apemu" stop --mount "$mount" >/dev/null 2>&1 || true
	rm -rf "$work"
}
trap cleanup EXIT
dpkg-deb -x "$cache"/debs/"$kpkg"_*.deb "$work/kernel"
dpkg-deb -x "$cache"/debs/qemu-system-data_*.deb "$work/data"
dpkg-deb -x "$cache"/debs/busybox-static_*.deb "$work/bb"
kver=${kpkg#linux-image-}
mkdir -p "$work/bios" && cp "$work/data/usr/share/qemu/s390-ccw.img" "$work/bios/"

init=$work/initramfs
mkdir -p "$init"/{bin,lib,lg/keys,proc,sys,dev}
cp "$work/bb/bin/busybox" "$init/bin/"
for a in sh mount insmod ls sort tr cat cut head readlink sleep grep uname poweroff \
	echo test [ mkdir awk; do
	ln -s busybox "$init/bin/$a"
done
cp "$work/kernel/lib/modules/$kver/kernel/drivers/s390/crypto/"{zcrypt.ko,zcrypt_cex4.ko} "$init/lib/"
s390x-linux-gnu-gcc -static -O2 -Wall -Wextra -Werror -o "$init/bin/zcrypt-check" \
	scripts/linux-guest/zcrypt-check.c
cp scripts/linux-guest/init "$init/init"
python3 scripts/linux-guest/run.py keys "$init/lg/keys" 2048

# ---- apemu: its default machine, adapters 06 (CEX5A) and 07 (CEX8A) and
# domains 0x04 and 0xab given to vfio_ap and to one mdev ----
"$apemu" start --mount "$mount" >/dev/null
uuid=$(cat /proc/sys/kernel/random/uuid)
echo -0x06,-0x07 >"$mount/bus/ap/apmask"
echo -0x04,-0xab >"$mount/bus/ap/aqmask"
echo "$uuid" >"$mount/devices/vfio_ap/matrix/mdev_supported_types/vfio_ap-passthrough/create"
for a in 0x06 0x07; do echo $a >"$mount/devices/vfio_ap/matrix/$uuid/assign_adapter"; done
for d in 0x04 0xab; do echo $d >"$mount/devices/vfio_ap/matrix/$uuid/assign_domain"; done
say "mdev $uuid: $(tr '\n' ' ' <"$mount/devices/vfio_ap/matrix/$uuid/matrix")"
echo "06.0004 06.00ab 07.0004 07.00ab card06 card07 " >"$init/lg/devices"
for c in 06 07; do
	d=$mount/devices/ap/card$c
	echo "card$c $(cat "$d/type") $(cat "$d/hwtype") $(cat "$d/ap_functions")"
done >"$init/lg/cards"
echo 07 >"$init/lg/live"
(cd "$init" && find . | cpio -o -H newc --quiet | gzip -1) >"$work/initrd"

say "booting Linux $kver under TCG (QEMU $qver + apemu-ap)"
LD_LIBRARY_PATH=$root/build/src/guest python3 scripts/linux-guest/run.py boot \
	--tree "$mount" --mdev "$uuid" --queues 06.0004,06.00ab,07.0004,07.00ab \
	--timeout "$timeout" -- \
	"$qemu" -nographic -no-reboot -L "$work/bios" \
	-M s390-ccw-virtio,memory-backend=mem -m 512M \
	-object memory-backend-memfd,id=mem,size=512M \
	-cpu max -smp 2 -accel tcg,thread=multi -nic none \
	-kernel "$work/kernel/boot/vmlinuz-$kver" -initrd "$work/initrd" \
	-append "console=ttysclp0 rdinit=/init panic=-1 loglevel=5" \
	-device "apemu-ap,mdev=$uuid,socket=$mount.sock"
