# The guest side of the control socket, spoken raw from Python through
# python/apemu/guest.py (apemu.Guest, python3-apemu)
# (docs/guest-protocol.md): guest-create with a memfd (or two, end to end:
# "ram"), mdev-open and mdev-release, the VFIO ioctls, the CRYCB apemud
# keeps for the guest, and the AP instructions a guest puts on the ring in
# its memory.
#
# Invariant: the daemon, playing KVM and the machine, answers each guest
# from that guest's CRYCB only: the CRYCB holds exactly the mdev's guest
# matrix while the mdev is open (and nothing after it is released), every
# instruction is judged against it, and the end of a guest - a release,
# a closed connection or a SIGKILL - zeroizes the queues it held.
#
# The tests poll resp_seq instead of waiting on the futex (one test waits
# with FUTEX_WAIT through ctypes to check that apemud wakes waiters); they
# do FUTEX_WAKE req_seq as the protocol asks, where the syscall number is
# known, and one test checks that a guest that does not is served anyway.
import ctypes
import fcntl
import mmap
import os
import platform
import select
import signal
import socket
import struct
import subprocess
import sys
import threading
import time

import pytest
import t50

import apemupath  # noqa: F401  (python/ first on sys.path)
from apemu.guest import (  # noqa: F401  (the raw client, python3-apemu; test_dataplane uses these names)
    DQAP, EBADF, EBUSY, ECA_APIE, EINVAL, EIO, ENODEV, EOPNOTSUPP, EPERM, FC_AQIC, FC_QCI, FC_RAPQ,
    FC_TAPQ, FC_ZAPQ, FUTEX_NR, FUTEX_WAIT, FUTEX_WAKE, G2_CRYCB, LIBC, MEM, MSG, NESTED, NIB, NQAP,
    OFF_FLAGS, OFF_GR, OFF_OPC, OFF_R1, OFF_REQ, OFF_RES, OFF_RESP, OFF_SCB, PGM_ADDRESSING,
    PGM_OPERATION, PGM_PRIVILEGED, PGM_SPECIFICATION, PQAP, PROBLEM, QCI_BLOCK, REPLY, RING_MAGIC,
    RING_SIZE, RING_VERSION, SCB, ST_E, ST_F, ST_I, ST_R, T_BIT, Guest, Result, Timespec, apqn,
    eventfd_count, futex, ids_mask, mask_bytes, rc_of)

# cur: every queue goes to vfio_ap (nothing reserved for the host).
MACHINE = {
    "apmask": "",
    "aqmask": "",
    "usage_domains": "4,0x47",
    "control_domains": "4,0x47",
    "adapters": [
        {"id": 5, "type": "CEX5C"},
        {"id": 6, "type": "CEX5A", "depth": 1},
        {"id": 0x47, "type": "CEX8A"},
    ],
}
MACHINE_V8 = {
    "abi": "v8",
    "usage_domains": "4,0x47",
    "adapters": [{"id": 5, "type": "CEX5C"}, {"id": 6, "type": "CEX5A"}],
}
MACHINE_NO_APXA = {
    "apxa": False,
    "apmask": "",
    "aqmask": "",
    "usage_domains": "4",
    "adapters": [{"id": 5, "type": "CEX5C"}],
}


@pytest.fixture
def guests():
    """Guests opened by a test; all closed (connections gone) at its end."""
    made = []

    def new(inst, **kw):
        g = Guest(inst, **kw)
        made.append(g)
        return g

    yield new
    for g in made:
        g.close()


def status(inst):
    g = Guest(inst, irq=False)
    try:
        return g.ok({"op": "status", "queues": False})
    finally:
        g.close()


def mdev_status(inst, u):
    return next(m for m in status(inst)["mdevs"] if m["uuid"] == u)


def make_mdev(inst, adapters, domains, controls=()):
    u = inst.create_mdev()
    for attr, ids in (("assign_adapter", adapters), ("assign_domain", domains),
                      ("assign_control_domain", controls)):
        for i in ids:
            assert inst.write(inst.mdev(u, attr), "0x%x" % i) is None, (attr, i)
    return u


def qstatus(inst, a, d):
    return inst.read("/sys/devices/ap/card%02x/%02x.%04x/status" % (a, a, d)).strip()


def wait_for(cond, timeout=10):
    deadline = time.monotonic() + timeout
    while not cond():
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.01)


def crycb_masks_format2(b):
    return b[0x80:0xA0], b[0xA0:0xC0], b[0xC0:0xE0]


# ---- guest-create ----


def test_guest_create_refuses_bad_requests(apemu, guests):
    inst = apemu.start(MACHINE)
    g = guests(inst)
    # missing memfd, too many descriptors
    assert g.errno(g.create_req()) == EINVAL
    # sizes: too small, not a multiple of 4096, larger than the memfd
    assert g.errno(g.create_req(memory=4096), g.fds()) == EINVAL
    assert g.errno(g.create_req(memory=MEM - 100), g.fds()) == EINVAL
    assert g.errno(g.create_req(memory=2 * MEM), g.fds()) == EINVAL
    assert g.errno({"op": "guest-create", "ring": 0}, g.fds()) == EINVAL
    # the ring: misaligned, outside memory, not a ring
    assert g.errno(g.create_req(ring=4), g.fds()) == EINVAL
    assert g.errno(g.create_req(ring=MEM - 8), g.fds()) == EINVAL
    assert g.errno(g.create_req(ring=0x800), g.fds()) == EINVAL
    # the CPU model: unknown member, wrong type; unknown fields
    assert g.errno(g.create_req(cpu={"ap": True, "vx": True}), g.fds()) == EINVAL
    assert g.errno(g.create_req(cpu={"ap": "on"}), g.fds()) == EINVAL
    assert g.errno(g.create_req(cpu=[]), g.fds()) == EINVAL
    assert g.errno(dict(g.create_req(), color="red"), g.fds()) == EINVAL
    # the second descriptor must be an eventfd
    r, w = os.pipe()
    try:
        assert g.errno(g.create_req(), [g.memfd, r]) == EINVAL
        assert g.errno(g.create_req(), [r]) == EINVAL
    finally:
        os.close(r)
        os.close(w)
    # nothing of that made a guest
    assert g.errno({"op": "crycb"}) == EINVAL
    g.create()
    # one guest per connection
    assert g.errno(g.create_req(), g.fds()) == EINVAL
    # a memfd the daemon cannot seal against shrinking
    g2 = guests(inst, seal=False)
    assert g2.errno(g2.create_req(), g2.fds()) == EINVAL
    # a bad magic
    g3 = guests(inst, magic=0x12345678)
    assert g3.errno(g3.create_req(), g3.fds()) == EINVAL
    # unknown ops still answer EOPNOTSUPP
    assert g.errno({"op": "guest-destroy"}) == EOPNOTSUPP


@pytest.mark.parametrize(
    "machine,cpu,fmt",
    [
        (MACHINE, None, 2),
        (MACHINE, {"msax3": False}, 0),
        (MACHINE, {"apxa": False}, 1),
        (MACHINE_NO_APXA, {}, 1),
        (MACHINE_NO_APXA, {"msax3": False, "apxa": True}, 0),
    ],
)
def test_guest_create_crycb_format(apemu, guests, machine, cpu, fmt):
    inst = apemu.start(machine)
    g = guests(inst)
    r = g.create(cpu)
    assert r["format"] == fmt
    crycbd = int(r["crycbd"], 16)
    assert crycbd & 3 == {0: 0, 1: 1, 2: 3}[fmt]
    origin = crycbd & 0x7FFFFFF8
    assert origin and origin % 8 == 0 and crycbd < 1 << 31
    d, f, b = g.crycb()
    assert (d, f) == (crycbd, fmt)
    # masks empty; wrapping-key masks random with MSAX3 only
    assert b[0x00:0x20] == bytes(32) and b[0x80:0x100] == bytes(128)
    keys = b[0x48:0x80]
    assert (keys != bytes(56)) == (fmt != 0)
    # every guest gets its own designation
    g2 = guests(inst)
    assert int(g2.create(cpu)["crycbd"], 16) != crycbd


# ---- guest-create with "ram": the memory in two memfds, end to end ----

