# The data plane (docs/guest-protocol.md, "The data plane: queue rings"),
# spoken raw from Python: a guest names a data-plane area at guest-create,
# apemud lays out one ring per AP queue there (with a directory entry) the
# first time the trap path needs one, and the guest's NQAP/DQAP run on that
# ring with no exit while the adapter's worker thread consumes it directly;
# doorbell eventfds wake the trap thread and sleeping adapters.
#
# Invariant: a ring carries the guest's requests to the adapter and the
# adapter's replies back exactly as the protocol says (layout, counters,
# epoch, queue full rule), only while the queue is in the guest's CRYCB
# (revocation), resets empty it, and nothing a guest writes into its area -
# nor its death - hurts apemud or another guest.
#
# The Python guest here is test_guest_protocol's Guest with an area and
# doorbells. Shared counter words (req, cons) are stored whole through
# ctypes (struct.pack_into writes byte by byte: apemud could see a torn
# counter).
import ctypes
import os
import random
import struct
import subprocess
import threading
import time

import pytest
import t50
from apemutest import APEMU, env
import test_guest_protocol as t
from test_guest_protocol import (EINVAL, FC_RAPQ, FC_ZAPQ, PQAP, ST_E, ST_F, ST_R, apqn, make_mdev,
                                 rc_of, wait_for)

# include/apemu/guest-abi.h
DP_MAGIC, DP_VERSION = 0x41504450, 1
QR_MAGIC = 0x41505152
DP_RINGS_OFF, DP_DIR_OFF, DP_DIR_MAX = 4096, 64, 256
QR_LIVE, QR_REVOKED = 0, 1
# struct apemu_qring
OFF_QMAGIC, OFF_QAPQN, OFF_NSLOTS, OFF_EPOCH, OFF_STATE = 0, 4, 6, 8, 12
OFF_MAXMSG, OFF_SLOTSZ, OFF_IRQ, OFF_NEEDWAKE, OFF_DONE = 16, 20, 24, 28, 32
OFF_QREQ, OFF_QCONS, QRING_HDR = 64, 72, 128
M32 = 0xFFFFFFFF

MEM = t.MEM  # 1 MiB; the instruction ring at 0, MSG/REPLY buffers of the trap path low
DP_ADDR, DP_SIZE = MEM // 2, MEM // 2

MACHINE = {
    "apmask": "",
    "aqmask": "",
    "usage_domains": "4,0x47",
    "control_domains": "4,0x47",
    "adapters": [
        {"id": 6, "type": "CEX5A", "depth": 1},
        {"id": 0x47, "type": "CEX8A", "depth": 3},
        {"id": 0x48, "type": "CEX8A", "depth": 2, "max_msg_size": 8192},
    ],
}


def stride(slot_size):
    return (16 + slot_size + 63) & ~63


def ring_bytes(nslots, slot_size):
    return QRING_HDR + nslots * stride(slot_size)


def after(a, b):
    """a >= b for free-running 32-bit counters."""
    return (a - b) & M32 < 0x80000000


class QRing:
    """A queue's ring in a guest's data-plane area, at guest address `a`."""

    def __init__(self, g, a):
        self.g, self.a = g, a

    def u32(self, off):
        return self.g.word(self.a + off).value

    def u64(self, off):
        return ctypes.c_uint64.from_address(self.g.addr(self.a + off))

    magic = property(lambda s: s.u32(OFF_QMAGIC))
    apqn = property(lambda s: struct.unpack_from("=H", s.g.mem, s.a + OFF_QAPQN)[0])
    nslots = property(lambda s: s.g.mem[s.a + OFF_NSLOTS])
    epoch = property(lambda s: s.u32(OFF_EPOCH))
    state = property(lambda s: s.u32(OFF_STATE))
    max_msg = property(lambda s: s.u32(OFF_MAXMSG))
    slot_size = property(lambda s: s.u32(OFF_SLOTSZ))
    need_wakeup = property(lambda s: s.u32(OFF_NEEDWAKE))
    done = property(lambda s: s.u64(OFF_DONE).value)
    prod = property(lambda s: s.done & M32)
    base = property(lambda s: s.done >> 32)

    # the guest's words: one 64-bit load or store each
    req = property(lambda s: s.u64(OFF_QREQ).value,
                   lambda s, v: setattr(s.u64(OFF_QREQ), "value", v))
    cons = property(lambda s: s.u64(OFF_QCONS).value,
                    lambda s, v: setattr(s.u64(OFF_QCONS), "value", v))

    def slot(self, k):
        return self.a + QRING_HDR + (k % self.nslots) * stride(self.slot_size)

    def nreq(self):
        return self.req & M32

    def ncons(self):
        """cons as the guest counts it: never below base."""
        c, b = self.cons & M32, self.base
        return c if after(c, b) else b

    def publish(self, psmid, data, length=None, doorbell=True):
        """NQAP on the ring as the doc's guest side does it; the request's number."""
        epoch, n = self.epoch, self.nreq()
        assert self.req >> 32 == epoch
        s = self.slot(n)
        struct.pack_into("=QII", self.g.mem, s, psmid, len(data) if length is None else length, 0)
        self.g.mem[s + 16 : s + 16 + len(data)] = data
        self.req = epoch << 32 | (n + 1) & M32
        if doorbell and self.need_wakeup == 1 and self.g.data_db is not None:
            os.eventfd_write(self.g.data_db, 1)
        return n

    def wait_prod(self, k, timeout=10):
        """Until done's low half reaches k."""
        deadline = time.monotonic() + timeout
        while not after(self.prod, k):
            assert time.monotonic() < deadline, "prod %d, waited for %d" % (self.prod, k)
            time.sleep(0.0005)

    def reply(self, k):
        """(psmid, data) in request k's slot."""
        psmid, n, _ = struct.unpack_from("=QII", self.g.mem, self.slot(k))
        s = self.slot(k) + 16
        return psmid, bytes(self.g.mem[s : s + min(n, self.slot_size)])

    def dequeue(self):
        """DQAP on the ring (the reply must be there): (psmid, data)."""
        k = self.ncons()
        assert (self.prod - k) & M32 != 0, "no reply"
        out = self.reply(k)
        self.cons = self.epoch << 32 | (k + 1) & M32
        return out

    def unchanged_done(self, seconds=0.5):
        """done stays what it is for a while (nothing served)."""
        d = self.done
        end = time.monotonic() + seconds
        while time.monotonic() < end:
            assert self.done == d, "done moved: 0x%x -> 0x%x" % (d, self.done)
            time.sleep(0.005)


