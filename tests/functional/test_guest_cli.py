# `apemu guest` driven as a user drives it: instruction lines on stdin, one
# JSON object per line on stdout, against a real apemud whose mdevs were set
# up through the emulated sysfs tree.
#
# Invariant: a guest reaches exactly the APQNs of the mdev it opened (its
# CRYCB, as apemud keeps it), whatever it sends; every instruction answers
# as the architecture says (status word, response code, program exception);
# and a guest that dies releases its mdev, so that another guest can open it.
import json
import os
import select
import shlex
import signal
import subprocess
import threading
import time

import pytest

import t50
from apemutest import APEMU, env, sanitizer_report

# Two CEX8A accelerators with a small queue (depth 3: four requests), a CEX7C
# with the default depth 7; three usage domains. apmask/aqmask "": every queue
# is free for vfio_ap.
MACHINE = {
    "adapters": [
        {"ids": "4-5", "type": "CEX8A", "depth": 3},
        {"id": 6, "type": "CEX7C"},
    ],
    "usage_domains": "5,6,7",
    "control_domains": "5,6,7",
    "apmask": "",
    "aqmask": "",
}
GUEST_ADAPTERS = [4, 6]
GUEST_DOMAINS = [5, 6]
GUEST_CONTROL = [7]
INSIDE = [(a, d) for a in GUEST_ADAPTERS for d in GUEST_DOMAINS]

# A machine with every APQN: 256 adapters x 256 domains, all for vfio_ap.
BIG_MACHINE = {
    "adapters": [{"ids": "0-255", "type": "CEX8A"}],
    "usage_domains": "0-255",
    "control_domains": "0-255",
    "max_adapter_id": 255,
    "max_domain_id": 255,
    "apmask": "",
    "aqmask": "",
}

RC_Q_NOT_AVAIL = 0x01
RC_INVALID_ADDRESS = 0x06
RC_OTHERWISE_CHANGED = 0x07
RC_Q_FULL = 0x10  # NQAP: queue full; DQAP: no reply pending


def qn(a, d):
    return "%02x.%04x" % (a, d)


def queue_status_path(a, d):
    return f"/sys/devices/ap/card{a:02x}/{qn(a, d)}/status"


def guest_argv(inst, *args):
    return [APEMU, "guest", "--mount", inst.mount] + list(args)


def note_guest(inst, argv, lines):
    shown = lines if len(lines) <= 20 else lines[:20] + [f"# ... {len(lines) - 20} more lines"]
    inst.note(shlex.join(["apemu"] + argv[1:]) + " <<'EOF'\n" + "\n".join(shown) + "\nEOF")


def is_nop(line):
    s = line.strip()
    return not s or s.startswith("#")


def run_guest(inst, lines, *args, timeout=300):
    """Run apemu guest ARGS with lines on stdin; it must exit 0 without a word
    on stderr and print one JSON object per instruction line: the list."""
    argv = guest_argv(inst, *args)
    note_guest(inst, argv, lines)
    p = subprocess.run(
        argv,
        input="".join(line + "\n" for line in lines),
        capture_output=True,
        text=True,
        env=env(),
        timeout=timeout,
    )
    rep = sanitizer_report(p.stderr)
    assert rep is None, f"sanitizer report from apemu guest:\n{rep}"
    assert (p.returncode, p.stderr) == (0, ""), f"apemu guest: rc {p.returncode}, stderr {p.stderr!r}"
    out = [json.loads(x) for x in p.stdout.splitlines()]
    assert len(out) == len([line for line in lines if not is_nop(line)]), p.stdout[-2000:]
    return out


def run_guest_fails(inst, *args, lines=()):
    """apemu guest ARGS that must fail: (rc, stdout, stderr)."""
    argv = guest_argv(inst, *args)
    note_guest(inst, argv, list(lines))
    p = subprocess.run(
        argv,
        input="".join(line + "\n" for line in lines),
        capture_output=True,
        text=True,
        env=env(),
        timeout=60,
    )
    assert sanitizer_report(p.stderr) is None, p.stderr
    return p.returncode, p.stdout, p.stderr


