# The vfio-ap documentation's reference scenario (facts 11.1, and 11.4 for
# the v8 ABI), replayed with the administrator's own shell commands inside
# `apemu shell`, where the emulated tree is /sys.
#
# Invariant: every step prints and refuses exactly what the kernel does:
# the queues freed by apmask/aqmask land on vfio_ap (and only those), the
# three mdevs show the documented matrices, sharing an APQN fails with
# EADDRINUSE as bash reports it, and remove/give-back undo it all.
import pytest

from apemutest import TYPE_PATH, mask_hex

MATRIX = "/sys/devices/vfio_ap/matrix"
EADDRINUSE_MSG = "bash: echo: write error: Address already in use\n"

# Adapters 5 (CEX5C) and 6 (CEX5A) as in the documentation, plus a CEX8A
# (7) and a domain (1) that the masks below leave with the host, so that
# the note of step 2 (reservation needs both bits) is visible.
MACHINE = {
    "usage_domains": "1,4,0x47,0xab,0xff",
    "adapters": [
        {"id": 5, "type": "CEX5C"},
        {"id": 6, "type": "CEX5A"},
        {"id": 7, "type": "CEX8A"},
    ],
}
ADAPTERS = [5, 6, 7]
DOMAINS = [1, 4, 0x47, 0xAB, 0xFF]
FREED_ADAPTERS = {5, 6}
FREED_DOMAINS = {4, 0x47, 0xAB, 0xFF}

GUEST1 = "05.0004\n05.00ab\n06.0004\n06.00ab\n"
GUEST2 = "05.0047\n05.00ff\n"
GUEST3 = "06.0047\n06.00ff\n"


def qname(a, d):
    return "%02x.%04x" % (a, d)


def expected_vfio_queues():
    """Reserved for the host iff its adapter bit and its domain bit are both set."""
    return sorted(
        qname(a, d)
        for a in ADAPTERS
        for d in DOMAINS
        if a in FREED_ADAPTERS or d in FREED_DOMAINS
    )


def driver_links(inst, drv):
    """The device links in a driver directory (bind/unbind/uevent left out)."""
    return sorted(
        n for n in inst.ls(f"/sys/bus/ap/drivers/{drv}") if n not in ("bind", "unbind", "uevent")
    )


def check_queues_freed(inst):
    want = expected_vfio_queues()
    assert driver_links(inst, "vfio_ap") == want
    assert driver_links(inst, "cex4queue") == sorted(
        qname(a, d) for a in ADAPTERS for d in DOMAINS if qname(a, d) not in want
    )
    for q in want:
        assert inst.readlink(f"/sys/bus/ap/drivers/vfio_ap/{q}") == (
            f"../../../../devices/ap/card{q[:2]}/{q}"
        )
        assert inst.readlink(f"/sys/devices/ap/card{q[:2]}/{q}/driver") == (
            "../../../../bus/ap/drivers/vfio_ap"
        )
    # cards always stay with cex4card
    assert driver_links(inst, "cex4card") == ["card05", "card06", "card07"]
    assert inst.sh_ok("cat /sys/bus/ap/devices/card05/hwtype") == "11\n"


def create_three(inst):
    """Step 3: `uuidgen > create` three times; the new UUIDs in creation order."""
    before = set(inst.ls(f"{TYPE_PATH}/devices"))
    uuids = []
    for _ in range(3):
        inst.sh_ok(f"cd {TYPE_PATH} && uuidgen > create")
        now = set(inst.ls(f"{TYPE_PATH}/devices"))
        new = now - before - set(uuids)
        assert len(new) == 1, f"one create made {sorted(new)}"
        uuids.append(new.pop())
    for u in uuids:
        assert inst.exists(f"{MATRIX}/{u}/matrix")
        assert inst.readlink(f"/sys/bus/mdev/devices/{u}") == f"../../../devices/vfio_ap/matrix/{u}"
        assert inst.readlink(f"{TYPE_PATH}/devices/{u}") == f"../../../{u}"
    return uuids


def assign_as_documented(inst, u1, u2, u3):
    """Step 4, one mdev directory after the other."""
    inst.sh_ok(
        f"cd {MATRIX}/{u1} && echo 5 > assign_adapter && echo 6 > assign_adapter && "
        "echo 4 > assign_domain && echo 0xab > assign_domain"
    )
    inst.sh_ok(
        f"cd {MATRIX}/{u2} && echo 5 > assign_adapter && echo 0x47 > assign_domain && "
        "echo 0xff > assign_domain"
    )
    inst.sh_ok(
        f"cd {MATRIX}/{u3} && echo 6 > assign_adapter && echo 0x47 > assign_domain && "
        "echo 0xff > assign_domain"
    )
    for u, want in ((u1, GUEST1), (u2, GUEST2), (u3, GUEST3)):
        assert inst.sh_ok(f"cat {MATRIX}/{u}/matrix") == want