class DPGuest(t.Guest):
    """A Guest with a data-plane area and (by default) the trap and data
    doorbells; `bell`: write the trap doorbell after each instruction."""

    def __init__(self, inst, dp=(DP_ADDR, DP_SIZE), dp_magic=(DP_MAGIC, DP_VERSION),
                 doorbells=True, irq=False, bell=True, **kw):
        super().__init__(inst, irq=irq, wake=not doorbells, **kw)
        self.dp, self.dp_size = dp
        if dp_magic is not None and self.dp + 8 <= self.memory:
            struct.pack_into("=II", self.mem, self.dp, *dp_magic)
        self.doorbells = doorbells
        self.bell = bell
        self.trap_db = self.data_db = None
        if doorbells:
            self.trap_db = os.eventfd(0, os.EFD_CLOEXEC | os.EFD_NONBLOCK)
            self.data_db = os.eventfd(0, os.EFD_CLOEXEC | os.EFD_NONBLOCK)

    def close(self):
        if self.sock is None:
            return
        super().close()
        for fd in (self.trap_db, self.data_db):
            if fd is not None:
                os.close(fd)

    def create_req(self, cpu=None, memory=None, ring=None, **extra):
        req = super().create_req(cpu, memory, ring)
        req["dataplane"] = {"addr": self.dp, "size": self.dp_size}
        if self.doorbells:
            req["doorbells"] = True
        req.update(extra)
        return {k: v for k, v in req.items() if v is not None}

    def fds(self):
        return super().fds() + ([self.trap_db, self.data_db] if self.doorbells else [])

    def exec(self, opcode, gr, r1=0, r2=0, flags=0, scb=0, timeout=10):
        if not self.doorbells:
            return super().exec(opcode, gr, r1, r2, flags, scb, timeout)
        m, ring = self.mem, self.ring
        struct.pack_into("=II", m, ring + t.OFF_OPC, opcode, flags)
        struct.pack_into("=BB", m, ring + t.OFF_R1, r1, r2)
        struct.pack_into("=Q", m, ring + t.OFF_SCB, scb)
        struct.pack_into("=16Q", m, ring + t.OFF_GR, *(list(gr) + [0] * (16 - len(gr))))
        seq = (self.word(ring + t.OFF_REQ).value + 1) & M32
        self.word(ring + t.OFF_REQ).value = seq
        if self.bell:
            os.eventfd_write(self.trap_db, 1)
        deadline = time.monotonic() + timeout
        while self.word(ring + t.OFF_RESP).value != seq:
            assert time.monotonic() < deadline, "apemud did not answer the ring"
            time.sleep(0.0005)
        out = list(struct.unpack_from("=16Q", m, ring + t.OFF_GR))
        return t.Result(out, *struct.unpack_from("=iiii", m, ring + t.OFF_RES))

    # -- the area --

    def directory(self):
        """(dir_gen, nent, [(apqn, offset) of the entries in use]), read under dir_gen."""
        for _ in range(1000):
            gen = self.word(self.dp + 8).value
            if gen & 1:
                continue
            nent = self.word(self.dp + 12).value
            ents = []
            for i in range(DP_DIR_MAX):
                q, _, off = struct.unpack_from("=HHI", self.mem, self.dp + DP_DIR_OFF + 8 * i)
                if off:
                    ents.append((q, off))
            if self.word(self.dp + 8).value == gen:
                return gen, nent, ents
        raise AssertionError("dir_gen stays odd")

    def qring(self, q):
        ents = [off for a, off in self.directory()[2] if a == q]
        assert len(ents) == 1, (hex(q), self.directory())
        return QRing(self, self.dp + ents[0])


@pytest.fixture
def dguests():
    made = []

    def new(inst, **kw):
        g = DPGuest(inst, **kw)
        made.append(g)
        return g

    yield new
    for g in made:
        g.close()


def dp_guest(apemu, dguests, adapters, domains, **kw):
    inst = apemu.start(MACHINE)
    u = make_mdev(inst, adapters, domains)
    g = dguests(inst, **kw)
    g.create()
    g.open(u)
    return inst, u, g


