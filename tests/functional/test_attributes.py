# Every attribute of the emulated sysfs tree, read and written from the
# host side of the mount as tools do it (open, one write, read back).
#
# Invariant: each file exists where the kernel has it, reads in the
# kernel's exact format (facts 2.2, 2.4, 2.5, 3.2-3.5, 3.9) with the values
# of the machine description, stores accept what the kernel accepts and
# refuse the rest with the kernel's errno, a read right after a write shows
# it, and sizes, modes, permissions and link targets are kernfs's.
import errno
import os
import re
import shutil
import stat
import warnings

import pytest

from apemutest import (
    MODE_OF,
    TYPE_PATH,
    Instances,
    adapters_of,
    default_machine,
    hwtype_of,
    id_list,
    mask_hex,
    sanitizer_report,
)

ALL = set(range(256))
BUS = "/sys/bus/ap"
MATRIX = "/sys/devices/vfio_ap/matrix"
UUID_A = "aaaaaaaa-1111-2222-3333-444444444444"
UUID_B = "bbbbbbbb-1111-2222-3333-444444444444"


@pytest.fixture(scope="module")
def dm():
    """The built-in machine description, from apemud --print-default."""
    m = default_machine()
    ads = adapters_of(m)
    # what the tests below build on: the documentation's adapters 5 and 6
    assert ads.get(5) == "CEX5C" and ads.get(6) == "CEX5A", m
    assert {4, 0x47} <= set(id_list(m["usage_domains"])), m
    return m


def qname(a, d):
    return "%02x.%04x" % (a, d)


def free(inst, adapters=(5, 6), domains=(4, 0x47, 0xAB, 0xFF)):
    """Give APQNs to vfio_ap as 11.1 does (relative writes; none if empty)."""
    if adapters:
        assert inst.write(f"{BUS}/apmask", ",".join(f"-{a}" for a in adapters) + "\n") is None
    if domains:
        assert inst.write(f"{BUS}/aqmask", ",".join(f"-{d}" for d in domains) + "\n") is None


# ---------------------------------------------------------------------------
# reading: bus


def test_bus_attributes_read_in_the_kernel_format(inst, dm):
    ads = adapters_of(dm)
    usage = id_list(dm["usage_domains"])
    control = id_list(dm["control_domains"])
    nq = len(ads) * len(usage)
    want = {
        "ap_domain": f"{dm['default_domain']}\n",
        "ap_max_domain_id": f"{dm['max_domain_id']}\n",
        "ap_max_adapter_id": f"{dm['max_adapter_id']}\n",
        "ap_interrupts": "1\n" if dm["aqic"] else "0\n",
        "ap_adapter_mask": mask_hex(ads) + "\n",
        "ap_usage_domain_mask": mask_hex(usage) + "\n",
        "ap_control_domain_mask": mask_hex(control) + "\n",
        "apmask": "0x" + "f" * 64 + "\n",
        "aqmask": "0x" + "f" * 64 + "\n",
        "config_time": "30\n",
        "poll_thread": "0\n",
        "poll_timeout": "250000\n",
        "bindings": f"{nq}/{nq} (complete)\n",
        "features": "APSC APXA QACT RC8A\n",
        "drivers_autoprobe": "1\n",
    }
    got = {k: inst.read(f"{BUS}/{k}") for k in want}
    assert got == want
    assert re.fullmatch(r"[1-9][0-9]*\n", inst.read(f"{BUS}/scans"))
    assert inst.ls(BUS) == sorted(
        list(want) + ["scans", "devices", "drivers", "drivers_probe", "uevent"]
    )
    assert inst.ls(f"{BUS}/drivers") == ["cex4card", "cex4queue", "vfio_ap"]
    devs = [f"card{a:02x}" for a in ads] + [qname(a, d) for a in ads for d in usage]
    assert inst.ls(f"{BUS}/devices") == sorted(devs)


def test_bus_attributes_without_qci(apemu):
    """No QCI: no APXA, the architecture's limits, masks "not supported"."""
    inst = apemu.start({"qci": False, "adapters": [{"id": 5, "type": "CEX5C"}]})
    assert inst.read(f"{BUS}/ap_usage_domain_mask") == "not supported\n"
    assert inst.read(f"{BUS}/ap_control_domain_mask") == "not supported\n"
    assert inst.read(f"{BUS}/ap_adapter_mask") == "not supported\n"
    assert inst.read(f"{BUS}/features") == "-\n"
    assert inst.read(f"{BUS}/ap_max_domain_id") == "15\n"
    assert inst.read(f"{BUS}/ap_max_adapter_id") == "63\n"
    # of the default domains only 4 is within 15
    assert inst.read(f"{BUS}/bindings") == "1/1 (complete)\n"
    assert inst.ls("/sys/devices/ap/card05") == sorted(
        CARD_FILES + ["serialnr", "05.0004"]
    )


# ---------------------------------------------------------------------------
# reading: cards and queues

CARD_FILES = [
    "ap_functions", "chkstop", "config", "depth", "driver", "hwtype", "load",
    "max_msg_size", "modalias", "online", "pendingq_count", "power",
    "raw_hwtype", "request_count", "requestq_count", "subsystem", "type", "uevent",
]
QUEUE_FILES = [
    "ap_functions", "chkstop", "config", "interrupt", "pendingq_count", "power",
    "request_count", "requestq_count", "reset", "subsystem", "uevent",
]
EP11_CARD_FILES = ["API_ordinalnr", "FW_version", "op_modes"]
MODE_BIT = {"C": 0x10000000, "A": 0x08000000, "P": 0x04000000}
APXA_BIT = 0x02000000


def check_functions(text, type_name, apxa=True):
    assert re.fullmatch(r"0x[0-9A-F]{8}\n", text), text
    v = int(text, 16)
    assert v & 0x1C000000 == MODE_BIT[type_name[-1]], (type_name, text)
    assert bool(v & APXA_BIT) == apxa, (type_name, text)


def test_card_attributes_read_in_the_kernel_format(inst, dm):
    usage = id_list(dm["usage_domains"])
    for a, t in adapters_of(dm).items():
        card = f"/sys/devices/ap/card{a:02x}"
        hw = hwtype_of(t)
        mode = MODE_OF[t[-1]]
        want = {
            "hwtype": f"{hw}\n",
            "raw_hwtype": f"{hw}\n",
            "type": f"{t}\n",
            "modalias": "ap:t%02X\n" % hw,
            "depth": "7\n",
            "online": "1\n",
            "config": "1\n",
            "chkstop": "0\n",
            "max_msg_size": "12288\n",
            "request_count": "0\n",
            "requestq_count": "0\n",
            "pendingq_count": "0\n",
            "load": "0\n",
            "uevent": "DEVTYPE=ap_card\nDRIVER=cex4card\n"
            f"DEV_TYPE={hw:04X}\nMODALIAS=ap:t{hw:02X}\nMODE={mode}\n",
        }
        assert {k: inst.read(f"{card}/{k}") for k in want} == want, card
        check_functions(inst.read(f"{card}/ap_functions"), t)
        # zcrypt_cex4.c: serialnr for CCA and EP11, the EP11 card info for EP11
        extra = {"accel": [], "cca": ["serialnr"]}.get(mode, ["serialnr"] + EP11_CARD_FILES)
        assert inst.ls(card) == sorted(CARD_FILES + extra + [qname(a, d) for d in usage])