class Guest:
    """An apemu guest process driven one line at a time."""

    def __init__(self, inst, *args):
        self.argv = guest_argv(inst, *args)
        inst.note(shlex.join(["apemu"] + self.argv[1:]) + " &   # interactive")
        self.p = subprocess.Popen(
            self.argv,
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            env=env(),
        )
        self.buf = b""

    def ask(self, line, timeout=30):
        self.p.stdin.write(line.encode() + b"\n")
        self.p.stdin.flush()
        deadline = time.monotonic() + timeout
        while b"\n" not in self.buf:
            left = deadline - time.monotonic()
            assert left > 0, f"no answer to {line!r} from {shlex.join(self.argv)}"
            r, _, _ = select.select([self.p.stdout], [], [], left)
            if r:
                chunk = os.read(self.p.stdout.fileno(), 65536)
                assert chunk, f"apemu guest ended: {self.p.wait()} {self.p.stderr.read()!r}"
                self.buf += chunk
        text, _, self.buf = self.buf.partition(b"\n")
        return json.loads(text)

    def kill(self):
        if self.p.poll() is None:
            self.p.send_signal(signal.SIGKILL)
        self.p.wait(timeout=30)
        for f in (self.p.stdin, self.p.stdout, self.p.stderr):
            f.close()

    def close(self):
        """End of input: exit 0, nothing on stderr."""
        self.p.stdin.close()
        rc = self.p.wait(timeout=30)
        err = self.p.stderr.read().decode()
        self.p.stdout.close()
        self.p.stderr.close()
        assert (rc, err) == (0, ""), f"apemu guest: rc {rc}, stderr {err!r}"


def make_mdev(inst, adapters, domains, control=()):
    u = inst.create_mdev()
    for attr, ids in (
        ("assign_adapter", adapters),
        ("assign_domain", domains),
        ("assign_control_domain", control),
    ):
        for i in ids:
            assert inst.write(inst.mdev(u, attr), "0x%x\n" % i) is None, (attr, i)
    return u


@pytest.fixture
def gi(apemu):
    """(instance of MACHINE, uuid of an mdev with adapters 4, 6, domains 5, 6, control domain 7)."""
    inst = apemu.start(MACHINE)
    return inst, make_mdev(inst, GUEST_ADAPTERS, GUEST_DOMAINS, GUEST_CONTROL)


def assert_status(o, cc, rc, **bits):
    assert "exception" not in o and "error" not in o, o
    assert (o["cc"], o["rc"]) == (cc, rc), o
    for k, v in bits.items():
        assert o["status"][k] == v, (k, o)


# ---- TAPQ ----


def test_tapq_reaches_exactly_the_mdevs_queues(gi):
    inst, u = gi
    everything = [(a, d) for a in (4, 5, 6, 0x10, 0xff) for d in (0, 5, 6, 7, 0xff)]
    out = run_guest(inst, [f"tapq {qn(a, d)}" for a, d in everything], "--mdev", u)
    for (a, d), o in zip(everything, out):
        assert o["insn"] == "tapq" and o["apqn"] == qn(a, d)
        if (a, d) in INSIDE:
            assert_status(o, 0, 0, E=True, R=False, F=False, I=False)
        else:
            assert_status(o, 3, RC_Q_NOT_AVAIL)


def test_tapq_without_an_open_mdev_reaches_nothing(gi):
    inst, u = gi
    out = run_guest(inst, [f"tapq {qn(a, d)}" for a, d in INSIDE], "--no-open")
    for o in out:
        assert_status(o, 3, RC_Q_NOT_AVAIL)


def test_tapq_t_returns_the_adapters_information_word(gi):
    inst, u = gi
    out = run_guest(inst, ["tapq 04.0005 t", "tapq 06.0006 t", "tapq 04.0005"], "--mdev", u)
    for o, a, hwtype, depth in ((out[0], 4, 14, 3), (out[1], 6, 13, 7)):
        assert_status(o, 0, 0, E=True)
        info = int(o["info"], 16)
        # GR2 bits 32-39 (MSB-0): the AP type, CEX8 = 14, CEX7 = 13
        assert (info >> 24) & 0xFF == hwtype
        assert o["type"] == hwtype
        # bits 60-63: the queue depth field; bits 0-31: the card's ap_functions
        assert info & 0xF == depth == o["qd"]
        funcs = int(inst.read(f"/sys/devices/ap/card{a:02x}/ap_functions"), 16)
        assert info >> 32 == funcs
    assert "info" not in out[2]


# ---- NQAP / DQAP ----