def laid_out(g, q, psmid=0xAB, rng=None):
    """The queue's ring, laid out by a trapped NQAP whose reply is dequeued (trapped DQAP)."""
    req, reply = t50.random_me(512, rng or t50.rng(q))
    assert g.nqap(q, psmid, req).cc == 0
    r = g.qring(q)
    r.wait_prod(1)
    res, got_psmid, data = g.dqap(q)
    assert (res.cc, got_psmid, data) == (0, psmid, reply)
    return r


def daemon_alive(inst):
    os.kill(inst.pid, 0)  # raises if apemud is gone
    assert inst.read("/sys/devices/ap/card47/type").strip()
    assert t.status(inst)["ok"] is True


# ---- guest-create ----


def test_create_validates_dataplane_and_doorbells(apemu, dguests):
    inst = apemu.start(MACHINE)
    g = dguests(inst)
    # a directory full of junk: a failed guest-create must not touch it
    junk = bytes(range(256)) * 8
    g.mem[g.dp + 8 : g.dp + 8 + len(junk)] = junk
    A, S = DP_ADDR, DP_SIZE
    bad = [
        5, [A, S], "x", None,  # not an object (None: JSON null)
        {"addr": A, "size": S, "flags": 0},  # unknown member
        {"addr": A}, {"size": S}, {},  # missing members
        {"addr": A + 512, "size": S - 4096}, {"addr": A, "size": S - 100},  # misaligned
        {"addr": A, "size": 4096},  # smaller than 8192
        {"addr": MEM - 4096, "size": 8192}, {"addr": MEM, "size": 8192},  # outside memory
        {"addr": 2 * MEM, "size": S}, {"addr": A, "size": 2 * MEM}, {"addr": -4096, "size": S},
        {"addr": 0, "size": 8192},  # over the instruction ring at 0
        {"addr": 0x40000, "size": 8192},  # no APDP magic there
        {"addr": "0x80001", "size": S}, {"addr": A, "size": True},  # misaligned, not a number
    ]
    for dp in bad:
        req = g.create_req()
        req["dataplane"] = dp
        assert g.errno(req, g.fds()) == EINVAL, dp
    # the area named with a ring inside it (the ring's own magic there)
    struct.pack_into("=II", g.mem, A + 0x900, t.RING_MAGIC, t.RING_VERSION)
    assert g.errno(g.create_req(ring=A + 0x900), g.fds()) == EINVAL
    # the magic and version at the area's start
    for magic, version in ((DP_MAGIC, 2), (DP_MAGIC, 0), (DP_MAGIC ^ 1, 1), (t.RING_MAGIC, 1)):
        struct.pack_into("=II", g.mem, A, magic, version)
        assert g.errno(g.create_req(), g.fds()) == EINVAL, (hex(magic), version)
    struct.pack_into("=II", g.mem, A, DP_MAGIC, DP_VERSION)
    # doorbells: a boolean
    for v in ("yes", 1, 0, [], {}):
        assert g.errno(g.create_req(doorbells=v), g.fds()) == EINVAL, v
    # with doorbells: [memfd, trap, data] or [memfd, irq, trap, data]
    ev = [os.eventfd(0, os.EFD_CLOEXEC) for _ in range(4)]
    r, w = os.pipe()
    try:
        for fds in ([g.memfd], [g.memfd, ev[0]], [g.memfd] + ev):
            assert g.errno(g.create_req(), fds) == EINVAL, len(fds)
        # doorbells false: [memfd] or [memfd, irq], nothing more
        assert g.errno(g.create_req(doorbells=False), [g.memfd] + ev[:2]) == EINVAL
        # an area without doorbells: nothing would wake a sleeping adapter
        for fds in ([g.memfd], [g.memfd, ev[0]]):
            assert g.errno(g.create_req(doorbells=False), fds) == EINVAL
            assert g.errno(g.create_req(doorbells=None), fds) == EINVAL
        # a doorbell that is not an eventfd
        for fds in ([g.memfd, r, ev[0]], [g.memfd, ev[0], r], [g.memfd, ev[0], ev[1], r],
                    [g.memfd, r, ev[0], ev[1]], [g.memfd, ev[0], g.memfd]):
            assert g.errno(g.create_req(), fds) == EINVAL
    finally:
        for fd in ev + [r, w]:
            os.close(fd)
    # nothing of that made a guest, nor touched the area
    assert g.errno({"op": "crycb"}) == EINVAL
    assert bytes(g.mem[g.dp + 8 : g.dp + 8 + len(junk)]) == junk
    # [memfd, trap, data]: the directory is cleared
    r = g.create()
    assert r["guest"] >= 1
    gen, nent, ents = g.directory()
    assert (gen % 2, nent, ents) == (0, 0, [])
    assert bytes(g.mem[g.dp + DP_DIR_OFF : g.dp + DP_DIR_OFF + 8 * DP_DIR_MAX]) == bytes(2048)
    assert struct.unpack_from("=II", g.mem, g.dp) == (DP_MAGIC, DP_VERSION)
    g.ok({"op": "crycb"})
    # [memfd, irq, trap, data]
    h = dguests(inst, irq=True)
    assert len(h.fds()) == 4
    h.create()
    h.ok({"op": "crycb"})
    # the smallest area, right after the ring (touching, not overlapping)
    k = dguests(inst, ring=4096 - t.RING_SIZE, dp=(4096, 8192))
    k.create()
    assert k.directory()[1:] == (0, [])


# ---- the ring's layout ----


