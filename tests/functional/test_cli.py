# The apemu command line: start/stop life cycle, status, dmesg, hardware
# events, and its usage errors.
#
# Invariant: every subcommand tells the truth about the running daemon
# (what status and dmesg print is what the tree shows), hardware events
# change the tree as the kernel's bus scan would, the life cycle never
# leaves a mount or socket behind (even after kill -9), and every refusal
# exits non-zero with a message naming what was wrong.
import errno
import json
import os
import re
import signal
import socket
import time

import pytest

from apemutest import APEMU, TYPE_PATH, adapters_of, default_machine, mask_hex, probe_client

MATRIX = "/sys/devices/vfio_ap/matrix"
UA = "aaaaaaaa-1111-2222-3333-444444444444"
UB = "bbbbbbbb-1111-2222-3333-444444444444"


def free(inst):
    assert inst.write("/sys/bus/ap/apmask", "-5,-6\n") is None
    assert inst.write("/sys/bus/ap/aqmask", "-4,-0x47,-0xab,-0xff\n") is None


def assign(inst, u, adapters=(), domains=()):
    for a in adapters:
        assert inst.write(inst.mdev(u, "assign_adapter"), f"{a}\n") is None
    for d in domains:
        assert inst.write(inst.mdev(u, "assign_domain"), f"{d}\n") is None


def ok(res):
    rc, out, err = res
    assert (rc, err) == (0, ""), f"rc {rc}, stderr {err!r}"
    return out


def grid_cell(status_text, adapter, domain):
    """The character the status grid shows for APQN (adapter, domain)."""
    lines = status_text.splitlines()
    head = next(i for i, line in enumerate(lines) if line.startswith("adapter") and "domain" in line)
    cols = lines[head + 1]
    m = re.search(r"(?<![0-9a-f])%02x(?![0-9a-f])" % domain, cols)
    assert m, f"no column for domain {domain:02x} in {cols!r}"
    row = next(line for line in lines[head + 2 :] if line.startswith("%02x " % adapter))
    return row[m.start() : m.end()].strip()


# ---------------------------------------------------------------------------
# status, dmesg


def test_status_shows_every_adapter_and_who_holds_each_queue(inst):
    machine = default_machine()
    out = ok(inst.cli("status"))
    for a, t in adapters_of(machine).items():
        assert re.search(r"(?m)^%02x %s\b" % (a, t), out), (a, t, out)
    assert "legend:" in out
    assert "mdevs: 0 (65536 of 65536 instances available)" in out
    assert grid_cell(out, 5, 0x47) == "h"

    free(inst)
    inst.create_mdev(UA)
    assign(inst, UA, (5,), (0x47,))
    out = ok(inst.cli("status"))
    assert grid_cell(out, 5, 0x47) == "a"
    assert grid_cell(out, 5, 0x04) == "-"
    assert grid_cell(out, 6, 0x47) == "-"
    assert grid_cell(out, 7, 0x47) == "-"  # aqmask freed 0x47 on every adapter
    assert re.search(r"(?m)^\s+a\s+%s\b" % UA, out), out
    assert "mdevs: 1 (65535 of 65536 instances available)" in out
    assert f"apmask {mask_hex(set(range(256)) - {5, 6})}" in out

    # a second mdev gets the next letter
    inst.create_mdev(UB)
    assign(inst, UB, (6,), (4,))
    out = ok(inst.cli("status"))
    letter_b = grid_cell(out, 6, 4)
    assert letter_b.isalpha() and letter_b.islower() and letter_b != "a"
    assert re.search(r"(?m)^\s+%s\s+%s\b" % (letter_b, UB), out), out