def test_nqap_dqap_round_trip(gi):
    inst, u = gi
    req, reply = t50.random_me(1024, t50.rng(1))
    big, big_reply = t50.random_me(4096, t50.rng(2))  # a 528-byte reply
    out = run_guest(
        inst,
        [
            f"nqap 04.0005 {req.hex()} 0x0123456789abcdef",
            "poll 04.0005",
            "dqap 04.0005",
            "tapq 04.0005",
            f"nqap 04.0006 {big.hex()} 7",
            "poll 04.0006 500",
            "dqap 04.0006 500",
        ],
        "--mdev",
        u,
    )
    assert_status(out[0], 0, 0)
    assert out[0]["psmid"] == "0x0123456789abcdef" and out[0]["length"] == len(req)
    # the adapter computed m^e mod n; the reply carries the request's PSMID
    assert_status(out[1], 0, 0, E=True, R=False)
    assert out[1]["data"] == reply.hex()
    assert out[1]["psmid"] == "0x0123456789abcdef"
    assert out[1]["residual"] == 0
    assert_status(out[2], 3, RC_Q_FULL, E=True)
    assert "data" not in out[2]
    assert_status(out[3], 0, 0, E=True, R=False)
    # a reply longer than the buffer comes in parts; the PSMID with the last
    assert_status(out[5], 0, 0)
    assert (out[5]["length"], out[5]["residual"]) == (500, len(big_reply) - 500)
    assert "psmid" not in out[5]
    assert_status(out[6], 0, 0, E=True)
    assert (out[6]["length"], out[6]["residual"]) == (len(big_reply) - 500, 0)
    assert out[6]["psmid"] == "0x0000000000000007"
    assert out[5]["data"] + out[6]["data"] == big_reply.hex()


def test_coprocessor_answers_type50_with_message_type_error(gi):
    inst, u = gi
    req, _ = t50.random_me(1024, t50.rng(3))
    out = run_guest(inst, [f"nqap 06.0005 {req.hex()} 5", "poll 06.0005"], "--mdev", u)
    assert_status(out[1], 0, 0, E=True)
    assert out[1]["data"] == t50.error82(t50.RC_MESSAGE_TYPE).hex()


def test_malformed_requests_get_error_replies(gi):
    inst, u = gi
    req, _ = t50.random_me(1024, t50.rng(4))
    even = bytearray(req)
    even[16 + 2 * 128 - 1] &= 0xFE  # the modulus made even
    short = req[:-1]
    lines = [f"nqap 04.0006 {even.hex()} 1", "poll 04.0006", f"nqap 04.0006 {short.hex()} 2",
             "poll 04.0006", "nqap 04.0006 0101 3", "poll 04.0006"]
    out = run_guest(inst, lines, "--mdev", u)
    assert out[1]["data"] == t50.error82(0x85).hex()  # even modulus
    assert out[3]["data"] == t50.error82(t50.RC_INVALID_MSG_LEN).hex()
    assert out[5]["data"] == t50.error82(t50.RC_MESSAGE_TYPE).hex()
    assert [int(out[i]["psmid"], 16) for i in (1, 3, 5)] == [1, 2, 3]


def test_queue_is_full_after_depth_plus_one_requests(gi):
    inst, u = gi
    # depth 3: the queue holds 4 requests (or their replies) until DQAP
    reqs = [t50.random_me(1024, t50.rng(10 + i)) for i in range(6)]
    lines = [f"nqap 04.0006 {reqs[i][0].hex()} {i}" for i in range(1, 6)]
    lines += ["tapq 04.0006"] + ["poll 04.0006"] * 4 + ["dqap 04.0006"]
    lines += [f"nqap 04.0006 {reqs[0][0].hex()} 9", "poll 04.0006"]
    out = run_guest(inst, lines, "--mdev", u)
    for o in out[:3]:
        assert_status(o, 0, 0, F=False)
    assert_status(out[3], 0, 0, F=True)
    assert_status(out[4], 3, RC_Q_FULL, F=True)
    assert out[5]["cc"] == 0 and out[5]["status"]["F"] and not out[5]["status"]["E"]
    for i, o in enumerate(out[6:10], start=1):
        assert_status(o, 0, 0)
        assert (o["data"], int(o["psmid"], 16)) == (reqs[i][1].hex(), i)
    assert_status(out[10], 3, RC_Q_FULL, E=True)
    assert_status(out[11], 0, 0)
    assert out[12]["data"] == reqs[0][1].hex()