# [0, RAM) is the first memfd (QEMU's guest RAM), [RAM, MEM) the second (the
# guest library's pages): the ring and the data-plane area are there, the
# trap path's MSG, REPLY and QCI_BLOCK below RAM, in the first.
RAM = 0x40000
RAM_RING = RAM + 0x1000
RAM_DP, RAM_DP_SIZE = MEM // 2, MEM // 2
DP_MAGIC, DP_VERSION = 0x41504450, 1
DP_JUNK = bytes(range(256)) * 4  # a directory a failed guest-create must not touch
RAM_NAME, REST_NAME = "apemu-test-ram", "apemu-test-rest"
PROT_NONE, MAP_FIXED = 0, 0x10  # the same on every Linux architecture
_libc = ctypes.CDLL(None, use_errno=True)
_libc.mmap.restype = ctypes.c_void_p
_libc.mmap.argtypes = [ctypes.c_void_p, ctypes.c_size_t, ctypes.c_int, ctypes.c_int,
                       ctypes.c_int, ctypes.c_long]
_libc.munmap.argtypes = [ctypes.c_void_p, ctypes.c_size_t]


def _map(addr, size, prot, flags, fd):
    p = _libc.mmap(addr, size, prot, flags, fd, 0)
    if p in (None, ctypes.c_void_p(-1).value):
        e = ctypes.get_errno()
        raise OSError(e, os.strerror(e))
    return p


class RamGuest(Guest):
    """A guest whose memory is two memfds end to end ("ram"): `ramfd` holds
    guest addresses [0, ram), `restfd` [ram, memory). By default it has a
    data-plane area and the doorbells (the trap doorbell is written after
    each instruction); dp=None: neither. Python maps both memfds end to
    end as apemud does (and apemu_guest_adopt), so Guest's helpers work on
    guest addresses; the tests also reach each memfd with pread/pwrite, so
    that they see which memfd apemud read and wrote. ram_size, rest_size
    and seal_ram, seal_rest make a memfd too small or unsealable."""

    def __init__(self, inst, ram=RAM, memory=MEM, ring=RAM_RING, dp=(RAM_DP, RAM_DP_SIZE),
                 irq=False, ram_size=None, rest_size=None, seal_ram=True, seal_rest=True):
        self.sock = socket.socket(socket.AF_UNIX, socket.SOCK_SEQPACKET | socket.SOCK_CLOEXEC)
        self.sock.settimeout(30)
        self.sock.connect(inst.socket)
        self.ram, self.memory, self.ring, self.dp = ram, memory, ring, dp
        self.ramfd = self._memfd(RAM_NAME, seal_ram, ram if ram_size is None else ram_size)
        self.restfd = self._memfd(REST_NAME, seal_rest,
                                  memory - ram if rest_size is None else rest_size)
        self.memfd = self.restfd
        # the ring's and the area's headers, written to the second memfd itself
        os.pwrite(self.restfd, struct.pack("=II", RING_MAGIC, RING_VERSION), ring - ram)
        if dp:
            os.pwrite(self.restfd, struct.pack("=II", DP_MAGIC, DP_VERSION) + DP_JUNK,
                      dp[0] - ram)
        self.base = _map(None, memory, PROT_NONE,
                         mmap.MAP_PRIVATE | mmap.MAP_ANONYMOUS, -1)
        rw = mmap.PROT_READ | mmap.PROT_WRITE
        _map(self.base, ram, rw, mmap.MAP_SHARED | MAP_FIXED, self.ramfd)
        _map(self.base + ram, memory - ram, rw, mmap.MAP_SHARED | MAP_FIXED, self.restfd)
        self.cmem = (ctypes.c_char * memory).from_address(self.base)
        self.mem = memoryview(self.cmem).cast("B")
        self.evfd = os.eventfd(0, os.EFD_CLOEXEC | os.EFD_NONBLOCK) if irq else None
        self.doorbells = dp is not None
        self.wake = not self.doorbells and FUTEX_NR is not None
        self.trap_db = self.data_db = None
        if self.doorbells:
            self.trap_db = os.eventfd(0, os.EFD_CLOEXEC | os.EFD_NONBLOCK)
            self.data_db = os.eventfd(0, os.EFD_CLOEXEC | os.EFD_NONBLOCK)

    @staticmethod
    def _memfd(name, seal, size):
        fd = os.memfd_create(name, os.MFD_CLOEXEC | (os.MFD_ALLOW_SEALING if seal else 0))
        os.ftruncate(fd, size)
        return fd

    def close(self):
        if self.sock is None:
            return
        self.sock.close()
        self.sock = None
        self.mem.release()
        del self.cmem
        _libc.munmap(self.base, self.memory)
        for fd in (self.ramfd, self.restfd, self.evfd, self.trap_db, self.data_db):
            if fd is not None:
                os.close(fd)

    def create_req(self, cpu=None, memory=None, ring=None, **members):
        req = super().create_req(cpu, memory, ring)
        req["ram"] = self.ram
        if self.dp:
            req["dataplane"] = {"addr": self.dp[0], "size": self.dp[1]}
            req["doorbells"] = True
        req.update(members)
        return req

    def fds(self):
        return ([self.ramfd, self.restfd] + ([self.evfd] if self.evfd is not None else []) +
                ([self.trap_db, self.data_db] if self.doorbells else []))

    def exec(self, opcode, gr, r1=0, r2=0, flags=0, scb=0, timeout=10):
        if not self.doorbells:
            return super().exec(opcode, gr, r1, r2, flags, scb, timeout)
        m, ring = self.mem, self.ring
        struct.pack_into("=II", m, ring + OFF_OPC, opcode, flags)
        struct.pack_into("=BB", m, ring + OFF_R1, r1, r2)
        struct.pack_into("=Q", m, ring + OFF_SCB, scb)
        struct.pack_into("=16Q", m, ring + OFF_GR, *(list(gr) + [0] * (16 - len(gr))))
        seq = (self.word(ring + OFF_REQ).value + 1) & 0xFFFFFFFF
        self.word(ring + OFF_REQ).value = seq
        os.eventfd_write(self.trap_db, 1)
        deadline = time.monotonic() + timeout
        while self.word(ring + OFF_RESP).value != seq:
            assert time.monotonic() < deadline, "apemud did not answer the ring"
            time.sleep(0.0005)
        out = list(struct.unpack_from("=16Q", m, ring + OFF_GR))
        return Result(out, *struct.unpack_from("=iiii", m, ring + OFF_RES))

    def rest(self, n, addr):
        """n bytes at guest address addr >= ram, read from the second memfd itself."""
        return os.pread(self.restfd, n, addr - self.ram)

    def sealed(self, fd):
        return bool(fcntl.fcntl(fd, fcntl.F_GET_SEALS) & fcntl.F_SEAL_SHRINK)


def daemon_memfd_maps(inst, name):
    """apemud's mappings of memfds called name: [(start, end, file offset)]."""
    out = []
    with open("/proc/%d/maps" % inst.pid) as f:
        for line in f:
            if line.rstrip("\n").endswith(" /memfd:%s (deleted)" % name):
                addrs, _, off = line.split()[:3]
                lo, hi = (int(x, 16) for x in addrs.split("-"))
                out.append((lo, hi, int(off, 16)))
    return sorted(out)


def span(maps):
    """(start, end) of mappings of one file from its start, each right behind the last."""
    assert maps and maps[0][2] == 0, maps
    for (lo, hi, off), (lo2, _, off2) in zip(maps, maps[1:]):
        assert lo2 == hi and off2 == off + hi - lo, maps
    return maps[0][0], maps[-1][1]


def directory_cleared(g):
    """The area's dir_gen, nent and directory are zero (apemud's guest-create)."""
    return (g.rest(8, g.dp[0] + 8) == bytes(8) and
            g.rest(len(DP_JUNK) - 56, g.dp[0] + 64) == bytes(len(DP_JUNK) - 56))


