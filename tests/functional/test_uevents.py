# The emulated kernel's uevents as `apemu monitor` shows them, and the bus
# rules behind them (drivers_autoprobe, drivers_probe, synthetic uevents).
#
# Invariant: every change of the host's devices, drivers and masks sends
# exactly the kernel's uevents (docs/uevents.md), in the kernel's order,
# each with its keys and a SEQNUM one above the one before; assignments and
# guests send none.
import subprocess
import time

from apemutest import APEMU, default_machine

U = "11111111-1111-4111-8111-111111111111"
MDEV = f"/devices/vfio_ap/matrix/{U}"
F62 = "f" * 62


def parse_monitor(out):
    """`monitor --property` output: a list of (ACTION, DEVPATH, {KEY: value}).
    A value may end with a newline (APMASK=, as the kernel sends it): then
    an empty line follows it inside the event."""
    evs, env, last = [], None, None
    lines = out.split("\n")
    for i, l in enumerate(lines):
        if l.startswith(("KERNEL[", "UDEV  [")):
            env = {}
            evs.append(env)
        elif l == "":
            nxt = lines[i + 1] if i + 1 < len(lines) else ""
            if env is not None and last and nxt and not nxt.startswith(("KERNEL[", "UDEV  [")):
                env[last] += "\n"
        elif env is not None:
            k, _, v = l.partition("=")
            env[k] = v
            last = k
    return [(e["ACTION"], e["DEVPATH"], e) for e in evs]


def events(inst):
    """The kept uevents, oldest first."""
    rc, out, err = inst.cli("monitor", "--property", "--all", "--timeout", "0.2")
    assert (rc, err) == (0, ""), err
    return parse_monitor(out)


def since(inst, seq):
    return [e for e in events(inst) if int(e[2]["SEQNUM"]) > seq]


def last_seq(inst):
    evs = events(inst)
    return int(evs[-1][2]["SEQNUM"]) if evs else 0


def short(evs):
    """(action, devpath, the first variable after SUBSYSTEM or None)."""
    out = []
    for action, path, env in evs:
        keys = list(env)
        extra = keys[3] if len(keys) > 4 and keys[3] not in ("DEVTYPE", "DRIVER", "SEQNUM") else None
        out.append((action, path, f"{extra}={env[extra]}" if extra else None))
    return out


def check_seqnums(evs):
    seqs = [int(e[2]["SEQNUM"]) for e in evs]
    assert seqs == list(range(seqs[0], seqs[0] + len(seqs))), seqs
    for _, _, env in evs:
        assert list(env)[:3] == ["ACTION", "DEVPATH", "SUBSYSTEM"]
        assert list(env)[-1] == "SEQNUM"


def test_create_assign_config_apmask_remove(inst):
    seq = last_seq(inst)
    assert inst.write("/sys/bus/ap/apmask", "-6\n") is None
    inst.create_mdev(U)
    assert inst.write(inst.mdev(U, "assign_adapter"), "6\n") is None
    assert inst.write(inst.mdev(U, "assign_domain"), "4\n") is None
    assert inst.write("/sys/devices/ap/card05/config", "0\n") is None
    assert inst.write("/sys/devices/ap/card05/config", "1\n") is None
    assert inst.write(inst.mdev(U, "remove"), "1\n") is None
    evs = since(inst, seq)
    check_seqnums(evs)
    assert inst.read("/sys/kernel/uevent_seqnum") == evs[-1][2]["SEQNUM"] + "\n"
    q6 = [f"/devices/ap/card06/06.{d:04x}" for d in (4, 0x47, 0xAB, 0xFF)]
    q5 = [f"/devices/ap/card05/05.{d:04x}" for d in (4, 0x47, 0xAB, 0xFF)]
    want = []
    for q in q6:
        want += [("unbind", q, None), ("change", "/devices/ap", "BINDINGS=complete"),
                 ("bind", q, None)]
    want += [("change", "/devices/ap", f"APMASK=0xfd{F62}\n")]
    want += [("add", MDEV, None), ("bind", MDEV, None)]
    for v in ("0", "1"):
        want += [("change", "/devices/ap/card05", f"CONFIG={v}")]
        want += [("change", q, f"CONFIG={v}") for q in q5]
    want += [("unbind", MDEV, None), ("remove", MDEV, None)]
    assert short(evs) == want
    by = {(a, p): env for a, p, env in evs}
    assert by[("bind", q6[0])]["DRIVER"] == "vfio_ap"
    assert by[("bind", q6[0])]["MODE"] == "accel"
    assert by[("unbind", q6[0])].get("DRIVER") is None
    assert by[("bind", MDEV)]["DRIVER"] == "vfio_ap_mdev"
    assert by[("add", MDEV)]["SUBSYSTEM"] == "mdev"
    card = [e for a, p, e in evs if p == "/devices/ap/card05"][0]
    assert (card["DEV_TYPE"], card["MODALIAS"], card["MODE"]) == ("000B", "ap:t0B", "cca")


