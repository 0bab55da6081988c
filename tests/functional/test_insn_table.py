# The table of AP instruction checks (docs/ap-instructions.md), row by row,
# through `apemu guest`: raw instructions reach apemud's trap path with the
# registers exactly as written, the library's own commands go through the
# interpreted ring path first.
#
# Invariant: each condition of the table raises the exception the table
# names (operation, privileged-operation, specification, addressing) with
# the priority it gives, leaves the queue as it was, and the neighbouring
# legal value of the same field is accepted.
import pytest

from apemutest import Instances
from test_guest_cli import MACHINE, assert_status, make_mdev, run_guest

APQN = 0x0405  # 04.0005, in the guest's matrix
COPRO = 0x0605  # 06.0005, a CEX7C with room for 8 requests
MSG = 0x1000  # where the lines below put request messages
MEM = 1 << 20  # apemu guest's default memory

OP, PRIV, SPEC, ADDR = "operation", "privileged-operation", "specification", "addressing"


def bit(n):
    """GR0 bit n (MSB-0, 32..63) as a value."""
    return 1 << (63 - n)


def raw(opc, r1, r2, *gr):
    return "raw %s %d %d %s" % (opc, r1, r2, " ".join("%#x" % v for v in gr))


def pqap(fc, bits=0, apqn=APQN, gr1=0, gr2=0):
    return raw("pqap", 0, 0, fc << 24 | bits | apqn, gr1, gr2)


def nqap(gr0=bit(33) | APQN, addr=MSG, length=16, r1=4, r2=6):
    # R1 = 4/5 (PSMID 0x1/0x2), R2 = 6/7 (address, length)
    return raw("nqap", r1, r2, gr0, 0, 0, 0, 1, 2, addr, length)


def dqap(gr0=bit(32) | APQN, addr=MSG, length=64, r1=4, r2=6):
    return raw("dqap", r1, r2, gr0, 0, 0, 0, 0, 0, addr, length)


TAPQ, RAPQ, ZAPQ, AQIC, QCI = 0, 1, 2, 3, 4
T_BIT, F_BIT = bit(40), bit(41)

# (row id of docs/ap-instructions.md, --cpu or None, lines, what each line gives:
#  an exception name, or (cc, rc) for an instruction that completed)
ROWS = [
    ("C1", "ap=off", [pqap(TAPQ), pqap(QCI, gr2=0x100), nqap(), dqap()], [OP] * 4),
    (
        "C2",
        None,
        ["problem on", pqap(TAPQ), nqap(), dqap(), pqap(0x2A, 0x3F0000), nqap(r1=5), dqap(length=0)],
        [None] + [PRIV] * 6,
    ),
    ("C3", "ap=off", ["problem on", pqap(TAPQ)], [None, OP]),
    ("P1", None, [pqap(fc) for fc in (5, 6, 7, 8, 9, 0x2A, 0xFF)], [SPEC] * 7),
    (
        "P2",
        None,
        [pqap(fc, bit(b), gr2=0x100) for fc in (TAPQ, RAPQ, ZAPQ, AQIC, QCI) for b in range(42, 48)],
        [SPEC] * 30,
    ),
    ("P3", "apft=off", [pqap(TAPQ, T_BIT), pqap(AQIC, T_BIT), pqap(TAPQ)], [SPEC, SPEC, (0, 0)]),
    ("P4", None, [pqap(RAPQ, T_BIT), pqap(ZAPQ, T_BIT), pqap(QCI, T_BIT, 0, 0, 0x100)], [SPEC] * 3),
    ("P5", None, [pqap(AQIC, T_BIT)], [(3, 0x07)]),  # off already: rc 0x07, no exception
    (
        "P6",
        None,
        [pqap(TAPQ, F_BIT), pqap(QCI, F_BIT, 0, 0, 0x100), pqap(AQIC, F_BIT), pqap(RAPQ, F_BIT), pqap(ZAPQ, F_BIT)],
        [SPEC, SPEC, SPEC, (0, 0), (0, 0)],
    ),
    (
        "P7",
        "apxa=off",
        [pqap(fc, apqn=q) for q in (0x4005, 0x0410, 0xFFFF) for fc in (TAPQ, RAPQ, ZAPQ, AQIC)]
        + [pqap(TAPQ), pqap(TAPQ, apqn=0x3F0F)],
        [SPEC] * 12 + [(0, 0), (3, 0x01)],
    ),
    ("P7", None, [pqap(TAPQ, apqn=0x4005), pqap(TAPQ, apqn=0x0410)], [(3, 0x01)] * 2),
    ("P8", "apqci=off", [pqap(QCI, gr2=0x100)], [SPEC]),
    ("P9", "apqi=off", [pqap(AQIC)], [SPEC]),
    ("P10", None, [pqap(QCI, apqn=0, gr2=0x100 + i) for i in range(1, 8)], [SPEC] * 7),
    (
        "P11",
        None,
        [pqap(QCI, apqn=0, gr2=MEM - 8), pqap(QCI, apqn=0, gr2=MEM - 7), pqap(QCI, apqn=0, gr2=MEM - 128)],
        [ADDR, SPEC, (0, None)],
    ),
    ("N1", None, [nqap(r1=5), nqap(r2=7), nqap(r1=5, r2=7), nqap(r1=15)], [SPEC] * 4),
    (
        "N2",
        None,
        [nqap(gr0=bit(b) | bit(33) | APQN) for b in (32, 34, 35, 40, 41, 42, 43, 44, 45, 46, 47)],
        [SPEC] * 11,
    ),
    (
        "N3",
        None,
        [nqap(gr0=bits | COPRO) for bits in (0, bit(33), bit(36), bit(37), bit(38), bit(39))],
        [(0, 0)] * 6,
    ),
    ("N4", "apxa=off", [nqap(gr0=bit(33) | 0x4005), nqap(gr0=bit(33) | 0x0410)], [SPEC] * 2),
    ("N5", None, [nqap(length=0)], [SPEC]),
    ("N6", None, [nqap(length=61441), nqap(length=1 << 63), nqap(length=61440)], [SPEC, SPEC, (3, 0x15)]),
    ("N7", None, [nqap(addr=MEM - 8), nqap(addr=MEM - 8, length=0), nqap(addr=1 << 63)], [ADDR, SPEC, ADDR]),
    ("D1", None, [dqap(r1=5), dqap(r2=7), dqap(r1=5, r2=7), dqap(r2=15)], [SPEC] * 4),
    (
        "D2",
        None,
        [dqap(gr0=bit(b) | bit(32) | APQN) for b in (33, 34, 35, 40, 41, 42, 43, 44, 45, 46, 47)],
        [SPEC] * 11,
    ),
    (
        "D3",
        None,
        [dqap(gr0=bits | APQN) for bits in (0, bit(32), bit(36), bit(37), bit(38), bit(39))],
        [(3, 0x10)] * 6,
    ),
    ("D4", "apxa=off", [dqap(gr0=bit(32) | 0x4005), dqap(gr0=bit(32) | 0x0410)], [SPEC] * 2),
    ("D5", None, [dqap(length=0)], [SPEC]),
    (
        "D6",
        None,
        [dqap(length=1 << 20), dqap(length=(1 << 20) + 1), dqap(length=1 << 40), dqap(length=(1 << 20) - 1)],
        [SPEC, SPEC, SPEC, ADDR],
    ),
    ("D7", None, [dqap(addr=MEM - 8), dqap(addr=1 << 63), dqap(addr=MEM - 64)], [ADDR, ADDR, (3, 0x10)]),
]


