# `apemu rsa` and `apemu bench` as a user runs them: RSA through a guest on
# an mdev, every result compared with OpenSSL's; several guests at once on
# different adapters; the queues of one mdev out of reach of another guest;
# the errors of bad input named; counters in sysfs following the traffic.
import json
import os
import re
import signal
import subprocess
import threading
import time

import pytest

from apemutest import APEMU, env, sanitizer_report

MACHINE = {
    "adapters": [
        {"ids": "4-5", "type": "CEX8A"},
        {"id": 6, "type": "CEX7C"},
        {"id": 7, "type": "CEX6A", "depth": 1},
    ],
    "usage_domains": "5,6",
    "control_domains": "5,6",
    "apmask": "",
    "aqmask": "",
}


def make_mdev(inst, adapters, domains):
    u = inst.create_mdev()
    for attr, ids in (("assign_adapter", adapters), ("assign_domain", domains)):
        for i in ids:
            assert inst.write(inst.mdev(u, attr), "0x%x\n" % i) is None, (attr, i)
    return u


def rsa(inst, *args, timeout=300):
    rc, out, err = inst.cli("rsa", *args)
    return rc, out, err


def rsa_json(inst, *args):
    rc, out, err = rsa(inst, "--json", "--quiet", *args)
    assert (rc, err) == (0, ""), (rc, out, err)
    return json.loads(out)


@pytest.mark.parametrize("bits,kind", [(512, "--me"), (1024, "--me-public"), (2048, None),
                                       (3072, "--me"), (4096, None)])
def test_rsa_results_equal_openssl(apemu, bits, kind):
    inst = apemu.start(MACHINE)
    u = make_mdev(inst, [4], [5])
    args = ["--mdev", u, "--bits", str(bits), "--count", "40", "--keys", "2"]
    o = rsa_json(inst, *args + ([kind] if kind else []))
    assert o["operations"] == 40 and o["wrong"] == 0, o
    assert o["queues"] == "04.0005" and o["bits"] == bits
    assert o["kind"] == {"--me": "ME", "--me-public": "ME-public", None: "CRT"}[kind]


def test_rsa_default_queues_polling_and_counters(apemu):
    inst = apemu.start(MACHINE)
    # adapters 4, 5, 6 (a CCA coprocessor) and 7; domains 5, 6
    u = make_mdev(inst, [4, 5, 6, 7], [5, 6])
    rc, out, err = rsa(inst, "--mdev", u, "--count", "200", "--poll", "--bits", "1024")
    assert rc == 0, err
    # one domain of each accelerator, found through QCI and TAPQ
    assert out.startswith("RSA-1024 CRT on 04.0005,05.0005,07.0005: 200 operations in "), out
    assert out.rstrip().endswith("every result equals OpenSSL's"), out
    assert "200/200 operations" in err
    counts = [int(inst.read(f"/sys/devices/ap/card{a:02x}/{a:02x}.0005/request_count"))
              for a in (4, 5, 7)]
    assert sum(counts) == 200 and all(counts), counts
    assert int(inst.read("/sys/devices/ap/card04/request_count")) == counts[0]
    # the replies were all dequeued; nothing waits any more
    assert inst.read("/sys/devices/ap/card04/04.0005/pendingq_count") == "0\n"
    assert inst.read("/sys/devices/ap/card04/04.0005/requestq_count") == "0\n"
    # a write zeroes the counter
    assert inst.write("/sys/devices/ap/card04/04.0005/request_count", "0\n") is None
    assert inst.read("/sys/devices/ap/card04/04.0005/request_count") == "0\n"
    # each adapter of the guest's has its own thread in apemud, named after its card
    pid = inst.daemon_pid()
    names = []
    for tid in os.listdir(f"/proc/{pid}/task"):
        with open(f"/proc/{pid}/task/{tid}/comm") as f:
            names.append(f.read().strip())
    cards = sorted(n for n in names if n.startswith("apemud-card"))
    assert cards == ["apemud-card04", "apemud-card05", "apemud-card06", "apemud-card07"], names