def test_status_json_describes_the_tree(inst):
    free(inst)
    inst.create_mdev(UA)
    assign(inst, UA, (5,), (0x47, 0xFF))
    st = json.loads(ok(inst.cli("status", "--json")))
    assert st["mount"] == inst.mount and st["abi"] == "cur"
    assert st["apmask"] + "\n" == inst.read("/sys/bus/ap/apmask")
    assert st["aqmask"] + "\n" == inst.read("/sys/bus/ap/aqmask")
    assert st["available_instances"] == int(inst.read(f"{TYPE_PATH}/available_instances"))
    assert sorted(a["id"] for a in st["adapters"]) == sorted(adapters_of(default_machine()))
    card5 = next(a for a in st["adapters"] if a["id"] == 5)
    assert card5["card"] == "card05" and card5["type"] == "CEX5C"
    assert card5["functions"] + "\n" == inst.read("/sys/devices/ap/card05/ap_functions")
    (m,) = st["mdevs"]
    assert m["uuid"] == UA and m["adapters"] == [5] and m["domains"] == [0x47, 0xFF]
    assert m["matrix"]["apm"] == mask_hex([5]) and m["matrix"]["aqm"] == mask_hex([0x47, 0xFF])
    q = {x["apqn"]: x for x in st["queues"]}
    assert q["05.0047"]["driver"] == "vfio_ap" and q["05.0047"]["mdev"] == UA
    assert q["05.0047"]["status"] == "assigned"
    assert q["07.0004"]["mdev"] is None and q["07.0004"]["status"] == "unassigned"
    assert st["bindings"]["bound"] == st["bindings"]["total"] == len(st["queues"])
    assert st["pid"] == inst.pid


def test_dmesg_shows_the_kernels_warnings(inst):
    free(inst)
    inst.create_mdev(UA)
    inst.create_mdev(UB)
    assign(inst, UB, (5,), (0x47,))
    assign(inst, UA, (5,))
    rc, out, err = inst.sh_err(f"echo 0x47 > {MATRIX}/{UA}/assign_domain")
    assert (rc, err) == (1, "bash: echo: write error: Address already in use\n")
    out = ok(inst.cli("dmesg"))
    want = f"{UA}: Userspace may not assign queue 05.0047 to mdev: already assigned to {UB}"
    lines = [line for line in out.splitlines() if want in line]
    assert len(lines) == 1, out
    assert re.fullmatch(r"\[ *\d+\.\d{6}\] " + re.escape(want), lines[0]), lines[0]
    # taking the queue back for the host: refused and logged
    assert inst.write("/sys/bus/ap/aqmask", "+0x47\n") is None  # apmask still frees 5
    assert inst.write("/sys/bus/ap/apmask", "+5\n") == errno.EBUSY
    out = ok(inst.cli("dmesg"))
    assert "Can not reserve queue 05.0047 for host driver: in use by mdev" in out, out


# ---------------------------------------------------------------------------
# hardware events


def test_adapter_config_event_deconfigures_the_card(inst):
    free(inst)
    inst.create_mdev(UA)
    assign(inst, UA, (5, 6), (4, 0xAB))
    both = "05.0004\n05.00ab\n06.0004\n06.00ab\n"
    assert inst.read(inst.mdev(UA, "guest_matrix")) == both
    ok(inst.cli("event", "adapter-config", "5", "off"))
    assert inst.read("/sys/devices/ap/card05/config") == "0\n"
    assert inst.read("/sys/devices/ap/card05/online") == "0\n"
    assert inst.read("/sys/devices/ap/card05/05.0004/config") == "0\n"
    # the card and its queues stay (config 0), and so does the adapter in
    # the guest: a deconfigured queue's reset answers rc 03, which today's
    # filtering accepts
    assert inst.exists("/sys/devices/ap/card05/05.0004")
    assert inst.read(inst.mdev(UA, "matrix")) == both
    assert inst.read(inst.mdev(UA, "guest_matrix")) == both
    st = inst.status()
    assert next(a for a in st["adapters"] if a["id"] == 5)["config"] is False
    assert "deconfigured" in ok(inst.cli("status"))
    ok(inst.cli("event", "adapter-config", "5", "on"))
    assert inst.read("/sys/devices/ap/card05/config") == "1\n"
    assert inst.read(inst.mdev(UA, "guest_matrix")) == both
    # and the same through the card's own config file
    assert inst.write("/sys/devices/ap/card06/config", "0\n") is None
    assert next(a for a in inst.status()["adapters"] if a["id"] == 6)["config"] is False
    rc, out, err = inst.cli("event", "adapter-config", "9", "off")
    assert rc == 1 and "0x09" in err and "No such device" in err, err
    rc, out, err = inst.cli("event", "adapter-config", "5", "maybe")
    assert rc == 2 and "maybe" in err, err