def test_ring_layout_after_first_trapped_nqap(apemu, dguests):
    inst, u, g = dp_guest(apemu, dguests, [0x47, 0x48], [4])
    q = apqn(0x47, 4)
    # TAPQ needs no ring: the directory stays empty
    res = g.tapq(q, t=True)
    assert (res.cc, res.gr[1] & ST_E, res.gr[2] & 0xF) == (0, ST_E, 3)
    assert g.directory()[1:] == (0, [])
    req, reply = t50.random_me(1024, t50.rng(2))
    res = g.nqap(q, 0x1122334455667788, req)
    assert (res.pgm, res.cc, rc_of(res)) == (0, 0, 0)
    gen, nent, ents = g.directory()
    assert gen % 2 == 0 and nent == 1 and len(ents) == 1
    (a, off), = ents
    assert a == q and off >= DP_RINGS_OFF and off % 64 == 0
    assert off + ring_bytes(4, 12288) <= DP_SIZE
    r = QRing(g, g.dp + off)
    assert r.magic == QR_MAGIC and r.apqn == q
    assert r.nslots == 3 + 1  # depth 3
    assert (r.max_msg, r.slot_size) == (12288, 12288)
    assert r.state == QR_LIVE and r.epoch != 0
    r.wait_prod(1)
    assert r.req == r.epoch << 32 | 1
    assert r.cons == r.epoch << 32 | 0
    assert r.done == 1  # base 0, prod 1
    # the reply replaced the request in slot 0
    assert r.reply(0) == (0x1122334455667788, reply)
    res = g.tapq(q)
    assert res.gr[1] & (ST_E | ST_R) == ST_R
    # and a trapped DQAP takes it from there
    res, psmid, data = g.dqap(q)
    assert (res.cc, psmid, data) == (0, 0x1122334455667788, reply)
    assert r.cons == r.epoch << 32 | 1
    assert g.tapq(q).gr[1] & (ST_E | ST_R) == ST_E
    # a second queue: its own ring, the adapter's geometry (depth 2, 8192 bytes)
    q2 = apqn(0x48, 4)
    assert g.nqap(q2, 2, req).cc == 0
    gen2, nent, ents = g.directory()
    assert gen2 % 2 == 0 and gen2 > gen and nent == 2
    off2 = dict(ents)[q2]
    assert off2 >= DP_RINGS_OFF and off2 % 64 == 0
    assert off2 >= off + ring_bytes(4, 12288) or off2 + ring_bytes(3, 8192) <= off
    r2 = QRing(g, g.dp + off2)
    assert (r2.magic, r2.apqn, r2.nslots, r2.max_msg, r2.slot_size, r2.state) == \
        (QR_MAGIC, q2, 3, 8192, 8192, QR_LIVE)
    assert r2.epoch not in (0, r.epoch)
    assert r2.req >> 32 == r2.epoch and r2.cons >> 32 == r2.epoch
    r2.wait_prod(1)
    assert r2.reply(0) == (2, reply)


# ---- NQAP and DQAP on the ring, with no exit ----


def test_direct_nqap_dqap_rsa(apemu, dguests):
    inst, u, g = dp_guest(apemu, dguests, [0x47], [4])
    q = apqn(0x47, 4)
    r = laid_out(g, q)
    rng = t50.rng(3)
    cases = t50.openssl_cases(2048, rng) + [t50.random_me(1024, rng), t50.random_me(4096, rng)]
    before = r.nreq()
    count = int(inst.read("/sys/devices/ap/card47/47.0004/request_count"))
    for i, (req, _) in enumerate(cases):
        assert r.publish(0x5000 + i, req) == before + i
    r.wait_prod(before + len(cases))
    for i, (_, reply) in enumerate(cases):
        assert r.reply(before + i) == (0x5000 + i, reply), i
    # served with no exit, and counted all the same
    for i, (_, reply) in enumerate(cases):
        assert r.dequeue() == (0x5000 + i, reply)
    assert int(inst.read("/sys/devices/ap/card47/47.0004/request_count")) == count + len(cases)
    res = g.tapq(q)
    assert (res.cc, res.gr[1] & (ST_E | ST_R | ST_F)) == (0, ST_E)
    # a bare 16-byte header (key-block type 0): the card's type 82 error
    k = r.publish(0x77, t50.header(16, 0))
    r.wait_prod(k + 1)
    assert r.reply(k) == (0x77, t50.error82(t50.RC_OPERAND_INVALID))
    assert r.dequeue()[0] == 0x77
    # a reply may also be taken by the trapped DQAP, and a request put by the
    # trapped NQAP dequeued on the ring: one queue, two paths
    req, reply = cases[1]
    k = r.publish(0x88, req)
    r.wait_prod(k + 1)
    assert g.dqap(q)[1:] == (0x88, reply)
    assert g.nqap(q, 0x99, req).cc == 0
    r.wait_prod(k + 2)
    assert r.dequeue() == (0x99, reply)