def test_guest_create_with_ram(apemu):
    inst = apemu.start(MACHINE)
    u = make_mdev(inst, [0x47], [4])
    q = apqn(0x47, 4)
    g = RamGuest(inst, irq=True)
    try:
        assert len(g.fds()) == 5  # [ram memfd, memfd, irq, trap, data]
        r = g.create()
        assert r["guest"] == 1 and r["format"] == 2
        # apemud sealed both, mapped the first at [0, RAM) and the second right behind
        assert g.sealed(g.ramfd) and g.sealed(g.restfd)
        lo, hi = span(daemon_memfd_maps(inst, RAM_NAME))
        lo2, hi2 = span(daemon_memfd_maps(inst, REST_NAME))
        assert (hi - lo, lo2, hi2 - lo2) == (RAM, hi, MEM - RAM)
        # and cleared the area's directory, in the second memfd
        assert g.rest(8, RAM_DP) == struct.pack("=II", DP_MAGIC, DP_VERSION)
        assert directory_cleared(g)
        g.open(u)
        # TAPQ through the ring, in the second memfd
        res = g.tapq(q, t=True)
        assert (res.pgm, res.cc, res.gr[1] & (ST_E | ST_R)) == (0, 0, ST_E)
        assert struct.unpack("=I", g.rest(4, RAM_RING + OFF_RESP))[0] == g.word(
            RAM_RING + OFF_RESP).value
        # QCI stores its block below RAM: into the first memfd
        os.pwrite(g.ramfd, b"\xee" * 128, QCI_BLOCK)
        res, block = g.qci(QCI_BLOCK)
        assert (res.pgm, res.cc) == (0, 0)
        assert os.pread(g.ramfd, 128, QCI_BLOCK) == block
        assert block[16:48] == ids_mask([0x47]) and block[48:80] == ids_mask([4])
        # NQAP of a message written to the first memfd only (guest address < RAM)
        rng = t50.rng(0x5A)
        req, reply = t50.random_me(1024, rng)
        os.pwrite(g.ramfd, req, MSG)
        res = g.exec(NQAP, [q, 0, 0, 0, 0x11223344, 0x55667788, MSG, len(req)], r1=4, r2=6)
        assert (res.pgm, res.cc, rc_of(res), res.gr[6], res.gr[7]) == \
            (0, 0, 0, MSG + len(req), 0)
        # the queue's ring is laid out in the area: the directory in the second memfd
        assert struct.unpack("=I", g.rest(4, RAM_DP + 12))[0] == 1
        wait_reply(g, q)
        # DQAP into the first memfd: the adapter computed on exactly those bytes
        os.pwrite(g.ramfd, bytes(4096), REPLY)
        res = g.exec(DQAP, [q, 0, 0, 0, 0, 0, REPLY, 4096], r1=4, r2=6)
        assert (res.pgm, res.cc, res.gr[4], res.gr[5]) == (0, 0, 0x11223344, 0x55667788)
        assert os.pread(g.ramfd, res.gr[6] - REPLY, REPLY) == reply
        # a message across RAM: its start in the first memfd, the rest in the
        # second; the reply written across it the same way; its interruption
        # through the third descriptor, the notification byte in the first memfd
        assert rc_of(g.aqic(q, True, nib=NIB)) == 0
        req, reply = t50.random_me(2048, rng)
        a, cut = RAM - 200, 200
        os.pwrite(g.ramfd, req[:cut], a)
        os.pwrite(g.restfd, req[cut:], 0)
        res = g.exec(NQAP, [q, 0, 0, 0, 0, 0x77, a, len(req)], r1=4, r2=6)
        assert (res.pgm, res.cc, rc_of(res)) == (0, 0, 0)
        assert select.select([g.evfd], [], [], 10)[0], "no adapter interruption within 10 s"
        assert os.pread(g.ramfd, 1, NIB) == b"\xff" and eventfd_count(g.evfd) == 1
        wait_reply(g, q)
        b = RAM - 100
        res = g.exec(DQAP, [q, 0, 0, 0, 0, 0, b, 4096], r1=4, r2=6)
        n = res.gr[6] - b
        assert (res.pgm, res.cc, res.gr[5], n) == (0, 0, 0x77, len(reply))
        assert os.pread(g.ramfd, 100, b) + g.rest(n - 100, RAM) == reply
        # operands past the memory's end are still addressing exceptions
        res = g.exec(NQAP, [q, 0, 0, 0, 0, 1, MEM - 2, 16], r1=4, r2=6)
        assert res.pgm == PGM_ADDRESSING
        # the end of the guest unmaps both
        g.close()
        wait_for(lambda: not daemon_memfd_maps(inst, RAM_NAME) and
                 not daemon_memfd_maps(inst, REST_NAME))
    finally:
        g.close()


def test_guest_create_with_ram_without_area(apemu):
    """[ram memfd, memfd] and [ram memfd, memfd, irq]: poller guests."""
    inst = apemu.start(MACHINE)
    u, u2 = make_mdev(inst, [5], [4]), make_mdev(inst, [6], [4])
    g = RamGuest(inst, dp=None)
    # s: the smallest memory, a page of each memfd; h: 64 KiB, the trap
    # path's MSG, REPLY and NIB below ram, in the first
    s = RamGuest(inst, dp=None, ram=4096, ring=4096, memory=8192)
    h = RamGuest(inst, dp=None, irq=True, ram=0x8000, ring=0x8100, memory=0x10000)
    try:
        assert len(g.fds()) == 2 and len(h.fds()) == 3
        assert g.create()["guest"] == 1
        g.open(u)
        res = g.tapq(apqn(5, 4))
        assert (res.pgm, res.cc, res.gr[1] & ST_E) == (0, 0, ST_E)
        assert s.create()["guest"] == 2
        res = s.tapq(apqn(5, 4))
        assert (res.pgm, res.cc, rc_of(res)) == (0, 3, 1)  # no mdev: not in its CRYCB
        assert h.create()["guest"] == 3
        h.open(u2)
        q = apqn(6, 4)
        assert rc_of(h.aqic(q, True)) == 0
        req, reply = t50.random_me(1024, t50.rng(0x5B))
        assert h.nqap(q, 9, req).cc == 0
        assert select.select([h.evfd], [], [], 10)[0], "no adapter interruption within 10 s"
        assert os.pread(h.ramfd, 1, NIB) == b"\xff" and eventfd_count(h.evfd) == 1
        assert h.dqap(q)[1:] == (9, reply)
        # every guest's memfds are mapped, each the size of its part
        assert sum(hi - lo for lo, hi, _ in daemon_memfd_maps(inst, RAM_NAME)) == \
            RAM + 4096 + 0x8000
        assert sum(hi - lo for lo, hi, _ in daemon_memfd_maps(inst, REST_NAME)) == \
            (MEM - RAM) + 4096 + 0x8000
    finally:
        g.close()
        s.close()
        h.close()


def test_guest_create_with_ram_refusals(apemu):
    """Each refusal is EINVAL with a message naming what was wrong, and
    changes nothing: no guest on the connection, the area untouched,
    nothing of either memfd left mapped in apemud, and the next good
    guest-create gets guest 1."""
    inst = apemu.start(MACHINE)
    ev = [os.eventfd(0, os.EFD_CLOEXEC) for _ in range(2)]
    pr, pw = os.pipe()
    nodp = {"dp": None}
    E = "guest-create: "
    cases = [
        # (RamGuest's arguments, request members, descriptors (None: all of
        #  them), the message's start, words in it)
        ({}, {"ram": RAM + 1}, None, E + "ram: ", ["%d is not a multiple of 4096" % (RAM + 1)]),
        ({}, {"ram": 2048}, None, E + "ram: ", ["2048 out of range"]),
        ({}, {"ram": 0}, None, E + "ram: ", ["0 out of range (4096.."]),
        ({}, {"ram": -4096}, None, E + "ram: ", ["-4096 out of range"]),
        ({}, {"ram": MEM}, None, E + "ram: ", ["%d is not" % MEM, "below the memory (%d)" % MEM]),
        ({}, {"ram": MEM + 4096}, None, E + "ram: ", ["%d is not" % (MEM + 4096)]),
        ({}, {"ram": "0x40001"}, None, E + "ram: ", ["%d is not" % (RAM + 1)]),
        ({}, {"ram": float(RAM)}, None, E + "ram: ", ["expected an integer, got a fractional"]),
        ({}, {"ram": 4096.5}, None, E + "ram: ", ["expected an integer"]),
        ({}, {"ram": "lots"}, None, E + "ram: ", ['bad number "lots"']),
        ({}, {"ram": True}, None, E + "ram: ", ["expected an integer, got a boolean"]),
        ({}, {"ram": None}, None, E + "ram: ", ["expected an integer, got null"]),
        ({}, {"ram": [RAM]}, None, E + "ram: ", ["expected an integer, got an array"]),
        # descriptors: only the first memfd (with and without the doorbells)
        (nodp, {}, lambda g: [g.ramfd], E + "expected the memfd of the ram and that of the rest",
         ["got 1 descriptors"]),
        ({}, {}, lambda g: [g.ramfd, g.trap_db, g.data_db], E + "expected the memfd of the ram",
         ["then the trap and data doorbells", "got 3 descriptors"]),
        (nodp, {}, lambda g: [g.ramfd, g.restfd, ev[0], ev[1]], E + "expected the memfd of",
         ["got 4 descriptors"]),
        # an eventfd where a memfd goes: the second, then the first
        (nodp, {}, lambda g: [g.ramfd, ev[0]], E + "memory - ram: ", ["not a memfd"]),
        ({}, {}, lambda g: [g.ramfd, ev[0], g.trap_db, g.data_db], E + "memory - ram: ",
         ["not a memfd"]),
        (nodp, {}, lambda g: [ev[0], g.restfd], E + "ram: ", ["not a memfd"]),
        # a pipe where the interruption eventfd goes: counted after the two memfds
        ({}, {}, lambda g: [g.ramfd, g.restfd, pr, g.trap_db, g.data_db], E + "descriptor 3 ",
         ["not an eventfd"]),
        # too small: the first, the second
        ({"ram_size": RAM - 4096}, {}, None, E + "ram: ",
         ["%d bytes, but the memfd has only %d" % (RAM, RAM - 4096)]),
        ({"rest_size": MEM - RAM - 4096}, {}, None, E + "memory - ram: ",
         ["%d bytes, but the memfd has only %d" % (MEM - RAM, MEM - RAM - 4096)]),
        ({"ram_size": 0}, {}, None, E + "ram: ", ["has only 0"]),
        # cannot be sealed against shrinking (no MFD_ALLOW_SEALING)
        ({"seal_ram": False}, {}, None, E + "ram: ", ["cannot be sealed", "MFD_ALLOW_SEALING"]),
        ({"seal_rest": False}, {}, None, E + "memory - ram: ",
         ["cannot be sealed", "MFD_ALLOW_SEALING"]),
    ]
    kept = None
    try:
        for i, (kw, members, fds, start, words) in enumerate(cases):
            g = RamGuest(inst, **kw)
            r = g.request(g.create_req(**members), fds(g) if fds else g.fds())
            what = (i, kw, members, r)
            assert r.get("ok") is False and r.get("errno") == EINVAL, what
            assert r["message"].startswith(start), what
            assert all(w in r["message"] for w in words), what
            # nothing made, nothing touched
            assert g.errno({"op": "crycb"}) == EINVAL, what
            if g.dp:
                assert g.rest(len(DP_JUNK), RAM_DP + 8) == DP_JUNK, what
            if "ram" in members:  # refused before a memfd was looked at
                assert not g.sealed(g.ramfd) and not g.sealed(g.restfd), what
            if kw == {"seal_rest": False}:  # the first was sealed already (a seal stays)
                assert g.sealed(g.ramfd), what
            if i == 0:
                kept = g  # a refused connection may still create its guest
            else:
                g.close()
            assert daemon_memfd_maps(inst, RAM_NAME) == [], what
            assert daemon_memfd_maps(inst, REST_NAME) == [], what
        # a new connection: its guest is the daemon's first
        g = RamGuest(inst)
        try:
            assert g.create()["guest"] == 1
            assert directory_cleared(g)
            assert kept.create()["guest"] == 2
            assert len(daemon_memfd_maps(inst, RAM_NAME)) >= 2
            assert g.tapq(apqn(5, 4)).cc == 3  # the ring answers
        finally:
            g.close()
    finally:
        if kept is not None:
            kept.close()
        for fd in ev + [pr, pw]:
            os.close(fd)


