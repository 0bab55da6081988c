# Unmodified mdevctl (Debian's 1.2.0) and udevadm inside `apemu shell`,
# where the emulated tree is /sys and the instance's own directory is
# /etc/mdevctl.d.
#
# Invariant: the tools work on the emulated tree as on a real s390 host:
# mdevctl finds the matrix parent and its type, defines, modifies, starts
# (writing the attributes in order), lists, stops and undefines devices,
# and when an attribute write fails it reports the kernel's error and
# removes the half-made device; udevadm reads the devices' uevent files.
import json
import os
import shutil

import pytest

from apemutest import TYPE_PATH

MATRIX = "/sys/devices/vfio_ap/matrix"
U1 = "11111111-2222-3333-4444-555555555555"
U2 = "22222222-2222-3333-4444-555555555555"
U3 = "33333333-2222-3333-4444-555555555555"


@pytest.fixture(scope="module", autouse=True)
def mdevctl_installed():
    for tool in ("mdevctl", "udevadm"):
        if not shutil.which(tool):
            pytest.fail(f"{tool} is not installed (apt-get install mdevctl systemd)", pytrace=False)


@pytest.fixture
def freed(inst):
    """An instance whose adapters 5, 6 x domains 4, 0x47, 0xab, 0xff are
    free for vfio_ap, as in 11.1."""
    inst.sh_ok("echo -5,-6 > /sys/bus/ap/apmask && echo -4,-0x47,-0xab,-0xff > /sys/bus/ap/aqmask")
    return inst


def define(inst, u, attrs, auto=False):
    inst.sh_ok(
        f"mdevctl define -u {u} -p matrix -t vfio_ap-passthrough" + (" --auto" if auto else "")
    )
    for k, v in attrs:
        inst.sh_ok(f"mdevctl modify -u {u} --addattr={k} --value={v}")


def listing(inst, cmd):
    """The lines of an mdevctl listing (it ends every parent's block with a
    blank line)."""
    return [line for line in inst.sh_ok(cmd).splitlines() if line]


def test_types_lists_the_matrix_parent(inst):
    assert inst.sh_ok("mdevctl types") == (
        "matrix\n"
        "  vfio_ap-passthrough\n"
        "    Available instances: 65536\n"
        "    Device API: vfio-ap\n"
        "    Name: VFIO AP Passthrough Device\n"
        "\n"
    )
    inst.create_mdev(U1)
    inst.create_mdev(U2)
    types = json.loads(inst.sh_ok("mdevctl types --dumpjson"))
    assert types == [
        {
            "matrix": [
                {
                    "vfio_ap-passthrough": {
                        "available_instances": 65534,
                        "device_api": "vfio-ap",
                        "name": "VFIO AP Passthrough Device",
                    }
                }
            ]
        }
    ]


def test_define_modify_start_stop_undefine(freed):
    inst = freed
    define(
        inst,
        U1,
        [("assign_adapter", "5"), ("assign_adapter", "6"), ("assign_domain", "4"),
         ("assign_domain", "0xab"), ("assign_control_domain", "0xab")],
    )
    # the definition lives in the instance's own /etc/mdevctl.d
    with open(os.path.join(inst.mount + ".mdevctl.d", "matrix", U1)) as f:
        saved = json.load(f)
    assert saved["mdev_type"] == "vfio_ap-passthrough" and saved["start"] == "manual"
    assert saved["attrs"][0] == {"assign_adapter": "5"}
    assert inst.sh_ok("mdevctl list -d -v") == (
        f"{U1} matrix vfio_ap-passthrough manual\n"
        "  Attrs:\n"
        '    @{0}: {"assign_adapter":"5"}\n'
        '    @{1}: {"assign_adapter":"6"}\n'
        '    @{2}: {"assign_domain":"4"}\n'
        '    @{3}: {"assign_domain":"0xab"}\n'
        '    @{4}: {"assign_control_domain":"0xab"}\n'
        "\n"
    )
    assert listing(inst, "mdevctl list") == []
    assert not inst.exists(f"{MATRIX}/{U1}")

    inst.sh_ok(f"mdevctl start -u {U1}")
    assert inst.read(f"{MATRIX}/{U1}/matrix") == "05.0004\n05.00ab\n06.0004\n06.00ab\n"
    assert inst.read(f"{MATRIX}/{U1}/control_domains") == "00ab\n"
    assert inst.read(f"{MATRIX}/{U1}/guest_matrix") == "05.0004\n05.00ab\n06.0004\n06.00ab\n"
    assert inst.read("/sys/devices/ap/card05/05.0004/status") == "assigned\n"
    assert listing(inst, "mdevctl list") == [f"{U1} matrix vfio_ap-passthrough manual (defined)"]
    assert inst.read(f"{TYPE_PATH}/available_instances") == "65535\n"

    inst.sh_ok(f"mdevctl stop -u {U1}")
    assert not inst.exists(f"{MATRIX}/{U1}")
    assert not inst.exists(f"/sys/bus/mdev/devices/{U1}")
    assert inst.read("/sys/devices/ap/card05/05.0004/status") == "unassigned\n"
    assert listing(inst, "mdevctl list") == []
    assert listing(inst, "mdevctl list -d") == [f"{U1} matrix vfio_ap-passthrough manual"]

    inst.sh_ok(f"mdevctl undefine -u {U1}")
    assert listing(inst, "mdevctl list -d") == []
    assert not os.path.exists(os.path.join(inst.mount + ".mdevctl.d", "matrix", U1))