def test_monitor_follows_new_events(inst):
    p = subprocess.Popen([APEMU, "monitor", "--mount", inst.mount, "--count", "3",
                          "--timeout", "20"], stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                         text=True)
    try:
        time.sleep(0.5)
        assert inst.write("/sys/devices/ap/card06/online", "0\n") is None
        out, err = p.communicate(timeout=20)
    finally:
        if p.poll() is None:
            p.kill()
    assert (p.returncode, err) == (0, "")
    lines = out.splitlines()
    assert [l.split("]", 1)[1].split() for l in lines] == [
        ["change", "/devices/ap/card06", "(ap)"],
        ["change", "/devices/ap/card06/06.0004", "(ap)"],
        ["change", "/devices/ap/card06/06.0047", "(ap)"],
    ]


def test_hardware_events_add_and_remove_devices(inst):
    seq = last_seq(inst)
    rc, out, err = inst.cli("event", "adapter-add", "0x10", "CEX8A")
    assert rc == 0, err
    rc, out, err = inst.cli("event", "adapter-remove", "0x10")
    assert rc == 0, err
    evs = since(inst, seq)
    check_seqnums(evs)
    acts = [(a, p) for a, p, _ in evs if p != "/devices/ap"]
    qs = [f"/devices/ap/card10/10.{d:04x}" for d in (4, 0x47, 0xAB, 0xFF)]
    want = [("add", "/devices/ap/card10"), ("bind", "/devices/ap/card10")]
    for q in qs:
        want += [("add", q), ("bind", q)]
    for q in qs:
        want += [("unbind", q), ("remove", q)]
    want += [("unbind", "/devices/ap/card10"), ("remove", "/devices/ap/card10")]
    assert acts == want
    add = evs[0][2]
    assert (add["DEV_TYPE"], add["MODALIAS"], add["MODE"]) == ("000E", "ap:t0E", "accel")
    assert "MODALIAS" not in [e for a, p, e in evs if a == "unbind" and p.endswith("card10")][0]


def test_drivers_autoprobe_0_leaves_new_card_unbound(inst):
    assert inst.read("/sys/bus/ap/drivers_autoprobe") == "1\n"
    assert inst.write("/sys/bus/ap/drivers_autoprobe", "0\n") is None
    assert inst.read("/sys/bus/ap/drivers_autoprobe") == "0\n"
    rc, out, err = inst.cli("event", "adapter-add", "0x10", "CEX8A")
    assert rc == 0, err
    assert not inst.exists("/sys/devices/ap/card10/driver")
    assert not inst.exists("/sys/devices/ap/card10/10.0004/driver")
    assert inst.read("/sys/bus/ap/bindings") == "20/24\n"
    # drivers_probe attaches anyway, an unknown name is ENODEV
    assert inst.write("/sys/bus/ap/drivers_probe", "card10\n") is None
    assert inst.readlink("/sys/devices/ap/card10/driver").endswith("/cex4card")
    assert inst.write("/sys/bus/ap/drivers_probe", "card09\n") == 19
    for d in ("0004", "0047", "00ab", "00ff"):
        assert inst.write("/sys/bus/ap/drivers_probe", f"10.{d}") is None
    assert inst.read("/sys/bus/ap/bindings") == "24/24 (complete)\n"
    assert inst.write("/sys/bus/ap/drivers_autoprobe", "1\n") is None


def test_synthetic_uevents(inst):
    seq = last_seq(inst)
    assert inst.write("/sys/devices/ap/card05/uevent", "change\n") is None
    assert inst.write("/sys/bus/ap/uevent", f"add {U} A=1\n") is None
    assert inst.write("/sys/devices/vfio_ap/uevent", "add\n") is None  # no bus: dropped
    assert inst.write("/sys/devices/ap/card05/uevent", "chnge\n") == 22
    evs = since(inst, seq)
    assert [(a, p) for a, p, _ in evs] == [("change", "/devices/ap/card05"), ("add", "/bus/ap")]
    assert evs[0][2]["SYNTH_UUID"] == "0"
    assert evs[1][2]["SUBSYSTEM"] == "bus"
    assert (evs[1][2]["SYNTH_UUID"], evs[1][2]["SYNTH_ARG_A"]) == (U, "1")
    assert inst.read("/sys/devices/ap/card05/uevent") == (
        "DEVTYPE=ap_card\nDRIVER=cex4card\nDEV_TYPE=000B\nMODALIAS=ap:t0B\nMODE=cca\n")


def test_monitor_usage_errors(inst):
    rc, out, err = inst.cli("monitor", "--count", "0")
    assert rc == 2 and "bad --count" in err
    rc, out, err = inst.run([APEMU, "monitor", "--mount", inst.mount + "x", "--timeout", "1"])
    assert rc == 1 and "no apemud running" in err