# ---- mdev-open / mdev-release ----


def test_mdev_open_errors_cur(apemu, guests):
    inst = apemu.start(MACHINE)
    a = make_mdev(inst, [5], [4])
    b = make_mdev(inst, [6], [4])
    g = guests(inst)
    # unknown mdev; no guest (no KVM) yet
    assert g.errno({"op": "mdev-open", "uuid": "11111111-2222-3333-4444-555555555555"}) == ENODEV
    assert g.errno({"op": "mdev-open", "uuid": "not-a-uuid"}) == ENODEV
    assert g.errno({"op": "mdev-open", "uuid": a}) == EINVAL
    assert g.errno({"op": "mdev-open"}) == EINVAL
    # no device open: release and ioctls are on a closed fd
    assert g.errno({"op": "mdev-release"}) == EBADF
    assert g.ioctl("GET_INFO", argsz=16)["errno"] == EBADF
    g.create()
    assert g.open(a)["attached"] is True
    # open already, by this connection or another
    assert g.errno({"op": "mdev-open", "uuid": a}) == EBUSY
    h = guests(inst)
    h.create()
    assert h.errno({"op": "mdev-open", "uuid": a}) == EBUSY
    # a second mdev for the same guest
    assert g.errno({"op": "mdev-open", "uuid": b}) == EPERM
    assert mdev_status(inst, b)["guest"] is None
    # the other guest may have it
    assert h.open(b)["attached"] is True
    assert mdev_status(inst, a)["guest"] != mdev_status(inst, b)["guest"]
    g.release()
    assert g.errno({"op": "mdev-release"}) == EBADF
    assert mdev_status(inst, a)["guest"] is None
    # and a released mdev can be opened again
    assert g.open(a)["attached"] is True


def bind_to_vfio(inst, a, d):
    q = "%02x.%04x" % (a, d)
    assert inst.write("/sys/bus/ap/drivers/cex4queue/unbind", q) is None
    assert inst.write("/sys/bus/ap/drivers/vfio_ap/bind", q) is None


def test_mdev_open_v8(apemu, guests):
    inst = apemu.start(MACHINE_V8)
    for a in (5, 6):
        bind_to_vfio(inst, a, 4)
    a = make_mdev(inst, [5], [4])
    b = make_mdev(inst, [6], [4])
    # v8 (4.20): without a guest the device opens, with nothing attached
    n = guests(inst)
    assert n.open(a)["attached"] is False
    assert mdev_status(inst, a)["guest"] is None
    assert n.ioctl("GET_INFO", argsz=16)["num_irqs"] == 0
    n.release()
    g = guests(inst)
    g.create()
    assert g.open(a)["attached"] is True
    # a second mdev for the same guest opens, installing nothing
    assert g.open(b)["attached"] is False
    assert mdev_status(inst, b)["guest"] is None
    apm, aqm, _ = crycb_masks_format2(g.crycb()[2])
    assert (apm, aqm) == (ids_mask([5]), ids_mask([4]))
    # two devices open: requests name one
    assert g.ioctl("GET_INFO", argsz=16)["errno"] == EINVAL
    info = g.ioctl("GET_INFO", argsz=16, uuid=a)
    assert (info["flags"], info["num_regions"], info["num_irqs"]) == (33, 0, 0)
    # no interrupts in v8
    assert g.ioctl("GET_IRQ_INFO", argsz=16, index=0, uuid=a)["errno"] == EOPNOTSUPP
    assert g.ioctl("SET_IRQS", argsz=24, flags=0x24, index=0, start=0, count=1, fd=-1,
                   uuid=a)["errno"] == EOPNOTSUPP
    # RESET zeroizes APM x AQM (4.20)
    assert g.nqap(apqn(5, 4), 5, b"v8").cc == 0
    assert g.ioctl("RESET", uuid=a)["ok"] is True
    assert rc_of(g.dqap(apqn(5, 4))[0]) == 0x10
    # remove of an attached mdev: EBUSY at once
    assert inst.write(inst.mdev(a, "remove"), "1") == EBUSY
    assert inst.exists(inst.mdev(a))
    assert g.ok({"op": "mdev-release", "uuid": b})
    g.release()
    assert inst.write(inst.mdev(a, "remove"), "1") is None
    assert not inst.exists(inst.mdev(a))


# ---- the CRYCB ----


def test_crycb_format2_follows_guest_matrix(apemu, guests):
    inst = apemu.start(MACHINE)
    u = make_mdev(inst, [5], [4, 0x47], [4])
    g = guests(inst)
    g.create()
    keys = g.crycb()[2][0x48:0x80]
    g.open(u)
    st = mdev_status(inst, u)
    gm = st["guest_matrix"]
    b = g.crycb()[2]
    assert crycb_masks_format2(b) == (mask_bytes(gm["apm"]), mask_bytes(gm["aqm"]), mask_bytes(gm["adm"]))
    assert crycb_masks_format2(b) == (ids_mask([5]), ids_mask([4, 0x47]), ids_mask([4]))
    assert b[0:0x20] == bytes(32) and b[0x48:0x80] == keys
    # the status op shows the same bytes
    assert st["crycb"] == b.hex()
    # the config-change eventfd is signalled on hot plug
    cfg = os.eventfd(0, os.EFD_CLOEXEC | os.EFD_NONBLOCK)
    try:
        r = g.request({"op": "vfio-ioctl", "request": "SET_IRQS", "argsz": 24, "flags": 0x24,
                       "index": 1, "start": 0, "count": 1}, [cfg])
        assert r["ok"], r
        assert inst.write(inst.mdev(u, "assign_adapter"), "6") is None
        assert eventfd_count(cfg) >= 1
    finally:
        os.close(cfg)
    b = g.crycb()[2]
    assert crycb_masks_format2(b)[:2] == (ids_mask([5, 6]), ids_mask([4, 0x47]))
    assert inst.write(inst.mdev(u, "unassign_domain"), "0x47") is None
    assert crycb_masks_format2(g.crycb()[2])[:2] == (ids_mask([5, 6]), ids_mask([4]))
    gm = mdev_status(inst, u)["guest_matrix"]
    assert crycb_masks_format2(g.crycb()[2]) == (mask_bytes(gm["apm"]), mask_bytes(gm["aqm"]), mask_bytes(gm["adm"]))
    # release clears the masks (the keys stay)
    g.release()
    b = g.crycb()[2]
    assert b[0x80:0x100] == bytes(128) and b[0:0x20] == bytes(32) and b[0x48:0x80] == keys
    assert mdev_status(inst, u)["crycb"] is None