def test_queue_full_rule(apemu, dguests):
    inst, u, g = dp_guest(apemu, dguests, [0x47], [4])
    q = apqn(0x47, 4)
    r = laid_out(g, q)
    n = r.nslots
    assert n == 4
    rng = t50.rng(4)
    cases = [t50.random_me(1024, rng) for _ in range(n)]
    k0 = r.nreq()
    # more than nslots requests published at once: not one is taken
    for i, (req, _) in enumerate(cases):
        struct.pack_into("=QII", g.mem, r.slot(k0 + i), 100 + i, len(req), 0)
        g.mem[r.slot(k0 + i) + 16 : r.slot(k0 + i) + 16 + len(req)] = req
    r.req = r.epoch << 32 | (k0 + n + 1)
    os.eventfd_write(g.data_db, 1)
    r.unchanged_done(0.5)
    assert r.prod == k0
    res = g.tapq(q)
    assert res.cc == 0 and res.gr[1] & ST_F  # counters that make no sense: full
    # nslots of them: all served, and the queue is full (replies not dequeued)
    r.req = r.epoch << 32 | (k0 + n)
    os.eventfd_write(g.data_db, 1)
    r.wait_prod(k0 + n)
    for i, (_, reply) in enumerate(cases):
        assert r.reply(k0 + i) == (100 + i, reply)
    res = g.tapq(q)
    assert (res.cc, res.gr[1] & (ST_E | ST_R | ST_F)) == (0, ST_R | ST_F)
    # the trapped NQAP answers queue full, and puts nothing on the ring
    res = g.nqap(q, 999, cases[0][0])
    assert (res.cc, rc_of(res)) == (3, 0x10)
    assert res.gr[1] & ST_F
    assert r.nreq() == k0 + n
    r.unchanged_done(0.1)
    # one dequeued: room for one
    assert r.dequeue() == (100, cases[0][1])
    res = g.tapq(q)
    assert res.gr[1] & (ST_R | ST_F) == ST_R
    k = r.publish(200, cases[1][0])
    r.wait_prod(k + 1)
    for i in range(1, n):
        assert r.dequeue() == (100 + i, cases[i][1])
    assert r.dequeue() == (200, cases[1][1])
    assert g.tapq(q).gr[1] & (ST_E | ST_R | ST_F) == ST_E


# ---- revocation ----


@pytest.mark.parametrize("what", ["domain", "adapter"])
def test_revocation_and_return(apemu, dguests, what):
    inst = apemu.start(MACHINE)
    u = make_mdev(inst, [0x47, 0x48], [4, 0x47])
    g = dguests(inst)
    g.create()
    g.open(u)
    q, other = apqn(0x47, 4), (apqn(0x48, 0x47) if what == "domain" else apqn(0x48, 4))
    r, ro = laid_out(g, q), laid_out(g, other)
    req, reply = t50.random_me(1024, t50.rng(5))
    attr, ident = ("unassign_domain", "0x4") if what == "domain" else ("unassign_adapter", "0x47")
    assert inst.write(inst.mdev(u, attr), ident) is None
    # at once: revoked; the queue that stayed is live
    assert r.state == QR_REVOKED
    assert ro.state == QR_LIVE
    # a request published now is not served
    k = r.publish(0x51, req)
    os.eventfd_write(g.data_db, 1)
    r.unchanged_done(0.5)
    assert r.prod == k
    # the trap path answers from the CRYCB: not authorized
    res = g.tapq(q)
    assert (res.cc, rc_of(res)) == (3, 0x01)
    res = g.nqap(q, 0x52, req)
    assert (res.cc, rc_of(res)) == (3, 0x01)
    res = g.dqap(q)[0]
    assert (res.cc, rc_of(res)) == (3, 0x01)
    assert r.nreq() == k + 1
    # the other queue works on
    ko = ro.publish(0x53, req)
    ro.wait_prod(ko + 1)
    assert ro.dequeue() == (0x53, reply)
    # back: live again, and the waiting request is served
    attr = attr.replace("unassign", "assign")
    assert inst.write(inst.mdev(u, attr), ident) is None
    assert r.state == QR_LIVE
    r.wait_prod(k + 1)
    assert r.dequeue() == (0x51, reply)
    res = g.tapq(q)
    assert (res.cc, res.gr[1] & (ST_E | ST_R)) == (0, ST_E)


def test_a_queue_that_disappears_loses_its_ring(apemu, dguests):
    inst, u, g = dp_guest(apemu, dguests, [6, 0x47], [4])
    q, q47 = apqn(6, 4), apqn(0x47, 4)
    r, r47 = laid_out(g, q), laid_out(g, q47)
    assert r.nslots == 2
    k = r.publish(0x21, b"gone with the adapter")
    r.wait_prod(k + 1)
    g.ok({"op": "event", "event": "adapter-remove", "id": 6})
    # at once: the entry is freed, the old ring no longer live
    assert [a for a, _ in g.directory()[2]] == [q47]
    assert g.directory()[1] == 1
    assert r.state != QR_LIVE
    assert rc_of(g.tapq(q)) == 0x01
    g.ok({"op": "event", "event": "adapter-add", "id": 6, "type": "CEX5A", "depth": 3})
    # back with depth 3: TAPQ lays nothing out, the next NQAP a new ring
    res = g.tapq(q, t=True)
    assert (res.cc, res.gr[1] & (ST_E | ST_R), res.gr[2] & 0xF) == (0, ST_E, 3)
    assert g.directory()[1] == 1
    rn = laid_out(g, q, psmid=0x22)
    assert (rn.nslots, rn.state) == (4, QR_LIVE)
    assert rn.epoch not in (r.epoch, r47.epoch)
    assert g.directory()[1] == 2
    # a deconfigured adapter: the same
    g.ok({"op": "event", "event": "adapter-config", "id": 0x47, "on": False})
    assert [a for a, _ in g.directory()[2]] == [q]
    assert r47.state != QR_LIVE
    res = g.tapq(q47)
    assert (res.cc, rc_of(res)) == (3, 0x03)
    g.ok({"op": "event", "event": "adapter-config", "id": 0x47, "on": True})
    res = g.tapq(q47)
    assert (res.cc, res.gr[1] & (ST_E | ST_R)) == (0, ST_E)
    rn47 = laid_out(g, q47, psmid=0x23)
    assert rn47.epoch != r47.epoch and rn47.state == QR_LIVE
    assert sorted(a for a, _ in g.directory()[2]) == sorted([q, q47])


