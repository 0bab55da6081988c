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


# ---- files beside the mount (the directory may be writable by others) ----

NOBODY = 65534

FOREIGN_SERVER = r"""
import socket, sys
s = socket.socket(socket.AF_UNIX, socket.SOCK_SEQPACKET)
s.bind(sys.argv[1])
s.listen(8)
print("ready", flush=True)
s.settimeout(20)
while True:
    try:
        c, _ = s.accept()
    except OSError:
        break
    c.settimeout(2)
    try:
        msg, fds, _, _ = socket.recv_fds(c, 65536, 8)
        print("received %d bytes %d fds" % (len(msg), len(fds)), flush=True)
    except OSError:
        pass
    c.close()
"""


def shared_dir(apemu):
    """An instance whose directory anyone may write, like /tmp."""
    inst = apemu.new()
    os.chmod(inst.dir, 0o1777)
    return inst


def start_refused(inst):
    rc, out, err = inst.start()
    assert rc != 0 and not inst.is_mounted(), (rc, out, err)
    return err


def test_symlink_at_the_log_is_refused(apemu, tmp_path):
    inst = shared_dir(apemu)
    target = tmp_path / "precious"
    target.write_text("keep me\n")
    os.symlink(target, inst.log)
    err = start_refused(inst)
    assert "refusing the log %s: it is a symbolic link" % inst.log in err
    assert target.read_text() == "keep me\n"
    os.unlink(inst.log)


def test_fifo_at_the_log_is_refused_without_hanging(apemu):
    inst = shared_dir(apemu)
    os.mkfifo(inst.log)
    t0 = time.monotonic()
    err = start_refused(inst)
    assert time.monotonic() - t0 < 10
    assert "refusing the log %s: it is a FIFO" % inst.log in err
    # with a reader waiting on the FIFO, the type check refuses it
    r = os.open(inst.log, os.O_RDONLY | os.O_NONBLOCK)
    try:
        err = start_refused(inst)
        assert "refusing the log %s: it is not a regular file" % inst.log in err
    finally:
        os.close(r)
        os.unlink(inst.log)


def test_log_of_another_user_is_refused(apemu):
    inst = shared_dir(apemu)
    with open(inst.log, "w") as f:
        f.write("theirs\n")
    os.chown(inst.log, NOBODY, NOBODY)
    err = start_refused(inst)
    assert "refusing the log %s: another user owns it" % inst.log in err
    os.unlink(inst.log)
    # a hard link to a file of ours is refused too
    other = os.path.join(inst.dir, "other")
    with open(other, "w") as f:
        f.write("ours\n")
    os.link(other, inst.log)
    err = start_refused(inst)
    assert "refusing the log %s: it has other hard links" % inst.log in err
    os.unlink(inst.log)


def test_symlink_at_the_socket_is_refused(apemu):
    inst = shared_dir(apemu)
    os.symlink("/run/elsewhere.sock", inst.socket)
    err = start_refused(inst)
    assert "refusing %s: it is not a socket (a symbolic link or another file)" % inst.socket in err
    os.unlink(inst.socket)


def foreign_server(path):
    import subprocess
    import sys

    p = subprocess.Popen([sys.executable, "-c", FOREIGN_SERVER, path], user=NOBODY, group=NOBODY,
                         stdout=subprocess.PIPE, text=True)
    assert p.stdout.readline().strip() == "ready"
    return p


def test_socket_of_another_user_is_refused_and_gets_no_guest_memory(apemu):
    inst = shared_dir(apemu)
    server = foreign_server(inst.socket)
    try:
        err = start_refused(inst)
        assert "refusing %s: it is a socket another user owns" % inst.socket in err
        # a guest asked to use it hands it nothing
        rc, out, err = inst.cli("guest", "--mdev", "11111111-1111-4111-8111-111111111111")
        assert rc != 0
        assert "neither root nor you" in err, err
        rc, out, err = inst.cli("status")
        assert rc != 0 and "neither root nor you" in err, err
    finally:
        server.terminate()
        out, _ = server.communicate(timeout=10)
    # each connection was closed before a byte was sent
    assert all(line == "received 0 bytes 0 fds" for line in out.splitlines()), out
    os.unlink(inst.socket)


