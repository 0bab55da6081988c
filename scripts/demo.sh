#!/usr/bin/env bash
# The main job: install what is missing, build apemu, start it on its
# compiled-in default machine and walk through the kernel documentation's
# vfio-ap example with shell commands and mdevctl, run RSA through a guest
# with real crypto, show that a second guest cannot reach the first one's
# queues, then stop it.
set -euo pipefail
cd "$(dirname "$0")/.."

./scripts/install-deps.sh
./scripts/build.sh build

apemu=$PWD/build/src/cli/apemu
mount=${APEMU_DEMO_MOUNT:-/run/apemu/sys}
export LC_ALL=C

step() { printf '\n\033[1m== %s\033[0m\n' "$*"; }
in_tree() { "$apemu" shell --mount "$mount" -- bash -c "$1"; }

cleanup() { "$apemu" stop --mount "$mount" >/dev/null 2>&1 || true; }
trap cleanup EXIT

step "apemu start (default machine)"
"$apemu" start --mount "$mount"
"$apemu" status --mount "$mount"

step "The AP bus as lszcrypt's sources read it"
in_tree 'cd /sys/bus/ap; for f in ap_max_adapter_id ap_max_domain_id ap_domain features apmask aqmask bindings; do printf "%-18s %s\n" $f "$(cat $f)"; done
ls /sys/bus/ap/devices | tr "\n" " "; echo
for c in 05 06; do echo "card$c: $(cat /sys/devices/ap/card$c/type) hwtype $(cat /sys/devices/ap/card$c/hwtype) functions $(cat /sys/devices/ap/card$c/ap_functions)"; done'

step "Give adapters 5, 6 and domains 4, 0x47, 0xab, 0xff to vfio_ap"
in_tree 'set -x; echo -5,-6 > /sys/bus/ap/apmask; echo -4,-0x47,-0xab,-0xff > /sys/bus/ap/aqmask; set +x
ls /sys/bus/ap/drivers/vfio_ap | grep "^0[56]\." | tr "\n" " "; echo'

step "Three mediated devices, configured as in the kernel documentation"
in_tree 'set -e
T=/sys/devices/vfio_ap/matrix/mdev_supported_types/vfio_ap-passthrough
echo "available_instances: $(cat $T/available_instances)"
u1=11111111-1111-4111-8111-111111111111 u2=22222222-2222-4222-8222-222222222222 u3=33333333-3333-4333-8333-333333333333
for u in $u1 $u2 $u3; do echo $u > $T/create; done
echo "available_instances: $(cat $T/available_instances)"
cd /sys/devices/vfio_ap/matrix
echo 5 > $u1/assign_adapter; echo 6 > $u1/assign_adapter; echo 4 > $u1/assign_domain; echo 0xab > $u1/assign_domain
echo 5 > $u2/assign_adapter; echo 0x47 > $u2/assign_domain; echo 0xff > $u2/assign_domain
echo 6 > $u3/assign_adapter; echo 0x47 > $u3/assign_domain; echo 0xff > $u3/assign_domain
for u in $u1 $u2 $u3; do echo "$u matrix:"; sed "s/^/    /" $u/matrix; done
set +e
echo "+ echo 0x47 > $u1/assign_domain   (05.0047 belongs to the second mdev)"
echo 0x47 > $u1/assign_domain
echo "+ echo 0x100 > $u1/assign_adapter (above ap_max_adapter_id)"
echo 0x100 > $u1/assign_adapter
true'
"$apemu" status --mount "$mount"
"$apemu" dmesg --mount "$mount" | tail -3

step "A guest opens the first mdev: its CRYCB, its AP instructions, and nothing outside its matrix"
"$apemu" guest --mount "$mount" --mdev 11111111-1111-4111-8111-111111111111 <<'GUEST'
qci
tapq 05.0004 t
tapq 06.00ab
tapq 05.0047
nqap 06.0004 00500010000000000000000000000000 0x4711
poll 06.0004
GUEST
echo "(05.0047 belongs to the second mdev: rc 1, as if it did not exist;"
echo " the bare type 50 header got the accelerator's error reply 0x82, operand invalid)"

step "RSA through the guest: the CEX5A adapter computes, every result is checked against OpenSSL"
"$apemu" rsa --mount "$mount" --mdev 11111111-1111-4111-8111-111111111111 --bits 2048 --count 3000

step "Two guests at once: the third mdev's guest runs RSA on 06.0047 and cannot reach 06.0004"
"$apemu" rsa --mount "$mount" --mdev 11111111-1111-4111-8111-111111111111 --seconds 3 --quiet &
first=$!
"$apemu" rsa --mount "$mount" --mdev 33333333-3333-4333-8333-333333333333 --seconds 3 --quiet
"$apemu" guest --mount "$mount" --mdev 33333333-3333-4333-8333-333333333333 <<'GUEST'
tapq 06.0004
nqap 06.0004 00500010000000000000000000000000 0x1
dqap 06.0004
tapq 06.0047
GUEST
wait "$first"
echo "(06.0004 is the first guest's: rc 1 for the second guest, whatever it tries)"

step "mdevctl (unmodified) sees and manages the same devices"
in_tree 'mdevctl types; mdevctl list
u4=44444444-4444-4444-8444-444444444444
mdevctl define -u $u4 -p matrix -t vfio_ap-passthrough
mdevctl modify -u $u4 --addattr=assign_control_domain --value=4
mdevctl start -u $u4 && mdevctl list && mdevctl stop -u $u4 && mdevctl undefine -u $u4'

step "Remove the mdevs and give the queues back to the host"
in_tree 'for u in /sys/bus/mdev/devices/*; do echo 1 > $u/remove; done
echo +5,+6 > /sys/bus/ap/apmask; echo +4,+0x47,+0xab,+0xff > /sys/bus/ap/aqmask
echo "bindings: $(cat /sys/bus/ap/bindings)"; ls /sys/bus/ap/drivers/vfio_ap | grep -c "\." || true'

step "apemu stop"
trap - EXIT
"$apemu" stop --mount "$mount"