def check_sharing_refused(inst, u1, u2, u3):
    """The documentation's two examples of an APQN already in another mdev."""
    rc, out, err = inst.sh_err(f"cd {MATRIX}/{u1} && echo 0x47 > assign_domain")
    assert (rc, out, err) == (1, "", EADDRINUSE_MSG)
    rc, out, err = inst.sh_err(f"cd {MATRIX}/{u3} && echo 5 > assign_adapter")
    assert (rc, out, err) == (1, "", EADDRINUSE_MSG)
    # the failed stores changed nothing
    for u, want in ((u1, GUEST1), (u2, GUEST2), (u3, GUEST3)):
        assert inst.sh_ok(f"cat {MATRIX}/{u}/matrix") == want


def test_reference_scenario_with_relative_masks(inst_example):
    inst = inst_example
    inst.sh_ok("echo -5,-6 > /sys/bus/ap/apmask")
    inst.sh_ok("echo -4,-0x47,-0xab,-0xff > /sys/bus/ap/aqmask")
    assert inst.read("/sys/bus/ap/apmask") == mask_hex(set(range(256)) - FREED_ADAPTERS) + "\n"
    assert inst.read("/sys/bus/ap/aqmask") == mask_hex(set(range(256)) - FREED_DOMAINS) + "\n"
    check_queues_freed(inst)

    u1, u2, u3 = create_three(inst)
    assert inst.sh_ok(f"cat {TYPE_PATH}/available_instances") == "65533\n"
    assign_as_documented(inst, u1, u2, u3)
    for u, want in ((u1, GUEST1), (u2, GUEST2), (u3, GUEST3)):
        assert inst.sh_ok(f"cat {MATRIX}/{u}/guest_matrix") == want
    check_sharing_refused(inst, u1, u2, u3)

    # step 6: remove Guest1's mdev
    inst.sh_ok(f"echo 1 > {MATRIX}/{u1}/remove")
    assert not inst.exists(f"{MATRIX}/{u1}")
    assert not inst.exists(f"/sys/bus/mdev/devices/{u1}")
    assert sorted(inst.ls(f"{TYPE_PATH}/devices")) == sorted([u2, u3])
    assert inst.sh_ok(f"cat {TYPE_PATH}/available_instances") == "65534\n"

    # give adapters 5 and 6 back: only the queues on domains that aqmask
    # still reserves (domain 1) return to the host; 05.0047 of Guest2 is
    # not reserved (aqmask bit 0x47 is clear), so nothing is in the way
    inst.sh_ok("echo +5,+6 > /sys/bus/ap/apmask")
    assert inst.read("/sys/bus/ap/apmask") == mask_hex(range(256)) + "\n"
    assert "05.0001" in driver_links(inst, "cex4queue")
    assert "06.0001" in driver_links(inst, "cex4queue")
    assert driver_links(inst, "vfio_ap") == sorted(
        qname(a, d) for a in ADAPTERS for d in sorted(FREED_DOMAINS)
    )
    # the domains cannot go back while Guest2 and Guest3 hold them
    rc, out, err = inst.sh_err("echo +4,+0x47,+0xab,+0xff > /sys/bus/ap/aqmask")
    assert (rc, err) == (1, "bash: echo: write error: Device or resource busy\n")
    assert inst.read("/sys/bus/ap/aqmask") == mask_hex(set(range(256)) - FREED_DOMAINS) + "\n"
    inst.sh_ok(f"echo 1 > {MATRIX}/{u2}/remove && echo 1 > {MATRIX}/{u3}/remove")
    inst.sh_ok("echo +4,+0x47,+0xab,+0xff > /sys/bus/ap/aqmask")
    assert driver_links(inst, "vfio_ap") == []
    assert len(driver_links(inst, "cex4queue")) == len(ADAPTERS) * len(DOMAINS)
    assert inst.sh_ok(f"cat {TYPE_PATH}/available_instances") == "65536\n"


ABS_APMASK = "0xf9ffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff"
ABS_AQMASK = "0xf7fffffffffffffffeffffffffffffffffffffffffeffffffffffffffffffffe"