def test_start_from_jsonfile(freed):
    inst = freed
    cfg = os.path.join(inst.dir, "dev.json")
    with open(cfg, "w") as f:
        json.dump(
            {
                "mdev_type": "vfio_ap-passthrough",
                "start": "manual",
                "attrs": [{"assign_adapter": "6"}, {"assign_domain": "0x47"}, {"assign_domain": "0xff"}],
            },
            f,
        )
    inst.sh_ok(f"mdevctl start -u {U2} -p matrix --jsonfile {cfg}")
    assert inst.read(f"{MATRIX}/{U2}/matrix") == "06.0047\n06.00ff\n"
    # running, not defined
    assert listing(inst, "mdevctl list") == [f"{U2} matrix vfio_ap-passthrough manual"]
    assert listing(inst, "mdevctl list -d") == []
    listed = json.loads(inst.sh_ok("mdevctl list --dumpjson"))
    assert listed[0]["matrix"][0][U2]["mdev_type"] == "vfio_ap-passthrough"
    inst.sh_ok(f"mdevctl stop -u {U2}")
    assert inst.ls(f"{TYPE_PATH}/devices") == []


@pytest.mark.parametrize(
    "attrs,message",
    [
        ([("assign_adapter", "300")], "No such device (os error 19)"),
        ([("assign_adapter", "5"), ("assign_domain", "0x47")], "Address already in use (os error 98)"),
        ([("assign_adapter", "7"), ("assign_domain", "1")], "Cannot assign requested address (os error 99)"),
        ([("assign_adapter", "five")], "Invalid argument (os error 22)"),
    ],
    ids=["above-limit", "shared", "reserved", "not-a-number"],
)
def test_start_with_a_failing_attribute_removes_the_device(freed, attrs, message):
    inst = freed
    # U1 holds 05.0047, so the "shared" case collides with it
    define(inst, U1, [("assign_adapter", "5"), ("assign_domain", "0x47")])
    inst.sh_ok(f"mdevctl start -u {U1}")
    define(inst, U3, attrs)
    rc, out, err = inst.sh(f"mdevctl start -u {U3}")
    k, v = attrs[-1]
    assert rc != 0
    assert f"Failed to write {v} to attribute {k}" in err, err
    assert message in err, err
    # the half-made device is gone, the other one untouched
    assert not inst.exists(f"{MATRIX}/{U3}")
    assert not inst.exists(f"/sys/bus/mdev/devices/{U3}")
    assert inst.ls(f"{TYPE_PATH}/devices") == [U1]
    assert inst.read(f"{MATRIX}/{U1}/matrix") == "05.0047\n"
    assert inst.read(f"{TYPE_PATH}/available_instances") == "65535\n"
    assert listing(inst, "mdevctl list") == [f"{U1} matrix vfio_ap-passthrough manual (defined)"]


def test_start_parent_mdevs_starts_the_auto_devices(freed):
    inst = freed
    define(inst, U1, [("assign_adapter", "5"), ("assign_domain", "4")], auto=True)
    define(inst, U2, [("assign_adapter", "6"), ("assign_domain", "4")])
    define(inst, U3, [("assign_adapter", "6"), ("assign_domain", "0xff")], auto=True)
    assert listing(inst, "mdevctl list") == []
    inst.sh_ok("mdevctl start-parent-mdevs matrix")
    assert inst.ls(f"{TYPE_PATH}/devices") == [U1, U3]
    assert inst.read(f"{MATRIX}/{U1}/matrix") == "05.0004\n"
    assert inst.read(f"{MATRIX}/{U3}/matrix") == "06.00ff\n"
    assert listing(inst, "mdevctl list -d") == [
        f"{U1} matrix vfio_ap-passthrough auto (active)",
        f"{U2} matrix vfio_ap-passthrough manual",
        f"{U3} matrix vfio_ap-passthrough auto (active)",
    ]


def test_udevadm_info_reads_the_emulated_devices(freed):
    inst = freed
    assert inst.sh_ok("echo $SYSTEMD_DEVICE_VERIFY_SYSFS") == "0\n"
    out = inst.sh_ok("udevadm info /sys/devices/ap/card05")
    lines = out.splitlines()
    for want in (
        "P: /devices/ap/card05",
        "U: ap",
        "T: ap_card",
        "V: cex4card",
        "E: SUBSYSTEM=ap",
        "E: DEVTYPE=ap_card",
        "E: DRIVER=cex4card",
        "E: DEV_TYPE=000B",
        "E: MODALIAS=ap:t0B",
        "E: MODE=cca",
    ):
        assert want in lines, out
    out = inst.sh_ok("udevadm info /sys/bus/ap/devices/06.0047")
    for want in ("P: /devices/ap/card06/06.0047", "V: vfio_ap", "E: DRIVER=vfio_ap", "E: MODE=accel"):
        assert want in out.splitlines(), out
    inst.create_mdev(U1)
    out = inst.sh_ok(f"udevadm info /sys/bus/mdev/devices/{U1}")
    for want in (f"P: /devices/vfio_ap/matrix/{U1}", "E: SUBSYSTEM=mdev", "E: DRIVER=vfio_ap_mdev"):
        assert want in out.splitlines(), out