def test_card_attributes_follow_the_machine_description(apemu):
    inst = apemu.start(
        {
            "apxa": False,
            "usage_domains": "2",
            "adapters": [
                {"id": "0x0c", "type": "CEX7C", "depth": 3, "max_msg_size": 24576, "serial": "SER-7.1"},
                {"id": 13, "type": "CEX6P", "serial": "EP11SER"},
                {"id": 14, "type": "CEX4A", "depth": 0},
            ],
        }
    )
    c = "/sys/devices/ap/card0c"
    assert [inst.read(f"{c}/{f}") for f in ("depth", "max_msg_size", "serialnr", "hwtype", "type")] == [
        "3\n", "24576\n", "SER-7.1\n", "13\n", "CEX7C\n"
    ]
    check_functions(inst.read(f"{c}/ap_functions"), "CEX7C", apxa=False)
    ep11 = inst.read("/sys/devices/ap/card0d/serialnr")
    assert len(ep11) == 17 and ep11.strip() == "EP11SER", repr(ep11)
    assert inst.read("/sys/devices/ap/card0d/modalias") == "ap:t0C\n"
    assert inst.read("/sys/devices/ap/card0e/depth") == "0\n"
    assert inst.read("/sys/devices/ap/card0e/hwtype") == "10\n"
    assert not inst.exists("/sys/devices/ap/card0e/serialnr")
    assert inst.read(f"{BUS}/ap_max_domain_id") == "15\n"
    assert inst.ls("/sys/devices/ap/card0c")[:1] == ["0c.0002"]


def test_queue_attributes_on_each_driver(inst, dm):
    ads = adapters_of(dm)
    q = "/sys/devices/ap/card05/05.0004"
    card_functions = inst.read("/sys/devices/ap/card05/ap_functions")
    # bound to cex4queue: zcrypt's online and load
    want = {
        "online": "1\n",
        "load": "0\n",
        "interrupt": "Interrupts disabled.\n",
        "reset": "No Reset Timer set.\n",
        "request_count": "0\n",
        "requestq_count": "0\n",
        "pendingq_count": "0\n",
        "config": "1\n",
        "chkstop": "0\n",
        "ap_functions": card_functions,
        "uevent": "DEVTYPE=ap_queue\nDRIVER=cex4queue\nMODE=cca\n",
    }
    assert {k: inst.read(f"{q}/{k}") for k in want} == want
    # a CCA queue: zcrypt_cex4.c's mkvps too
    assert inst.ls(q) == sorted(QUEUE_FILES + ["driver", "load", "online", "mkvps"])
    assert inst.read("/sys/devices/ap/card06/06.0047/uevent") == (
        "DEVTYPE=ap_queue\nDRIVER=cex4queue\nMODE=accel\n"
    )

    # bound to vfio_ap: vfio_ap's status instead
    free(inst)
    assert inst.ls(q) == sorted(QUEUE_FILES + ["driver", "status"])
    assert inst.read(f"{q}/status") == "unassigned\n"
    assert inst.read(f"{q}/uevent") == "DEVTYPE=ap_queue\nDRIVER=vfio_ap\nMODE=cca\n"
    assert inst.read(f"{q}/request_count") == "0\n"
    inst.create_mdev(UUID_A)
    assert inst.write(inst.mdev(UUID_A, "assign_adapter"), "5\n") is None
    assert inst.read(f"{q}/status") == "unassigned\n"
    assert inst.write(inst.mdev(UUID_A, "assign_domain"), "4\n") is None
    assert inst.read(f"{q}/status") == "assigned\n"
    assert inst.read("/sys/devices/ap/card05/05.0047/status") == "unassigned\n"

    # bound to nothing: no driver files, request_count "-"
    assert inst.write(f"{BUS}/drivers/vfio_ap/unbind", "05.0047\n") is None
    q2 = "/sys/devices/ap/card05/05.0047"
    assert inst.ls(q2) == sorted(QUEUE_FILES)
    assert inst.read(f"{q2}/request_count") == "-\n"
    assert inst.read(f"{q2}/uevent") == "DEVTYPE=ap_queue\nMODE=cca\n"
    nq = len(ads) * len(id_list(dm["usage_domains"]))
    assert inst.read(f"{BUS}/bindings") == f"{nq - 1}/{nq}\n"


# ---------------------------------------------------------------------------
# reading: the vfio_ap side

MDEV_FILES = [
    "ap_config", "assign_adapter", "assign_control_domain", "assign_domain",
    "control_domains", "driver", "guest_matrix", "iommu_group", "matrix",
    "mdev_type", "power", "remove", "subsystem", "uevent", "unassign_adapter",
    "unassign_control_domain", "unassign_domain",
]
ZERO_CONFIG = ",".join([mask_hex([])] * 3) + "\n"


def test_matrix_type_and_new_mdev_attributes(inst):
    assert inst.ls(MATRIX) == [
        "driver", "features", "mdev_supported_types", "power", "subsystem", "uevent"
    ]
    assert inst.read(f"{MATRIX}/features") == "guest_matrix hotplug ap_config\n"
    assert inst.read(f"{MATRIX}/uevent") == "DRIVER=vfio_ap\n"
    assert inst.read("/sys/devices/vfio_ap/uevent") == ""
    assert inst.ls(f"{MATRIX}/mdev_supported_types") == ["vfio_ap-passthrough"]
    assert inst.ls(TYPE_PATH) == [
        "available_instances", "create", "device_api", "devices", "name"
    ]
    assert inst.read(f"{TYPE_PATH}/name") == "VFIO AP Passthrough Device\n"
    assert inst.read(f"{TYPE_PATH}/device_api") == "vfio-ap\n"
    assert inst.read(f"{TYPE_PATH}/available_instances") == "65536\n"
    assert inst.ls(f"{TYPE_PATH}/devices") == []

    inst.create_mdev(UUID_A)
    assert inst.read(f"{TYPE_PATH}/available_instances") == "65535\n"
    assert inst.ls(f"{TYPE_PATH}/devices") == [UUID_A]
    assert inst.ls(f"{MATRIX}/{UUID_A}") == MDEV_FILES
    for f in ("matrix", "guest_matrix", "control_domains"):
        assert inst.read(inst.mdev(UUID_A, f)) == "", f
    assert inst.read(inst.mdev(UUID_A, "ap_config")) == ZERO_CONFIG
    assert inst.read(inst.mdev(UUID_A, "uevent")) == "DRIVER=vfio_ap_mdev\n"
    assert inst.ls("/sys/bus/mdev/devices") == [UUID_A]
    assert inst.ls("/sys/bus/mdev/drivers/vfio_ap_mdev") == sorted(
        ["bind", "uevent", "unbind", UUID_A]
    )


def test_mdev_matrix_formats(inst):
    """APQN lines, adapter-only and domain-only lines, control domains,
    ap_config, and the guest matrix's filtering of what the host lacks."""
    free(inst, adapters=(5, 6, 0x20), domains=(4, 0xAB))
    a, b = inst.create_mdev(UUID_A), inst.create_mdev(UUID_B)
    w = lambda u, f, v: inst.write(inst.mdev(u, f), v)  # noqa: E731
    assert w(a, "assign_adapter", "6") is None
    assert w(a, "assign_adapter", "5") is None
    assert inst.read(inst.mdev(a, "matrix")) == "05.\n06.\n"
    assert w(b, "assign_domain", "0xab") is None
    assert w(b, "assign_domain", "4") is None
    assert inst.read(inst.mdev(b, "matrix")) == ".0004\n.00ab\n"
    assert w(a, "assign_domain", "0xab") is None
    # over-provisioning: adapter 0x20 is not in the machine
    assert w(a, "assign_adapter", "0x20") is None
    assert inst.read(inst.mdev(a, "matrix")) == "05.00ab\n06.00ab\n20.00ab\n"
    assert inst.read(inst.mdev(a, "guest_matrix")) == "05.00ab\n06.00ab\n"
    for d in ("0xff", "4", "0x10"):
        assert w(a, "assign_control_domain", d) is None
    assert inst.read(inst.mdev(a, "control_domains")) == "0004\n0010\n00ff\n"
    assert inst.read(inst.mdev(a, "ap_config")) == (
        f"{mask_hex([5, 6, 0x20])},{mask_hex([0xAB])},{mask_hex([4, 0x10, 0xFF])}\n"
    )
    assert w(a, "unassign_adapter", "6") is None
    assert w(a, "unassign_control_domain", "0x10") is None
    assert inst.read(inst.mdev(a, "matrix")) == "05.00ab\n20.00ab\n"
    assert inst.read(inst.mdev(a, "control_domains")) == "0004\n00ff\n"
    assert w(b, "unassign_domain", "0xab") is None
    assert inst.read(inst.mdev(b, "matrix")) == ".0004\n"


# ---------------------------------------------------------------------------
# stores: success, errno, and reading back