def test_adapter_remove_and_add_events(inst):
    free(inst)
    inst.create_mdev(UA)
    assign(inst, UA, (5, 6), (0x47,))
    total = inst.status()["bindings"]["total"]
    ok(inst.cli("event", "adapter-remove", "5"))
    assert not inst.exists("/sys/devices/ap/card05")
    assert not inst.exists("/sys/bus/ap/devices/card05")
    assert not inst.exists("/sys/bus/ap/devices/05.0047")
    assert not inst.exists("/sys/bus/ap/drivers/vfio_ap/05.0047")
    assert inst.read("/sys/bus/ap/ap_adapter_mask") == mask_hex([6, 7, 8, 11]) + "\n"
    assert inst.read("/sys/bus/ap/bindings") == f"{total - 4}/{total - 4} (complete)\n"
    # the assignment stays; the guest loses the adapter
    assert inst.read(inst.mdev(UA, "matrix")) == "05.0047\n06.0047\n"
    assert inst.read(inst.mdev(UA, "guest_matrix")) == "06.0047\n"
    rc, out, err = inst.cli("event", "adapter-remove", "5")
    assert rc == 1 and "no adapter 0x05" in err, err

    ok(inst.cli("event", "adapter-add", "5", "CEX6C", "depth=3", "serial=NEW5"))
    assert inst.read("/sys/devices/ap/card05/hwtype") == "12\n"
    assert inst.read("/sys/devices/ap/card05/type") == "CEX6C\n"
    assert inst.read("/sys/devices/ap/card05/depth") == "3\n"
    assert inst.read("/sys/devices/ap/card05/serialnr") == "NEW5\n"
    # its queues are free by the masks: vfio_ap takes them, the guest gets it back
    assert inst.readlink("/sys/devices/ap/card05/05.0047/driver") == "../../../../bus/ap/drivers/vfio_ap"
    assert inst.read(inst.mdev(UA, "guest_matrix")) == "05.0047\n06.0047\n"
    assert inst.read("/sys/bus/ap/bindings") == f"{total}/{total} (complete)\n"
    rc, out, err = inst.cli("event", "adapter-add", "5", "CEX6C")
    assert rc == 1 and "already exists" in err, err
    rc, out, err = inst.cli("event", "adapter-add", "9", "CEX9C")
    assert rc == 1 and "CEX9C" in err, err
    # serial numbers as long as the card kind's: CCA 8, EP11 16, accelerators none
    rc, out, err = inst.cli("event", "adapter-add", "9", "CEX6C", "serial=123456789")
    assert rc == 1 and "serial: expected a string of 1 to 8 characters (a CCA card)" in err, err
    rc, out, err = inst.cli("event", "adapter-add", "9", "CEX6A", "serial=X")
    assert rc == 1 and "serial: an accelerator has no serial number" in err, err
    rc, out, err = inst.cli("event", "adapter-add", "300", "CEX6C")
    assert rc == 2 and "300" in err, err
    assert not inst.exists("/sys/devices/ap/card09")


def test_domain_events_add_and_remove_queues(inst):
    ads = sorted(adapters_of(default_machine()))
    ok(inst.cli("event", "domain-add", "1"))
    for a in ads:
        assert inst.readlink("/sys/devices/ap/card%02x/%02x.0001/driver" % (a, a)) == (
            "../../../../bus/ap/drivers/cex4queue"
        )
    assert inst.read("/sys/bus/ap/ap_usage_domain_mask") == mask_hex([1, 4, 0x47, 0xAB, 0xFF]) + "\n"
    ok(inst.cli("event", "domain-remove", "1"))
    assert not any(inst.exists("/sys/bus/ap/devices/%02x.0001" % a) for a in ads)
    # a usage domain leaving the machine leaves the guests too
    free(inst)
    inst.create_mdev(UA)
    assign(inst, UA, (5,), (4, 0xAB))
    ok(inst.cli("event", "domain-remove", "0xab"))
    assert inst.read(inst.mdev(UA, "matrix")) == "05.0004\n05.00ab\n"
    assert inst.read(inst.mdev(UA, "guest_matrix")) == "05.0004\n"
    ok(inst.cli("event", "domain-add", "0xab"))
    assert inst.read(inst.mdev(UA, "guest_matrix")) == "05.0004\n05.00ab\n"
    ok(inst.cli("event", "chkstop", "6", "on"))
    assert inst.read("/sys/devices/ap/card06/chkstop") == "1\n"
    assert inst.read("/sys/devices/ap/card06/online") == "0\n"
    ok(inst.cli("event", "control-domain-add", "0x10"))
    assert inst.read("/sys/bus/ap/ap_control_domain_mask") == mask_hex([4, 0x10, 0x47, 0xAB, 0xFF]) + "\n"


# ---------------------------------------------------------------------------
# life cycle


