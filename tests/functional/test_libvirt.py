# Debian's libvirtd (node-device driver only) inside `apemu shell` follows the
# emulated host as it changes, through the uevents apemud delivers there.
#
# Invariant: libvirtd, started once, sees every change without a restart:
# a transient mdev created through it appears at once (no 60 s wait for an
# add event), a defined mdev's Active state follows nodedev-start and
# nodedev-destroy, and AP cards come and go with the hardware events. It
# runs in the shell's namespaces with a tmpfs over /run, a private
# /etc/libvirt, and LIBVIRT_DRIVER_DIR holding the node-device driver alone.
import glob
import os
import shlex
import shutil


from apemutest import APEMU

DRIVERS = glob.glob("/usr/lib/*/libvirt/connection-driver/libvirt_driver_nodedev.so")
DRIVER = DRIVERS[0] if DRIVERS else "libvirt_driver_nodedev.so (not installed)"
T = "33333333-3333-4333-8333-333333333333"  # transient
P = "44444444-4444-4444-8444-444444444444"  # persistent (defined)

SCRIPT = r"""
set -u
W=$1 APEMU=$2
V="virsh -q -c nodedev:///system"
mkdir -p $W/etc $W/drivers
mount -t tmpfs tmpfs /run
mkdir -p /run/udev && : > /run/udev/control   # the shell's, hidden by the tmpfs
mount --bind $W/etc /etc/libvirt
printf 'log_outputs="1:file:%s/libvirtd.log"\nlog_filters="1:nodedev 3:util 3:rpc 3:event"\n' $W \
    > /etc/libvirt/libvirtd.conf
ln -s $DRIVER $W/drivers/
LIBVIRT_DRIVER_DIR=$W/drivers libvirtd --daemon --pid-file /run/libvirtd.pid || exit 1
trap 'kill $(cat /run/libvirtd.pid)' EXIT
for i in $(seq 100); do [ -S /run/libvirt/libvirt-sock ] && break; sleep 0.1; done
# wait (5 s at most) until "$@" succeeds
until_() { for i in $(seq 50); do "$@" >/dev/null 2>&1 && return 0; sleep 0.1; done; return 1; }
active() { $V nodedev-info $1 | grep -q "^Active: *$2$"; }
xml() { printf '<device><parent>ap_matrix</parent><capability type="mdev">
<type id="vfio_ap-passthrough"/><uuid>%s</uuid></capability></device>' $1 > $W/$1.xml; }
node() { echo mdev_$(echo $1 | tr - _)_matrix; }

xml $T; xml $P
echo "== create"; timeout 20 $V nodedev-create $W/$T.xml; echo "rc=$?"
echo "== list"; $V nodedev-list --cap mdev
echo "== info"; $V nodedev-info $(node $T) | grep Active
echo "== destroy transient"; $V nodedev-destroy $(node $T); until_ eval "! $V nodedev-list --cap mdev | grep -q $T"; echo "rc=$?"
echo "== define"; $V nodedev-define $W/$P.xml >/dev/null; until_ active $(node $P) no; echo "rc=$?"
echo "== start"; timeout 20 $V nodedev-start $(node $P) >/dev/null; until_ active $(node $P) yes; echo "rc=$?"
echo "== destroy"; $V nodedev-destroy $(node $P) >/dev/null; until_ active $(node $P) no; echo "rc=$?"
echo "== start again"; timeout 20 $V nodedev-start $(node $P) >/dev/null; until_ active $(node $P) yes; echo "rc=$?"
echo "== cards"; $V nodedev-list --cap ap_card | tr '\n' ' '; echo
$APEMU event --mount $APEMU_MOUNT adapter-add 0x10 CEX8A
echo "== added"; until_ eval "$V nodedev-list --cap ap_card | grep -q ap_card10"; echo "rc=$?"
echo "== queues"; $V nodedev-list --cap ap_queue | grep "^ap_10_" | tr '\n' ' '; echo
$APEMU event --mount $APEMU_MOUNT adapter-remove 0x10
echo "== removed"; until_ eval "! $V nodedev-list --cap ap_card | grep -q ap_card10"; echo "rc=$?"
echo "== pid"; cat /run/libvirtd.pid
"""


def sections(out):
    res, cur = {}, None
    for l in out.splitlines():
        if l.startswith("== "):
            cur = l[3:]
            res[cur] = []
        elif cur is not None and l.strip():
            res[cur].append(l.strip())
    return res


def test_libvirtd_in_shell_follows_the_host(inst, tmp_path):
    assert shutil.which("libvirtd") and os.path.exists(DRIVER), (
        "libvirt-daemon is missing: run scripts/install-deps.sh")
    assert inst.write("/sys/bus/ap/apmask", "-5,-6\n") is None
    w = tmp_path / "lv"
    script = f"DRIVER={DRIVER} T={T} P={P}\n" + SCRIPT
    rc, out, err = inst.sh(f"bash -c {shlex.quote(script)} - {w} {APEMU}")
    s = sections(out)
    log = (w / "libvirtd.log").read_text() if (w / "libvirtd.log").exists() else ""
    msg = f"stdout:\n{out}\nstderr:\n{err}\nlibvirtd.log (tail):\n{log[-3000:]}"
    assert rc == 0, msg
    assert s["create"] == ["rc=0"], msg
    assert f"mdev_{T.replace('-', '_')}_matrix" in s["list"], msg
    assert s["info"] == ["Active:         yes"], msg
    for step in ("destroy transient", "define", "start", "destroy", "start again", "added",
                 "removed"):
        assert s[step][-1] == "rc=0", f"{step}: {s[step]}\n{msg}"
    assert s["cards"][0].split() == ["ap_card05", "ap_card06", "ap_card07", "ap_card08",
                                     "ap_card0b"], msg
    # its four queues came too
    assert s["queues"] == ["ap_10_0004 ap_10_0047 ap_10_00ab ap_10_00ff"], msg
    assert len(s["pid"]) == 1, msg  # one libvirtd all along