def case(name, path, value, err=None, read=None, setup=()):
    """One store: after the setup writes, write value to path; it fails
    with err (None: succeeds); then path (or read[0]) reads read[1]."""
    return pytest.param(path, value, err, read, setup, id=name)


F = "0x" + "f" * 64
Q = "/sys/devices/ap/card05/05.0004"
C = "/sys/devices/ap/card05"
U = f"{MATRIX}/{UUID_A}"
CREATE = f"{TYPE_PATH}/create"
FREE = ((f"{BUS}/apmask", "-5,-6"), (f"{BUS}/aqmask", "-4,-0x47,-0xab,-0xff"))

STORES = [
    # bus attributes
    case("ap_domain-hex", f"{BUS}/ap_domain", "0x47\n", None, (None, "71\n")),
    case("ap_domain-octal", f"{BUS}/ap_domain", "010", None, (None, "8\n")),
    case("ap_domain-above-max", f"{BUS}/ap_domain", "256\n", errno.EINVAL, (None, "4\n")),
    case("ap_domain-garbage", f"{BUS}/ap_domain", "four\n", errno.EINVAL),
    case("ap_domain-not-in-aqmask", f"{BUS}/ap_domain", "9\n", errno.EINVAL, (None, "4\n"),
         setup=((f"{BUS}/aqmask", "-9"),)),
    case("config_time", f"{BUS}/config_time", "60\n", None, (None, "60\n")),
    case("config_time-low", f"{BUS}/config_time", "4\n", errno.EINVAL, (None, "30\n")),
    case("config_time-high", f"{BUS}/config_time", "121", errno.EINVAL),
    # sscanf("%d\n"): leading blanks and trailing text pass, a sign "+" or "0x" does not
    case("config_time-trailing-text", f"{BUS}/config_time", "60abc", None, (None, "60\n")),
    case("config_time-leading-blank", f"{BUS}/config_time", " 70\n", None, (None, "70\n")),
    case("config_time-plus", f"{BUS}/config_time", "+80\n", errno.EINVAL, (None, "30\n")),
    case("config_time-hex", f"{BUS}/config_time", "0x10\n", errno.EINVAL, (None, "30\n")),
    case("ap_domain-trailing-text", f"{BUS}/ap_domain", "0x47 junk", None, (None, "71\n")),
    case("card-online-trailing-text", f"{C}/online", "0 1\n", None, (None, "0\n")),
    case("poll_thread-1", f"{BUS}/poll_thread", "1\n", None, (None, "1\n")),
    case("poll_thread-on", f"{BUS}/poll_thread", "on\n", None, (None, "1\n")),
    case("poll_thread-n", f"{BUS}/poll_thread", "n", None, (None, "0\n"),
         setup=((f"{BUS}/poll_thread", "y"),)),
    case("poll_thread-bad", f"{BUS}/poll_thread", "maybe\n", errno.EINVAL, (None, "0\n")),
    case("poll_timeout", f"{BUS}/poll_timeout", "1000\n", None, (None, "1000\n")),
    case("poll_timeout-zero", f"{BUS}/poll_timeout", "0\n", None, (None, "0\n")),
    case("poll_timeout-max", f"{BUS}/poll_timeout", "120000000000", None, (None, "120000000000\n")),
    case("poll_timeout-above", f"{BUS}/poll_timeout", "120000000001\n", errno.EINVAL, (None, "250000\n")),
    case("poll_timeout-overflow", f"{BUS}/poll_timeout", "99999999999999999999999\n", errno.ERANGE),
    case("poll_timeout-negative", f"{BUS}/poll_timeout", "-5\n", errno.EINVAL),
    case("apmask-absolute", f"{BUS}/apmask", "0x7d\n", None, (None, mask_hex([1, 2, 3, 4, 5, 7]) + "\n")),
    case("apmask-left-aligned", f"{BUS}/apmask", "0x41", None, (None, mask_hex([1, 7]) + "\n")),
    case("apmask-bare-x", f"{BUS}/apmask", "x8\n", None, (None, mask_hex([0]) + "\n")),
    case("apmask-empty-line", f"{BUS}/apmask", "\n", None, (None, mask_hex([]) + "\n")),
    case("apmask-relative", f"{BUS}/apmask", "+0,-6,+0x47,-0xf0\n", None,
         (None, mask_hex([0, 8, 0x47]) + "\n"), setup=((f"{BUS}/apmask", "0x0080"),)),
    case("apmask-range", f"{BUS}/apmask", "+0x10-0x1f", None, (None, mask_hex(range(16, 32)) + "\n"),
         setup=((f"{BUS}/apmask", "\n"),)),
    case("apmask-element-without-sign", f"{BUS}/apmask", "+5,6\n", errno.EINVAL,
         (None, mask_hex(ALL - {5}) + "\n"),
         setup=((f"{BUS}/apmask", "-5"),)),
    case("apmask-256", f"{BUS}/apmask", "+256\n", errno.EINVAL),
    case("apmask-reversed-range", f"{BUS}/apmask", "-5-3\n", errno.EINVAL, (None, F + "\n")),
    case("apmask-65-digits", f"{BUS}/apmask", F + "f\n", errno.EINVAL),
    case("apmask-trailing-space", f"{BUS}/apmask", "0x7d \n", errno.EINVAL, (None, F + "\n")),
    case("aqmask-relative", f"{BUS}/aqmask", "-0x47\n", None, (None, mask_hex(ALL - {0x47}) + "\n")),
    case("aqmask-garbage", f"{BUS}/aqmask", "0xfg\n", errno.EINVAL, (None, F + "\n")),
    case("bus-uevent", f"{BUS}/uevent", "add\n", None),
    case("bus-uevent-bad", f"{BUS}/uevent", "explode\n", errno.EINVAL),
    # driver files
    case("unbind", f"{BUS}/drivers/cex4queue/unbind", "05.0004\n", None, (f"{Q}/request_count", "-\n")),
    case("unbind-not-bound-here", f"{BUS}/drivers/vfio_ap/unbind", "05.0004\n", errno.ENODEV),
    case("unbind-twice", f"{BUS}/drivers/cex4queue/unbind", "05.0004", errno.ENODEV,
         setup=((f"{BUS}/drivers/cex4queue/unbind", "05.0004"),)),
    case("bind", f"{BUS}/drivers/cex4queue/bind", "05.0004\n", None, (f"{Q}/online", "1\n"),
         setup=((f"{BUS}/drivers/cex4queue/unbind", "05.0004"),)),
    case("bind-bound", f"{BUS}/drivers/cex4queue/bind", "05.0004\n", errno.EBUSY),
    case("bind-reserved-to-vfio_ap", f"{BUS}/drivers/vfio_ap/bind", "05.0004\n", errno.ENODEV,
         (f"{Q}/request_count", "-\n"), setup=((f"{BUS}/drivers/cex4queue/unbind", "05.0004"),)),
    case("bind-free-to-cex4queue", f"{BUS}/drivers/cex4queue/bind", "05.0004\n", errno.ENODEV,
         (f"{Q}/request_count", "-\n"),
         setup=FREE + ((f"{BUS}/drivers/vfio_ap/unbind", "05.0004"),)),
    case("bind-card-to-vfio_ap", f"{BUS}/drivers/vfio_ap/bind", "card05\n", errno.ENODEV),
    case("bind-unknown", f"{BUS}/drivers/cex4queue/bind", "09.0004\n", errno.ENODEV),
    case("unbind-card", f"{BUS}/drivers/cex4card/unbind", "card05\n", None, (f"{C}/uevent",
         "DEVTYPE=ap_card\nDEV_TYPE=000B\nMODALIAS=ap:t0B\nMODE=cca\n")),
    # card attributes
    case("card-config-off", f"{C}/config", "0\n", None, (f"{C}/online", "0\n")),
    case("card-config-on", f"{C}/config", "1", None, (None, "1\n"), setup=((f"{C}/config", "0"),)),
    case("card-config-2", f"{C}/config", "2\n", errno.EINVAL, (None, "1\n")),
    case("card-online-off", f"{C}/online", "0\n", None, (f"{Q}/online", "0\n")),
    case("card-online-deconfigured", f"{C}/online", "1\n", errno.ENODEV, (None, "0\n"),
         setup=((f"{C}/config", "0"),)),
    case("card-online-bad", f"{C}/online", "yes\n", errno.EINVAL, (None, "1\n")),
    case("card-request_count", f"{C}/request_count", "0\n", None, (None, "0\n")),
    # queue attributes
    case("queue-online-off", f"{Q}/online", "0\n", None, (None, "0\n")),
    case("queue-online-card-offline", f"{Q}/online", "1\n", errno.EINVAL, (None, "0\n"),
         setup=((f"{C}/online", "0"),)),
    case("queue-reset", f"{Q}/reset", "1\n", None, (None, "No Reset Timer set.\n")),
    case("queue-request_count", f"{Q}/request_count", "0\n", None, (None, "0\n")),
    case("queue-uevent", f"{Q}/uevent", f"change {UUID_B} A=1\n", None),
    # mdev type
    case("create-36", CREATE, UUID_A, None, (f"{TYPE_PATH}/available_instances", "65535\n")),
    case("create-37", CREATE, UUID_A + "\n", None, (f"{U}/matrix", "")),
    case("create-upper-case", CREATE, UUID_A.upper(), None, (f"{U}/matrix", "")),
    case("create-38", CREATE, UUID_A + "\n\n", errno.EINVAL, (f"{TYPE_PATH}/available_instances", "65536\n")),
    case("create-35", CREATE, UUID_A[:-1], errno.EINVAL),
    case("create-not-hex", CREATE, UUID_A[:-1] + "g", errno.EINVAL),
    case("create-no-dashes", CREATE, UUID_A.replace("-", "") + "abcd", errno.EINVAL),
    case("create-duplicate", CREATE, UUID_A + "\n", errno.EEXIST, (f"{TYPE_PATH}/available_instances", "65535\n"),
         setup=((CREATE, UUID_A),)),
    case("create-duplicate-upper", CREATE, UUID_A.upper() + "\n", errno.EEXIST, setup=((CREATE, UUID_A),)),
    # mdev attributes (UUID_A exists; FREE gave 5, 6 x 4, 0x47, 0xab, 0xff to vfio_ap)
    case("assign_adapter", f"{U}/assign_adapter", "5", None, (f"{U}/matrix", "05.\n"),
         setup=((CREATE, UUID_A),)),
    case("assign_adapter-plus", f"{U}/assign_adapter", "+6\n", None, (f"{U}/matrix", "06.\n"),
         setup=((CREATE, UUID_A),)),
    case("assign_adapter-octal", f"{U}/assign_adapter", "010\n", None, (f"{U}/matrix", "08.\n"),
         setup=((CREATE, UUID_A),)),
    case("assign_adapter-max", f"{U}/assign_adapter", "0xff\n", None, (f"{U}/matrix", "ff.\n"),
         setup=((CREATE, UUID_A),)),
    case("assign_adapter-above-max", f"{U}/assign_adapter", "256\n", errno.ENODEV, (f"{U}/matrix", ""),
         setup=((CREATE, UUID_A),)),
    case("assign_adapter-overflow", f"{U}/assign_adapter", "99999999999999999999999\n", errno.ERANGE,
         setup=((CREATE, UUID_A),)),
    case("assign_adapter-two-newlines", f"{U}/assign_adapter", "5\n\n", errno.EINVAL, (f"{U}/matrix", ""),
         setup=((CREATE, UUID_A),)),
    case("assign_adapter-leading-space", f"{U}/assign_adapter", " 5\n", errno.EINVAL, setup=((CREATE, UUID_A),)),
    case("assign_adapter-negative", f"{U}/assign_adapter", "-1\n", errno.EINVAL, setup=((CREATE, UUID_A),)),
    case("assign_adapter-list", f"{U}/assign_adapter", "5,6\n", errno.EINVAL, setup=((CREATE, UUID_A),)),
    case("assign_adapter-word", f"{U}/assign_adapter", "five\n", errno.EINVAL, setup=((CREATE, UUID_A),)),
    case("assign_domain-reserved", f"{U}/assign_domain", "4\n", errno.EADDRNOTAVAIL, (f"{U}/matrix", "05.\n"),
         setup=((CREATE, UUID_A), (f"{U}/assign_adapter", "5"))),
    case("assign_domain-free", f"{U}/assign_domain", "4\n", None, (f"{U}/matrix", "05.0004\n"),
         setup=FREE + ((CREATE, UUID_A), (f"{U}/assign_adapter", "5"))),
    # (7, 1) is still the host's: both mask bits are set
    case("assign_domain-reserved-after-free", f"{U}/assign_domain", "1\n", errno.EADDRNOTAVAIL,
         (f"{U}/matrix", "07.\n"), setup=FREE + ((CREATE, UUID_A), (f"{U}/assign_adapter", "7"))),
    # (7, 4) is not: domain 4 is free
    case("assign_domain-free-domain", f"{U}/assign_domain", "4\n", None,
         (f"{U}/matrix", "07.0004\n"), setup=FREE + ((CREATE, UUID_A), (f"{U}/assign_adapter", "7"))),
    case("assign_domain-shared", f"{U}/assign_domain", "0x47\n", errno.EADDRINUSE, (f"{U}/matrix", "05.\n"),
         setup=FREE + ((CREATE, UUID_B), (f"{MATRIX}/{UUID_B}/assign_adapter", "5"),
                       (f"{MATRIX}/{UUID_B}/assign_domain", "0x47"),
                       (CREATE, UUID_A), (f"{U}/assign_adapter", "5"))),
    case("assign_adapter-shared", f"{U}/assign_adapter", "5\n", errno.EADDRINUSE, (f"{U}/matrix", ".0047\n"),
         setup=FREE + ((CREATE, UUID_B), (f"{MATRIX}/{UUID_B}/assign_adapter", "5"),
                       (f"{MATRIX}/{UUID_B}/assign_domain", "0x47"),
                       (CREATE, UUID_A), (f"{U}/assign_domain", "0x47"))),
    case("assign_domain-above-max", f"{U}/assign_domain", "0x100\n", errno.ENODEV, setup=((CREATE, UUID_A),)),
    case("assign_control_domain-any", f"{U}/assign_control_domain", "0x10\n", None,
         (f"{U}/control_domains", "0010\n"), setup=((CREATE, UUID_A),)),
    case("assign_control_domain-above-max", f"{U}/assign_control_domain", "256\n", errno.ENODEV,
         setup=((CREATE, UUID_A),)),
    case("unassign_adapter-not-assigned", f"{U}/unassign_adapter", "9\n", None, (f"{U}/matrix", ""),
         setup=((CREATE, UUID_A),)),
    case("unassign_adapter", f"{U}/unassign_adapter", "5\n", None, (f"{U}/matrix", "06.\n"),
         setup=((CREATE, UUID_A), (f"{U}/assign_adapter", "5"), (f"{U}/assign_adapter", "6"))),
    case("unassign_adapter-above-max", f"{U}/unassign_adapter", "256\n", errno.ENODEV, setup=((CREATE, UUID_A),)),
    case("unassign_domain-bad", f"{U}/unassign_domain", "x\n", errno.EINVAL, setup=((CREATE, UUID_A),)),
    case("unassign_control_domain-overflow", f"{U}/unassign_control_domain", "1" * 25 + "\n", errno.ERANGE,
         setup=((CREATE, UUID_A),)),
    case("ap_config", f"{U}/ap_config", f"{mask_hex([5, 6])},{mask_hex([4])},{mask_hex([1])}\n", None,
         (f"{U}/matrix", "05.0004\n06.0004\n"), setup=FREE + ((CREATE, UUID_A),)),
    case("ap_config-short-masks", f"{U}/ap_config", "0x06,0x08,\n", None,
         (f"{U}/ap_config", f"{mask_hex([5, 6])},{mask_hex([4])},{mask_hex([])}\n"), setup=FREE + ((CREATE, UUID_A),)),
    # strsep(",\n") finds three tokens in "A,B\n" (the last one empty), two in "A,B"
    case("ap_config-two-masks", f"{U}/ap_config", f"{mask_hex([5])},{mask_hex([4])}", errno.EINVAL,
         (f"{U}/matrix", ""), setup=FREE + ((CREATE, UUID_A),)),
    case("ap_config-two-masks-newline", f"{U}/ap_config", f"{mask_hex([5])},{mask_hex([4])}\n", None,
         (f"{U}/matrix", "05.0004\n"), setup=FREE + ((CREATE, UUID_A),)),
    case("ap_config-reserved", f"{U}/ap_config", f"{mask_hex([5, 7])},{mask_hex([1])},{mask_hex([])}\n",
         errno.EADDRNOTAVAIL, (f"{U}/ap_config", ZERO_CONFIG), setup=FREE + ((CREATE, UUID_A),)),
    case("ap_config-bad-mask", f"{U}/ap_config", "0xzz,0x0,0x0\n", errno.EINVAL, setup=((CREATE, UUID_A),)),
    case("remove-0", f"{U}/remove", "0\n", None, (f"{U}/matrix", ""), setup=((CREATE, UUID_A),)),
    case("remove-bad", f"{U}/remove", "yes\n", errno.EINVAL, (f"{U}/matrix", ""), setup=((CREATE, UUID_A),)),
    case("remove", f"{U}/remove", "1\n", None, (f"{TYPE_PATH}/available_instances", "65536\n"),
         setup=((CREATE, UUID_A),)),
    case("mdev-uevent", f"{U}/uevent", "change\n", None, setup=((CREATE, UUID_A),)),
    # taking an assigned APQN back for the host
    # adapters 5 and 6 freed by apmask alone: (5, 0x47) is the host's again
    # as soon as apmask bit 5 is set, so that write is refused ...
    case("apmask-takes-assigned", f"{BUS}/apmask", "+5\n", errno.EBUSY,
         (None, mask_hex(ALL - {5, 6}) + "\n"),
         setup=FREE[:1] + ((CREATE, UUID_A), (f"{U}/assign_adapter", "5"), (f"{U}/assign_domain", "0x47"))),
    # ... while with the domains freed too it is not the host's (both bits needed)
    case("apmask-sets-assigned-adapter-of-free-domain", f"{BUS}/apmask", "+5\n", None,
         (None, mask_hex(ALL - {6}) + "\n"),
         setup=FREE + ((CREATE, UUID_A), (f"{U}/assign_adapter", "5"), (f"{U}/assign_domain", "0x47"))),
    case("aqmask-takes-assigned", f"{BUS}/aqmask", F + "\n", errno.EBUSY,
         (None, mask_hex(ALL - {4, 0x47, 0xAB, 0xFF}) + "\n"),
         setup=FREE + ((f"{BUS}/apmask", F), (CREATE, UUID_A), (f"{U}/assign_adapter", "5"),
                       (f"{U}/assign_domain", "0x47"))),
    case("apmask-takes-unassigned", f"{BUS}/apmask", "+6\n", None, (None, mask_hex(ALL - {5}) + "\n"),
         setup=FREE[:1] + ((CREATE, UUID_A), (f"{U}/assign_adapter", "5"), (f"{U}/assign_domain", "0x47"))),
    case("iommu-group-type", "/sys/kernel/iommu_groups/0/type", "DMA\n", errno.EINVAL, (None, "unknown\n"),
         setup=((CREATE, UUID_A),)),
]


