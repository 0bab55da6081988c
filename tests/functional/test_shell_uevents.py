# uevents inside `apemu shell`, as a host's kernel and udevd deliver them:
# udevd's messages on the udev netlink group (what `udevadm monitor --udev`,
# libudev, sd-device and libvirt read), the kernel's on the kernel group;
# and never anywhere else.
#
# Invariant: the shell has network and mount namespaces of its own; every
# uevent apemud sends reaches listeners there, in order, with the kernel's
# keys and udevd's USEC_INITIALIZED (docs/uevents.md); a listener in the
# host's network namespace receives none of them, and apemud refuses a
# socket of its own namespace.
import json
import os
import select
import socket
import struct
import subprocess
import time


from apemutest import APEMU
from test_uevents import F62, MDEV, U, events, last_seq, parse_monitor, short

NETLINK_KOBJECT_UEVENT = 15
OURS = (b"/devices/ap", b"/devices/vfio_ap", b"/bus/ap", b"/bus/mdev", b"/bus/matrix")


def shell_popen(inst, cmd):
    """apemu shell -- CMD in the background; returns the Popen once CMD
    printed its first line (it is listening then)."""
    p = subprocess.Popen([APEMU, "shell", "--mount", inst.mount, "--"] + cmd,
                         stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    inst.note("apemu shell --mount " + inst.mount + " -- " + " ".join(cmd) + " &")
    r, _, _ = select.select([p.stdout], [], [], 20)
    assert r, "the listener in apemu shell did not start"
    first = p.stdout.readline()
    assert first, p.stderr.read()
    return p, first


def read_until(p, done, timeout=15):
    """What p printed until done(text) holds (or timeout): a listener under
    load may take a while to print what it received."""
    os.set_blocking(p.stdout.fileno(), False)
    out = b""
    deadline = time.monotonic() + timeout
    while not done(out) and time.monotonic() < deadline and p.poll() is None:
        chunk = p.stdout.read1(65536)  # b"": nothing yet (or the end, which poll() tells)
        if chunk:
            out += chunk
        else:
            time.sleep(0.05)
    return out


def finish(p):
    p.terminate()
    try:
        out, err = p.communicate(timeout=20)
    except subprocess.TimeoutExpired:
        p.kill()
        out, err = p.communicate()
    return out, err


def host_listener():
    """A netlink uevent socket in the host's (our) namespace, on both groups."""
    s = socket.socket(socket.AF_NETLINK, socket.SOCK_RAW | socket.SOCK_NONBLOCK,
                      NETLINK_KOBJECT_UEVENT)
    s.bind((0, 1 | 2))
    return s


def drain_ours(s):
    got = []
    while True:
        try:
            msg = s.recv(65536)
        except BlockingIOError:
            return got
        if msg.startswith(b"libudev") or any(o in msg for o in OURS):
            got.append(msg)


def scenario(inst):
    """create, assign, card config off/on, apmask change, remove."""
    inst.create_mdev(U)
    assert inst.write(inst.mdev(U, "assign_adapter"), "6\n") is None
    assert inst.write("/sys/devices/ap/card05/config", "0\n") is None
    assert inst.write("/sys/devices/ap/card05/config", "1\n") is None
    assert inst.write("/sys/bus/ap/apmask", "-6\n") is None
    assert inst.write(inst.mdev(U, "remove"), "1\n") is None


def expected():
    q5 = [f"/devices/ap/card05/05.{d:04x}" for d in (4, 0x47, 0xAB, 0xFF)]
    q6 = [f"/devices/ap/card06/06.{d:04x}" for d in (4, 0x47, 0xAB, 0xFF)]
    want = [("add", MDEV, None), ("bind", MDEV, None)]
    for v in ("0", "1"):
        want += [("change", "/devices/ap/card05", f"CONFIG={v}")]
        want += [("change", q, f"CONFIG={v}") for q in q5]
    for q in q6:
        want += [("unbind", q, None), ("change", "/devices/ap", "BINDINGS=complete"),
                 ("bind", q, None)]
    # udevd cuts a value at its newline (sd-device's device_new_from_nulstr)
    want += [("change", "/devices/ap", f"APMASK=0xfd{F62}")]
    want += [("unbind", MDEV, None), ("remove", MDEV, None)]
    return want


def test_udevadm_monitor_in_shell_sees_each_event(inst):
    host = host_listener()
    seq = last_seq(inst)
    p, first = shell_popen(inst, ["stdbuf", "-oL", "udevadm", "monitor", "--udev",
                                  "--property"])
    seen = b""
    try:
        assert first == b"monitor will print the received events for:\n"
        # udevadm subscribes, then says so: only then are events seen
        seen = read_until(p, lambda o: b"UDEV - the event" in o)
        scenario(inst)
        seen += read_until(p, lambda o: o.count(b"UDEV  [") >= len(expected()))
    finally:
        out, err = finish(p)
        out = seen + out
    got = [e for e in parse_monitor(out.decode()) if int(e[2]["SEQNUM"]) > seq]
    check_seqnums_udev(got)
    assert short([(a, d, strip_usec(env)) for a, d, env in got]) == expected()
    # udevd's messages are the kernel's events plus USEC_INITIALIZED
    kept = {int(e[2]["SEQNUM"]): e[2] for e in events(inst)}
    for _, _, env in got:
        k = {key: v.split("\n")[0] for key, v in kept[int(env["SEQNUM"])].items()}
        assert strip_usec(env) == k
    # one event in full, as udevadm prints it
    card = [env for a, d, env in got if d == "/devices/ap/card05"][0]
    assert list(card.items())[:3] + list(card.items())[3:-2] == [
        ("ACTION", "change"), ("DEVPATH", "/devices/ap/card05"), ("SUBSYSTEM", "ap"),
        ("CONFIG", "0"), ("DEVTYPE", "ap_card"), ("DRIVER", "cex4card"), ("DEV_TYPE", "000B"),
        ("MODALIAS", "ap:t0B"), ("MODE", "cca")]
    add, bind = got[0][2], got[1][2]
    assert add["USEC_INITIALIZED"] == bind["USEC_INITIALIZED"]
    assert int(add["USEC_INITIALIZED"]) > 0
    assert drain_ours(host) == [], "a uevent reached the host's network namespace"


def strip_usec(env):
    e = dict(env)
    usec = e.pop("USEC_INITIALIZED", None)
    assert usec is not None and usec.isdigit(), env
    return e


def check_seqnums_udev(evs):
    seqs = [int(e[2]["SEQNUM"]) for e in evs]
    assert seqs == list(range(seqs[0], seqs[0] + len(seqs))), seqs
    for _, _, env in evs:
        assert list(env)[:3] == ["ACTION", "DEVPATH", "SUBSYSTEM"]
        assert list(env)[-2:] == ["SEQNUM", "USEC_INITIALIZED"]


RAW_LISTENER = r"""
import socket, struct, sys
s = socket.socket(socket.AF_NETLINK, socket.SOCK_RAW, 15)
s.bind((0, 1 | 2))
s.setsockopt(socket.SOL_SOCKET, socket.SO_PASSCRED, 1)
print("listening", flush=True)
while True:
    msg, anc, flags, addr = s.recvmsg(65536, socket.CMSG_SPACE(12))
    pid, uid, gid = struct.unpack("iII", anc[0][2]) if anc else (-1, -1, -1)
    print(repr((addr[1], uid, msg)), flush=True)
"""


def test_raw_listener_gets_kernel_and_udev_format(inst):
    p, first = shell_popen(inst, ["python3", "-c", RAW_LISTENER])
    seen = b""
    try:
        assert first == b"listening\n"
        assert inst.write("/sys/devices/ap/card05/online", "0\n") is None
        # the card's and its four queues' events, each in both formats
        seen = read_until(p, lambda o: sum(b"DEVPATH=/devices/ap/card05" in line
                                           for line in o.splitlines()) >= 10)
    finally:
        out, err = finish(p)
        out = seen + out
    msgs = [eval(l) for l in out.decode().splitlines()]
    msgs = [(g, uid, m) for g, uid, m in msgs
            if m.startswith(b"libudev") or any(o in m for o in OURS)]
    kernel = [m for g, uid, m in msgs if g == 1]
    udev = [m for g, uid, m in msgs if g == 2]
    assert {uid for g, uid, m in msgs} == {0}
    assert kernel[0].split(b"\0")[:5] == [
        b"change@/devices/ap/card05", b"ACTION=change", b"DEVPATH=/devices/ap/card05",
        b"SUBSYSTEM=ap", b"ONLINE=0"]
    assert kernel[0].endswith(b"\0") and b"USEC_INITIALIZED" not in kernel[0]
    h = struct.unpack_from("8sIIIIIIII", udev[0])
    assert h[0] == b"libudev\0"
    assert h[1] == struct.unpack("<I", struct.pack(">I", 0xFEEDCAFE))[0]  # big-endian on the wire
    assert (h[2], h[3]) == (40, 40) and h[4] == len(udev[0]) - 40
    # MurmurHash2 of "ap" and "ap_card", as libudev's socket filters compute them
    assert struct.pack(">I", murmur2(b"ap")) == struct.pack("<I", h[5])
    assert struct.pack(">I", murmur2(b"ap_card")) == struct.pack("<I", h[6])
    props = udev[0][40:].split(b"\0")
    assert props[:5] == [b"ACTION=change", b"DEVPATH=/devices/ap/card05", b"SUBSYSTEM=ap",
                         b"ONLINE=0", b"DEVTYPE=ap_card"]
    assert props[-2].startswith(b"USEC_INITIALIZED=") and props[-1] == b""
    # the card, then its four queues that cex4queue held, in each format
    assert (len(kernel), len(udev)) == (5, 5)


def murmur2(data, seed=0):
    m, h = 0x5BD1E995, (seed ^ len(data)) & 0xFFFFFFFF
    i = 0
    while len(data) - i >= 4:
        k = struct.unpack_from("<I", data, i)[0]
        k = (k * m) & 0xFFFFFFFF
        k ^= k >> 24
        k = (k * m) & 0xFFFFFFFF
        h = ((h * m) & 0xFFFFFFFF) ^ k
        i += 4
    rest = data[i:]
    if len(rest) == 3:
        h ^= rest[2] << 16
    if len(rest) >= 2:
        h ^= rest[1] << 8
    if len(rest) >= 1:
        h ^= rest[0]
        h = (h * m) & 0xFFFFFFFF
    h ^= h >> 13
    h = (h * m) & 0xFFFFFFFF
    h ^= h >> 15
    return h


LOOPBACK = """
import socket
print(socket.if_nameindex())
s = socket.socket(); s.bind(("127.0.0.1", 0)); s.listen()
c = socket.create_connection(s.getsockname(), timeout=5)
print("loopback works")
"""


def test_shell_has_its_own_network_and_udev_run_dir(inst):
    out = inst.sh_ok("readlink /proc/self/ns/net; ls /run/udev; python3 -c '" + LOOPBACK + "'")
    lines = out.splitlines()
    assert lines[0] != os.readlink("/proc/self/ns/net")
    assert lines[1] == "control"
    assert lines[2:] == ["[(1, \'lo\')]", "loopback works"]
    assert not os.path.exists("/run/udev/control"), "the host got udevd's control file"


def test_apemud_refuses_a_socket_of_its_own_namespace(inst):
    nl = socket.socket(socket.AF_NETLINK, socket.SOCK_RAW, NETLINK_KOBJECT_UEVENT)
    c = socket.socket(socket.AF_UNIX, socket.SOCK_SEQPACKET)
    c.connect(inst.socket)
    socket.send_fds(c, [json.dumps({"op": "uevent-listen"}).encode()], [nl.fileno()])
    reply = json.loads(c.recv(65536))
    assert reply["ok"] is False and reply["errno"] == 1, reply
    assert "own network namespace" in reply["message"]
    c.close()
    nl.close()


def test_events_stop_when_the_shell_ends(inst):
    host = host_listener()
    out = inst.sh_ok("echo started")
    assert out == "started\n"
    # apemud let the namespace go: a later event is sent nowhere (and not to the host)
    assert inst.write("/sys/devices/ap/card06/online", "0\n") is None
    time.sleep(0.2)
    assert drain_ours(host) == []


def test_udevadm_subsystem_filter_uses_our_hashes(inst):
    """sd-device filters in the kernel (BPF) on the header's subsystem and
    device type hashes: a wrong hash would drop every event."""
    assert inst.write("/sys/bus/ap/apmask", "-6\n") is None
    p, first = shell_popen(inst, ["stdbuf", "-oL", "udevadm", "monitor", "--udev",
                                  "--subsystem-match=mdev", "--subsystem-match=ap/ap_card"])
    seen = b""
    try:
        seen = read_until(p, lambda o: b"UDEV - the event" in o)
        inst.create_mdev(U)
        assert inst.write("/sys/devices/ap/card06/online", "0\n") is None
        seen += read_until(p, lambda o: o.count(b"UDEV  [") >= 3)
    finally:
        out, err = finish(p)
        out = seen + out
    lines = [l.split("]", 1)[1].split() for l in out.decode().splitlines() if l.startswith("UDEV  [")]
    assert lines == [["add", MDEV, "(mdev)"], ["bind", MDEV, "(mdev)"],
                     ["change", "/devices/ap/card06", "(ap)"]], out