def test_crycb_format0_apcb0(apemu, guests):
    inst = apemu.start(MACHINE)
    u = make_mdev(inst, [5, 6], [4], [4, 0x47])
    g = guests(inst)
    assert g.create({"msax3": False})["format"] == 0
    g.open(u)
    b = g.crycb()[2]
    # APCB0: 8 bytes of APM, 2 of AQM, 2 of ADM; nothing in APCB1
    assert b[0x00:0x08] == ids_mask([5, 6], 8)
    assert b[0x08:0x10] == ids_mask([4], 2) + bytes(6)
    assert b[0x10:0x18] == ids_mask([4], 2) + bytes(6)  # 0x47 does not fit in 16 bits
    assert b[0x18:] == bytes(256 - 0x18)
    # hot unplug reaches the guest
    assert inst.write(inst.mdev(u, "unassign_adapter"), "5") is None
    assert g.crycb()[2][0:8] == ids_mask([6], 8)
    # the guest sees 16 domains, 64 adapters: TAPQ 06.0004 works
    res = g.tapq(apqn(6, 4))
    assert (res.pgm, res.cc, rc_of(res)) == (0, 0, 0)
    g.release()
    assert g.crycb()[2] == bytes(256)


def test_queue_status_in_use_while_open(apemu, guests):
    inst = apemu.start(MACHINE)
    u = make_mdev(inst, [5], [4, 0x47])
    assert qstatus(inst, 5, 4) == "assigned"
    g = guests(inst)
    g.create()
    g.open(u)
    assert qstatus(inst, 5, 4) == "in use"
    assert qstatus(inst, 5, 0x47) == "in use"
    assert qstatus(inst, 6, 4) == "unassigned"
    g.release()
    assert qstatus(inst, 5, 4) == "assigned"
    g.open(u)
    g.close()  # the connection goes: released as well
    wait_for(lambda: qstatus(inst, 5, 4) == "assigned")


# ---- VFIO ioctls ----


def test_vfio_ioctls_cur(apemu, guests):
    inst, g = attached_guest(apemu, guests, [5], [4])
    # GET_INFO
    assert g.ioctl("GET_INFO", argsz=15)["errno"] == EINVAL
    assert g.ioctl("GET_INFO")["errno"] == EINVAL
    for req in ("GET_INFO", 0x3B6B, "0x3b6b"):
        r = g.ioctl(req, argsz=16)
        assert (r["ok"], r["flags"], r["num_regions"], r["num_irqs"]) == (True, 33, 0, 2)
    # GET_IRQ_INFO
    for index in (0, 1):
        r = g.ioctl("GET_IRQ_INFO", argsz=16, index=index)
        assert (r["index"], r["count"], r["flags"]) == (index, 1, 1)
    assert g.ioctl("GET_IRQ_INFO", argsz=16, index=2)["errno"] == EINVAL
    assert g.ioctl("GET_IRQ_INFO", argsz=12, index=0)["errno"] == EINVAL
    # SET_IRQS validation
    ok = {"argsz": 24, "flags": 0x24, "index": 0, "start": 0, "count": 1}
    ev = os.eventfd(0, os.EFD_CLOEXEC | os.EFD_NONBLOCK)
    r, w = os.pipe()
    try:
        def set_irqs(fds=(), **kw):
            return g.request(dict({"op": "vfio-ioctl", "request": "SET_IRQS"}, **dict(ok, **kw)), fds)

        assert set_irqs([ev], flags=0x22)["errno"] == EINVAL  # DATA_NONE
        assert set_irqs([ev], flags=0x44)["errno"] == EINVAL  # ACTION_UNMASK
        assert set_irqs([ev], index=2)["errno"] == EINVAL
        assert set_irqs([ev], start=1)["errno"] == EINVAL
        assert set_irqs([ev], count=2)["errno"] == EINVAL
        assert set_irqs([ev], argsz=16)["errno"] == EINVAL
        assert set_irqs([r])["errno"] == EINVAL  # not an eventfd
        assert set_irqs()["errno"] == EINVAL  # no data at all
        assert set_irqs(fd=-2)["errno"] == EINVAL
        assert set_irqs(fd=5)["errno"] == EBADF
        assert set_irqs([ev])["ok"] is True
        assert set_irqs([ev], index=1)["ok"] is True
        assert set_irqs(fd=-1)["ok"] is True
        assert set_irqs(fd=-1, index=1)["ok"] is True
    finally:
        for fd in (ev, r, w):
            os.close(fd)
    # RESET
    assert g.ioctl("RESET")["ok"] is True
    assert g.ioctl(0x3B6F)["ok"] is True
    # anything else
    for nr in (0x3B6C, 0x3B70, 0x3B64, 1):
        assert g.ioctl(nr, argsz=16)["errno"] == EOPNOTSUPP
    assert g.ioctl("GET_REGION_INFO", argsz=16)["errno"] == EINVAL
    assert g.ioctl("GET_INFO", argsz=16, color=1)["errno"] == EINVAL


def test_vfio_reset_discards_requests(apemu, guests):
    inst, g = attached_guest(apemu, guests, [5], [4])
    q = apqn(5, 4)
    assert g.nqap(q, 0x1234, b"hello").cc == 0
    # the adapter answers on its own thread: wait for the reply
    wait_for(lambda: g.tapq(q).gr[1] & ST_R)
    assert g.ioctl("RESET")["ok"] is True
    res = g.tapq(q)
    assert (rc_of(res), res.gr[1] & (ST_E | ST_R)) == (0, ST_E)
    res, _, _ = g.dqap(q)
    assert (res.cc, rc_of(res)) == (3, 0x10)
    # the guest keeps its masks over a reset
    assert crycb_masks_format2(g.crycb()[2])[0] == ids_mask([5])
    # a queue whose zeroize answers non-zero (deconfigured: 0x03): EIO
    g.ok({"op": "event", "event": "adapter-config", "id": 5, "on": False})
    assert g.ioctl("RESET")["errno"] == EIO
    g.ok({"op": "event", "event": "adapter-config", "id": 5, "on": True})
    assert g.ioctl("RESET")["ok"] is True


# ---- AP instructions on the ring ----


def test_tapq_inside_and_outside_the_matrix(apemu, guests):
    inst = apemu.start(MACHINE)
    u = make_mdev(inst, [5], [4])
    g = guests(inst)
    g.create()
    # a guest without an mdev reaches nothing
    res = g.tapq(apqn(5, 4))
    assert (res.pgm, res.cc, rc_of(res)) == (0, 3, 1)
    g.open(u)
    res = g.tapq(apqn(5, 4), t=True)
    assert (res.pgm, res.cc, rc_of(res), res.error) == (0, 0, 0, 0)
    assert res.gr[1] & ST_E
    assert (res.gr[2] >> 24) & 0xFF == 11  # CEX5
    assert res.gr[2] & 0xF == 7  # depth field
    for q in (apqn(5, 0x47), apqn(6, 4), apqn(0x47, 0x47), apqn(5, 5)):
        res = g.tapq(q)
        assert (res.pgm, res.cc, rc_of(res)) == (0, 3, 1), hex(q)
        assert res.gr[1] >> 32 == 0


def attached_guest(apemu, guests, adapters, domains):
    """An instance of MACHINE and a guest with an mdev of adapters x domains open."""
    inst = apemu.start(MACHINE)
    u = make_mdev(inst, adapters, domains)
    g = guests(inst)
    g.create()
    g.open(u)
    return inst, g


def wait_reply(g, q, timeout=10):
    """TAPQ until a reply waits on q (R bit): the adapter's thread is done."""
    end = time.monotonic() + timeout
    while not g.tapq(q).gr[1] & ST_R:
        assert time.monotonic() < end, "no reply within %d s" % timeout
        time.sleep(0.0002)


def dqap_wait(g, q, **kw):
    """DQAP, polled the way a guest's driver polls: until a reply comes."""
    wait_reply(g, q)
    return g.dqap(q, **kw)