def test_start_and_stop_leave_nothing_behind(apemu):
    inst = apemu.new()
    rc, out, err = inst.start()
    assert (rc, err) == (0, "")
    assert f"mounted at {inst.mount}" in out and f"apemud pid {inst.pid}" in out
    assert inst.is_mounted() and os.path.exists(inst.socket)
    assert inst.read("/sys/bus/ap/ap_domain") == "4\n"
    rc, out, err = inst.stop()
    assert (rc, err) == (0, "")
    assert f"stopped apemud (pid {inst.pid})" in out
    assert not inst.is_mounted()
    assert not os.path.exists(inst.socket)
    wait_gone(inst.pid, timeout=0)  # exited (a zombie of whoever adopted it at most)


def test_start_twice_on_one_mount_is_refused(inst):
    pid = inst.pid
    rc, out, err = inst.start()
    assert rc != 0
    assert "another apemud is serving" in err and inst.mount in err, err
    # the first one is unharmed
    assert inst.status()["pid"] == pid
    assert inst.read("/sys/bus/ap/ap_domain") == "4\n"


def wait_gone(pid, timeout=10):
    """Until pid has exited (reaped, or a zombie of someone else's)."""
    end = time.monotonic() + timeout
    while True:
        try:
            with open(f"/proc/{pid}/stat") as f:
                if f.read().split(")")[-1].split()[0] in ("Z", "X"):
                    return
        except FileNotFoundError:
            return
        if time.monotonic() >= end:
            raise AssertionError(f"pid {pid} did not exit")
        time.sleep(0.02)


def test_start_after_kill_9_cleans_the_stale_mount_and_socket(inst):
    pid = inst.status()["pid"]
    os.kill(pid, signal.SIGKILL)
    wait_gone(pid)
    with pytest.raises(OSError) as e:
        os.listdir(inst.mount)
    assert e.value.errno in (errno.ENOTCONN, errno.ECONNABORTED), e.value
    assert os.path.exists(inst.socket)
    rc, out, err = inst.start()
    assert (rc, err) == (0, ""), err
    assert inst.pid != pid
    assert inst.status()["pid"] == inst.pid
    assert inst.read("/sys/bus/ap/apmask") == "0x" + "f" * 64 + "\n"
    with open(inst.log) as f:
        log = f.read()
    assert "removed the stale control socket" in log
    assert "unmounted the stale FUSE mount" in log
    # one mount, not two stacked
    with open("/proc/self/mountinfo") as f:
        assert sum(1 for line in f if line.split()[4] == inst.mount) == 1


def test_stop_after_kill_9_removes_the_dead_mount_and_socket(inst):
    pid = inst.status()["pid"]
    os.kill(pid, signal.SIGKILL)
    wait_gone(pid)
    rc, out, err = inst.stop()
    assert (rc, err) == (0, ""), err
    assert "is gone (it crashed or was killed); removed its dead mount" in out
    assert not inst.is_mounted()
    assert not os.path.exists(inst.socket)
    os.listdir(inst.mount)  # an ordinary directory again
    # and nothing left to stop
    rc, out, err = inst.stop()
    assert rc == 1 and "no apemud running" in err


def test_two_instances_side_by_side(apemu):
    one = apemu.start()
    two = apemu.start({"adapters": [{"id": 0x10, "type": "CEX8P"}]})
    assert one.pid != two.pid
    assert one.ls("/sys/bus/ap/drivers/cex4card") != two.ls("/sys/bus/ap/drivers/cex4card")
    assert one.write("/sys/bus/ap/apmask", "-5\n") is None
    one.create_mdev(UA)
    assert two.read("/sys/bus/ap/apmask") == "0x" + "f" * 64 + "\n"
    assert two.ls(f"{TYPE_PATH}/devices") == []
    assert two.sh_ok("ls /sys/bus/ap/devices") == "10.0004\n10.0047\n10.00ab\n10.00ff\ncard10\n"
    assert one.sh_ok(f"ls {TYPE_PATH}/devices") == f"{UA}\n"
    ok(one.stop())
    assert two.status()["pid"] == two.pid
    assert two.read("/sys/bus/ap/devices/card10/type") == "CEX8P\n"


def test_stop_where_nothing_runs_fails_with_a_message(apemu):
    inst = apemu.new()
    rc, out, err = inst.cli("stop")
    assert rc != 0 and out == ""
    assert f"no apemud running at {inst.mount}" in err, err
    rc, out, err = inst.cli("status")
    assert rc != 0 and inst.mount in err, err


