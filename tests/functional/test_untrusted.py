# Untrusted input (issue 12): no client can freeze or crash apemud, and the
# files beside the mount are not trusted.
#
# Invariants: apemud never blocks on a descriptor a client gave it (a full,
# blocking eventfd saturates, as the kernel's eventfd_signal does); a guest
# cannot make apemud fault by shrinking its memory; DIR.log and DIR.sock
# that are symlinks, of the wrong type or another user's are refused with a
# clear message; a client hands its memory only to a socket served by root
# or itself; mdev-open compares the UUID exactly, as VFIO compares device
# names; only root or the --group may use the control socket.
import os
import select
import threading
import time

from test_guest_protocol import (ENODEV, MACHINE, eventfd_count, guests, make_mdev,  # noqa: F401
                                 status)

EFD_MAX = 0xFFFFFFFFFFFFFFFE  # the largest count write(2) can leave in an eventfd


def full_blocking_eventfd():
    """What a hostile VMM registers: blocking, its counter at the maximum."""
    fd = os.eventfd(0, os.EFD_CLOEXEC)
    os.eventfd_write(fd, EFD_MAX)
    return fd


def answers_within(inst, seconds):
    """Does apemud still answer status (configuration lock free) in time?"""
    done = []
    t = threading.Thread(target=lambda: done.append(status(inst)), daemon=True)
    t.start()
    t.join(seconds)
    return bool(done)


def test_full_blocking_config_eventfd_cannot_freeze_apemud(apemu, guests):
    inst = apemu.start(MACHINE)
    u = make_mdev(inst, [5], [4])
    g = guests(inst)
    g.create()
    g.open(u)
    cfg = full_blocking_eventfd()
    try:
        r = g.request({"op": "vfio-ioctl", "request": "SET_IRQS", "argsz": 24, "flags": 0x24,
                       "index": 1, "start": 0, "count": 1}, [cfg])
        assert r["ok"], r
        # apemud made it non-blocking, on the description it shares with us
        assert os.get_blocking(cfg) is False
        os.set_blocking(cfg, True)  # and a hostile client turns that off again
        # a hot plug signals the config-change eventfd with the configuration lock held
        assert inst.write(inst.mdev(u, "assign_adapter"), "6") is None
        assert answers_within(inst, 10), "apemud froze on a full blocking eventfd"
        assert inst.write(inst.mdev(u, "unassign_adapter"), "6") is None
        assert answers_within(inst, 10)
        # saturated: still full, still readable
        assert os.eventfd_read(cfg) == EFD_MAX
    finally:
        os.close(cfg)


def test_full_blocking_request_eventfd_cannot_freeze_a_remove(apemu, guests):
    inst = apemu.start(MACHINE)
    u = make_mdev(inst, [5], [4])
    g = guests(inst)
    g.create()
    g.open(u)
    req = full_blocking_eventfd()
    done = []
    try:
        r = g.request({"op": "vfio-ioctl", "request": "SET_IRQS", "argsz": 24, "flags": 0x24,
                       "index": 0, "start": 0, "count": 1}, [req])
        assert r["ok"], r
        os.set_blocking(req, True)
        t = threading.Thread(target=lambda: done.append(inst.write(inst.mdev(u, "remove"), "1")),
                             daemon=True)
        t.start()
        assert answers_within(inst, 10), "apemud froze signalling the request eventfd"
        g.release()
        t.join(30)
        assert done == [None]
    finally:
        os.close(req)


def test_full_blocking_aqic_eventfd_cannot_stall_an_adapter(apemu, guests):
    import t50
    from test_guest_protocol import apqn, wait_for

    inst = apemu.start(MACHINE)
    u = make_mdev(inst, [5], [4])
    v = make_mdev(inst, [5], [0x47])
    g = guests(inst)
    os.close(g.evfd)
    g.evfd = full_blocking_eventfd()
    g.create()
    os.set_blocking(g.evfd, True)
    g.open(u)
    h = guests(inst)
    h.create()
    h.open(v)
    q, other = apqn(5, 4), apqn(5, 0x47)
    assert g.aqic(q, True).cc == 0
    req = t50.random_me(2048, t50.rng(7))[0]
    assert g.nqap(q, 1, req).cc == 0
    # the adapter signals g's eventfd with g's queue lock held; h on the same
    # adapter is served all the same
    assert h.nqap(other, 2, req).cc == 0
    wait_for(lambda: h.dqap(other)[1] == 2)
    wait_for(lambda: g.mem[0x4000] == 0xFF)
    assert answers_within(inst, 10)