@pytest.fixture(scope="module")
def gi(request):
    """One instance of MACHINE for the whole table (every row zeroizes the
    queues it uses first); mdev: adapters 4 and 6, domains 5 and 6."""
    insts = Instances(request.node)
    inst = insts.start(MACHINE)
    yield inst, make_mdev(inst, [4, 6], [5, 6], [7])
    problems = insts.teardown()
    assert not problems, problems


def check(out, want):
    for o, w in zip(out, want):
        if w is None:
            assert "exception" not in o and "error" not in o, o
        elif isinstance(w, str):
            assert o.get("exception") == w, o
            assert "cc" not in o, o
        else:
            assert "exception" not in o and "error" not in o, o
            assert o["cc"] == w[0], o
            if w[1] is not None:
                assert int(o["gr"][1], 16) >> 16 & 0xFF == w[1], o


@pytest.mark.parametrize("row,cpu,lines,want", ROWS, ids=["%s-%d" % (r[0], i) for i, r in enumerate(ROWS)])
def test_row(gi, row, cpu, lines, want):
    inst, u = gi
    args = ["--mdev", u] + (["--cpu", cpu] if cpu else [])
    # zeroize first: each row starts with empty queues
    out = run_guest(inst, ["zapq 04.0005", "zapq 06.0005"] + lines, *args)
    check(out[2:], want)


def test_d6_a_long_buffer_inside_memory_is_still_specification(gi):
    """D6 does not depend on the memory: with 4 MiB a 2 MiB buffer is inside."""
    inst, u = gi
    lines = [dqap(length=2 << 20), dqap(length=(1 << 20) - 1)]
    out = run_guest(inst, lines, "--mdev", u, "--memory", str(4 << 20))
    check(out, [SPEC, (3, 0x10)])


def test_library_path_takes_the_same_checks(gi):
    """The interpreted path (a ring exists after the first NQAP) traps what it
    cannot take: a zero-length DQAP is a specification exception there too."""
    inst, u = gi
    lines = ["zapq 04.0005", "nqap 04.0005 00", "dqap 04.0005 0", "poll 04.0005"]
    out = run_guest(inst, lines, "--mdev", u)
    assert_status(out[1], 0, 0)
    assert out[2].get("exception") == SPEC, out[2]
    assert_status(out[3], 0, 0)  # the request's reply was still there
    assert out[3]["length"] > 0, out[3]