# One instance serves every case of test_store (an apemud of the ASan build
# per case was most of this file's time). Before each case it is brought
# back to what a fresh instance is, and that is checked: every node of the
# tree, its mode, link target and text (or read errno), must be as a fresh
# instance's were, but for two counters that only grow and that no case
# reads (the bus's scans, the kernel's uevent_seqnum). Should the way back
# miss anything, or the instance have died, the case gets a fresh instance
# (and a warning says so). The daemon log is checked for sanitizer reports
# after each case, for that case; leaks are reported when it stops.

UUID_RE = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}")
COUNTERS = ("bus/ap/scans", "kernel/uevent_seqnum")


def tree_state(inst):
    """{path in the mount: "dir" | ("link", target) | text (or read errno
    name)} of every node but COUNTERS. (Modes are left out: no store
    changes one, and test_permissions_are_those_of_kernfs checks them.)"""
    out = {}
    todo = [""]
    while todo:
        rel = todo.pop()
        with os.scandir(os.path.join(inst.mount, rel)) as it:
            for e in it:
                r = os.path.join(rel, e.name)
                if e.is_symlink():
                    out[r] = ("link", os.readlink(e.path))
                elif e.is_dir(follow_symlinks=False):
                    out[r] = "dir"
                    todo.append(r)
                elif r not in COUNTERS:
                    try:
                        fd = os.open(e.path, os.O_RDONLY)
                        try:
                            out[r] = os.read(fd, 65536).decode()  # sysfs: one page
                        finally:
                            os.close(fd)
                    except OSError as err:
                        out[r] = errno.errorcode[err.errno]
    return out