def test_aqic_on_a_ring(apemu, dguests):
    """AQIC lays a ring out too; a reply the adapter puts on it directly sets
    the notification byte and signals the interruption eventfd."""
    inst, u, g = dp_guest(apemu, dguests, [0x47], [4], irq=True)
    q = apqn(0x47, 4)
    res = g.aqic(q, True)
    assert (res.pgm, res.cc, rc_of(res)) == (0, 0, 0)
    r = g.qring(q)
    assert r.u32(OFF_IRQ) == 1
    assert g.tapq(q).gr[1] & t.ST_I
    req, reply = t50.random_me(1024, t50.rng(14))
    k = r.publish(0x91, req)
    r.wait_prod(k + 1)
    t.wait_for(lambda: g.mem[t.NIB] == 0xFF)
    t.wait_for(lambda: t.eventfd_count(g.evfd) == 1)
    assert r.dequeue() == (0x91, reply)
    # a reset turns interruptions off, on the ring too
    assert g.zapq(q).cc == 0
    assert r.u32(OFF_IRQ) == 0
    assert not g.tapq(q).gr[1] & t.ST_I


# ---- resets ----


@pytest.mark.parametrize("how", ["rapq", "zapq", "vfio-reset"])
def test_reset_empties_the_ring(apemu, dguests, how):
    inst, u, g = dp_guest(apemu, dguests, [0x47], [4])
    q = apqn(0x47, 4)
    r = laid_out(g, q)
    rng = t50.rng(6)
    fast, fast_reply = t50.random_me(1024, rng)
    slow = t50.random_me(4096, rng)[0]
    # two replies on the ring, two requests waiting or computing
    r.publish(1, fast)
    k = r.publish(2, fast)
    r.wait_prod(k + 1)
    r.publish(3, slow)
    r.publish(4, slow)
    n = r.nreq()
    if how == "vfio-reset":
        assert g.ioctl("RESET")["ok"] is True
    else:
        fc = FC_RAPQ if how == "rapq" else FC_ZAPQ
        res = g.exec(PQAP, [(fc << 24) | q])
        assert (res.pgm, res.cc, rc_of(res)) == (0, 0, 0)
    assert r.done == n << 32 | n
    res = g.tapq(q)
    assert (res.cc, res.gr[1] & (ST_E | ST_R | ST_F)) == (0, ST_E)
    res = g.dqap(q)[0]
    assert (res.cc, rc_of(res)) == (3, 0x10)
    # what the adapter was computing went nowhere
    r.unchanged_done(0.3)
    assert inst.read("/sys/devices/ap/card47/47.0004/pendingq_count") == "0\n"
    # the ring works on: the guest's cons counts as base
    k = r.publish(5, fast)
    assert k == n
    r.wait_prod(n + 1)
    assert r.dequeue() == (5, fast_reply)
    assert r.cons == r.epoch << 32 | (n + 1)
    assert g.tapq(q).gr[1] & (ST_E | ST_R) == ST_E


# ---- a hostile guest ----


def rsa_traffic(g, q, stop, errors, done):
    """Direct NQAP/DQAP of RSA requests on q's ring until stop is set."""
    r = g.qring(q)
    rng = t50.rng(77)
    try:
        while not stop.is_set():
            req, reply = t50.random_me(1024, rng)
            k = r.publish(0x7000 + done[0], req)
            r.wait_prod(k + 1)
            got = r.dequeue()
            assert got == (0x7000 + done[0], reply), got
            done[0] += 1
    except AssertionError as e:
        errors.append(e)