# ---- the vfio_ap module ----


def test_vfio_ap_unload_and_load(inst):
    assert inst.write("/sys/bus/ap/apmask", "-5\n") is None
    inst.create_mdev(U)
    seq = last_seq(inst)
    rc, out, err = inst.cli("event", "vfio_ap", "unload")
    assert (rc, err) == (0, "")
    for gone in ("/sys/devices/vfio_ap", "/sys/bus/matrix", "/sys/class/mdev_bus/matrix",
                 "/sys/bus/ap/drivers/vfio_ap", "/sys/bus/mdev/drivers/vfio_ap_mdev"):
        assert not inst.exists(gone), gone
    assert inst.ls("/sys/bus/mdev/devices") == []
    assert not inst.exists("/sys/devices/ap/card05/05.0004/driver")
    assert inst.read("/sys/bus/ap/bindings") == "16/20\n"
    assert inst.status()["vfio_ap"] is False
    rc, out, err = inst.cli("status")
    assert "\nmdevs: none, the vfio_ap module is not loaded\n" in out
    rc, out, err = inst.cli("event", "vfio_ap", "unload")
    assert rc == 1 and "not loaded" in err
    # mdevctl sees what a host without the module shows: no parent, no mdev
    assert inst.sh_ok("mdevctl types; mdevctl list").strip() == ""
    rc, out, err = inst.cli("event", "vfio_ap", "load")
    assert (rc, err) == (0, "")
    assert inst.read("/sys/bus/ap/bindings") == "20/20 (complete)\n"
    assert inst.status()["vfio_ap"] is True
    assert inst.readlink("/sys/devices/ap/card05/05.0004/driver").endswith("/vfio_ap")
    assert inst.read("/sys/devices/vfio_ap/matrix/mdev_supported_types/vfio_ap-passthrough/"
                     "available_instances") == "65536\n"
    evs = since(inst, seq)
    check_seqnums(evs)
    acts = [(a, p) for a, p, _ in evs if p != "/devices/ap"]
    q5 = [f"/devices/ap/card05/05.{d:04x}" for d in (4, 0x47, 0xAB, 0xFF)]
    assert acts == (
        [("unbind", MDEV), ("remove", MDEV), ("change", "/devices/vfio_ap/matrix"),
         ("remove", "/bus/mdev/drivers/vfio_ap_mdev")]
        + [("unbind", q) for q in reversed(q5)]
        + [("remove", "/bus/ap/drivers/vfio_ap"), ("unbind", "/devices/vfio_ap/matrix"),
           ("remove", "/bus/matrix/drivers/vfio_ap"), ("remove", "/devices/vfio_ap/matrix"),
           ("remove", "/bus/matrix"), ("remove", "/module/vfio_ap"),
           ("add", "/module/vfio_ap"), ("add", "/bus/matrix"),
           ("add", "/devices/vfio_ap/matrix"), ("bind", "/devices/vfio_ap/matrix"),
           ("add", "/bus/matrix/drivers/vfio_ap")]
        + [("bind", q) for q in q5]
        + [("add", "/bus/ap/drivers/vfio_ap"), ("add", "/bus/mdev/drivers/vfio_ap_mdev"),
           ("change", "/devices/vfio_ap/matrix")])
    states = [e["MDEV_STATE"] for a, p, e in evs if "MDEV_STATE" in e]
    assert states == ["unregistered", "registered"]


def test_vfio_ap_unload_refused_while_a_guest_has_an_mdev_open(inst):
    assert inst.write("/sys/bus/ap/apmask", "-5\n") is None
    inst.create_mdev(U)
    p = subprocess.Popen([APEMU, "guest", "--mount", inst.mount, "--mdev", U],
                         stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                         text=True)
    try:
        p.stdin.write("guest\n")
        p.stdin.flush()
        assert p.stdout.readline().startswith("{")
        rc, out, err = inst.cli("event", "vfio_ap", "unload")
        assert rc == 1 and "in use" in err, err
        assert inst.exists(inst.mdev(U))
    finally:
        p.stdin.close()
        p.wait(timeout=30)
    rc, out, err = inst.cli("event", "vfio_ap", "unload")
    assert (rc, err) == (0, "")


def test_machine_without_vfio_ap(apemu):
    inst = apemu.start(machine=dict(default_machine(), vfio_ap=False))
    assert not inst.exists("/sys/devices/vfio_ap")
    assert not inst.exists("/sys/bus/matrix")
    assert inst.ls("/sys/bus/ap/drivers") == ["cex4card", "cex4queue"]
    assert inst.write("/sys/bus/ap/apmask", "-6\n") is None
    assert not inst.exists("/sys/devices/ap/card06/06.0004/driver")
    rc, out, err = inst.cli("event", "vfio_ap", "load")
    assert (rc, err) == (0, "")
    assert inst.readlink("/sys/devices/ap/card06/06.0004/driver").endswith("/vfio_ap")