# ---- mdev-open names the device exactly, as VFIO does ----


def test_mdev_open_compares_the_uuid_exactly(apemu, guests):
    inst = apemu.start(MACHINE)
    u = make_mdev(inst, [5], [4])
    g = guests(inst)
    g.create()
    r = g.request({"op": "mdev-open", "uuid": u.upper()})
    assert (r["ok"], r["errno"]) == (False, ENODEV), r
    assert "no such mdev" in r["message"]
    g.open(u)


# ---- access: root, or the --group, may use the control socket ----

STATUS_CLIENT = r"""
import json, socket, sys
s = socket.socket(socket.AF_UNIX, socket.SOCK_SEQPACKET)
try:
    s.connect(sys.argv[1])
except OSError as e:
    print(json.dumps({"connect": e.errno}))
    sys.exit(0)
s.settimeout(10)
try:
    s.send(json.dumps({"op": "status", "queues": False}).encode())
except OSError:
    pass
for _ in range(2):
    try:
        msg = s.recv(65536)
    except ConnectionResetError:
        continue  # the reset comes first; the reason waits behind it
    print(msg.decode() or "{}")
    break
"""


def status_as(path, user=NOBODY, group=NOBODY, extra_groups=()):
    """The reply to status from a client running as user:group."""
    import json
    import subprocess
    import sys

    p = subprocess.run([sys.executable, "-c", STATUS_CLIENT, path], user=user, group=group,
                       extra_groups=list(extra_groups), capture_output=True, text=True, timeout=30)
    assert p.returncode == 0, p.stderr
    return json.loads(p.stdout)


def start_with_group(inst, group):
    rc, out, err = inst.cli("start", "--group", group)
    assert rc == 0 and err == "", err
    inst.started = True


def test_only_root_may_use_the_socket_even_past_its_mode(apemu):
    import errno

    inst = apemu.start()
    os.chmod(inst.dir, 0o755)
    assert os.stat(inst.socket).st_mode & 0o777 == 0o600
    # the file's mode keeps others out ...
    assert status_as(inst.socket) == {"connect": errno.EACCES}
    # ... and so does apemud, should the mode let them in
    os.chmod(inst.socket, 0o666)
    r = status_as(inst.socket)
    assert (r["ok"], r["errno"]) == (False, errno.EACCES), r
    assert "permission denied" in r["message"]
    assert status(inst)["ok"]


def test_the_group_may_use_the_socket(apemu):
    import errno
    import grp

    group = grp.getgrgid(NOBODY).gr_name  # nogroup
    inst = apemu.new()
    start_with_group(inst, group)
    os.chmod(inst.dir, 0o755)
    st = os.stat(inst.socket)
    assert (st.st_mode & 0o777, st.st_gid) == (0o660, NOBODY)
    assert status_as(inst.socket)["ok"] is True
    # a supplementary group counts (SO_PEERGROUPS)
    assert status_as(inst.socket, group=12345, extra_groups=[NOBODY])["ok"] is True
    # outside the group: refused by apemud, should the mode let it in
    os.chmod(inst.socket, 0o666)
    r = status_as(inst.socket, group=12345)
    assert (r["ok"], r["errno"]) == (False, errno.EACCES), r
    rc, out, err = inst.cli("start", "--group", "no-such-group-apemu")
    assert rc != 0


def test_the_tree_keeps_sysfs_modes_for_other_users(apemu):
    import subprocess
    import sys

    inst = apemu.start()
    os.chmod(inst.dir, 0o755)
    code = r"""
import os, sys
m = sys.argv[1]
print(open(m + "/bus/ap/apmask").read().strip()[:2])
try:
    fd = os.open(m + "/bus/ap/apmask", os.O_WRONLY)
    os.write(fd, b"-5")
    print("written")
except OSError as e:
    print(e.errno)
"""
    p = subprocess.run([sys.executable, "-c", code, inst.mount], user=NOBODY, group=NOBODY,
                       capture_output=True, text=True, timeout=30)
    assert p.stdout.split() == ["0x", "13"], (p.stdout, p.stderr)