def test_hostile_guest_hurts_nobody_else(apemu, dguests):
    inst = apemu.start(MACHINE)
    uh, ug = make_mdev(inst, [6], [4]), make_mdev(inst, [0x47], [4])
    h, g = dguests(inst), dguests(inst)
    for x, u in ((h, uh), (g, ug)):
        x.create()
        x.open(u)
    qh, qg = apqn(6, 4), apqn(0x47, 4)
    r = laid_out(h, qh)
    laid_out(g, qg)
    stop, errors, done = threading.Event(), [], [0]
    good = threading.Thread(target=rsa_traffic, args=(g, qg, stop, errors, done))
    good.start()
    try:
        req, reply = t50.random_me(1024, t50.rng(8))
        epoch, k = r.epoch, r.nreq()
        s = r.slot(k)
        struct.pack_into("=QII", h.mem, s, 0x61, len(req), 0)
        h.mem[s + 16 : s + 16 + len(req)] = req
        # a wrong epoch; then a req far ahead of cons: no request
        for bad in ((epoch ^ 0x5A5A) << 32 | (k + 1), epoch << 32 | (k + 1000),
                    epoch << 32 | (k - 5) & M32, M32 << 32 | M32):
            r.req = bad
            os.eventfd_write(h.data_db, 1)
            r.unchanged_done(0.3)
            res = h.tapq(qh)
            assert res.cc == 0 and res.gr[1] & ST_F, hex(bad)
        # the honest counter again: served
        r.req = epoch << 32 | k
        k = r.publish(0x62, req)
        r.wait_prod(k + 1)
        assert r.dequeue() == (0x62, reply)
        # a length above slot_size: a malformed, empty message
        for length in (r.slot_size + 1, M32):
            k = r.publish(0x63, req, length=length)
            r.wait_prod(k + 1)
            assert r.reply(k) == (0x63, t50.error82(t50.RC_INVALID_MSG_LEN))
            assert r.dequeue()[0] == 0x63
        # random bytes over the whole ring, again and again, with doorbells
        rnd = random.Random(9)
        size = ring_bytes(r.nslots, r.slot_size)
        for i in range(60):
            h.mem[r.a : r.a + size] = rnd.randbytes(size)
            os.eventfd_write(h.data_db, 1)
            if i % 10 == 0:
                res = h.tapq(qh)
                assert res.pgm == 0 and res.error == 0
                assert res.cc == 0 or rc_of(res) == 0 and res.gr[1] & ST_F
            time.sleep(0.005)
        # and over the area's header and directory
        h.mem[h.dp : h.dp + DP_RINGS_OFF] = rnd.randbytes(DP_RINGS_OFF)
        res = h.tapq(qh)
        assert (res.pgm, res.error) == (0, 0) and (res.cc == 0 or res.gr[1] & ST_F)
        res = h.nqap(qh, 0x64, req)
        assert (res.pgm, res.error) == (0, 0)
        time.sleep(0.2)
    finally:
        stop.set()
        good.join(timeout=30)
    assert not good.is_alive()
    assert errors == []
    assert done[0] >= 5
    daemon_alive(inst)
    # the good guest still computes right, and the hostile one can start over
    rg = g.qring(qg)
    req, reply = t50.random_me(2048, t50.rng(10))
    k = rg.publish(0x71, req)
    rg.wait_prod(k + 1)
    assert rg.dequeue() == (0x71, reply)
    assert h.zapq(qh).cc == 0


def rss_kib(pid):
    with open("/proc/%d/status" % pid) as f:
        return next(int(line.split()[1]) for line in f if line.startswith("VmRSS:"))


def good_rate(g, q, seconds):
    """RSA-1024 operations per second guest g gets on q's ring."""
    stop, errors, done = threading.Event(), [], [0]
    th = threading.Thread(target=rsa_traffic, args=(g, q, stop, errors, done))
    th.start()
    time.sleep(seconds)
    stop.set()
    th.join(timeout=30)
    assert errors == [] and not th.is_alive()
    return done[0] / seconds


def flood_and_race(h, qh, seconds):
    """h floods its queue with RSA-4096 requests (doorbell each time) and
    scribbles over the slots and its notification byte, placed inside a
    slot, while the adapter writes replies there."""
    r = h.qring(qh)
    req = t50.random_me(4096, t50.rng(21))[0]
    size = ring_bytes(r.nslots, r.slot_size)
    # AQIC with the notification byte inside the ring's first slot
    assert h.aqic(qh, True, nib=r.slot(0) + 20).cc == 0
    rnd = random.Random(22)
    end = time.monotonic() + seconds
    while time.monotonic() < end:
        epoch, n = r.epoch, r.nreq()
        s = r.slot(n)
        struct.pack_into("=QII", h.mem, s, 0x99, len(req), 0)
        h.mem[s + 16 : s + 16 + len(req)] = req
        r.req = epoch << 32 | (n + 1) & M32
        os.eventfd_write(h.data_db, 1)
        # race the adapter: bytes of a slot it may be reading or answering into
        k = rnd.randrange(r.nslots)
        off = r.slot(k) + 16 + rnd.randrange(64)
        h.mem[off : off + 16] = rnd.randbytes(16)
        h.mem[r.slot(0) + 20] = 0
        # take what came back, whatever it is, so that the queue keeps moving
        if (r.prod - r.ncons()) & M32:
            r.cons = epoch << 32 | (r.ncons() + 1) & M32


def test_flooding_racing_guest_leaves_others_their_throughput_and_memory_flat(apemu, dguests):
    inst = apemu.start(MACHINE)
    uh, ug = make_mdev(inst, [6], [4]), make_mdev(inst, [0x47], [4])
    g = dguests(inst)
    g.create()
    g.open(ug)
    qg = apqn(0x47, 4)
    laid_out(g, qg)
    alone = good_rate(g, qg, 2)
    # a hostile guest floods and races its own memory, again and again:
    # a new guest each cycle (create, open, flood, die without a word)
    rss = []
    for cycle in range(12):
        h = dguests(inst)
        h.create()
        h.open(uh)
        qh = apqn(6, 4)
        laid_out(h, qh)
        if cycle == 6:
            flooder = threading.Thread(target=flood_and_race, args=(h, qh, 3))
            flooder.start()
            during = good_rate(g, qg, 2)
            flooder.join(timeout=30)
            assert not flooder.is_alive()
        else:
            flood_and_race(h, qh, 0.2)
        h.close()
        if cycle >= 2:
            time.sleep(0.1)
            rss.append(rss_kib(inst.pid))
    daemon_alive(inst)
    # the other guest kept most of its throughput (its own adapter, its own worker)
    assert during >= 0.3 * alone, (alone, during)
    # correct replies still
    rg = g.qring(qg)
    req, reply = t50.random_me(2048, t50.rng(23))
    k = rg.publish(0x72, req)
    rg.wait_prod(k + 1)
    assert rg.dequeue() == (0x72, reply)
    # memory stays flat: ten more guests cost apemud no lasting memory
    assert rss[-1] - rss[0] < 8 * 1024, rss


