"""A guest of apemud, spoken raw over its control socket (docs/guest-protocol.md).

One Guest is one connection with (after create()) one guest: its memory is
a memfd shared with apemud, its AP instructions go through the instruction
ring at guest address `ring` (include/apemu/guest-abi.h, struct apemu_ring).
The helpers tapq(), zapq(), aqic(), qci(), nqap() and dqap() put one
instruction on the ring and wait for apemud's answer; request() sends any
control-socket request.

Shared counter words are read and written whole through ctypes
(struct.pack_into writes byte by byte, and apemud could see a torn
sequence number). FUTEX_WAKE is done where the syscall number is known.

Errors: a refused request or a ring that gets no answer raises GuestError
(an AssertionError, so that a test using the client fails with its
message); socket problems raise OSError.
"""
import ctypes
import json
import mmap
import os
import platform
import socket
import struct
import time
from collections import namedtuple

__all__ = [
    "Guest", "GuestError", "Result", "apqn", "rc_of", "mask_bytes", "ids_mask", "futex",
    "eventfd_count",
]

EINVAL, EPERM, ENODEV, EBUSY, EBADF, EIO, EOPNOTSUPP = 22, 1, 19, 16, 9, 5, 95

# include/apemu/guest-abi.h: struct apemu_ring, host byte order
RING_MAGIC, RING_VERSION = 0x4150454D, 1
OFF_REQ, OFF_RESP, OFF_OPC, OFF_FLAGS, OFF_R1, OFF_SCB, OFF_GR, OFF_RES = 8, 12, 16, 20, 24, 32, 40, 168
RING_SIZE = 184
PROBLEM, NESTED = 0x1, 0x2
PQAP, NQAP, DQAP = 0xB2AF, 0xB2AD, 0xB2AE
FC_TAPQ, FC_RAPQ, FC_ZAPQ, FC_AQIC, FC_QCI = 0, 1, 2, 3, 4
T_BIT = 0x00800000
ST_E, ST_R, ST_F, ST_I = 0x80000000, 0x40000000, 0x20000000, 0x01000000
PGM_OPERATION, PGM_PRIVILEGED, PGM_ADDRESSING, PGM_SPECIFICATION = 1, 2, 5, 6
ECA_APIE = 0x8

# The guest memory layout the helpers use by default.
MEM = 1 << 20
MSG, REPLY, QCI_BLOCK, NIB, SCB, G2_CRYCB = 0x1000, 0x2000, 0x3000, 0x4000, 0x5000, 0x6000

# What an instruction left: the 16 registers, the program interruption
# code, the condition code, a nested guest's validity code, apemud's error.
Result = namedtuple("Result", "gr pgm cc validity error")

FUTEX_NR = {"x86_64": 202, "aarch64": 98, "s390x": 238, "ppc64le": 221}.get(platform.machine())
FUTEX_WAIT, FUTEX_WAKE = 0, 1
LIBC = ctypes.CDLL(None, use_errno=True)


class GuestError(AssertionError):
    """apemud refused a request, or did not answer the ring in time."""


class Timespec(ctypes.Structure):
    _fields_ = [("tv_sec", ctypes.c_long), ("tv_nsec", ctypes.c_long)]


def futex(addr, op, val, timeout=None):
    """A shared futex operation on the int at addr (FUTEX_NR must be known)."""
    ts = Timespec(int(timeout), int((timeout % 1) * 1e9)) if timeout is not None else None
    return LIBC.syscall(FUTEX_NR, ctypes.c_void_p(addr), op, ctypes.c_uint32(val),
                        ctypes.byref(ts) if ts is not None else None, None, 0)


def apqn(a, d):
    """The APQN of adapter a, domain d."""
    return (a << 8) | d


def rc_of(res):
    """The response code of an instruction's status word (GR1)."""
    return (res.gr[1] >> 16) & 0xFF