def test_nqap_dqap_computes(apemu, guests):
    inst, g = attached_guest(apemu, guests, [6], [4])
    q = apqn(6, 4)
    count = int(inst.read("/sys/devices/ap/card06/06.0004/request_count"))
    req, reply = t50.random_me(1024, t50.rng(20))
    res = g.nqap(q, 0x0102030405060708, req)
    assert (res.pgm, res.cc, rc_of(res)) == (0, 0, 0)
    assert res.gr[6] == MSG + len(req) and res.gr[7] == 0
    wait_reply(g, q)
    res = g.tapq(q)
    assert res.gr[1] & ST_R and not res.gr[1] & ST_E
    # the request was completed: counted; its reply waits (pending)
    assert int(inst.read("/sys/devices/ap/card06/06.0004/request_count")) == count + 1
    assert inst.read("/sys/devices/ap/card06/06.0004/pendingq_count") == "1\n"
    res, psmid, data = g.dqap(q)
    assert (res.pgm, res.cc, res.gr[2]) == (0, 0, 0)
    assert psmid == 0x0102030405060708 and data == reply
    assert inst.read("/sys/devices/ap/card06/06.0004/pendingq_count") == "0\n"
    res, _, _ = g.dqap(q)
    assert (res.cc, rc_of(res)) == (3, 0x10)
    # depth 1: two requests fill the queue, whether answered or not
    assert g.nqap(q, 1, b"a").cc == 0
    assert g.nqap(q, 2, b"b").cc == 0
    res = g.nqap(q, 3, b"c")
    assert (res.cc, rc_of(res)) == (3, 0x10)
    # a partial DQAP: one byte fits, the residual is the rest of the reply
    # (a zero-length buffer is a specification exception, docs/ap-instructions.md D5)
    wait_reply(g, q)
    short = t50.error82(t50.RC_INVALID_MSG_LEN)
    res, psmid, data = g.dqap(q, buflen=0)
    assert res.pgm == 6
    res, psmid, data = g.dqap(q, buflen=1)
    assert (res.pgm, res.cc, res.gr[2], data) == (0, 0, len(short) - 1, short[:1])
    res, psmid, data = g.dqap(q)
    assert (psmid, data) == (1, short[1:])
    # ZAPQ drops the rest, answered or not
    assert g.zapq(q).cc == 0
    assert rc_of(g.dqap(q)[0]) == 0x10
    time.sleep(0.05)
    assert rc_of(g.dqap(q)[0]) == 0x10
    # operands outside memory, odd registers
    res = g.exec(NQAP, [q, 0, 0, 0, 0, 1, MEM - 2, 16], r1=4, r2=6)
    assert res.pgm == PGM_ADDRESSING
    res = g.exec(NQAP, [q, 0, 0, 0, 0, 1, MSG, 16], r1=5, r2=6)
    assert res.pgm == PGM_SPECIFICATION
    # outside the matrix
    assert rc_of(g.nqap(apqn(5, 4), 7, b"x")) == 1


@pytest.mark.parametrize("bits", [512, 768, 1024, 1536, 2048, 3072, 4096])
def test_rsa_of_every_size(apemu, guests, bits):
    """Random OpenSSL keys, in ME and CRT form, and random moduli: every key-block
    size; the results are OpenSSL's RSA private-key operation and pow()."""
    inst, g = attached_guest(apemu, guests, [0x47], [4])
    q = apqn(0x47, 4)
    r = t50.rng(bits)
    cases = [t50.random_me(bits, r) for _ in range(3)]
    cases += t50.openssl_cases(bits, r) + t50.openssl_cases(bits, r)
    for i, (req, reply) in enumerate(cases):
        assert g.nqap(q, 100 + i, req).cc == 0
        res, psmid, data = dqap_wait(g, q)
        assert (res.cc, psmid) == (0, 100 + i)
        assert data == reply, (bits, i)


@pytest.mark.parametrize("fc", ["rapq", "zapq"])
def test_reset_discards_a_request_the_adapter_is_computing(apemu, guests, fc):
    inst, g = attached_guest(apemu, guests, [0x47], [4])
    q = apqn(0x47, 4)
    r = t50.rng(7)
    slow = t50.openssl_cases(4096, r, shared=True)[0][0]  # a 4096-bit ME: milliseconds of work
    req, reply = t50.random_me(1024, r)
    for i in range(20):
        assert g.nqap(q, i, slow).cc == 0
        res = g.exec(PQAP, [((FC_RAPQ if fc == "rapq" else FC_ZAPQ) << 24) | q])
        assert (res.pgm, res.cc) == (0, 0)
        assert res.gr[1] & (ST_E | ST_R) == ST_E
    # whatever the adapter was doing, its reply went nowhere
    time.sleep(0.2)
    res = g.tapq(q)
    assert res.gr[1] & (ST_E | ST_R) == ST_E
    assert rc_of(g.dqap(q)[0]) == 0x10
    assert inst.read("/sys/devices/ap/card47/47.0004/pendingq_count") == "0\n"
    # and the queue works on
    assert g.nqap(q, 99, req).cc == 0
    assert dqap_wait(g, q)[1:] == (99, reply)


def test_reply_of_a_reset_request_never_reaches_the_next_one(apemu, guests):
    """RAPQ while the adapter computes request A, then request B: B gets B's
    reply, never A's result under B's PSMID."""
    inst, g = attached_guest(apemu, guests, [0x47], [4])
    q = apqn(0x47, 4)
    r = t50.rng(48)
    slow = t50.openssl_cases(4096, r, shared=True)[0][0]  # ME with a 4096-bit private exponent
    fast, fast_reply = t50.random_me(1024, r)
    for i in range(10):
        assert g.nqap(q, 1000 + i, slow).cc == 0
        # the adapter has taken A: nothing waits, one request is computed
        deadline = time.monotonic() + 10
        while inst.read("/sys/devices/ap/card47/47.0004/requestq_count") != "0\n":
            assert time.monotonic() < deadline
        assert g.exec(PQAP, [(FC_RAPQ << 24) | q]).cc == 0
        assert g.nqap(q, 2000 + i, fast).cc == 0
        assert dqap_wait(g, q)[1:] == (2000 + i, fast_reply)
        res = g.tapq(q)
        assert res.gr[1] & (ST_E | ST_R) == ST_E
    assert inst.read("/sys/devices/ap/card47/47.0004/pendingq_count") == "0\n"


def test_garbage_requests_get_error_replies_and_nothing_breaks(apemu, guests):
    """Random bytes, and type 50 headers with random lengths and key blocks:
    every reply is a type 82 error or a well-formed type 80, in order."""
    inst, g = attached_guest(apemu, guests, [0x47, 6], [4])
    r = t50.rng(99)
    good, good_reply = t50.random_me(1024, r)
    for i in range(300):
        q = apqn(0x47 if i % 2 else 6, 4)
        kind = i % 3
        if kind == 0:  # anything at all
            msg = bytes(r.getrandbits(8) for _ in range(r.randint(1, 1200)))
        elif kind == 1:  # a type 50 header, a random key-block type and length
            n = r.randint(16, 1900)
            msg = bytearray(r.getrandbits(8) for _ in range(n))
            msg[1], msg[2:4] = 0x50, n.to_bytes(2, "big")
            msg[8:10] = r.choice([0x0001, 0x0002, 0x0003, 0x0011, 0x0012, 0x0013,
                                  r.getrandbits(16)]).to_bytes(2, "big")
            msg = bytes(msg)
        else:  # a good request with one byte of its numbers changed
            b = bytearray(good)
            b[r.randint(16, len(b) - 1)] ^= 1 << r.randint(0, 7)
            msg = bytes(b)
        assert g.nqap(q, i, msg).cc == 0, i
        res, psmid, data = dqap_wait(g, q)
        assert (res.cc, psmid) == (0, i)
        if data[1] == 0x82:
            assert len(data) == 8 and data[4] in (0x20, 0x23, 0x82, 0x84, 0x85), (i, data)
        else:
            assert data[1] == 0x80 and int.from_bytes(data[2:4], "big") == len(data), (i, data)
    # the adapters still compute right
    assert g.nqap(apqn(0x47, 4), 7777, good).cc == 0
    assert dqap_wait(g, apqn(0x47, 4))[1:] == (7777, good_reply)


