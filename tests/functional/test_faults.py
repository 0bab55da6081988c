# Injected faults (apemu event fault-*) and the auditor (apemu status --check),
# used the way a tester of a management tool or a guest driver uses them:
# the guest sees the architecture's answers (response codes, a check-stop
# during a request, late replies), on the trap path and on the queue rings
# alike; sysfs changes only where the kernel's would (the check-stop).
import json
import time

import t50
from test_guest_cli import Guest as CliGuest
from test_guest_protocol import guests  # noqa: F401 (the fixture)
from test_guest_protocol import EINVAL, ST_E, ST_R, apqn, attached_guest, make_mdev, rc_of, wait_for

ENODEV, ETIMEDOUT = 19, 110
Q54 = apqn(5, 4)
Q64 = apqn(6, 4)
Q474 = apqn(0x47, 4)


def event(inst, *args):
    rc, out, err = inst.cli("event", *args)
    assert (rc, err) == (0, ""), (args, rc, err)


def test_busy_answers_rc05_then_the_queue_works(apemu, guests):
    inst, g = attached_guest(apemu, guests, [5], [4])
    event(inst, "fault-busy", "05.0004", "2")
    for _ in range(2):
        res = g.tapq(Q54)
        assert (res.cc, rc_of(res)) == (3, 0x05)
    res = g.tapq(Q54)
    assert (res.cc, res.gr[1] & 0xFFFF0000) == (0, ST_E)
    # an NQAP that meets the fault is not queued
    event(inst, "fault-busy", "0x0504", "1")
    res = g.nqap(Q54, 7, b"request")
    assert (res.cc, rc_of(res)) == (3, 0x05)
    res = g.tapq(Q54)
    assert (res.cc, res.gr[1] & (ST_E | ST_R)) == (0, ST_E)


def test_a_chosen_response_code_and_clear(apemu, guests):
    inst, g = attached_guest(apemu, guests, [5], [4])
    event(inst, "fault-rc", "05.0004", "0x07", "100")
    res = g.dqap(Q54)[0]
    assert (res.cc, rc_of(res)) == (3, 0x07)
    event(inst, "fault-clear", "05.0004")
    res = g.dqap(Q54)[0]
    assert (res.cc, rc_of(res)) == (3, 0x10)
    # a queue outside the guest's matrix keeps answering rc 0x01
    event(inst, "fault-busy", "06.0004", "5")
    res = g.tapq(Q64)
    assert (res.cc, rc_of(res)) == (3, 0x01)


def test_reset_in_progress_after_the_next_reset(apemu, guests):
    inst, g = attached_guest(apemu, guests, [5], [4])
    event(inst, "fault-reset-pending", "05.0004", "3")
    assert g.tapq(Q54).cc == 0  # armed only: nothing yet
    res = g.zapq(Q54)
    assert res.cc == 0
    for _ in range(3):
        res = g.tapq(Q54)
        assert (res.cc, rc_of(res)) == (3, 0x02)
    res = g.tapq(Q54)
    assert (res.cc, res.gr[1] & 0xFFFF0000) == (0, ST_E)
    # a host-side reset (VFIO RESET) starts it too
    event(inst, "fault-reset-pending", "05.0004", "1")
    assert g.ioctl("RESET")["ok"] is True
    assert rc_of(g.tapq(Q54)) == 0x02
    assert rc_of(g.tapq(Q54)) == 0


def test_faults_reach_a_guest_on_the_queue_rings(apemu):
    """libapemu-guest's NQAP/DQAP run without an exit; a fault sends them to
    the trap path, where it answers, and afterwards they run on the ring."""
    inst = apemu.start({"adapters": [{"id": 0x47, "type": "CEX8A"}], "usage_domains": "4",
                        "control_domains": "4", "apmask": "", "aqmask": ""})
    u = make_mdev(inst, [0x47], [4])
    req, reply = t50.random_me(1024, t50.rng(5))
    g = CliGuest(inst, "--mdev", u)
    try:
        o = g.ask(f"nqap 47.0004 {req.hex()} 1")
        assert (o["cc"], o["rc"]) == (0, 0), o
        o = g.ask("poll 47.0004")
        assert o["data"] == reply.hex()
        event(inst, "fault-busy", "47.0004", "2")
        for line in (f"nqap 47.0004 {req.hex()} 2", "dqap 47.0004"):
            o = g.ask(line)
            assert (o["cc"], o["rc"]) == (3, 0x05), o
        o = g.ask(f"nqap 47.0004 {req.hex()} 3")
        assert (o["cc"], o["rc"]) == (0, 0), o
        o = g.ask("poll 47.0004")
        assert (o["data"], o["psmid"]) == (reply.hex(), "0x0000000000000003")
    finally:
        g.close()


def test_delayed_replies(apemu, guests):
    inst, g = attached_guest(apemu, guests, [0x47], [4])
    req, reply = t50.random_me(1024, t50.rng(6))
    event(inst, "fault-delay", "0x47", "400")
    start = time.monotonic()
    assert g.nqap(Q474, 9, req).cc == 0
    wait_for(lambda: g.tapq(Q474).gr[1] & ST_R)
    assert time.monotonic() - start >= 0.4
    res, psmid, data = g.dqap(Q474)
    assert (res.cc, psmid, data) == (0, 9, reply)
    event(inst, "fault-delay", "0x47", "0")
    start = time.monotonic()
    assert g.nqap(Q474, 10, req).cc == 0
    wait_for(lambda: g.tapq(Q474).gr[1] & ST_R)
    assert time.monotonic() - start < 0.4