def mask_bytes(text):
    """A mask as the status op prints it ("0x" + 64 hex digits) as 32 bytes."""
    return bytes.fromhex(text[2:])


def ids_mask(ids, nbytes=32):
    """The mask of ids, id 0 the leftmost bit."""
    b = bytearray(nbytes)
    for i in ids:
        b[i // 8] |= 0x80 >> (i % 8)
    return bytes(b)


def eventfd_count(fd):
    """The eventfd's counter, read and cleared; 0 when nothing was signalled."""
    try:
        return os.eventfd_read(fd)
    except BlockingIOError:
        return 0


class Guest:
    """One connection with (after create()) one guest: its memory is a memfd
    shared with apemud, its AP instructions go through the ring at `ring`.
    `inst` is an apemu instance (anything with a `socket` attribute, such as
    apemu.Host) or the control socket's path."""

    def __init__(self, inst, memory=MEM, ring=0, magic=RING_MAGIC, irq=True, seal=True,
                 wake=True):
        self.sock = socket.socket(socket.AF_UNIX, socket.SOCK_SEQPACKET | socket.SOCK_CLOEXEC)
        self.sock.settimeout(30)
        self.sock.connect(inst.socket if hasattr(inst, "socket") else inst)
        flags = os.MFD_CLOEXEC | (os.MFD_ALLOW_SEALING if seal else 0)
        self.memfd = os.memfd_create("apemu-test-guest", flags)
        os.ftruncate(self.memfd, memory)
        self.memory = memory
        self.mem = mmap.mmap(self.memfd, memory)
        self.ring = ring
        if ring + RING_SIZE <= memory:
            struct.pack_into("=II", self.mem, ring, magic, RING_VERSION)
        self.evfd = os.eventfd(0, os.EFD_CLOEXEC | os.EFD_NONBLOCK) if irq else None
        # the address of the mapping, for futex calls
        self.cmem = (ctypes.c_char * memory).from_buffer(self.mem)
        self.wake = wake and FUTEX_NR is not None

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()

    def close(self):
        """Close the connection (apemud releases the guest's mdev) and the memory."""
        if self.sock is None:
            return
        self.sock.close()
        self.sock = None
        del self.cmem  # a buffer export would keep the mmap from closing
        self.mem.close()
        os.close(self.memfd)
        if self.evfd is not None:
            os.close(self.evfd)

    # -- the control socket --

    def request(self, obj, fds=()):
        """Send one request (a dict, with descriptors fds); apemud's answer (a dict)."""
        data = json.dumps(obj).encode()
        if fds:
            socket.send_fds(self.sock, [data], list(fds))
        else:
            self.sock.send(data)
        msg, rfds, _, _ = socket.recv_fds(self.sock, 65536, 1)
        for fd in rfds:
            os.close(fd)
        return json.loads(msg)

    def ok(self, obj, fds=()):
        """request() that must succeed; the answer."""
        r = self.request(obj, fds)
        if r.get("ok") is not True:
            raise GuestError(f"{obj.get('op')}: refused: {r}")
        return r

    def errno(self, obj, fds=()):
        """request() that must be refused with a message; the errno."""
        r = self.request(obj, fds)
        if r.get("ok") is not False or not r.get("message"):
            raise GuestError(f"{obj.get('op')}: expected a refusal with a message, got {r}")
        return r["errno"]

    def create_req(self, cpu=None, memory=None, ring=None):
        req = {"op": "guest-create", "memory": self.memory if memory is None else memory,
               "ring": self.ring if ring is None else ring}
        if cpu is not None:
            req["cpu"] = cpu
        return req

    def fds(self):
        return [self.memfd] + ([self.evfd] if self.evfd is not None else [])

    def create(self, cpu=None):
        """guest-create: hand the memory (and the eventfd) to apemud."""
        return self.ok(self.create_req(cpu), self.fds())

    def open(self, u):
        """mdev-open: QEMU's open of the vfio_ap mdev u for this guest."""
        return self.ok({"op": "mdev-open", "uuid": u})

    def release(self):
        return self.ok({"op": "mdev-release"})

    def crycb(self):
        """(CRYCB designation, format, the 256 bytes) as apemud holds them."""
        r = self.ok({"op": "crycb"})
        if len(r["bytes"]) != 512:
            raise GuestError(f"crycb: {len(r['bytes'])} hex digits, expected 512")
        return int(r["crycbd"], 16), r["format"], bytes.fromhex(r["bytes"])

    def ioctl(self, request, **kw):
        return self.request(dict({"op": "vfio-ioctl", "request": request}, **kw))

    # -- the ring --

    def exec(self, opcode, gr, r1=0, r2=0, flags=0, scb=0, timeout=10):
        """Execute one instruction through the ring; a Result."""
        m, ring = self.mem, self.ring
        struct.pack_into("=II", m, ring + OFF_OPC, opcode, flags)
        struct.pack_into("=BB", m, ring + OFF_R1, r1, r2)
        struct.pack_into("=Q", m, ring + OFF_SCB, scb)
        regs = list(gr) + [0] * (16 - len(gr))
        struct.pack_into("=16Q", m, ring + OFF_GR, *regs)
        seq = (self.word(ring + OFF_REQ).value + 1) & 0xFFFFFFFF
        self.word(ring + OFF_REQ).value = seq
        if self.wake:
            futex(self.addr(ring + OFF_REQ), FUTEX_WAKE, 1)
        deadline = time.monotonic() + timeout
        while self.word(ring + OFF_RESP).value != seq:
            if time.monotonic() >= deadline:
                raise GuestError("apemud did not answer the ring")
            time.sleep(0.0005)
        out = list(struct.unpack_from("=16Q", m, ring + OFF_GR))
        pgm, cc, validity, error = struct.unpack_from("=iiii", m, ring + OFF_RES)
        return Result(out, pgm, cc, validity, error)

    def addr(self, guest_addr):
        """The host address of a guest address."""
        return ctypes.addressof(self.cmem) + guest_addr

    def word(self, guest_addr):
        """The 32-bit word at a guest address, read and written whole (struct
        packs byte by byte, and apemud could see a torn sequence number)."""
        return ctypes.c_uint32.from_address(self.addr(guest_addr))

    def tapq(self, q, t=False, **kw):
        return self.exec(PQAP, [(FC_TAPQ << 24) | (T_BIT if t else 0) | q], **kw)

    def zapq(self, q, **kw):
        return self.exec(PQAP, [(FC_ZAPQ << 24) | q], **kw)

    def aqic(self, q, enable, nib=NIB, isc=3):
        return self.exec(PQAP, [(FC_AQIC << 24) | q, ((1 << 47) if enable else 0) | isc, nib])

    def qci(self, addr=QCI_BLOCK):
        """QCI; (Result, the 128-byte block)."""
        res = self.exec(PQAP, [FC_QCI << 24, 0, addr])
        return res, bytes(self.mem[addr : addr + 128])

    def nqap(self, q, psmid, data, addr=MSG, **kw):
        """NQAP of data (bytes, copied to guest address addr) with psmid."""
        self.mem[addr : addr + len(data)] = data
        gr = [q, 0, 0, 0, psmid >> 32, psmid & 0xFFFFFFFF, addr, len(data)]
        return self.exec(NQAP, gr, r1=4, r2=6, **kw)

    def dqap(self, q, buflen=4096, addr=REPLY):
        """DQAP into buflen bytes at addr; (Result, psmid, the reply's bytes)."""
        self.mem[addr : addr + buflen] = bytes(buflen)
        res = self.exec(DQAP, [q, 0, 0, 0, 0, 0, addr, buflen], r1=4, r2=6)
        n = res.gr[6] - addr
        psmid = (res.gr[4] << 32) | res.gr[5]
        return res, psmid, bytes(self.mem[addr : addr + n])