def test_message_sizes(gi):
    inst, u = gi
    big = "ab" * 12288  # the adapters' max_msg_size (default 12288)
    out = run_guest(
        inst,
        [f"nqap 04.0005 {big}", f"nqap 04.0005 {big}cd", "poll 04.0005", "dqap 04.0005 70000",
         "nqap 04.0005 " + "00" * 61441, "tapq 04.0005"],
        "--mdev",
        u,
    )
    assert_status(out[0], 0, 0)
    assert_status(out[1], 3, 0x15)  # message too big for the adapter
    # taken whole, and answered: not a type 50 message
    assert out[2]["data"] == t50.error82(t50.RC_MESSAGE_TYPE).hex() and out[2]["residual"] == 0
    # longer than the guest's message area (and than NQAP takes at all)
    assert out[3]["errno"] == 90 and "70000" in out[3]["error"], out[3]  # EMSGSIZE
    assert out[4]["errno"] == 90 and "61441" in out[4]["error"], out[4]
    assert_status(out[5], 0, 0, E=True)


@pytest.mark.parametrize("reset", ["rapq", "zapq", "rapq f", "zapq f"])
def test_reset_discards_requests_and_replies(gi, reset):
    inst, u = gi
    word, *flag = reset.split()
    out = run_guest(
        inst,
        ["nqap 06.0005 01", "nqap 06.0005 02", f"{word} 06.0005 {' '.join(flag)}".strip(),
         "dqap 06.0005", "tapq 06.0005"],
        "--mdev",
        u,
    )
    assert_status(out[1], 0, 0)
    assert out[2]["insn"] == word
    assert_status(out[2], 0, 0, E=True, R=False)
    assert_status(out[3], 3, RC_Q_FULL, E=True, R=False)
    assert_status(out[4], 0, 0, E=True)


def test_vfio_reset_zeroizes_the_queues(gi):
    inst, u = gi
    out = run_guest(inst, ["nqap 04.0005 01", "reset", "dqap 04.0005", "tapq 04.0005"], "--mdev", u)
    assert out[1] == {"insn": "reset", "ok": True}
    assert_status(out[2], 3, RC_Q_FULL, E=True)
    assert_status(out[3], 0, 0)


# ---- AQIC ----


def test_aqic_on_off_and_repeats(gi):
    inst, u = gi
    out = run_guest(
        inst,
        [
            "aqic 04.0005 on 3",
            "aqic 04.0005 on 3",
            "tapq 04.0005",
            "nqap 04.0005 abcd",
            "irq 5000",
            "aqic 04.0005 off",
            "aqic 04.0005 off",
            "tapq 04.0005",
            "aqic 04.0006 on 1 0",
            "aqic 04.0006 on 1 0x7fffffffff",
            "aqic 05.0005 on",
        ],
        "--mdev",
        u,
    )
    assert_status(out[0], 0, 0, I=True)
    assert_status(out[1], 3, RC_OTHERWISE_CHANGED, I=True)
    assert_status(out[2], 0, 0, I=True)
    assert_status(out[3], 0, 0)
    # the reply raised an adapter interruption: the eventfd and the byte
    assert out[4]["count"] >= 1 and out[4]["nib_value"] == 0xFF, out[4]
    assert_status(out[5], 0, 0, I=False)
    assert_status(out[6], 3, RC_OTHERWISE_CHANGED, I=False)
    assert_status(out[7], 0, 0, I=False, R=True)
    # a notification byte at 0 or outside guest memory
    assert_status(out[8], 3, RC_INVALID_ADDRESS, I=False)
    assert_status(out[9], 3, RC_INVALID_ADDRESS, I=False)
    assert_status(out[10], 3, RC_Q_NOT_AVAIL)


# ---- QCI, the CRYCB, VFIO ----