def test_rsa_on_a_coprocessor_gets_error_replies(apemu):
    inst = apemu.start(MACHINE)
    u = make_mdev(inst, [6], [5])
    rc, out, err = rsa(inst, "--mdev", u, "--quiet")
    assert rc == 1 and "no accelerator queue" in err, (out, err)
    rc, out, err = rsa(inst, "--mdev", u, "--quiet", "--apqn", "06.0005", "--count", "8",
                       "--bits", "1024")
    # the CCA queue answers type 50 with its error reply: every result differs
    assert rc == 1 and "SOME RESULTS DIFFER FROM OPENSSL'S" in out, (out, err)


def test_rsa_cannot_reach_another_mdevs_queues(apemu):
    inst = apemu.start(MACHINE)
    mine = make_mdev(inst, [4], [5])
    make_mdev(inst, [5], [5])
    rc, out, err = rsa(inst, "--mdev", mine, "--quiet", "--apqn", "05.0005", "--count", "4")
    assert rc == 1, (out, err)
    assert "queue 05.0005 is not the guest's (TAPQ response code 0x01)" in err, err


def test_several_guests_at_once_on_different_adapters(apemu):
    inst = apemu.start(MACHINE)
    a, b, c = make_mdev(inst, [4], [5]), make_mdev(inst, [5], [5]), make_mdev(inst, [7], [6])
    results = {}

    def run(u):
        argv = [APEMU, "rsa", "--mount", inst.mount, "--mdev", u, "--count", "150", "--json",
                "--quiet", "--bits", "1024", "--keys", "3"]
        p = subprocess.run(argv, capture_output=True, text=True, env=env(), timeout=300)
        results[u] = (p.returncode, p.stdout, p.stderr)

    threads = [threading.Thread(target=run, args=(u,)) for u in (a, b, c)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    for u, (rc, out, err) in results.items():
        assert sanitizer_report(err) is None, err
        assert rc == 0, (u, out, err)
        o = json.loads(out)
        assert (o["operations"], o["wrong"]) == (150, 0), o
    assert {json.loads(results[u][1])["queues"] for u in (a, b, c)} == {
        "04.0005", "05.0005", "07.0006"}


def rsa_running(inst, u, *args):
    """apemu rsa on mdev u (its queue 04.0005) in the background, once it computes."""
    argv = [APEMU, "rsa", "--mount", inst.mount, "--mdev", u, "--quiet", "--keys", "1"]
    p = subprocess.Popen(argv + list(args), stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                         text=True, env=env())
    deadline = time.monotonic() + 60
    while int(inst.read("/sys/devices/ap/card04/04.0005/request_count")) == 0:
        if time.monotonic() > deadline or p.poll() is not None:
            p.kill()
            raise AssertionError(f"apemu rsa did not start: {p.communicate()}")
        time.sleep(0.01)
    return p


def test_rsa_reports_requests_discarded_by_a_reset(apemu):
    inst = apemu.start(MACHINE)
    u = make_mdev(inst, [4], [5])
    p = rsa_running(inst, u, "--seconds", "60", "--bits", "2048")
    try:
        # the administrator resets the queue under the guest's feet
        assert inst.write("/sys/devices/ap/card04/04.0005/reset", "1\n") is None
        out, err = p.communicate(timeout=30)
    finally:
        if p.poll() is None:
            p.kill()
            p.wait()
    assert sanitizer_report(err) is None, err
    assert p.returncode == 1, (out, err)
    assert "queue 04.0005 was reset:" in err and "requests in flight were discarded" in err


def test_rsa_keep_going_counts_what_resets_discard(apemu):
    """--keep-going: resets under the guest's feet are counted, not fatal; every
    request sent is answered or counted discarded, every answer right."""
    inst = apemu.start(MACHINE)
    u = make_mdev(inst, [4], [5])
    p = rsa_running(inst, u, "--seconds", "3", "--bits", "1024", "--keep-going", "--json")
    try:
        for _ in range(5):
            assert inst.write("/sys/devices/ap/card04/04.0005/reset", "1\n") is None
            time.sleep(0.2)
        # a queue out of reach for a while is waited for
        assert inst.write("/sys/devices/ap/card04/config", "0\n") is None
        time.sleep(0.5)
        assert inst.write("/sys/devices/ap/card04/config", "1\n") is None
        out, err = p.communicate(timeout=60)
    finally:
        if p.poll() is None:
            p.kill()
            p.wait()
    assert (p.returncode, err) == (0, ""), (out, err)
    r = json.loads(out)
    assert r["wrong"] == 0 and r["discarded"] > 0, r
    assert r["sent"] == r["operations"] + r["discarded"], r


@pytest.mark.parametrize(
    "args,message",
    [
        (["--bits", "100"], 'bad --bits "100" (expected 512 to 4096)'),
        (["--bits", "1025"], 'bad --bits "1025" (expected a multiple of 8)'),
        (["--apqn", "4.5"], 'bad --apqn "4.5" (expected AA.DDDD in hex, e.g. 04.0005)'),
        (["--apqn", "04.0100"], 'bad --apqn "04.0100"'),
        (["--count", "0"], 'bad --count "0"'),
        (["--count", "5", "--seconds", "1"], "--count and --seconds exclude each other"),
        (["--frobnicate"], 'unknown option "--frobnicate"'),
    ],
)
def test_rsa_usage_errors(apemu, args, message):
    inst = apemu.start(MACHINE)
    u = make_mdev(inst, [4], [5])
    rc, out, err = rsa(inst, "--mdev", u, *args)
    assert rc == 2 and message in err and out == "", (rc, out, err)


def test_rsa_needs_an_mdev_and_a_daemon(apemu, tmp_path):
    inst = apemu.start(MACHINE)
    rc, out, err = rsa(inst)
    assert rc == 2 and "--mdev UUID is required" in err
    rc, out, err = rsa(inst, "--mdev", "12345678-1234-4234-8234-123456789abc", "--quiet")
    assert rc == 1 and "cannot open mdev 12345678-1234-4234-8234-123456789abc" in err, err
    argv = [APEMU, "rsa", "--mount", str(tmp_path / "none"), "--mdev",
            "12345678-1234-4234-8234-123456789abc"]
    p = subprocess.run(argv, capture_output=True, text=True, env=env(), timeout=60)
    assert p.returncode == 1 and "no apemud running there" in p.stderr, p.stderr


def test_bench_runs_every_measurement_with_right_replies():
    """apemu bench measures; here only that it runs, checks and reports (no timing)."""
    p = subprocess.run([APEMU, "bench", "--seconds", "0.1", "--json"], capture_output=True,
                       text=True, env=env(), timeout=300)
    assert sanitizer_report(p.stderr) is None, p.stderr
    assert p.returncode == 0, (p.stdout, p.stderr)
    # stdout is the measurements only (the daemon's start and stop go to stderr)
    rows = [json.loads(line) for line in p.stdout.splitlines()]
    names = [r["measure"] for r in rows]
    assert names == [
        "RSA-2048 CRT, 1 adapter vs raw CRT 1 thread",
        "RSA-2048 CRT, 1 adapter vs EVP 1 thread",
        "RSA-2048 CRT, 2 adapters vs raw CRT 2 threads",
        "RSA-2048 CRT, 2 adapters vs EVP 2 threads",
        "RSA-2048 CRT, 1 -> 2 adapters",
        "RSA-2048 CRT, raw CRT 1 -> 2 threads",
        "RSA-4096 CRT, 1 adapter vs raw CRT 1 thread",
        "RSA-4096 CRT, 1 adapter vs EVP 1 thread",
        "RSA-1024 ME, 1 adapter vs raw ME 1 thread",
        "RSA-1024 ME, 1 adapter vs EVP 1 thread",
        "NQAP+DQAP round trip, 16 B request",
    ], names
    assert all(r["apemu"] > 0 and r["baseline"] > 0 for r in rows), rows
    # with two CPUs every side was placed (the adapters' threads found)
    if len(os.sched_getaffinity(0)) >= 2:
        assert "where the scheduler puts it" not in p.stderr, p.stderr
    assert "apemu: stopped apemud" in p.stderr
    m = re.search(r"mounted at (/tmp/apemu-bench-\w+)/sys", p.stderr)
    assert m and not os.path.exists(m.group(1)), p.stderr  # the private instance is gone


def test_bench_stops_its_daemon_when_its_reader_goes_away():
    """apemu bench | head -1: the private apemud is stopped and its directory removed."""
    p = subprocess.Popen([APEMU, "bench", "--seconds", "0.05"], stdout=subprocess.PIPE,
                         stderr=subprocess.PIPE, text=True, env=env())
    first = p.stdout.readline()
    p.stdout.close()  # the reader is gone; the next line meets EPIPE
    err = p.stderr.read()
    rc = p.wait(timeout=300)
    assert first.startswith("apemu bench: 2 CEX8A adapters"), (first, err)
    assert sanitizer_report(err) is None, err
    assert rc == 128 + signal.SIGPIPE, (rc, err)  # as SIGPIPE would have ended it
    m = re.search(r"mounted at (/tmp/apemu-bench-\w+)/sys \(apemud pid (\d+)", err)
    assert m, err
    assert "apemu: stopped apemud" in err, err
    assert not os.path.exists(m.group(1)), err
    try:  # gone, or a zombie until init reaps it
        with open(f"/proc/{m.group(2)}/stat") as f:
            assert f.read().rsplit(")", 1)[1].split()[0] == "Z", err
    except FileNotFoundError:
        pass


def bench_json(*args):
    """Run apemu bench with args; its rows, after checking it cleaned up."""
    p = subprocess.run([APEMU, "bench", *args, "--json"], capture_output=True, text=True,
                       env=env(), timeout=300)
    assert sanitizer_report(p.stderr) is None, p.stderr
    assert p.returncode == 0, (p.stdout, p.stderr)
    m = re.search(r"mounted at (/tmp/apemu-bench-\w+)/sys", p.stderr)
    assert m and not os.path.exists(m.group(1)), p.stderr  # the private instance is gone
    return {r["measure"]: r for r in map(json.loads, p.stdout.splitlines())}


def test_bench_fairness_runs_both_guests():
    """--fairness: guest Y's rate under guest X's flood against Y alone (no timing)."""
    rows = bench_json("--fairness", "--seconds", "0.2")
    assert list(rows) == ["Y RSA-2048 CRT, X flooding vs Y alone",
                          "X RSA-4096 ME on 2 adapters, while Y ran"], rows
    y = rows["Y RSA-2048 CRT, X flooding vs Y alone"]
    assert y["apemu"] > 0 and y["baseline"] > 0 and y["goal"] == ">= 0.33", y


def test_bench_scale_opens_a_guest_per_mdev():
    """--scale N: N guests on N mdevs; threads, memory and latency are reported (no timing)."""
    rows = bench_json("--scale", "12", "--seconds", "0.05")
    assert list(rows) == [
        "apemud threads, 12 guests vs 1 guest",
        "apemud private memory per guest",
        "TAPQ round trip p50, 12 guests vs 1",
        "TAPQ round trip p99, 12 guests vs 1",
        "TAPQ+NQAP+DQAP loops, 12 guests vs 1",
    ], rows
    assert rows["apemud threads, 12 guests vs 1 guest"]["baseline"] > 0
    assert rows["TAPQ round trip p99, 12 guests vs 1"]["goal"] == "<= 2"


@pytest.mark.parametrize(
    "args,message",
    [
        (["--seconds", "0"], 'bad --seconds "0" (expected 0.05 to 600)'),
        (["--seconds"], 'option "--seconds" needs a value'),
        (["--scale", "1"], 'bad --scale "1" (expected 2 to 8192 guests)'),
        (["--scale=9000"], 'bad --scale "9000" (expected 2 to 8192 guests)'),
        (["--scale=many"], 'bad --scale "many"'),
        (["--scale", "many"], 'unexpected argument "many"'),
        (["--fairness", "--scale"], "--fairness and --scale exclude each other"),
        (["--frobnicate"], 'unknown option "--frobnicate"'),
    ],
)
def test_bench_usage_errors(args, message):
    p = subprocess.run([APEMU, "bench", *args], capture_output=True, text=True, env=env(),
                       timeout=60)
    assert p.returncode == 2 and message in p.stderr and p.stdout == "", p