def test_reference_scenario_with_absolute_masks(inst_example):
    inst = inst_example
    # the documented absolute strings are the relative form's result
    assert ABS_APMASK == mask_hex(set(range(256)) - FREED_ADAPTERS)
    assert ABS_AQMASK == mask_hex(set(range(256)) - FREED_DOMAINS)
    inst.sh_ok(f"echo {ABS_APMASK} > /sys/bus/ap/apmask")
    inst.sh_ok(f"echo {ABS_AQMASK} > /sys/bus/ap/aqmask")
    assert inst.sh_ok("cat /sys/bus/ap/apmask /sys/bus/ap/aqmask") == (
        f"{ABS_APMASK}\n{ABS_AQMASK}\n"
    )
    check_queues_freed(inst)
    u1, u2, u3 = create_three(inst)
    assign_as_documented(inst, u1, u2, u3)
    check_sharing_refused(inst, u1, u2, u3)
    # 0xffff: adapters 0-15 for the host (left-aligned, not a number);
    # 05.0001 and 06.0001 go back to cex4queue, the mdevs' queues stay
    inst.sh_ok("echo 0xffff > /sys/bus/ap/apmask")
    assert inst.read("/sys/bus/ap/apmask") == mask_hex(range(16)) + "\n"
    assert "05.0001" in driver_links(inst, "cex4queue")
    assert "05.0004" in driver_links(inst, "vfio_ap")
    # an absolute aqmask that would take the mdevs' domains back is refused
    rc, out, err = inst.sh_err("echo 0x" + "f" * 64 + " > /sys/bus/ap/aqmask")
    assert (rc, err) == (1, "bash: echo: write error: Device or resource busy\n")
    assert inst.read("/sys/bus/ap/aqmask") == ABS_AQMASK + "\n"


@pytest.fixture
def inst_example(apemu):
    return apemu.start(MACHINE)


V8_MACHINE = {
    "abi": "v8",
    "adapters": [
        {"id": 5, "type": "CEX5C"},
        {"id": 6, "type": "CEX5A"},
        {"id": 7, "type": "CEX8A"},
    ],
}
V8_QUEUES = [qname(a, d) for a in (5, 6) for d in (4, 0x47, 0xAB, 0xFF)]


def test_v8_scenario_unbind_from_cex4queue_and_bind_to_vfio_ap(apemu):
    inst = apemu.start(V8_MACHINE)
    # no masks in the seed series
    for f in ("apmask", "aqmask"):
        rc, out, err = inst.sh_err(f"cat /sys/bus/ap/{f}")
        assert rc == 1 and "No such file or directory" in err
    # a queue still bound to cex4queue cannot be bound to vfio_ap (v8: ENODEV)
    rc, out, err = inst.sh_err("echo 05.0004 > /sys/bus/ap/drivers/vfio_ap/bind")
    assert (rc, err) == (1, "bash: echo: write error: No such device\n")

    for q in V8_QUEUES:
        inst.sh_ok(
            f"echo {q} > /sys/bus/ap/drivers/cex4queue/unbind && "
            f"echo {q} > /sys/bus/ap/drivers/vfio_ap/bind"
        )
    assert driver_links(inst, "vfio_ap") == sorted(V8_QUEUES)
    assert driver_links(inst, "cex4queue") == [
        qname(7, d) for d in (4, 0x47, 0xAB, 0xFF)
    ]

    u1, u2, u3 = create_three(inst)
    assert inst.sh_ok(f"cat {TYPE_PATH}/available_instances") == "65533\n"
    for attr in ("guest_matrix", "ap_config"):
        assert not inst.exists(f"{MATRIX}/{u1}/{attr}")
    assign_as_documented(inst, u1, u2, u3)
    check_sharing_refused(inst, u1, u2, u3)
    # v8: every APQN an assignment creates must be bound to vfio_ap
    rc, out, err = inst.sh_err(f"echo 7 > {MATRIX}/{u1}/assign_adapter")
    assert (rc, err) == (1, "bash: echo: write error: Cannot assign requested address\n")
    assert inst.sh_ok(f"cat {MATRIX}/{u1}/matrix") == GUEST1

    # remove Guest1's mdev and give its queues back to the host
    inst.sh_ok(f"echo 1 > {MATRIX}/{u1}/remove")
    assert not inst.exists(f"{MATRIX}/{u1}")
    for q in ("05.0004", "05.00ab", "06.0004", "06.00ab"):
        inst.sh_ok(
            f"echo {q} > /sys/bus/ap/drivers/vfio_ap/unbind && "
            f"echo {q} > /sys/bus/ap/drivers/cex4queue/bind"
        )
    assert driver_links(inst, "vfio_ap") == ["05.0047", "05.00ff", "06.0047", "06.00ff"]
    # binding a bound queue again is refused (v8: ENODEV)
    rc, out, err = inst.sh_err("echo 05.0004 > /sys/bus/ap/drivers/cex4queue/bind")
    assert (rc, err) == (1, "bash: echo: write error: No such device\n")