def test_qci_shows_only_the_guests_configuration(gi):
    inst, u = gi
    (o,) = run_guest(inst, ["qci"], "--mdev", u)
    assert o["cc"] == 0 and "exception" not in o
    assert (o["apm"], o["aqm"], o["adm"]) == (GUEST_ADAPTERS, GUEST_DOMAINS, GUEST_CONTROL)
    assert o["apxa"] is True and (o["na"], o["nd"]) == (255, 255)
    block = bytes.fromhex(o["block"])
    assert len(block) == 128 and block[16] == 0b00001010  # adapters 4 and 6, MSB-0
    (o,) = run_guest(inst, ["qci"], "--no-open")
    assert (o["apm"], o["aqm"], o["adm"]) == ([], [], [])


def test_crycb_info_release_and_open(gi):
    inst, u = gi
    out = run_guest(
        inst,
        ["guest", "crycb", "info", "release", "tapq 04.0005", "crycb", "release",
         f"open {u}", "tapq 04.0005"],
        "--mdev",
        u,
    )
    g, cry, info = out[0], out[1], out[2]
    assert cry["crycbd"] == g["crycbd"] and cry["format"] == g["format"] == 2
    assert (cry["apm"], cry["aqm"], cry["adm"]) == (GUEST_ADAPTERS, GUEST_DOMAINS, GUEST_CONTROL)
    assert len(bytes.fromhex(cry["bytes"])) == 256
    assert (info["flags"], info["num_regions"], info["num_irqs"]) == (0x21, 0, 2)
    assert out[3] == {"insn": "release", "ok": True}
    assert_status(out[4], 3, RC_Q_NOT_AVAIL)
    assert (out[5]["apm"], out[5]["aqm"], out[5]["adm"]) == ([], [], [])
    assert out[6]["insn"] == "release" and out[6]["errno"] == 9  # EBADF: nothing open
    assert out[7] == {"insn": "open", "uuid": u, "ok": True, "attached": True}
    assert_status(out[8], 0, 0)


def test_msax3_off_gives_a_format_0_crycb(gi):
    inst, u = gi
    out = run_guest(inst, ["guest", "crycb", "tapq 04.0005", "qci"], "--mdev", u, "--cpu", "msax3=off")
    assert out[0]["format"] == 0 and out[1]["format"] == 0
    assert (out[1]["apm"], out[1]["aqm"]) == (GUEST_ADAPTERS, GUEST_DOMAINS)
    assert_status(out[2], 0, 0)
    assert out[3]["apxa"] is False and (out[3]["na"], out[3]["nd"]) == (63, 15)


# ---- exceptions ----


def test_problem_state_raises_privileged_operation(gi):
    inst, u = gi
    insns = ["tapq 04.0005", "nqap 04.0005 00", "dqap 04.0005", "qci", "aqic 04.0005 on",
             "rapq 04.0005", "zapq 04.0005"]
    out = run_guest(inst, ["problem on"] + insns + ["problem off", "tapq 04.0005"], "--mdev", u)
    assert out[0] == {"insn": "problem", "on": True}
    for o in out[1 : 1 + len(insns)]:
        assert (o["exception"], o["pgm"]) == ("privileged-operation", 2), o
        assert "cc" not in o
    assert_status(out[-1], 0, 0)


def test_cpu_without_ap_raises_operation_exception(gi):
    inst, u = gi
    out = run_guest(inst, ["tapq 04.0005", "qci", "nqap 04.0005 00"], "--mdev", u, "--cpu", "ap=off")
    for o in out:
        assert (o["exception"], o["pgm"]) == ("operation", 1), o


@pytest.mark.parametrize(
    "cpu,line,ok_line",
    [
        ("apft=off", "tapq 04.0005 t", "tapq 04.0005"),
        ("apqci=off", "qci", "tapq 04.0005"),
        ("apqi=off", "aqic 04.0005 on", "tapq 04.0005"),
    ],
)
def test_missing_facility_raises_specification_exception(gi, cpu, line, ok_line):
    inst, u = gi
    out = run_guest(inst, [line, ok_line], "--mdev", u, "--cpu", cpu)
    assert (out[0]["exception"], out[0]["pgm"]) == ("specification", 6), out[0]
    assert_status(out[1], 0, 0)


def test_raw_instruction_with_reserved_bits_is_a_specification_exception(gi):
    inst, u = gi
    out = run_guest(inst, ["raw pqap 0 0 0x00010405", "raw pqap 0 0 0x00800405", "raw nqap 1 4"],
                    "--mdev", u)
    assert out[0]["exception"] == "specification"
    assert_status(out[1], 0, 0)
    assert (int(out[1]["gr"][2], 16) >> 24) & 0xFF == 14
    assert out[2]["exception"] == "specification"  # odd R1