def test_a_refused_client_is_told_the_cause(apemu):
    import resource

    from apemutest import probe_client

    inst = apemu.start()
    pid = inst.daemon_pid()
    soft, hard = resource.prlimit(pid, resource.RLIMIT_NOFILE)
    nfds = max(int(fd) for fd in os.listdir("/proc/%d/fd" % pid)) + 1
    resource.prlimit(pid, resource.RLIMIT_NOFILE, (nfds, hard))
    held = []
    try:
        # clients fill whatever descriptor numbers are still free below the limit
        for i in range(64):
            s, r = probe_client(inst.socket, i)
            held.append(s)
            if r.get("tag") != i:
                break
        rc, out, err = inst.cli("status")
    finally:
        for s in held:
            s.close()
        resource.prlimit(pid, resource.RLIMIT_NOFILE, (soft, hard))
    assert rc == 1
    assert "apemud refuses the connection: Too many open files" in err, err
    assert "reset by peer" not in err
    assert inst.cli("status")[0] == 0


# ---- replies are valid UTF-8 JSON, whatever the request held ----


def test_replies_are_utf8_json_whatever_the_request(apemu):
    import json
    import socket

    inst = apemu.start()
    s = socket.socket(socket.AF_UNIX, socket.SOCK_SEQPACKET)
    s.settimeout(10)
    s.connect(inst.socket)
    try:
        for raw in (b'{"op": "\xff\xfe"}', b'{"op": "abc\xc3"}', b'{"op": "\xed\xa0\x80"}',
                    b'{"op": "\\ud800x"}', b'{"op": "' + "\u00e9".encode() * 600 + b'"}',
                    b'{"op": "status", "\xf5x": 1}'):
            s.send(raw)
            reply = s.recv(65536)
            r = json.loads(reply.decode("utf-8", errors="strict"))
            assert r["ok"] is False and r["errno"] in (22, 95), (raw, r)
    finally:
        s.close()


def test_rsa_says_why_when_apemud_dies(apemu):
    import signal
    import subprocess

    from apemutest import APEMU, env

    inst = apemu.start(MACHINE)
    u = make_mdev(inst, [6], [4])
    p = subprocess.Popen([APEMU, "rsa", "--mount", inst.mount, "--mdev", u, "--bits", "2048",
                          "--seconds", "30"], stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                         text=True, env=env())
    time.sleep(1.5)
    os.kill(inst.daemon_pid(), signal.SIGKILL)
    out, err = p.communicate(timeout=30)
    assert p.returncode == 1, (out, err)
    assert "the guest failed (0)" not in err
    assert "the guest failed: " in err, err
    inst.started = False


# ---- a guest racing its own memory harms no one (and apemud stays TSan-clean) ----


def test_guest_racing_its_own_memory(apemu, guests):
    import t50
    from test_guest_protocol import QCI_BLOCK, apqn, wait_for

    inst = apemu.start(MACHINE)
    u = make_mdev(inst, [6], [4])
    g = guests(inst)
    g.create()
    g.open(u)
    q = apqn(6, 4)
    # the notification byte inside the QCI block: the adapter thread sets it
    # while the trap thread stores QCI there
    assert g.aqic(q, True, nib=QCI_BLOCK + 5).cc == 0
    req = t50.random_me(512, t50.rng(3))[0]
    stop = []

    def scribble():
        # another vCPU writes the message and the ring's registers meanwhile
        while not stop:
            g.mem[0x1000:0x1040] = os.urandom(64)
            g.mem[QCI_BLOCK:QCI_BLOCK + 16] = bytes(16)

    t = threading.Thread(target=scribble, daemon=True)
    t.start()
    try:
        for i in range(200):
            g.nqap(q, i + 1, req)
            g.qci()
            g.dqap(q)
    finally:
        stop.append(1)
        t.join()
    # still serving, this guest and everyone else
    h = guests(inst)
    h.create()
    assert h.qci()[0].cc == 0
    assert answers_within(inst, 10)