@pytest.mark.parametrize(
    "text,message",
    [
        ('{"adapters": [{"id": 5, "type": "CEX5C"}], "apmaks": "0"}', "apmaks: unknown field"),
        ('{"adapters": [{"id": 5, "type": "CEX9C"}]}', 'adapters[0].type: unknown adapter type "CEX9C"'),
        ('{"adapters": [{"id": 5, "type": "CEX5C", "depth": 16}]}', "adapters[0].depth: 16 out of range"),
        ('{"apxa": false, "usage_domains": "0x47", "adapters": []}', "usage_domains: domain 71"),
        ('{"max_instances": 0, "adapters": []}', "max_instances: 0 out of range"),
        ('{"abi": "v8", "apmask": "0", "adapters": []}', "apmask"),
        ('{"features": "APXA APQX"}', 'features: unknown facility "APQX"'),
        ('{"adapters": [', "JSON syntax error"),
    ],
    ids=["unknown-field", "type", "depth", "domain-limit", "max_instances", "v8-apmask", "features", "syntax"],
)
def test_bad_machine_description_is_refused_naming_the_field(apemu, text, message):
    inst = apemu.new(text)
    rc, out, err = inst.start()
    assert rc == 1
    assert err.startswith(f"apemu start: {inst.machine_file}:"), err
    assert message in err, err
    assert not inst.is_mounted() and not os.path.exists(inst.socket)


def test_usage_errors_exit_2(apemu):
    inst = apemu.new()
    rc, out, err = inst.run([APEMU, "bogus"])
    assert rc == 2 and '"bogus"' in err, err
    rc, out, err = inst.run([APEMU, "status", "--bogus"])
    assert rc == 2 and "--bogus" in err, err
    rc, out, err = inst.run([APEMU, "start", "--machine"])
    assert rc == 2 and "--machine" in err, err
    rc, out, err = inst.run([APEMU, "event", "--mount", inst.mount, "explode", "5"])
    assert rc == 2 and "explode" in err, err
    rc, out, err = inst.run([APEMU, "event", "--mount", inst.mount, "adapter-remove"])
    assert rc == 2, err
    rc, out, err = inst.run([APEMU])
    assert rc == 2 and "Usage" in err
    rc, out, err = inst.run([APEMU, "--help"])
    assert rc == 0 and all(c in out for c in ("start", "stop", "status", "dmesg", "event", "shell"))


def test_shell_passes_the_commands_exit_status(inst, apemu):
    assert inst.sh("exit 7")[0] == 7
    rc, out, err = inst.run([APEMU, "shell", "--mount", inst.mount, "--", "no-such-command-x"])
    assert rc == 127 and "no-such-command-x" in err
    # /sys inside is the tree
    assert inst.sh_ok("cat /sys/bus/ap/ap_max_domain_id") == "255\n"
    other = apemu.new()
    rc, out, err = other.sh("true")
    assert rc != 0 and "no emulated tree" in err, err


def test_status_of_a_full_machine_comes_through_the_long_reply(apemu):
    """256 x 256 queues: the status reply is far above 64 KiB and travels
    in a memfd; the CLI prints all of it, and the tree lists every device."""
    inst = apemu.start({"usage_domains": "0-255", "adapters": [{"ids": "0-255", "type": "CEX8A"}]})
    st = json.loads(ok(inst.cli("status", "--json")))
    assert len(st["adapters"]) == 256 and len(st["queues"]) == 65536
    assert st["queues"][-1]["apqn"] == "ff.00ff" and st["queues"][-1]["driver"] == "cex4queue"
    assert st["bindings"] == {"bound": 65536, "total": 65536}
    out = ok(inst.cli("status"))
    assert "bindings 65536/65536" in out and re.search(r"(?m)^ff CEX8A\s+host 256\b", out), out[:2000]
    assert len(os.listdir(inst.path("/sys/bus/ap/devices"))) == 256 + 65536
    assert inst.read("/sys/bus/ap/bindings") == "65536/65536 (complete)\n"


def control(inst, *requests):
    """Send requests on one connection of the control socket; the replies."""
    with socket.socket(socket.AF_UNIX, socket.SOCK_SEQPACKET) as s:
        s.connect(inst.socket)
        replies = []
        for r in requests:
            s.send(json.dumps(r).encode())
            msg, fds, _, _ = socket.recv_fds(s, 65536, 1)
            for fd in fds:
                os.close(fd)
            replies.append(json.loads(msg))
        return replies