def nested_setup_lines(scb=0x10000, crycb=0x11000):
    """Guest 2's SIE fields at scb (host byte order) and its format-2 CRYCB at
    crycb in guest 1's memory: adapters 4 and 5, domain 5, AP interpretation on."""
    fields = [crycb | 3, 0x08, 0x0C, 0x00200000]  # crycbd, eca APIE, ecb3 AES|DEA, ecd ECC
    raw = b"".join(v.to_bytes(4, "little") for v in fields)
    return [
        f"write {scb:#x} {raw.hex()}",
        f"write {crycb + 0x80:#x} 0c",  # APCB1 APM: adapters 4, 5
        f"write {crycb + 0xA0:#x} 04",  # APCB1 AQM: domain 5
        f"nested {scb:#x}",
    ]


def test_nested_guest_reaches_its_crycb_within_guest_1s(gi):
    inst, u = gi
    probes = ["tapq 04.0005", "tapq 05.0005", "tapq 04.0006", "qci", "nested off", "tapq 04.0006"]
    out = run_guest(inst, nested_setup_lines() + probes, "--mdev", u, "--cpu", "sie=on")
    out = out[4:]
    assert_status(out[0], 0, 0)
    # adapter 5 is not guest 1's, domain 6 not guest 2's: the shadow has neither
    assert_status(out[1], 3, RC_Q_NOT_AVAIL)
    assert_status(out[2], 3, RC_Q_NOT_AVAIL)
    assert (out[3]["apm"], out[3]["aqm"]) == ([4], [5])
    assert out[4] == {"insn": "nested", "on": False}
    assert_status(out[5], 0, 0)
    # without the SIE facility guest 1 cannot run a guest 2
    out = run_guest(inst, nested_setup_lines() + ["tapq 04.0005"], "--mdev", u)
    assert (out[-1]["exception"], out[-1]["pgm"]) == ("operation", 1)


# ---- the line language ----


def test_bad_lines_name_the_token_and_the_guest_goes_on(gi):
    inst, u = gi
    bad = {
        "tapq 4.5": '"4.5"',
        "tapq 04.0100": '"04.0100"',
        "tapq 04.0005 x": '"x"',
        "nqap 04.0005 abc": '"abc"',
        "nqap 04.0005 zz": '"zz"',
        "aqic 04.0005 maybe": '"maybe"',
        "aqic 04.0005 on 9": '"9"',
        "dqap 04.0005 -1": '"-1"',
        "frobnicate": '"frobnicate"',
        "qci extra": '"extra"',
        "open not-a-uuid": '"not-a-uuid"',
        "raw pqap 0 0 0x1 0x2 nope": '"nope"',
    }
    lines = []
    for line in bad:
        lines += [line, "tapq 04.0005"]
    lines += ["", "   ", "# a comment"]
    out = run_guest(inst, lines, "--mdev", u)
    for i, (line, token) in enumerate(bad.items()):
        err, good = out[2 * i], out[2 * i + 1]
        assert list(err) == ["error"] and token in err["error"], (line, err)
        assert_status(good, 0, 0)


def test_usage_and_start_errors(gi):
    inst, u = gi
    rc, out, err = run_guest_fails(inst)
    assert rc == 2 and "missing --mdev" in err
    rc, out, err = run_guest_fails(inst, "--mdev", u, "--no-open")
    assert rc == 2
    rc, out, err = run_guest_fails(inst, "--mdev", u, "--cpu", "ap=on,turbo=on")
    assert rc == 2 and '"turbo=on"' in err
    rc, out, err = run_guest_fails(inst, "--mdev", "1234")
    assert rc == 2 and '"1234"' in err
    other = "00000000-0000-0000-0000-000000000001"
    rc, out, err = run_guest_fails(inst, "--mdev", other, lines=["tapq 04.0005"])
    assert rc == 1 and other in err and out == ""
    rc, out, err = run_guest_fails(inst, "--mdev", u, "--memory", "5000")
    assert rc == 2 and '"5000"' in err


# ---- lifetime ----


