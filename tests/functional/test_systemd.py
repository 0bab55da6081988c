# apemud under a service manager (systemd/apemu@.service, Type=notify):
# apemud speaks the NOTIFY_SOCKET datagram protocol itself - READY=1 once
# the tree is mounted and the socket served, STOPPING=1 when SIGTERM
# stops it, then a clean exit with the mount and socket gone. Where
# systemd runs, the unit's service is started and stopped with systemd-run.
#
# Invariant: a service manager that waits for READY=1 finds the tree
# mounted and the socket answering, and a stop leaves nothing behind.
import os
import re
import shutil
import signal
import socket
import subprocess
import time

import pytest

from apemutest import APEMUD, Instance, env

UNIT = os.path.join(os.path.dirname(__file__), "..", "..", "systemd", "apemu@.service.in")


def notify_socket(path):
    s = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM | socket.SOCK_CLOEXEC)
    s.bind(path)
    s.settimeout(30)
    return s


def run_notified(tmp_path, address):
    """apemud with NOTIFY_SOCKET=address; (process, its Instance)."""
    inst = Instance(str(tmp_path))
    e = env()
    e["NOTIFY_SOCKET"] = address
    log = open(inst.log, "w")
    p = subprocess.Popen([APEMUD, "--mount", inst.mount], env=e, stdout=log, stderr=log,
                         stdin=subprocess.DEVNULL)
    log.close()
    inst.pid = p.pid
    return p, inst


def check_notify_protocol(tmp_path, s, address):
    p, inst = run_notified(tmp_path, address)
    try:
        assert s.recv(4096) == b"READY=1"
        assert inst.is_mounted(), "READY=1 before the tree was mounted"
        assert inst.read("/sys/bus/ap/ap_domain").strip() == "4"
        rc, out, err = inst.cli("status", "--json")
        assert rc == 0, err
        os.kill(p.pid, signal.SIGTERM)
        assert s.recv(4096) == b"STOPPING=1"
        assert p.wait(timeout=30) == 0
        assert not inst.is_mounted() and not os.path.exists(inst.socket)
    finally:
        if p.poll() is None:
            p.kill()
            p.wait()
        inst.cleanup()


def test_apemud_notifies_ready_and_stopping(tmp_path):
    path = str(tmp_path / "notify")
    s = notify_socket(path)
    try:
        check_notify_protocol(tmp_path, s, path)
    finally:
        s.close()


def test_apemud_notifies_an_abstract_socket(tmp_path):
    name = "apemu-test-notify-%d" % os.getpid()
    s = notify_socket("\0" + name)
    try:
        check_notify_protocol(tmp_path, s, "@" + name)
    finally:
        s.close()


def test_apemud_without_a_usable_notify_socket_still_starts(tmp_path):
    p, inst = run_notified(tmp_path, str(tmp_path / "nobody-listens"))
    try:
        deadline = time.monotonic() + 30
        while not os.path.exists(inst.socket):
            assert p.poll() is None and time.monotonic() < deadline, open(inst.log).read()
            time.sleep(0.05)
        rc, out, err = inst.cli("stop")
        assert rc == 0, err
        assert p.wait(timeout=30) == 0
        assert "cannot notify the service manager (READY=1)" in open(inst.log).read()
    finally:
        if p.poll() is None:
            p.kill()
            p.wait()
        inst.cleanup()


def unit_properties():
    """The [Service] settings of apemu@.service that systemd-run can take."""
    props = {}
    section = None
    with open(UNIT) as f:
        for line in f:
            line = line.strip()
            if line.startswith("["):
                section = line
            elif section == "[Service]" and "=" in line and not line.startswith("#"):
                k, v = line.split("=", 1)
                props[k] = v
    return props


def test_unit_starts_and_stops_under_systemd_run(tmp_path):
    if not os.path.isdir("/run/systemd/system") or not shutil.which("systemd-run"):
        with open("/proc/1/comm") as f:
            pid1 = f.read().strip()
        pytest.skip(f"systemd does not run here (PID 1 is {pid1!r}): "
                    "apemu@.service cannot be started with systemd-run")
    props = unit_properties()
    assert props["Type"] == "notify"
    mount = str(tmp_path / "sys")
    unit = "apemu-test-%d" % os.getpid()
    exec_start = re.sub(r"^@bindir@/apemud", APEMUD, props["ExecStart"])
    exec_start = exec_start.replace("%f", mount).replace(" $APEMUD_ARGS", "")
    argv = ["systemd-run", "--unit", unit, "--quiet"]
    for k in ("Type", "NotifyAccess", "KillMode", "KillSignal", "TimeoutStopSec"):
        argv += ["-p", f"{k}={props[k]}"]
    argv += exec_start.split()
    inst = Instance(str(tmp_path))
    try:
        out = subprocess.run(argv, capture_output=True, text=True, timeout=60)
        assert out.returncode == 0, out.stderr  # returns once READY=1 came
        assert inst.is_mounted()
        rc, _, err = inst.cli("status")
        assert rc == 0, err
        subprocess.run(["systemctl", "stop", unit + ".service"], check=True, timeout=60)
        assert not inst.is_mounted() and not os.path.exists(inst.socket)
    finally:
        subprocess.run(["systemctl", "stop", unit + ".service"], capture_output=True, timeout=60)
        subprocess.run(["systemctl", "reset-failed", unit + ".service"], capture_output=True)
        inst.cleanup()