def test_load_counts_requests_not_yet_computed(apemu, guests):
    inst, g = attached_guest(apemu, guests, [0x47], [4])
    q = apqn(0x47, 4)
    card = "/sys/devices/ap/card47"
    assert inst.read(card + "/load") == "0\n"
    cases = t50.openssl_cases(4096, t50.rng(47), shared=True)
    # a full queue of 4096-bit requests (depth 7: eight): tens of ms of work
    for i in range(8):
        assert g.nqap(q, i, cases[i % 2][0]).cc == 0
    assert 1 <= int(inst.read(card + "/load")) <= 8
    deadline = time.monotonic() + 60
    while inst.read(card + "/47.0004/pendingq_count") != "8\n" or \
            inst.read(card + "/load") != "0\n":
        assert time.monotonic() < deadline
        time.sleep(0.01)
    # computed, not yet dequeued: pending, but no load
    assert inst.read(card + "/requestq_count") == "0\n"
    assert inst.read(card + "/request_count") == "8\n"
    for i in range(8):
        assert g.dqap(q)[1:] == (i, cases[i % 2][1])
    assert inst.read(card + "/pendingq_count") == "0\n"


def test_queue_depth_follows_a_replugged_adapter(apemu, guests):
    inst, g = attached_guest(apemu, guests, [6], [4])
    q = apqn(6, 4)
    # depth 1: two messages
    assert [g.nqap(q, i, b"x").cc for i in range(3)] == [0, 0, 3]
    g.ok({"op": "event", "event": "adapter-remove", "id": 6})
    assert rc_of(g.tapq(q)) == 1
    g.ok({"op": "event", "event": "adapter-add", "id": 6, "type": "CEX5A", "depth": 3})
    # back, with depth 3: empty, and four messages fit
    res = g.tapq(q, t=True)
    assert (res.cc, res.gr[1] & ST_E, res.gr[2] & 0xF) == (0, ST_E, 3)
    assert [g.nqap(q, i, b"x").cc for i in range(5)] == [0, 0, 0, 0, 3]


def test_qci_shows_only_the_guest_matrix(apemu, guests):
    inst = apemu.start(MACHINE)
    u = make_mdev(inst, [5, 0x47], [0x47], [4])
    other = make_mdev(inst, [6], [4])
    g = guests(inst)
    g.create()
    h = guests(inst)
    h.create()
    h.open(other)
    g.open(u)
    res, block = g.qci()
    assert (res.pgm, res.cc) == (0, 0)
    assert block[0] & 0x40  # N: APXA (format 2)
    assert block[16:48] == ids_mask([5, 0x47])
    assert block[48:80] == ids_mask([0x47])
    assert block[80:112] == ids_mask([4])
    # misaligned, outside memory
    assert g.exec(PQAP, [FC_QCI << 24, 0, QCI_BLOCK + 4]).pgm == PGM_SPECIFICATION
    assert g.exec(PQAP, [FC_QCI << 24, 0, MEM - 64]).pgm == PGM_ADDRESSING
    # without apqci: specification
    n = guests(inst)
    n.create({"apqci": False})
    assert n.qci()[0].pgm == PGM_SPECIFICATION


def test_problem_state_and_cpu_model(apemu, guests):
    inst, g = attached_guest(apemu, guests, [5], [4])
    res = g.tapq(apqn(5, 4), flags=PROBLEM)
    assert (res.pgm, res.cc) == (PGM_PRIVILEGED, 0)
    assert g.nqap(apqn(5, 4), 1, b"x", flags=PROBLEM).pgm == PGM_PRIVILEGED
    # registers unchanged on a program exception
    assert res.gr[0] == apqn(5, 4)
    # unknown flags: the daemon refuses to run it
    res = g.tapq(apqn(5, 4), flags=0x80)
    assert res.error == -EINVAL
    # an unknown opcode
    assert g.exec(0xB2AC, [0]).pgm == PGM_OPERATION
    # ap=off: every AP instruction is an operation exception
    n = guests(inst)
    n.create({"ap": False})
    assert n.tapq(0).pgm == PGM_OPERATION
    # apft=off: the T bit is a specification exception
    n = guests(inst)
    n.create({"apft": False})
    assert n.tapq(0, t=True).pgm == PGM_SPECIFICATION


def test_aqic_interrupt_on_reply(apemu, guests):
    inst = apemu.start(MACHINE)
    u = make_mdev(inst, [5], [4])
    g = guests(inst)
    g.create()
    q = apqn(5, 4)
    # no mdev: KVM's fallback rc 0x01
    res = g.aqic(q, True)
    assert (res.cc, rc_of(res)) == (3, 1)
    g.open(u)
    # bad NIB address
    assert rc_of(g.aqic(q, True, nib=0)) == 6
    assert rc_of(g.aqic(q, True, nib=MEM)) == 6
    res = g.aqic(q, True)
    assert (res.pgm, res.cc, rc_of(res)) == (0, 0, 0)
    assert g.tapq(q).gr[1] & ST_I
    assert rc_of(g.aqic(q, True)) == 7  # already on
    assert g.mem[NIB] == 0 and eventfd_count(g.evfd) == 0
    # adapter 5 is a CCA coprocessor: its defined answer to a type 50 request
    req, reply = t50.random_me(2048, t50.rng(42))[0], t50.error82(t50.RC_MESSAGE_TYPE)
    assert g.nqap(q, 42, req).cc == 0
    # the reply arrives: the notification byte, then the eventfd
    ready, _, _ = select.select([g.evfd], [], [], 10)
    assert ready, "no adapter interruption within 10 s"
    assert g.mem[NIB] == 0xFF
    assert eventfd_count(g.evfd) == 1
    assert g.dqap(q)[1:] == (42, reply)
    assert g.aqic(q, False).cc == 0
    g.mem[NIB] = 0
    assert g.nqap(q, 43, req).cc == 0
    wait_reply(g, q)
    assert g.mem[NIB] == 0 and eventfd_count(g.evfd) == 0
    assert g.dqap(q)[1:] == (43, reply)
    # without apqi: specification
    n = guests(inst)
    n.create({"apqi": False})
    assert n.aqic(q, True).pgm == PGM_SPECIFICATION


def test_deconfigure_discards_messages(apemu, guests):
    inst, g = attached_guest(apemu, guests, [5], [4])
    q = apqn(5, 4)
    assert g.nqap(q, 9, b"lost").cc == 0
    g.ok({"op": "event", "event": "adapter-config", "id": 5, "on": False})
    res = g.tapq(q)
    assert (res.cc, rc_of(res)) == (3, 3)
    g.ok({"op": "event", "event": "adapter-config", "id": 5, "on": True})
    res = g.tapq(q)
    assert (res.cc, res.gr[1] & (ST_E | ST_R)) == (0, ST_E)
    assert rc_of(g.dqap(q)[0]) == 0x10


def test_guests_are_isolated(apemu, guests):
    inst = apemu.start(MACHINE)
    a = make_mdev(inst, [5], [4, 0x47])
    b = make_mdev(inst, [6], [4, 0x47])
    g, h = guests(inst), guests(inst)
    g.create()
    h.create()
    g.open(a)
    h.open(b)
    assert rc_of(g.tapq(apqn(6, 4))) == 1 and rc_of(h.tapq(apqn(5, 4))) == 1
    errors = []

    def traffic(guest, q, base):
        r = t50.rng(base)
        try:
            for i in range(100):
                req, reply = t50.random_me(1024, r)
                if q >> 8 == 5:  # a CCA coprocessor
                    reply = t50.error82(t50.RC_MESSAGE_TYPE)
                assert guest.nqap(q, base + i, req).cc == 0
                res, psmid, data = dqap_wait(guest, q)
                assert (res.cc, psmid, data) == (0, base + i, reply)
        except AssertionError as e:  # reported by the main thread
            errors.append(e)

    threads = [threading.Thread(target=traffic, args=(g, apqn(5, 0x47), 1000)),
               threading.Thread(target=traffic, args=(h, apqn(6, 0x47), 5000))]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    assert int(inst.read("/sys/devices/ap/card05/05.0047/request_count")) == 100
    assert int(inst.read("/sys/devices/ap/card06/06.0047/request_count")) == 100


def test_daemon_wakes_futex_waiters(apemu, guests):
    """A guest that sleeps in FUTEX_WAIT on resp_seq is woken by apemud."""
    if FUTEX_NR is None:
        pytest.skip("futex syscall number unknown on " + platform.machine())
    inst = apemu.start(MACHINE)
    g = guests(inst)
    g.create()
    resp = g.addr(OFF_RESP)
    start = time.monotonic()
    for _ in range(100):
        struct.pack_into("=II", g.mem, OFF_OPC, PQAP, 0)
        struct.pack_into("=Q", g.mem, OFF_GR, apqn(5, 4))
        seq = g.word(OFF_REQ).value
        g.word(OFF_REQ).value = seq + 1
        futex(g.addr(OFF_REQ), FUTEX_WAKE, 1)
        while g.word(OFF_RESP).value != seq + 1:
            futex(resp, FUTEX_WAIT, seq, timeout=5)
        assert time.monotonic() - start < 5, "a FUTEX_WAIT was not woken"
    assert struct.unpack_from("=ii", g.mem, OFF_RES) == (0, 3)


