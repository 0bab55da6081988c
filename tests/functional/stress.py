# The stress run (issue "under load, nothing lost"): guests run RSA on their
# queues and check every reply while other threads change the configuration
# at random through sysfs (assign/unassign, apmask, ap_config, a card's
# online and config) and raise hot-plug and fault events. Afterwards every
# NQAP must be accounted for — a correct reply, or a discard the guest
# observed the way the architecture lets it (TAPQ finding the queue empty or
# unreachable, a later request's reply overtaking it) — the auditor must
# find nothing, and nothing may have hung (a watchdog prints every thread's
# stack of apemud). Used by test_stress.py (bounded) and by bench/soak.sh
# (`python3 tests/functional/stress.py --seconds 600`).
#
# The run is random but seeded: the seed is printed, and
# APEMU_STRESS_SEED=N (or --seed N) replays it.
import argparse
import errno
import json
import os
import random
import re
import shutil
import subprocess
import sys
import threading
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import t50  # noqa: E402
import test_guest_protocol as t  # noqa: E402
from apemutest import APEMU, env  # noqa: E402

MACHINE = {
    "apmask": "",
    "aqmask": "",
    "usage_domains": "1-4",
    "control_domains": "1-4",
    "adapters": [
        {"id": 4, "type": "CEX8A", "depth": 3},
        {"id": 5, "type": "CEX8A", "depth": 3},
        {"id": 6, "type": "CEX7A", "depth": 2},
        {"id": 7, "type": "CEX7C"},
    ],
}
# Each guest's mdev: its adapters and domains (no APQN in two). The last one
# is for `apemu rsa --keep-going`, a guest of libapemu-guest whose NQAP and
# DQAP run on the queue rings without an exit.
MDEVS = [([4, 5], [1, 2]), ([6], [1, 2, 3]), ([7, 4], [3, 4]), ([5], [3, 4])]
RSA_APQNS = "05.0003,05.0004"
ACCEL = {4: "CEX8A", 5: "CEX8A", 6: "CEX7A", 7: "CEX7C"}
# What a random configuration change may be refused with: the kernel's
# answers to a change that conflicts with the state of the moment.
REFUSALS = {errno.EBUSY, errno.EADDRINUSE, errno.EADDRNOTAVAIL, errno.EINVAL, errno.ENODEV,
            errno.EEXIST, errno.ENOENT, errno.EAGAIN}
OP_TIMEOUT = 60  # seconds one operation may take before the watchdog fires
# apemu rsa runs this much longer than the others, so that its guest is
# still computing when the last memory sample of the run is taken
LIB_GRACE = 3


class Lost(Exception):
    pass


class GuestRun:
    """One guest: RSA (ME, 512-bit moduli) on every queue of its mdev, every
    reply checked, each request's fate recorded."""

    def __init__(self, inst, u, apqns, seed):
        self.g = t.Guest(inst.socket)
        self.g.create()
        self.g.open(u)
        self.apqns = apqns
        self.rng = random.Random(seed)
        self.out = {q: [] for q in apqns}  # outstanding (psmid, reply), oldest first
        self.next_psmid = 1
        self.stats = {"sent": 0, "answered": 0, "discarded": 0, "refused": 0}
        self.errors = []

    def close(self):
        self.g.close()

    def discard_all(self, q):
        self.stats["discarded"] += len(self.out[q])
        self.out[q].clear()

    def step(self, q):
        g, out = self.g, self.out[q]
        if len(out) < 2:
            req, reply = t50.random_me(512, self.rng)
            if ACCEL[q >> 8].endswith("C"):
                reply = t50.error82(t50.RC_MESSAGE_TYPE)  # a CCA coprocessor takes no type 50
            psmid = self.next_psmid
            self.next_psmid += 1
            res = g.nqap(q, psmid, req)
            if res.pgm == 0 and res.cc == 0:
                out.append((psmid, reply))
                self.stats["sent"] += 1
            else:
                self.stats["refused"] += 1
        res, psmid, data = g.dqap(q)
        rc = t.rc_of(res)
        if res.pgm:
            self.errors.append(f"{q:04x}: DQAP program exception {res.pgm}")
        elif res.cc == 0 and res.gr[2] == 0:
            self.take_reply(q, psmid, data)
        elif rc == 0x10 and res.gr[1] & t.ST_E:
            # the queue is empty: what was outstanding was discarded (a reset,
            # a zeroize, the adapter gone); a queue merely out of reach (rc
            # 0x01, 0x03, 0x04) tells nothing yet
            self.discard_all(q)

    def take_reply(self, q, psmid, data):
        out = self.out[q]
        k = next((i for i, (p, _) in enumerate(out) if p == psmid), None)
        if k is None:
            self.errors.append(f"{q:04x}: a reply with PSMID {psmid} that is not outstanding")
            return
        # replies come in order: older ones it overtook were discarded by a reset
        self.stats["discarded"] += k
        _, want = out[k]
        del out[: k + 1]
        if data != want:
            self.errors.append(f"{q:04x}: PSMID {psmid}: a wrong reply")
        self.stats["answered"] += 1

    def run(self, stop):
        try:
            while not stop.is_set():
                for q in self.apqns:
                    self.step(q)
        except Exception as e:  # a broken connection is apemud's fault
            self.errors.append(f"guest: {e!r}")

    def drain(self, deadline):
        """Once nothing changes any more: every outstanding request is answered or observed gone."""
        while any(self.out.values()) and time.monotonic() < deadline:
            for q in self.apqns:
                if self.out[q]:
                    self.step_drain(q)
            time.sleep(0.001)
        for q, out in self.out.items():
            if out:
                tq = self.g.tapq(q)
                raise Lost(f"queue {q >> 8:02x}.{q & 0xff:04x}: requests {[p for p, _ in out]} "
                           f"neither answered nor discarded (TAPQ: cc {tq.cc}, status "
                           f"0x{tq.gr[1]:08x})")

    def step_drain(self, q):
        res, psmid, data = self.g.dqap(q)
        if res.pgm == 0 and res.cc == 0 and res.gr[2] == 0:
            self.take_reply(q, psmid, data)
            return
        tq = self.g.tapq(q)
        if tq.pgm == 0 and t.rc_of(tq) == 0 and tq.gr[1] & t.ST_E:
            self.discard_all(q)