def back_to_fresh(inst, fresh):
    """Undo what the stores of STORES change: mdevs, masks, bindings, card
    and queue states, bus settings (to fresh's texts). Raises on a refusal."""

    def restore(p):
        want = fresh[os.path.relpath(os.path.realpath(inst.path(p)), inst.mount)]
        if inst.read(p) != want:
            assert inst.write(p, want) is None, f"{want!r} > {p}"

    for n in inst.ls(MATRIX):
        if UUID_RE.fullmatch(n):
            assert inst.write(f"{MATRIX}/{n}/remove", "1\n") is None, f"removing {n}"
    restore(f"{BUS}/apmask")
    restore(f"{BUS}/aqmask")
    # cards before their queues: a queue goes online only on a card online
    for n in sorted(inst.ls(f"{BUS}/devices"), key=lambda n: not n.startswith("card")):
        dev = f"{BUS}/devices/{n}"
        if not inst.exists(dev + "/driver"):
            drv = "cex4card" if n.startswith("card") else "cex4queue"
            assert inst.write(f"{BUS}/drivers/{drv}/bind", n + "\n") is None, f"binding {n}"
        if n.startswith("card"):
            restore(dev + "/config")
        restore(dev + "/online")
    for k in ("config_time", "poll_thread", "poll_timeout", "ap_domain"):
        restore(f"{BUS}/{k}")


class SharedInstance:
    """The instance test_store's cases share, and the fresh tree it is reset
    to. Its daemon log is checked piecewise: each part once, for the case
    (or the stop) that wrote it."""

    def __init__(self, node):
        self.insts = Instances(node)
        self.keep = False
        self.inst = None
        self.fresh = None
        self.started_history = []
        self.checked = 0
        self.start()

    def start(self):
        self.inst = self.insts.start()
        self.started_history = list(self.inst.history)
        self.checked = 0
        if self.fresh is None:
            self.fresh = tree_state(self.inst)

    def log_problems(self):
        """A sanitizer report in what the daemon logged since the last look."""
        with open(self.inst.log, errors="replace") as f:
            f.seek(self.checked)
            text = f.read()
            self.checked = f.tell()
        rep = sanitizer_report(text)
        return [f"sanitizer report in {self.inst.log}:\n{rep}"] if rep else []

    def alive(self):
        """The daemon runs (not a zombie) and answers on its mount."""
        try:
            with open(f"/proc/{self.inst.pid}/stat") as f:
                if f.read().rsplit(")", 1)[1].split()[0] in "ZX":
                    return False
            os.stat(self.inst.path(BUS))
        except (OSError, TypeError):
            return False
        return True

    def stop(self):
        """Stop the instance; the problems found (as Instances.teardown's)."""
        problems = [p for p in self.inst.cleanup() if not p.startswith("sanitizer report in ")]
        return problems + self.log_problems()

    def reset(self):
        """The instance, as fresh as a new one (a new one when it is not);
        the problems of one stopped for that."""
        why = None if self.alive() else "is gone"
        if not why:
            try:
                back_to_fresh(self.inst, self.fresh)
                now = tree_state(self.inst)
                diff = sorted(k for k in set(now) | set(self.fresh) if now.get(k) != self.fresh.get(k))
                if diff:
                    why = f"differs from a fresh instance in {', '.join(diff[:5])}"
            except (OSError, AssertionError) as e:
                why = f"cannot be reset: {e}"
        problems = []
        if why:
            warnings.warn(f"test_store: the shared instance {why}; starting a fresh one")
            problems = self.stop()
            if not problems and not self.keep and not self.inst.is_mounted():
                shutil.rmtree(self.inst.dir, ignore_errors=True)
            self.start()
            assert tree_state(self.inst) == self.fresh, "two fresh instances differ"
        self.inst.history = list(self.started_history)
        return problems

    def close(self):
        """Stop; remove the directories unless kept (as Instances.teardown)."""
        problems = self.stop()
        for d in self.insts.dirs:
            if not os.path.exists(d):
                continue
            if any(i.is_mounted() for i in self.insts.all if i.dir == d):
                problems.append(f"{d}: still mounted, not removed")
            elif problems:
                problems.append(f"kept {d} for a look at its logs")
            elif not self.keep:
                shutil.rmtree(d, ignore_errors=True)
        return problems