def test_control_socket_refusals_follow_the_contract(inst):
    """docs/control-socket.md: tags come back, an unknown op is
    EOPNOTSUPP, a bad member EINVAL naming it, a model refusal the
    kernel's errno."""
    r = control(
        inst,
        {"op": "status", "queues": False, "tag": [1, "x"]},
        {"op": "frobnicate", "tag": 2},
        {"op": "status", "queues": "yes"},
        {"op": "status", "colour": True},
        {"op": "event", "event": "adapter-remove", "id": 9},
        {"op": "event", "event": "adapter-add", "id": "0x0c", "type": "CEX7P"},
    )
    assert r[0]["ok"] is True and r[0]["tag"] == [1, "x"] and "queues" not in r[0]
    assert (r[1]["ok"], r[1]["errno"], r[1]["tag"]) == (False, errno.EOPNOTSUPP, 2)
    assert (r[2]["ok"], r[2]["errno"]) == (False, errno.EINVAL) and "queues" in r[2]["message"]
    assert (r[3]["ok"], r[3]["errno"]) == (False, errno.EINVAL) and "colour" in r[3]["message"]
    assert (r[4]["ok"], r[4]["errno"], r[4]["error"]) == (False, errno.ENODEV, "No such device")
    assert r[5] == {"ok": True}
    assert inst.read("/sys/devices/ap/card0c/type") == "CEX7P\n"


def test_control_socket_serves_thousands_of_clients_at_once(inst):
    """A guest is a connection: 3000 clients at once (far above the old
    limit of 256; fewer if this process's hard limit is lower) are all accepted and answered on their own connection,
    and apemud runs with RLIMIT_NOFILE's soft limit raised to the hard one."""
    import resource

    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    want = 3000 if hard == resource.RLIM_INFINITY else min(3000, hard - 200)
    assert want > 256, f"RLIMIT_NOFILE's hard limit {hard} is too low for this test"
    if soft != resource.RLIM_INFINITY and soft < want + 100:
        resource.setrlimit(resource.RLIMIT_NOFILE, (min(hard, want + 100), hard))
    socks = []
    try:
        for _ in range(want):
            s = socket.socket(socket.AF_UNIX, socket.SOCK_SEQPACKET)
            socks.append(s)
            s.connect(inst.socket)
        for i, s in enumerate(socks):
            s.send(json.dumps({"op": "frobnicate", "tag": i}).encode())
        for i, s in enumerate(socks):
            s.settimeout(30)
            r = json.loads(s.recv(65536))
            assert (r["ok"], r["errno"], r["tag"]) == (False, errno.EOPNOTSUPP, i), r
    finally:
        for s in socks:
            s.close()
        resource.setrlimit(resource.RLIMIT_NOFILE, (soft, hard))
    assert control(inst, {"op": "status", "queues": False})[0]["ok"] is True
    with open(f"/proc/{inst.daemon_pid()}/limits") as f:
        limit = next(line for line in f if line.startswith("Max open files")).split()
    assert limit[3] == limit[4], limit  # soft == hard
    with open(inst.log) as f:
        assert "too many connections" not in f.read()


def test_control_socket_out_of_descriptors_refuses_clients_and_recovers(inst):
    """At RLIMIT_NOFILE a client is accepted, told why and closed at once (it
    does not hang in the backlog, and the daemon does not spin on it); once
    descriptors are free again, clients are served."""
    import resource

    pid = inst.daemon_pid()
    soft, hard = resource.prlimit(pid, resource.RLIMIT_NOFILE)
    resource.prlimit(pid, resource.RLIMIT_NOFILE, (64, hard))
    socks, served, refused = [], 0, 0
    try:
        for i in range(100):
            s, r = probe_client(inst.socket, i)
            socks.append(s)
            if r.get("tag") == i:
                served += 1
            else:
                # refused with the cause, not a bare reset
                assert (r["ok"], r["errno"]) == (False, 87), r  # EUSERS
                assert "Too many open files" in r["message"], r
                refused += 1
    finally:
        for s in socks:
            s.close()
    assert served > 0 and refused > 0, (served, refused)
    resource.prlimit(pid, resource.RLIMIT_NOFILE, (soft, hard))
    assert control(inst, {"op": "status", "queues": False})[0]["ok"] is True
    with open(inst.log) as f:
        assert "Too many open files, refusing clients" in f.read()