class Chaos:
    """Random configuration changes and events, each one as a user or tool makes it."""

    def __init__(self, inst, mdevs, seed):
        self.inst, self.mdevs = inst, mdevs
        self.rng = random.Random(seed)
        self.counts = {}
        self.errors = []
        self.removed = set()

    def write(self, path, text):
        p = os.path.join(self.inst.mount, path)
        try:
            fd = os.open(p, os.O_WRONLY)
        except OSError as e:
            return e.errno
        try:
            os.write(fd, text.encode())
            return None
        except OSError as e:
            return e.errno
        finally:
            os.close(fd)

    def event(self, *args):
        p = subprocess.run([APEMU, "event", "--mount", self.inst.mount] + [str(a) for a in args],
                           capture_output=True, text=True, env=env(), timeout=OP_TIMEOUT)
        if p.returncode not in (0, 1):
            self.errors.append(f"apemu event {args}: {p.returncode} {p.stderr.strip()}")

    def one(self):
        r = self.rng
        u, (adapters, domains) = r.choice(list(zip(self.mdevs, MDEVS)))
        a, d = r.choice([4, 5, 6, 7]), r.choice([1, 2, 3, 4])
        kinds = [
            ("unassign", lambda: self.write(f"devices/vfio_ap/matrix/{u}/unassign_adapter", f"{a}\n")),
            ("assign", lambda: self.write(f"devices/vfio_ap/matrix/{u}/assign_adapter",
                                          f"{r.choice(adapters)}\n")),
            ("unassign_domain", lambda: self.write(f"devices/vfio_ap/matrix/{u}/unassign_domain",
                                                   f"{d}\n")),
            ("assign_domain", lambda: self.write(f"devices/vfio_ap/matrix/{u}/assign_domain",
                                                 f"{r.choice(domains)}\n")),
            ("apmask", lambda: self.write("bus/ap/apmask", r.choice(["+", "-"]) + f"{a}\n")),
            ("aqmask", lambda: self.write("bus/ap/aqmask", r.choice(["+", "-"]) + f"{d}\n")),
            ("online", lambda: self.write(f"devices/ap/card{a:02x}/online", r.choice("01") + "\n")),
            ("config", lambda: self.write(f"devices/ap/card{a:02x}/config", r.choice("01") + "\n")),
            ("chkstop", lambda: self.event("chkstop", a, r.choice(["on", "off"]))),
            ("hotplug", lambda: self.hotplug(a)),
            ("fault", lambda: self.fault(a, d)),
        ]
        name, act = r.choice(kinds)
        e = act()
        self.counts[name] = self.counts.get(name, 0) + 1
        if e is not None and e not in REFUSALS:
            self.errors.append(f"{name}: {os.strerror(e)}")

    def hotplug(self, a):
        if a in self.removed:
            self.removed.discard(a)
            self.event("adapter-add", a, ACCEL[a], "depth=3")
        elif self.rng.random() < 0.5:
            self.removed.add(a)
            self.event("adapter-remove", a)

    def fault(self, a, d):
        q = f"{a:02x}.{d:04x}"
        kind = self.rng.choice(["busy", "reset", "delay"])
        if kind == "busy":
            self.event("fault-busy", q, self.rng.randint(1, 5))
        elif kind == "reset":
            self.event("fault-reset-pending", q, self.rng.randint(1, 3))
        else:
            self.event("fault-delay", a, self.rng.choice([0, 0, 5, 20]))

    def run(self, stop):
        try:
            while not stop.is_set():
                self.one()
                time.sleep(self.rng.random() * 0.02)
        except Exception as e:
            self.errors.append(f"chaos: {e!r}")

    def restore(self):
        """Everything back: adapters present and working, masks and assignments as at the start."""
        for a in (4, 5, 6, 7):
            if not os.path.exists(os.path.join(self.inst.mount, f"devices/ap/card{a:02x}")):
                self.event("adapter-add", a, ACCEL[a], "depth=3")
        for a in (4, 5, 6, 7):
            self.event("chkstop", a, "off")
            self.event("fault-delay", a, 0)
            self.write(f"devices/ap/card{a:02x}/config", "1\n")
            self.write(f"devices/ap/card{a:02x}/online", "1\n")
            for d in (1, 2, 3, 4):
                self.event("fault-clear", f"{a:02x}.{d:04x}")
        self.write("bus/ap/apmask", "0x0\n")
        self.write("bus/ap/aqmask", "0x0\n")
        for u, (adapters, domains) in zip(self.mdevs, MDEVS):
            for a in adapters:
                self.write(f"devices/vfio_ap/matrix/{u}/assign_adapter", f"{a}\n")
            for d in domains:
                self.write(f"devices/vfio_ap/matrix/{u}/assign_domain", f"{d}\n")