@pytest.fixture(scope="module")
def shared(request):
    sh = SharedInstance(request.node)
    yield sh
    problems = sh.close()
    if problems:
        pytest.fail("\n".join(problems), pytrace=False)


@pytest.fixture
def fresh_inst(request, shared):
    """test_store's instance: the shared one, reset to a fresh one's state."""
    problems = shared.reset()
    request.node.apemu_instances = shared.insts  # how to reproduce a failure
    if problems:
        shared.keep = True
        pytest.fail("the shared instance, stopped before this case:\n" + "\n".join(problems),
                    pytrace=False)
    yield shared.inst
    problems = shared.log_problems()
    if not shared.alive():
        problems.append(f"apemud (pid {shared.inst.pid}) is gone; see {shared.inst.log}")
    if problems or getattr(request.node, "apemu_failed", False):
        shared.keep = True
    if problems:
        pytest.fail("\n".join(problems), pytrace=False)


@pytest.mark.parametrize("path,value,err,read,setup", STORES)
def test_store(fresh_inst, path, value, err, read, setup):
    inst = fresh_inst
    for p, v in setup:
        assert inst.write(p, v) is None, f"setup: {v!r} > {p}"
    got = inst.write(path, value)
    assert got == err, f"{value!r} > {path}: {got and errno.errorcode[got]}, expected {err and errno.errorcode[err]}"
    if read is not None:
        rpath, text = read
        assert inst.read(rpath or path) == text


def test_aqmask_refusal_keeps_every_binding(inst):
    """A refused mask write changes nothing at all: masks, drivers, matrix."""
    free(inst)
    inst.create_mdev(UUID_A)
    assert inst.write(inst.mdev(UUID_A, "assign_adapter"), "5") is None
    assert inst.write(inst.mdev(UUID_A, "assign_domain"), "0x47") is None
    before = {p: inst.ls(p) for p in (f"{BUS}/drivers/vfio_ap", f"{BUS}/drivers/cex4queue")}
    assert inst.write(f"{BUS}/apmask", F + "\n") is None  # 5 and 6 reserved only with aqmask
    assert inst.write(f"{BUS}/aqmask", "+0x47\n") == errno.EBUSY
    assert inst.read(f"{BUS}/aqmask") == mask_hex(ALL - {4, 0x47, 0xAB, 0xFF}) + "\n"
    assert {p: inst.ls(p) for p in before} == before
    assert inst.read(inst.mdev(UUID_A, "matrix")) == "05.0047\n"
    # the other domains may go back: nothing of theirs is assigned
    assert inst.write(f"{BUS}/aqmask", "+4,+0xab,+0xff\n") is None
    assert inst.ls(f"{BUS}/drivers/vfio_ap") == sorted(
        ["bind", "uevent", "unbind"] + [qname(a, 0x47) for a in (5, 6, 7, 8, 11)]
    )


def test_scans_write_forces_a_rescan(inst):
    n = int(inst.read(f"{BUS}/scans"))
    assert inst.write(f"{BUS}/scans", "1\n") is None
    assert inst.read(f"{BUS}/scans") == f"{n + 1}\n"


def test_create_beyond_max_instances_fails_with_eusers(apemu):
    inst = apemu.start({"max_instances": 2, "adapters": [{"id": 5, "type": "CEX5C"}]})
    avail = f"{TYPE_PATH}/available_instances"
    assert inst.read(avail) == "2\n"
    assert inst.write(CREATE, UUID_A + "\n") is None
    assert inst.write(CREATE, UUID_B + "\n") is None
    assert inst.read(avail) == "0\n"
    third = "cccccccc-1111-2222-3333-444444444444"
    assert inst.write(CREATE, third + "\n") == errno.EUSERS
    assert not inst.exists(f"{MATRIX}/{third}")
    assert inst.write(inst.mdev(UUID_A, "remove"), "1\n") is None
    assert inst.read(avail) == "1\n"
    assert inst.write(CREATE, third + "\n") is None
    assert inst.ls(f"{TYPE_PATH}/devices") == sorted([UUID_B, third])


def test_limits_come_from_the_machine(apemu):
    """max_adapter_id / max_domain_id decide ENODEV, not the 255 of the masks."""
    inst = apemu.start(
        {"max_adapter_id": 63, "max_domain_id": 31, "usage_domains": "4",
         "adapters": [{"id": 5, "type": "CEX5C"}], "apmask": "", "aqmask": "+31"}
    )
    assert inst.read(f"{BUS}/ap_max_adapter_id") == "63\n"
    assert inst.read(f"{BUS}/ap_max_domain_id") == "31\n"
    assert inst.read(f"{BUS}/apmask") == mask_hex([]) + "\n"
    assert inst.read(f"{BUS}/aqmask") == mask_hex([31]) + "\n"
    inst.create_mdev(UUID_A)
    assert inst.write(inst.mdev(UUID_A, "assign_adapter"), "63\n") is None
    assert inst.write(inst.mdev(UUID_A, "assign_adapter"), "64\n") == errno.ENODEV
    assert inst.write(inst.mdev(UUID_A, "assign_domain"), "32\n") == errno.ENODEV
    assert inst.write(inst.mdev(UUID_A, "assign_control_domain"), "32\n") == errno.ENODEV
    assert inst.write(inst.mdev(UUID_A, "ap_config"),
                      f"{mask_hex([64])},{mask_hex([])},{mask_hex([])}\n") == errno.ENODEV
    assert inst.write(f"{BUS}/ap_domain", "32\n") == errno.EINVAL
    assert inst.write(f"{BUS}/ap_domain", "4\n") == errno.EINVAL  # not in aqmask
    assert inst.write(f"{BUS}/ap_domain", "31\n") is None
    assert inst.read(f"{BUS}/ap_domain") == "31\n"
    assert inst.read(inst.mdev(UUID_A, "matrix")) == "3f.\n"


# ---------------------------------------------------------------------------
# how files are opened and written

def test_writes_through_o_trunc_o_creat(inst):
    """mdevctl and s390-tools open with O_WRONLY|O_CREAT|O_TRUNC."""
    fl = os.O_WRONLY | os.O_CREAT | os.O_TRUNC
    assert inst.write(f"{BUS}/apmask", "-5,-6\n", fl) is None
    assert inst.write(f"{BUS}/aqmask", "-4", fl) is None
    assert inst.write(CREATE, UUID_A, fl) is None
    assert inst.write(inst.mdev(UUID_A, "assign_adapter"), "5\n", fl) is None
    assert inst.write(inst.mdev(UUID_A, "assign_domain"), "4", fl) is None
    assert inst.read(inst.mdev(UUID_A, "matrix")) == "05.0004\n"
    assert inst.write(f"{BUS}/config_time", "99", os.O_WRONLY | os.O_TRUNC) is None
    assert inst.read(f"{BUS}/config_time") == "99\n"
    # and a read-only file stays read-only however it is opened
    assert inst.write("/sys/devices/ap/card05/hwtype", "1", fl) == errno.EACCES