def test_ring_served_without_futex_wake(apemu, guests):
    """A guest that only bumps req_seq (a poller) is served all the same."""
    inst = apemu.start(MACHINE)
    g = guests(inst, wake=False)
    g.create()
    for _ in range(3):
        time.sleep(0.3)  # let the ring thread go idle
        start = time.monotonic()
        res = g.tapq(apqn(5, 4))
        assert (res.cc, rc_of(res)) == (3, 1)
        assert time.monotonic() - start < 1


# ---- the end of a guest ----

CHILD = r"""
import sys
sys.path.insert(0, sys.argv[1])
import test_guest_protocol as t
g = t.Guest(sys.argv[2])
g.create()
g.open(sys.argv[3])
q = t.apqn(5, 4)
assert g.nqap(q, 0x77, b"left behind").cc == 0
print("ready", flush=True)
sys.stdin.read()
"""


def sigkill_guest(inst, code, u, apid, apqi):
    """Run code (a guest in a child process: argv = this folder, the
    socket, u) until it prints "ready" with queue apid.apqi in use, then
    SIGKILL it and wait until the queue is released."""
    child = subprocess.Popen(
        [sys.executable, "-c", code, os.path.dirname(os.path.abspath(__file__)), inst.socket, u],
        stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
    try:
        assert child.stdout.readline().strip() == "ready"
        assert qstatus(inst, apid, apqi) == "in use"
        assert mdev_status(inst, u)["guest"] is not None
        os.kill(child.pid, signal.SIGKILL)
        child.wait(timeout=30)
    finally:
        if child.poll() is None:
            child.kill()
            child.wait()
    wait_for(lambda: qstatus(inst, apid, apqi) == "assigned")


def test_sigkill_releases_and_zeroizes(apemu, guests):
    inst = apemu.start(MACHINE)
    u = make_mdev(inst, [5], [4])
    sigkill_guest(inst, CHILD, u, 5, 4)
    assert mdev_status(inst, u)["guest"] is None
    # the next guest finds the queue zeroized: the reply is gone
    g = guests(inst)
    g.create()
    g.open(u)
    res = g.tapq(apqn(5, 4))
    assert (res.cc, res.gr[1] & (ST_E | ST_R)) == (0, ST_E)
    res, _, _ = g.dqap(apqn(5, 4))
    assert (res.cc, rc_of(res)) == (3, 0x10)


def test_remove_of_open_mdev_waits_for_release(apemu, guests):
    inst = apemu.start(MACHINE)
    u = make_mdev(inst, [5], [4])
    g = guests(inst)
    g.create()
    g.open(u)
    req = os.eventfd(0, os.EFD_CLOEXEC | os.EFD_NONBLOCK)
    cfg = os.eventfd(0, os.EFD_CLOEXEC | os.EFD_NONBLOCK)
    done = []
    try:
        for index, fd in ((0, req), (1, cfg)):
            r = g.request({"op": "vfio-ioctl", "request": "SET_IRQS", "argsz": 24,
                           "flags": 0x24, "index": index, "start": 0, "count": 1}, [fd])
            assert r["ok"], r
        t = threading.Thread(target=lambda: done.append(inst.write(inst.mdev(u, "remove"), "1")))
        t.start()
        # the VMM is asked to let go; the guest loses its masks at once
        wait_for(lambda: eventfd_count(req) == 1)
        assert eventfd_count(cfg) >= 1
        assert crycb_masks_format2(g.crycb()[2]) == (bytes(32),) * 3
        assert mdev_status(inst, u)["remove_requested"] is True
        assert rc_of(g.tapq(apqn(5, 4))) == 1
        time.sleep(0.3)
        assert t.is_alive() and not done
        # nobody else may open it meanwhile
        h = guests(inst)
        h.create()
        assert h.errno({"op": "mdev-open", "uuid": u}) == ENODEV
        g.release()
        t.join(timeout=30)
        assert not t.is_alive()
        assert done == [None]
    finally:
        os.close(req)
        os.close(cfg)
    assert not inst.exists(inst.mdev(u))
    assert all(m["uuid"] != u for m in status(inst)["mdevs"])


# ---- nested guests (vSIE) ----


def write_g2_crycb(g, addr, apm=(), aqm=(), adm=()):
    b = bytearray(256)
    b[0x80:0xA0] = ids_mask(apm)
    b[0xA0:0xC0] = ids_mask(aqm)
    b[0xC0:0xE0] = ids_mask(adm)
    g.mem[addr : addr + 256] = bytes(b)


def write_scb(g, crycbd, eca=ECA_APIE, ecb3=0, ecd=0, addr=SCB):
    struct.pack_into("=IIII", g.mem, addr, crycbd, eca, ecb3, ecd)


def test_nested_guest(apemu, guests):
    inst = apemu.start(MACHINE)
    u = make_mdev(inst, [5, 6], [4, 0x47])
    g = guests(inst)
    g.create({"sie": True})
    g.open(u)
    nested = {"flags": NESTED, "scb": SCB}
    # no origin: validity 0x0039, nothing runs
    write_scb(g, 0x3)
    res = g.tapq(apqn(5, 4), **nested)
    assert (res.validity, res.pgm, res.cc) == (0x0039, 0, 0)
    assert res.gr[0] == apqn(5, 4) and res.gr[1] == 0
    # format 2 on format 2: g2 sees its own masks narrowed by g1's
    write_g2_crycb(g, G2_CRYCB, apm=[5, 0x47], aqm=[4])
    write_scb(g, G2_CRYCB | 0x3)
    res = g.tapq(apqn(5, 4), **nested)
    assert (res.validity, res.pgm, res.cc, rc_of(res)) == (0, 0, 0, 0)
    for q in (apqn(6, 4), apqn(5, 0x47), apqn(0x47, 4)):
        res = g.tapq(q, **nested)
        assert (res.validity, res.pgm, res.cc, rc_of(res)) == (0, 0, 3, 1), hex(q)
    # g1 itself still sees its own matrix
    assert rc_of(g.tapq(apqn(6, 4))) == 0
    # g2's QCI shows the narrowed masks
    res = g.exec(PQAP, [FC_QCI << 24, 0, QCI_BLOCK], **nested)
    assert (res.pgm, res.cc) == (0, 0)
    assert g.mem[QCI_BLOCK + 16 : QCI_BLOCK + 48] == ids_mask([5])
    # a block crossing a page: validity 0x003c
    write_scb(g, (G2_CRYCB + 0xF80) | 0x3)
    assert g.tapq(apqn(5, 4), **nested).validity == 0x003C
    # g2 without APIE and format 0: no CRYCB for g2, so no AP
    write_scb(g, G2_CRYCB, eca=0)
    res = g.tapq(apqn(5, 4), **nested)
    assert (res.validity, res.pgm) == (0, PGM_OPERATION)
    # the SIE block outside memory
    assert g.tapq(apqn(5, 4), flags=NESTED, scb=MEM - 8).pgm == PGM_ADDRESSING
    # g1 without SIE: operation exception
    n = guests(inst)
    n.create({"sie": False})
    write_scb(n, G2_CRYCB | 0x3)
    assert n.tapq(apqn(5, 4), **nested).pgm == PGM_OPERATION


def test_nested_format_mismatch(apemu, guests):
    inst = apemu.start(MACHINE)
    u = make_mdev(inst, [5], [4])
    # g1 of format 0 cannot give g2 a format-2 CRYCB: validity 0x0022
    g = guests(inst)
    assert g.create({"sie": True, "msax3": False})["format"] == 0
    g.open(u)
    write_g2_crycb(g, G2_CRYCB, apm=[5], aqm=[4])
    write_scb(g, G2_CRYCB | 0x3)
    assert g.tapq(apqn(5, 4), flags=NESTED, scb=SCB).validity == 0x0022
    # a format-0 g2 on a format-0 g1 ("00"): the shadow's masks land in
    # APCB0, and a format-2 shadow is read through APCB1: no AP queues
    apcb0 = bytearray(32)
    apcb0[0:8] = ids_mask([5], 8)
    apcb0[8:10] = ids_mask([4], 2)
    g.mem[G2_CRYCB : G2_CRYCB + 32] = bytes(apcb0)
    write_scb(g, G2_CRYCB)
    res = g.tapq(apqn(5, 4), flags=NESTED, scb=SCB)
    assert (res.validity, res.pgm, res.cc, rc_of(res)) == (0, 0, 3, 1)