def stacks(pid):
    """Every thread's stack of pid, for the watchdog."""
    if shutil.which("gdb"):
        p = subprocess.run(["gdb", "-p", str(pid), "-batch", "-ex", "thread apply all bt"],
                           capture_output=True, text=True, timeout=120)
        return p.stdout + p.stderr
    text = []
    for tid in sorted(os.listdir(f"/proc/{pid}/task")):
        base = f"/proc/{pid}/task/{tid}"
        try:
            with open(base + "/comm") as f, open(base + "/wchan") as w:
                text.append(f"thread {tid} {f.read().strip()} waits in {w.read().strip()}")
            with open(base + "/stack") as f:
                text.append(f.read())
        except OSError:
            pass
    return "\n".join(text)


def guest_rings(pid):
    """The queue rings in the data-plane area of libapemu-guest process pid (its
    memfd's upper half), as text: what a stuck guest and adapter disagree on."""
    import struct
    with open(f"/proc/{pid}/maps") as f:
        m = next(line for line in f if "memfd:apemu-guest" in line)
    lo, hi = (int(x, 16) for x in m.split()[0].split("-"))
    with open(f"/proc/{pid}/mem", "rb") as f:
        f.seek(lo)
        mem = f.read(hi - lo)
    dp = ((hi - lo) // 2) & ~4095
    gen, nent = struct.unpack_from("=II", mem, dp + 8)
    out = [f"directory gen {gen}, {nent} entries"]
    for i in range(256):
        apqn, _, off = struct.unpack_from("=HHI", mem, dp + 64 + 8 * i)
        if not off:
            continue
        r = dp + off
        magic, rq, nslots, _, epoch, state, mx, ss, irq, nw, done = struct.unpack_from(
            "=IHBBIIIIIIQ", mem, r)
        req, cons = struct.unpack_from("=QQ", mem, r + 64)
        out.append(f"{apqn:04x} at {off:#x}: magic {magic:#x} apqn {rq:04x} epoch {epoch} "
                   f"state {state} need_wakeup {nw} req {req >> 32}:{req & 0xffffffff} "
                   f"cons {cons >> 32}:{cons & 0xffffffff} done base {done >> 32} "
                   f"prod {done & 0xffffffff}")
    return "\n".join(out)


def rss_kib(pid):
    with open(f"/proc/{pid}/status") as f:
        return int(re.search(r"VmRSS:\s+(\d+)", f.read()).group(1))


def run(inst, seconds, seed, report=print):
    """The stress run against a started instance of MACHINE; a dict of figures.
    Raises AssertionError/Lost on a broken promise."""
    report(f"stress: seed {seed} ({seconds} s); replay with APEMU_STRESS_SEED={seed}")
    pid = inst.daemon_pid()
    rss0 = rss_kib(pid)
    mdevs = [t.make_mdev(inst, a, d) for a, d in MDEVS]
    guests = [GuestRun(inst, u, [t.apqn(a, d) for a in ad for d in dd], seed + i)
              for i, (u, (ad, dd)) in enumerate(zip(mdevs[:-1], MDEVS))]
    lib = subprocess.Popen([APEMU, "rsa", "--mount", inst.mount, "--mdev", mdevs[-1], "--apqn",
                            RSA_APQNS, "--bits", "512", "--keys", "2", "--seconds", str(seconds + LIB_GRACE),
                            "--poll", "--keep-going", "--json", "--quiet"],
                           stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env())
    # apemu rsa checks its queues first: changes start once it computes
    deadline = time.monotonic() + 30
    while int(inst.read("/sys/devices/ap/card05/05.0003/request_count") or 0) == 0:
        assert lib.poll() is None and time.monotonic() < deadline, lib.communicate()
        time.sleep(0.01)
    chaos = [Chaos(inst, mdevs, seed * 31 + i) for i in range(2)]
    stop = threading.Event()
    threads = [threading.Thread(target=x.run, args=(stop,)) for x in guests + chaos]
    start = time.monotonic()
    for th in threads:
        th.start()
    # the rings and queue records every reached queue gets come in the first
    # moments; after them apemud's memory must stay flat: sampled every tenth
    samples = []
    for _ in range(10):
        time.sleep(seconds / 10)
        samples.append(rss_kib(pid))
    rss_warm, rss_end = samples[0], samples[-1]
    stop.set()
    for th in threads:
        th.join(OP_TIMEOUT)
    hung = [th for th in threads if th.is_alive()]
    if hung:
        raise AssertionError(f"{len(hung)} threads hung; apemud's stacks:\n{stacks(pid)}")
    elapsed = time.monotonic() - start
    chaos[0].restore()
    try:
        lib_out, lib_err = lib.communicate(timeout=60)
    except subprocess.TimeoutExpired:
        st = subprocess.run([APEMU, "status", "--mount", inst.mount, "--json"], capture_output=True,
                            text=True, env=env(), timeout=OP_TIMEOUT)
        stj = json.loads(st.stdout)
        queues = [q for q in stj.get("queues", []) if q.get("apqn") in RSA_APQNS.split(",")]
        queues.append([m for m in stj.get("mdevs", []) if m.get("uuid") == mdevs[-1]])
        where = guest_rings(lib.pid)
        lib.kill()
        lib_out, lib_err = lib.communicate()
        raise Lost(f"apemu rsa --keep-going did not finish: {lib_err}; its queues: {queues}\n"
                   f"{where}")
    try:
        for g in guests:
            g.drain(time.monotonic() + 30)
    except Lost as e:
        st = subprocess.run([APEMU, "status", "--mount", inst.mount], capture_output=True,
                            text=True, env=env(), timeout=OP_TIMEOUT)
        raise Lost(f"{e}\n{st.stdout}{st.stderr}") from None
    rc = subprocess.run([APEMU, "status", "--mount", inst.mount, "--check"], capture_output=True,
                        text=True, env=env(), timeout=OP_TIMEOUT)
    for g in guests:
        g.close()
    errors = [e for x in guests + chaos for e in x.errors]
    stats = {k: sum(g.stats[k] for g in guests) for k in guests[0].stats}
    events = {}
    for c in chaos:
        for k, v in c.counts.items():
            events[k] = events.get(k, 0) + v
    assert lib.returncode == 0, f"apemu rsa --keep-going: {lib.returncode} {lib_out} {lib_err}"
    librun = json.loads(lib_out)
    figures = {"seed": seed, "seconds": round(elapsed, 1), "requests": stats, "changes": events,
               "apemu_rsa": {k: librun[k] for k in ("operations", "wrong", "sent", "discarded")},
               "rss_kib": {"start": rss0, "warm": rss_warm, "end": rss_end,
                           "after_checks": rss_kib(pid), "every_tenth": samples,
                           "growth_after_warm": rss_end - rss_warm},
               "answered_per_s": round(stats["answered"] / elapsed, 1)}
    report("stress: " + json.dumps(figures))
    assert not errors, "\n".join(errors[:20])
    assert rc.returncode == 0, rc.stdout + rc.stderr
    assert stats["answered"] > 0, stats
    assert stats["sent"] == stats["answered"] + stats["discarded"], stats
    assert librun["wrong"] == 0, librun
    assert librun["sent"] == librun["operations"] + librun["discarded"], librun
    return figures


def main():
    import apemutest

    ap = argparse.ArgumentParser(description="apemu's stress run against a fresh apemud")
    ap.add_argument("--seconds", type=float, default=600)
    ap.add_argument("--seed", type=int, default=int(os.environ.get("APEMU_STRESS_SEED",
                                                                   random.randrange(1 << 30))))
    a = ap.parse_args()
    insts = apemutest.Instances(None)
    try:
        inst = insts.start(MACHINE)
        fig = run(inst, a.seconds, a.seed)
    finally:
        insts.teardown()
    print(json.dumps(fig, indent=2))


if __name__ == "__main__":
    main()