def test_read_after_write_on_the_same_descriptor_is_fresh(inst):
    """chzcrypt reads back what it wrote: no stale page."""
    fd = os.open(inst.path(f"{BUS}/config_time"), os.O_RDWR)
    try:
        assert os.read(fd, 4096) == b"30\n"
        assert os.write(fd, b"45") == 2
        os.lseek(fd, 0, os.SEEK_SET)
        assert os.read(fd, 4096) == b"45\n"
        os.lseek(fd, 0, os.SEEK_SET)
        assert os.write(fd, b"100") == 3
        assert os.pread(fd, 4096, 0) == b"100\n"
    finally:
        os.close(fd)
    # another descriptor opened before the change sees it at its next read
    fd = os.open(inst.path(f"{BUS}/apmask"), os.O_RDONLY)
    try:
        assert os.pread(fd, 4096, 0) == (F + "\n").encode()
        assert inst.write(f"{BUS}/apmask", "-0") is None
        assert os.pread(fd, 4096, 0) == (mask_hex(ALL - {0}) + "\n").encode()
    finally:
        os.close(fd)


# ---------------------------------------------------------------------------
# permissions

WRITE_ONLY = [
    CREATE, f"{BUS}/drivers/vfio_ap/bind", f"{BUS}/drivers/cex4queue/unbind",
    f"{BUS}/drivers_probe", f"{BUS}/uevent",
]
READ_ONLY = [
    "/sys/devices/ap/card05/hwtype", f"{BUS}/bindings", f"{BUS}/ap_max_domain_id",
    f"{MATRIX}/features", f"{TYPE_PATH}/available_instances", f"{Q}/interrupt",
]


def test_permissions_are_those_of_kernfs(inst):
    inst.create_mdev(UUID_A)
    for p in WRITE_ONLY + [inst.mdev(UUID_A, "assign_adapter"), inst.mdev(UUID_A, "remove")]:
        assert inst.read_errno(p) == errno.EACCES, p
    for p in READ_ONLY + [inst.mdev(UUID_A, "matrix"), inst.mdev(UUID_A, "guest_matrix")]:
        assert inst.write(p, "1\n") == errno.EACCES, p
        assert inst.write(p, "1\n", os.O_RDWR) == errno.EACCES, p
    # creating a file: EACCES; everything else that changes names: EPERM
    assert inst.write(f"{BUS}/newfile", "1", os.O_WRONLY | os.O_CREAT) == errno.EACCES
    assert inst.write(f"{MATRIX}/{UUID_A}/newfile", "1", os.O_WRONLY | os.O_CREAT | os.O_EXCL) == errno.EACCES
    for fn, args in (
        (os.mkdir, (inst.path(f"{BUS}/newdir"),)),
        (os.unlink, (inst.path(f"{BUS}/apmask"),)),
        (os.unlink, (inst.path(f"{BUS}/devices/card05"),)),
        (os.rmdir, (inst.path(inst.mdev(UUID_A)),)),
        (os.rmdir, (inst.path("/sys/devices/ap/card05/power"),)),
        (os.symlink, ("x", inst.path(f"{BUS}/newlink"))),
        (os.rename, (inst.path(f"{BUS}/apmask"), inst.path(f"{BUS}/apmask2"))),
    ):
        with pytest.raises(OSError) as e:
            fn(*args)
        assert e.value.errno == errno.EPERM, (fn.__name__, args)
    # the same seen from a shell
    rc, out, err = inst.sh_err(
        "touch /sys/bus/ap/x; mkdir /sys/bus/ap/y; rm /sys/bus/ap/apmask; "
        "rmdir /sys/devices/ap/card05/power; cat /sys/bus/ap/drivers/vfio_ap/bind; "
        "echo 1 > /sys/bus/ap/bindings"
    )
    assert err.splitlines() == [
        "touch: cannot touch '/sys/bus/ap/x': Permission denied",
        "mkdir: cannot create directory '/sys/bus/ap/y': Operation not permitted",
        "rm: cannot remove '/sys/bus/ap/apmask': Operation not permitted",
        "rmdir: failed to remove '/sys/devices/ap/card05/power': Operation not permitted",
        "cat: /sys/bus/ap/drivers/vfio_ap/bind: Permission denied",
        "bash: /sys/bus/ap/bindings: Permission denied",
    ]
    # nothing changed
    assert inst.read(f"{BUS}/apmask") == F + "\n"
    assert inst.exists(inst.mdev(UUID_A, "matrix"))


# ---------------------------------------------------------------------------
# sizes, modes, link targets

RW_FILES = {
    "ap_domain", "config_time", "poll_thread", "poll_timeout", "apmask", "aqmask",
    "scans", "drivers_autoprobe", "config", "online", "request_count", "reset",
    "ap_config",
}
WO_FILES = {
    "bind", "unbind", "drivers_probe", "create", "remove", "assign_adapter",
    "assign_domain", "assign_control_domain", "unassign_adapter", "unassign_domain",
    "unassign_control_domain",
}


def file_mode(dirpath, name):
    """The kernel's mode of attribute name in directory dirpath ("/sys/...")."""
    parts = dirpath.split("/")
    if name == "uevent":
        bus_dir = len(parts) == 4 and parts[2] == "bus"
        driver_dir = len(parts) == 6 and parts[2] == "bus" and parts[4] == "drivers"
        return 0o200 if bus_dir or driver_dir else 0o644
    if name == "type":  # an IOMMU group's type is rw, zcrypt's card type ro
        return 0o644 if "/kernel/iommu_groups/" in dirpath else 0o444
    if name == "config" and QUEUE_RE.search(dirpath):
        return 0o444  # a queue's config only shows the card's
    if name in RW_FILES:
        return 0o644
    if name in WO_FILES:
        return 0o200
    return 0o444


QUEUE_RE = re.compile(r"/card[0-9a-f]{2}/[0-9a-f]{2}\.[0-9a-f]{4}$")


def test_stat_of_every_node(inst):
    free(inst, adapters=(6,), domains=())
    inst.create_mdev(UUID_A)
    seen = {"files": 0, "dirs": 0, "links": 0}
    for root, dirs, files in os.walk(inst.mount):
        rel = "/sys" + root[len(inst.mount):]
        st = os.lstat(root)
        assert (stat.S_IMODE(st.st_mode), st.st_size, st.st_uid, st.st_gid) == (0o755, 0, 0, 0), rel
        assert stat.S_ISDIR(st.st_mode)
        seen["dirs"] += 1
        for name in files + dirs:
            p = os.path.join(root, name)
            st = os.lstat(p)
            if stat.S_ISLNK(st.st_mode):
                assert (stat.S_IMODE(st.st_mode), st.st_size) == (0o777, 0), f"{rel}/{name}"
                assert os.path.exists(p), f"{rel}/{name} -> {os.readlink(p)} dangles"
                seen["links"] += 1
            elif stat.S_ISREG(st.st_mode):
                want = file_mode(rel, name)
                assert (stat.S_IMODE(st.st_mode), st.st_size) == (want, 4096), f"{rel}/{name}"
                seen["files"] += 1
            else:
                assert stat.S_ISDIR(st.st_mode), f"{rel}/{name}"
    # the walk saw the whole tree: 5 cards x 4 queues, the mdev, ...
    assert seen["dirs"] > 80 and seen["files"] > 300 and seen["links"] > 100, seen