def test_killed_guest_releases_its_mdev(gi):
    inst, u = gi
    g1 = Guest(inst, "--mdev", u)
    try:
        assert_status(g1.ask("tapq 04.0005"), 0, 0)
        assert_status(g1.ask("nqap 04.0005 0102 5"), 0, 0)
        for a, d in INSIDE:
            assert inst.read(queue_status_path(a, d)) == "in use\n"
        # open already: a second guest cannot have it
        rc, out, err = run_guest_fails(inst, "--mdev", u, lines=["tapq 04.0005"])
        assert rc == 1 and "busy" in err.lower(), err
    finally:
        g1.kill()
    deadline = time.monotonic() + 10
    while inst.read(queue_status_path(4, 5)) != "assigned\n":
        assert time.monotonic() < deadline, "the killed guest's mdev was not released"
        time.sleep(0.05)
    for a, d in INSIDE:
        assert inst.read(queue_status_path(a, d)) == "assigned\n"
    # released means zeroized: the request of the dead guest is gone
    g2 = Guest(inst, "--mdev", u)
    try:
        assert_status(g2.ask("tapq 04.0005"), 0, 0, E=True, R=False)
        assert_status(g2.ask("dqap 04.0005"), 3, RC_Q_FULL)
        assert inst.read(queue_status_path(4, 5)) == "in use\n"
    finally:
        g2.close()
    assert inst.read(queue_status_path(4, 5)) == "assigned\n"


def test_guest_ends_when_apemud_stops(gi):
    inst, u = gi
    g = Guest(inst, "--mdev", u)
    try:
        assert_status(g.ask("tapq 04.0005"), 0, 0)
        rc, out, err = inst.stop()
        assert rc == 0, err
        o = g.ask("tapq 04.0005")
        assert (o["insn"], o["errno"]) == ("tapq", 104), o  # ECONNRESET
        assert g.p.wait(timeout=10) == 1
    finally:
        g.kill()


def test_two_guests_probing_every_apqn_reach_only_their_own(apemu):
    inst = apemu.start(BIG_MACHINE)
    mine = {
        "a": ([0x00, 0x10, 0xFF], [0x00, 0x05, 0xFF]),
        "b": ([0x01, 0x80, 0x81, 0x82], list(range(0x40, 0x50)) + [0x05]),
    }
    uuids = {k: make_mdev(inst, ads, doms) for k, (ads, doms) in mine.items()}
    lines = [f"tapq {qn(a, d)}" for a in range(256) for d in range(256)] + ["qci"]
    results, errors = {}, []

    def probe(k):
        try:
            results[k] = run_guest(inst, lines, "--mdev", uuids[k], timeout=600)
        except BaseException as e:  # noqa: B902 - reported below
            errors.append(f"guest {k}: {e}")

    threads = [threading.Thread(target=probe, args=(k,)) for k in mine]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not errors, errors
    for k, (ads, doms) in mine.items():
        own = {qn(a, d) for a in ads for d in doms}
        out = results[k]
        assert len(out) == 65537
        wrong = []
        for o in out[:-1]:
            want = (0, 0) if o["apqn"] in own else (3, RC_Q_NOT_AVAIL)
            if (o.get("cc"), o.get("rc")) != want:
                wrong.append(o)
        assert not wrong, f"guest {k}: {len(wrong)} wrong answers, e.g. {wrong[:5]}"
        reached = [o["apqn"] for o in out[:-1] if o["rc"] == 0]
        assert sorted(reached) == sorted(own)
        assert (out[-1]["apm"], out[-1]["aqm"]) == (sorted(ads), sorted(doms))


def test_status_shows_the_attached_guests_crycb(gi):
    """`apemu status` prints the CRYCB of the guest that has the mdev open:
    format 2, so APCB1's APM at 0x80 holds adapters 4 and 6 (0x0a) and its
    AQM at 0xa0 domains 5 and 6 (0x06)."""
    inst, u = gi
    g = Guest(inst, "--mdev", u)
    try:
        assert g.ask("guest")["format"] == 2
        rc, out, _ = inst.cli("status")
        assert rc == 0
        lines = out.splitlines()
        rows = {l.split(":")[0].strip(): l.split(":")[1].strip() for l in lines if l.strip()[:4] in ("080:", "0a0:")}
        assert rows["080"].startswith("0a"), lines
        assert rows["0a0"].startswith("06"), lines
    finally:
        g.close()
    rc, out, _ = inst.cli("status")
    assert rc == 0 and "crycb:" not in out