# ---- the end of a guest ----

CHILD = r"""
import sys
sys.path.insert(0, sys.argv[1])
import t50
import test_dataplane as d
g = d.DPGuest(sys.argv[2])
g.create()
g.open(sys.argv[3])
q = d.apqn(0x47, 4)
r = d.laid_out(g, q)
rng = t50.rng(11)
k = r.publish(1, t50.random_me(1024, rng)[0])
r.wait_prod(k + 1)
for i in range(r.nslots - 1):
    r.publish(2 + i, t50.random_me(4096, rng)[0])
print("ready", flush=True)
sys.stdin.read()
"""


def test_sigkill_of_a_dataplane_guest(apemu, dguests):
    inst = apemu.start(MACHINE)
    u = make_mdev(inst, [0x47], [4])
    t.sigkill_guest(inst, CHILD, u, 0x47, 4)
    daemon_alive(inst)
    # the next guest: its directory starts empty whatever it held
    g = dguests(inst)
    g.mem[g.dp + 8 : g.dp + DP_RINGS_OFF] = bytes([0x5A]) * (DP_RINGS_OFF - 8)
    g.create()
    assert g.directory()[1:] == (0, [])
    g.open(u)
    q = apqn(0x47, 4)
    # the queue was zeroized: nothing of the dead guest's remains
    res = g.tapq(q)
    assert (res.cc, res.gr[1] & (ST_E | ST_R)) == (0, ST_E)
    res = g.dqap(q)[0]
    assert (res.cc, rc_of(res)) == (3, 0x10)
    assert g.directory()[1:] == (0, [])
    time.sleep(0.2)
    assert inst.read("/sys/devices/ap/card47/47.0004/pendingq_count") == "0\n"
    # a new ring, and it serves this guest
    r = laid_out(g, q, psmid=0x42)
    assert g.directory()[1] == 1
    req, reply = t50.random_me(1024, t50.rng(12))
    k = r.publish(0x43, req)
    r.wait_prod(k + 1)
    assert r.dequeue() == (0x43, reply)


# ---- doorbells ----


def test_trap_doorbell(apemu, dguests):
    inst = apemu.start(MACHINE)
    u = make_mdev(inst, [0x47], [4])
    g = dguests(inst)
    g.create()
    g.open(u)
    q = apqn(0x47, 4)
    # with the doorbell: at once (the sweep alone is 100 ms per instruction)
    time.sleep(0.2)
    start = time.monotonic()
    for _ in range(20):
        res = g.tapq(q)
        assert (res.cc, res.gr[1] & ST_E) == (0, ST_E)
    assert time.monotonic() - start < 0.5
    # a doorbell guest that never writes it is still served by the sweep
    g.bell = False
    for _ in range(3):
        start = time.monotonic()
        assert g.tapq(q).cc == 0
        assert time.monotonic() - start < 0.3


def test_busy_doorbells_do_not_starve_pollers(apemu):
    """A guest that keeps the trap thread busy through its doorbell (apemu
    guest, libapemu-guest: TAPQ after TAPQ) must not keep it from looking
    at the guests that poll (no doorbell)."""
    inst = apemu.start(MACHINE)
    u1, u2 = make_mdev(inst, [0x47], [4]), make_mdev(inst, [0x48], [4])
    hammer = subprocess.Popen([APEMU, "guest", "--mount", inst.mount, "--mdev", u1],
                              stdin=subprocess.PIPE, stdout=subprocess.DEVNULL,
                              stderr=subprocess.PIPE, env=env())
    poller = t.Guest(inst.socket)
    try:
        poller.create()
        poller.open(u2)
        feed = threading.Thread(target=lambda: hammer.communicate(b"tapq 47.0004\n" * 400000))
        feed.start()
        time.sleep(0.3)
        worst = 0.0
        for _ in range(20):
            start = time.monotonic()
            assert poller.tapq(apqn(0x48, 4), timeout=5).cc == 0
            worst = max(worst, time.monotonic() - start)
        assert hammer.poll() is None, "the hammer ended before the poller was done"
        assert worst < 0.5, worst
    finally:
        hammer.kill()
        feed.join()
        poller.close()


def test_data_doorbell_wakes_a_sleeping_adapter(apemu, dguests):
    inst, u, g = dp_guest(apemu, dguests, [0x47], [4])
    q = apqn(0x47, 4)
    r = laid_out(g, q)
    req, reply = t50.random_me(1024, t50.rng(13))
    # idle, the adapter asks for the doorbell
    wait_for(lambda: r.need_wakeup == 1, timeout=5)
    k = r.publish(0x31, req, doorbell=False)
    r.unchanged_done(0.3)
    os.eventfd_write(g.data_db, 1)
    r.wait_prod(k + 1, timeout=2)
    assert r.dequeue() == (0x31, reply)
    # each time it falls asleep again
    for i in range(5):
        wait_for(lambda: r.need_wakeup == 1, timeout=5)
        k = r.publish(0x40 + i, req)
        r.wait_prod(k + 1, timeout=2)
        assert r.dequeue() == (0x40 + i, reply)