def test_symlink_targets_are_the_kernels(inst):
    free(inst, adapters=(6,), domains=())
    inst.create_mdev(UUID_A)
    inst.create_mdev(UUID_B)
    want = {
        f"{BUS}/devices/card05": "../../../devices/ap/card05",
        f"{BUS}/devices/05.0004": "../../../devices/ap/card05/05.0004",
        f"{BUS}/devices/0b.00ff": "../../../devices/ap/card0b/0b.00ff",
        f"{BUS}/drivers/cex4card/card05": "../../../../devices/ap/card05",
        f"{BUS}/drivers/cex4queue/05.0004": "../../../../devices/ap/card05/05.0004",
        f"{BUS}/drivers/vfio_ap/06.0047": "../../../../devices/ap/card06/06.0047",
        "/sys/devices/ap/card05/driver": "../../../bus/ap/drivers/cex4card",
        "/sys/devices/ap/card05/subsystem": "../../../bus/ap",
        f"{Q}/driver": "../../../../bus/ap/drivers/cex4queue",
        f"{Q}/subsystem": "../../../../bus/ap",
        "/sys/devices/ap/card06/06.0047/driver": "../../../../bus/ap/drivers/vfio_ap",
        "/sys/class/mdev_bus/matrix": "../../devices/vfio_ap/matrix",
        "/sys/bus/matrix/devices/matrix": "../../../devices/vfio_ap/matrix",
        "/sys/bus/matrix/drivers/vfio_ap/matrix": "../../../../devices/vfio_ap/matrix",
        f"{MATRIX}/driver": "../../../bus/matrix/drivers/vfio_ap",
        f"{MATRIX}/subsystem": "../../../bus/matrix",
        f"/sys/bus/mdev/devices/{UUID_A}": f"../../../devices/vfio_ap/matrix/{UUID_A}",
        f"/sys/bus/mdev/drivers/vfio_ap_mdev/{UUID_A}": f"../../../../devices/vfio_ap/matrix/{UUID_A}",
        f"{TYPE_PATH}/devices/{UUID_A}": f"../../../{UUID_A}",
        inst.mdev(UUID_A, "mdev_type"): "../mdev_supported_types/vfio_ap-passthrough",
        inst.mdev(UUID_A, "driver"): "../../../../bus/mdev/drivers/vfio_ap_mdev",
        inst.mdev(UUID_A, "subsystem"): "../../../../bus/mdev",
    }
    assert {p: inst.readlink(p) for p in want} == want
    # each mdev has its own IOMMU group, which links back to it
    groups = {}
    for u in (UUID_A, UUID_B):
        t = inst.readlink(inst.mdev(u, "iommu_group"))
        m = re.fullmatch(r"\.\./\.\./\.\./\.\./kernel/iommu_groups/(\d+)", t)
        assert m, t
        groups[u] = m.group(1)
        assert inst.readlink(f"/sys/kernel/iommu_groups/{m.group(1)}/devices/{u}") == (
            f"../../../../devices/vfio_ap/matrix/{u}"
        )
        assert inst.ls(f"/sys/kernel/iommu_groups/{m.group(1)}/devices") == [u]
    assert groups[UUID_A] != groups[UUID_B]
    assert inst.ls("/sys/kernel/iommu_groups") == sorted(groups.values())
    # links come and go with the bindings
    assert inst.write(f"{BUS}/drivers/cex4queue/unbind", "05.0004") is None
    assert not inst.exists(f"{Q}/driver")
    assert not inst.exists(f"{BUS}/drivers/cex4queue/05.0004")
    assert inst.write(inst.mdev(UUID_B, "remove"), "1") is None
    assert not inst.exists(f"/sys/bus/mdev/devices/{UUID_B}")
    assert inst.ls("/sys/kernel/iommu_groups") == [groups[UUID_A]]


def test_binding_changes_unplug_and_plug_whole_adapters(inst):
    """[cur] 3.10: a queue leaving vfio_ap takes its whole adapter out of
    the guest matrix; binding it again (bind or drivers_probe) plugs the
    adapter back. The assigned matrix never changes."""
    free(inst, domains=(4, 0xAB))
    inst.create_mdev(UUID_A)
    for f, v in (("assign_adapter", "5"), ("assign_adapter", "6"),
                 ("assign_domain", "4"), ("assign_domain", "0xab")):
        assert inst.write(inst.mdev(UUID_A, f), v) is None
    full = "05.0004\n05.00ab\n06.0004\n06.00ab\n"
    assert inst.read(inst.mdev(UUID_A, "guest_matrix")) == full
    assert inst.write(f"{BUS}/drivers/vfio_ap/unbind", "05.00ab\n") is None
    assert inst.read(inst.mdev(UUID_A, "guest_matrix")) == "06.0004\n06.00ab\n"
    assert inst.read(inst.mdev(UUID_A, "matrix")) == full
    assert not inst.exists("/sys/devices/ap/card05/05.00ab/status")
    assert inst.write(f"{BUS}/drivers/vfio_ap/bind", "05.00ab\n") is None
    assert inst.read(inst.mdev(UUID_A, "guest_matrix")) == full
    assert inst.read("/sys/devices/ap/card05/05.00ab/status") == "assigned\n"
    assert inst.write(f"{BUS}/drivers/vfio_ap/unbind", "06.0004\n") is None
    assert inst.read(inst.mdev(UUID_A, "guest_matrix")) == "05.0004\n05.00ab\n"
    assert inst.write(f"{BUS}/drivers_probe", "06.0004\n") is None
    assert inst.readlink("/sys/devices/ap/card06/06.0004/driver") == "../../../../bus/ap/drivers/vfio_ap"
    assert inst.read(inst.mdev(UUID_A, "guest_matrix")) == full


def test_one_byte_reads_and_reads_at_an_offset(inst):
    """Tools that read in small pieces get the same page."""
    whole = inst.read(f"{BUS}/ap_usage_domain_mask")
    fd = os.open(inst.path(f"{BUS}/ap_usage_domain_mask"), os.O_RDONLY)
    try:
        got = b""
        while True:
            b = os.read(fd, 1)
            if not b:
                break
            got += b
        assert got.decode() == whole
        assert os.pread(fd, 10, 60).decode() == whole[60:70]
        assert os.pread(fd, 10, len(whole)) == b""
    finally:
        os.close(fd)


def test_v8_tree_has_only_the_seed_series_files(apemu):
    """[v8]: no masks or newer bus files, no card config/chkstop/
    max_msg_size, queue reset read-only, queue uevent with the device
    type, no guest_matrix/ap_config/features/status; 4.18 parsers."""
    inst = apemu.start({"abi": "v8", "adapters": [{"id": 5, "type": "CEX5C"}]})
    assert inst.ls(BUS) == [
        "ap_control_domain_mask", "ap_domain", "ap_interrupts", "ap_max_domain_id",
        "ap_usage_domain_mask", "config_time", "devices", "drivers", "drivers_autoprobe",
        "drivers_probe", "poll_thread", "poll_timeout", "uevent",
    ]
    assert inst.ls("/sys/devices/ap/card05") == sorted(
        set(CARD_FILES) - {"config", "chkstop", "max_msg_size"}
        | {"serialnr", "05.0004", "05.0047", "05.00ab", "05.00ff"}
    )
    assert inst.ls(Q) == sorted(
        set(QUEUE_FILES) - {"ap_functions", "config", "chkstop"} | {"driver", "load", "online", "mkvps"}
    )
    assert stat.S_IMODE(os.stat(inst.path(f"{Q}/reset")).st_mode) == 0o444
    assert inst.read(f"{Q}/uevent") == (
        "DEVTYPE=ap_queue\nDRIVER=cex4queue\nDEV_TYPE=000B\nMODALIAS=ap:t0B\n"
    )
    assert inst.ls(MATRIX) == ["driver", "mdev_supported_types", "power", "subsystem", "uevent"]
    # an unbound queue still counts (no "-" in 4.x), a vfio_ap queue has no status
    assert inst.write(f"{BUS}/drivers/cex4queue/unbind", "05.0004") is None
    assert inst.read(f"{Q}/request_count") == "0\n"
    assert inst.write(f"{BUS}/drivers/vfio_ap/bind", "05.0004") is None
    assert not inst.exists(f"{Q}/status")
    inst.create_mdev(UUID_A)
    assert inst.ls(inst.mdev(UUID_A)) == sorted(set(MDEV_FILES) - {"ap_config", "guest_matrix"})
    # 4.18 parsers: poll_thread takes an integer, poll_timeout starts at 1
    assert inst.write(f"{BUS}/poll_thread", "2\n") is None
    assert inst.read(f"{BUS}/poll_thread") == "1\n"
    assert inst.write(f"{BUS}/poll_thread", "on\n") == errno.EINVAL
    assert inst.write(f"{BUS}/poll_timeout", "0\n") == errno.EINVAL
    assert inst.write(f"{BUS}/poll_timeout", "1\n") is None