def test_checkstop_in_the_middle_of_a_request(apemu, guests):
    inst, g = attached_guest(apemu, guests, [0x47], [4])
    req, _ = t50.random_me(1024, t50.rng(7))
    event(inst, "fault-delay", "0x47", "1000")
    assert g.nqap(Q474, 11, req).cc == 0
    event(inst, "fault-chkstop-busy", "0x47")
    # sysfs shows what the kernel shows, the guest rc 0x04
    assert inst.read("/sys/devices/ap/card47/chkstop").strip() == "1"
    res = g.tapq(Q474)
    assert (res.cc, rc_of(res)) == (3, 0x04)
    event(inst, "chkstop", "0x47", "off")
    event(inst, "fault-delay", "0x47", "0")
    time.sleep(1.2)  # past the delay: the discarded request's reply goes nowhere
    res = g.tapq(Q474)
    assert (res.cc, res.gr[1] & (ST_E | ST_R)) == (0, ST_E)
    # with nothing to compute, the check-stop waits in vain and changes nothing
    rc, out, err = inst.cli("event", "fault-chkstop-busy", "0x47", "200")
    assert rc == 1 and "computed no request within 200 ms" in err, err
    assert inst.read("/sys/devices/ap/card47/chkstop").strip() == "0"


def test_qci_shows_a_configuration_change_while_the_guest_polls(apemu, guests):
    inst, g = attached_guest(apemu, guests, [5, 6], [4])
    apm_byte = 16  # QCI's APM starts at byte 16; adapters 5, 6 are bits 5, 6 of byte 0
    assert g.qci()[1][apm_byte] == 0x06
    event(inst, "adapter-remove", "6")
    assert g.qci()[1][apm_byte] == 0x04
    event(inst, "adapter-add", "6", "CEX5A")
    wait_for(lambda: g.qci()[1][apm_byte] == 0x06)


def test_fault_requests_errors(apemu, guests):
    inst, g = attached_guest(apemu, guests, [5], [4])
    bad = [
        {"event": "fault-busy", "apqn": Q54},  # no count
        {"event": "fault-busy", "apqn": Q54, "count": 0},
        {"event": "fault-busy", "apqn": 0x10000, "count": 1},
        {"event": "fault-rc", "apqn": Q54, "rc": 0, "count": 1},
        {"event": "fault-rc", "apqn": Q54, "rc": 256, "count": 1},
        {"event": "fault-rc", "apqn": Q54, "count": 1},
        {"event": "fault-busy", "apqn": Q54, "count": 1, "rc": 5},  # unknown member
        {"event": "fault-delay", "id": 0x47},
        {"event": "fault-delay", "id": 0x47, "ms": 60001},
        {"event": "fault-clear"},
    ]
    for req in bad:
        assert g.errno(dict({"op": "event"}, **req)) == EINVAL, req
    assert g.errno({"op": "event", "event": "fault-chkstop-busy", "id": 9}) == ENODEV
    assert g.errno({"op": "event", "event": "fault-chkstop-busy", "id": 5,
                    "wait_ms": 50}) == ETIMEDOUT
    # nothing of that changed the queue
    assert (g.tapq(Q54).cc, rc_of(g.tapq(Q54))) == (0, 0)
    for args in (["fault-busy", "05.0004"], ["fault-busy", "5.4", "1"], ["fault-busy", "05.0004", "x"],
                 ["fault-rc", "05.0004", "300", "1"], ["fault-delay", "0x47"],
                 ["fault-chkstop-busy", "0x47", "1", "2"], ["fault-nonsense", "1"]):
        rc, out, err = inst.cli("event", *args)
        assert rc == 2 and err.startswith("apemu event: "), (args, rc, err)


def test_status_check_finds_every_invariant_holding(apemu, guests):
    inst, g = attached_guest(apemu, guests, [5, 0x47], [4])
    req, _ = t50.random_me(1024, t50.rng(8))
    assert g.nqap(Q474, 1, req).cc == 0
    h = guests(inst)
    h.create()
    rc, out, err = inst.cli("status", "--check")
    assert (rc, out, err) == (0, "every invariant holds\n", "")
    # after a second guest opens another mdev and the first releases its own
    u2 = make_mdev(inst, [6], [4])
    h.open(u2)
    g.release()
    rc, out, err = inst.cli("status", "--check")
    assert (rc, out, err) == (0, "every invariant holds\n", "")
    reply = g.ok({"op": "check"})
    assert reply["violations"] == []
    assert g.errno({"op": "check", "extra": 1}) == EINVAL
    rc, out, err = inst.cli("status", "--check", "--json")
    assert rc == 2 and "--check and --json exclude each other" in err


def test_check_after_a_storm_of_changes(apemu, guests):
    inst, g = attached_guest(apemu, guests, [5, 6, 0x47], [4, 0x47])
    u = json.loads(inst.cli("status", "--json")[1])["mdevs"][0]["uuid"]
    for i in range(20):
        a = (5, 6, 0x47)[i % 3]
        assert inst.write(inst.mdev(u, "unassign_adapter"), "0x%x\n" % a) is None
        assert g.tapq(apqn(a, 4)).cc == 3
        assert inst.write(inst.mdev(u, "assign_adapter"), "0x%x\n" % a) is None
        event(inst, "adapter-config", str(a), "off" if i % 2 else "on")
    event(inst, "adapter-config", "5", "on")
    event(inst, "adapter-config", "0x47", "on")
    rc, out, err = inst.cli("status", "--check")
    assert (rc, out, err) == (0, "every invariant holds\n", "")
