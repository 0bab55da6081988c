"""One apemud instance on a mount of its own, as tests drive it.

Instance starts and stops an instance with the apemu CLI and reads and
writes its tree from the host side; Instances starts several for one test
and tears every one of them down. Also here: the machine description's id
lists and masks, and the sanitizer check of a daemon log.

Which apemu runs: configure(apemu=..., apemud=...), else $APEMU (and
$APEMUD), else apemu on PATH; apemud is looked for beside apemu as
apemu start itself does.
"""
import json
import os
import re
import shlex
import shutil
import signal
import subprocess
import tempfile
import uuid


class _Binaries:
    apemu = None
    apemud = None


_BIN = _Binaries()


def configure(apemu=None, apemud=None):
    """Use these apemu and apemud executables from now on."""
    _BIN.apemu = os.path.abspath(apemu) if apemu else None
    _BIN.apemud = os.path.abspath(apemud) if apemud else None


def apemu_path():
    """The apemu executable: configure()'s, $APEMU, PATH's, /usr/bin/apemu."""
    return _BIN.apemu or os.environ.get("APEMU") or shutil.which("apemu") or "/usr/bin/apemu"


def apemud_path():
    """The apemud executable: configure()'s, $APEMUD, beside apemu, PATH's."""
    if _BIN.apemud:
        return _BIN.apemud
    if os.environ.get("APEMUD"):
        return os.environ["APEMUD"]
    beside = os.path.join(os.path.dirname(os.path.realpath(apemu_path())), "apemud")
    if os.access(beside, os.X_OK):
        return beside
    return shutil.which("apemud") or "/usr/bin/apemud"


SANITIZER_RE = re.compile(
    r"ERROR: (?:Address|Leak|Thread|Memory|UndefinedBehavior)Sanitizer|runtime error:"
    r"|WARNING: ThreadSanitizer"
    r"|AUDIT: "  # apemud built with -Daudit=true found a broken invariant
)

TYPE_PATH = "/sys/devices/vfio_ap/matrix/mdev_supported_types/vfio_ap-passthrough"


def env():
    """The environment of every process we start: C messages, apemud beside apemu."""
    e = dict(os.environ)
    e["LC_ALL"] = "C"
    e["APEMUD"] = apemud_path()
    return e


def check_environment():
    """Why the tests cannot run here, or None."""
    if not os.path.exists("/dev/fuse"):
        return "/dev/fuse is missing: the functional tests need FUSE (modprobe fuse, or run the container with --device /dev/fuse)"
    if os.geteuid() != 0:
        return "the functional tests must run as root (apemu shell bind-mounts over /sys)"
    for path in (apemu_path(), apemud_path()):
        if not os.access(path, os.X_OK):
            return f"{path} is missing: install apemu, or build it and point APEMU_BUILD (the tests) or APEMU at it"
    if not shutil.which("bash"):
        return "bash is missing"
    return None


def sanitizer_report(text):
    """The sanitizer report in text (a few lines around the first hit), or None."""
    m = SANITIZER_RE.search(text)
    if not m:
        return None
    start = text.rfind("\n", 0, max(0, m.start() - 2000)) + 1
    return text[start : m.end() + 4000]


# ---- id lists and masks as the machine description writes them ----


def c_int(s):
    """An integer in C syntax (0x hex, leading 0 octal, else decimal)."""
    if isinstance(s, int):
        return s
    s = s.strip()
    if s.lower().startswith("0x"):
        return int(s, 16)
    if len(s) > 1 and s.startswith("0"):
        return int(s, 8)
    return int(s, 10)


def id_list(v):
    """A machine-description id list ("4,0x47,0x10-0x1f" or an array) as a sorted list."""
    items = v if isinstance(v, list) else [x for x in v.split(",") if x.strip()]
    out = set()
    for it in items:
        if isinstance(it, int):
            out.add(it)
            continue
        lo, _, hi = it.strip().partition("-")
        for i in range(c_int(lo), c_int(hi or lo) + 1):
            out.add(i)
    return sorted(out)


def mask_hex(ids):
    """An AP mask as sysfs prints it: 0x + 64 hex digits, id 0 the leftmost bit."""
    v = 0
    for i in ids:
        v |= 1 << (255 - i)
    return "0x%064x" % v


def default_machine():
    """The built-in machine, as the daemon itself prints it."""
    out = subprocess.run(
        [apemud_path(), "--print-default"], capture_output=True, text=True, env=env(), timeout=30
    )
    assert out.returncode == 0, out.stderr
    return json.loads(out.stdout)


def adapters_of(machine):
    """{id: type} of a machine description."""
    res = {}
    for a in machine["adapters"]:
        ids = [c_int(a["id"])] if "id" in a else id_list(a["ids"])
        for i in ids:
            res[i] = a["type"]
    return res


def hwtype_of(type_name):
    """CEX4..CEX8 are device types 10..14."""
    return int(type_name[3]) + 6


MODE_OF = {"A": "accel", "C": "cca", "P": "ep11"}


# ---- one emulator instance ----


class Instance:
    """An apemud serving a temporary mount. Paths given to read/write may be
    "/sys/..." (as inside apemu shell) or relative to the mount."""

    def __init__(self, tmpdir, machine=None, name="sys"):
        self.dir = tmpdir
        self.mount = os.path.join(tmpdir, name)
        self.log = self.mount + ".log"
        self.socket = self.mount + ".sock"
        self.machine_file = None
        self.machine_text = None
        if machine is not None:
            self.machine_text = machine if isinstance(machine, str) else json.dumps(machine)
            self.machine_file = os.path.join(tmpdir, name + ".machine.json")
            with open(self.machine_file, "w") as f:
                f.write(self.machine_text)
        self.history = []
        self.started = False
        self.pid = None

    # -- commands, recorded so that a failure can print how to reproduce it --

    def note(self, line):
        self.history.append(line)

    def command(self, args, check_sanitizer=True, timeout=60):
        """Run a command (on the host); (rc, stdout, stderr)."""
        p = subprocess.run(args, capture_output=True, text=True, env=env(), timeout=timeout)
        if check_sanitizer:
            rep = sanitizer_report(p.stderr)
            assert rep is None, f"sanitizer report from {shlex.join(args)}:\n{rep}"
        return p.returncode, p.stdout, p.stderr

    run = command  # Host.run() runs inside apemu shell instead

    def cli(self, *args, mount=True):
        """apemu ARGS --mount M (the mount goes after the command name)."""
        argv = [apemu_path()] + list(args[:1]) + (["--mount", self.mount] if mount else []) + list(args[1:])
        self.note(shlex.join(["apemu"] + argv[1:]))
        return self.command(argv)

    def start(self, *extra):
        """apemu start [--machine FILE] EXTRA..."""
        args = ["start"] + (["--machine", self.machine_file] if self.machine_file else []) + list(extra)
        rc, out, err = self.cli(*args)
        if rc == 0:
            self.started = True
            m = re.search(r"apemud pid (\d+)", out)
            self.pid = int(m.group(1)) if m else None
        return rc, out, err

    def stop(self):
        rc, out, err = self.cli("stop")
        if rc == 0:
            self.started = False
        return rc, out, err

    def sh(self, cmd):
        """bash -c CMD inside apemu shell (the tree is /sys there); (rc, stdout, stderr)."""
        argv = [apemu_path(), "shell", "--mount", self.mount, "--", "bash", "-c", cmd]
        self.note(shlex.join(["apemu"] + argv[1:]))
        return self.command(argv)

    def sh_err(self, cmd):
        """sh() with bash's "line N: " dropped from its messages, so that
        stderr reads as an interactive shell prints it (bash adds the line
        number when stdin is not a terminal); (rc, stdout, stderr)."""
        rc, out, err = self.sh(cmd)
        return rc, out, re.sub(r"(?m)^bash: line \d+: ", "bash: ", err)

    def sh_ok(self, cmd):
        """sh() that must succeed without a word on stderr; its stdout."""
        rc, out, err = self.sh(cmd)
        assert (rc, err) == (0, ""), f"{cmd!r} failed: rc {rc}, stderr {err!r}"
        return out

    def status(self):
        rc, out, err = self.cli("status", "--json")
        assert rc == 0, err
        return json.loads(out)

    def dmesg(self):
        rc, out, err = self.cli("dmesg")
        assert rc == 0, err
        return out

    # -- the tree, from the host side --

    def path(self, p):
        if p.startswith("/sys/"):
            p = p[len("/sys/") :]
        return os.path.join(self.mount, p.lstrip("/"))

    def read(self, p):
        """The text of an attribute (raises OSError)."""
        self.note(f"cat {shlex.quote(self.path(p))}")
        fd = os.open(self.path(p), os.O_RDONLY)
        try:
            chunks = []
            while True:
                b = os.read(fd, 65536)
                if not b:
                    break
                chunks.append(b)
            return b"".join(chunks).decode()
        finally:
            os.close(fd)

    def read_errno(self, p):
        """None if the attribute can be read, else the errno."""
        try:
            self.read(p)
            return None
        except OSError as e:
            return e.errno

    def write(self, p, text, flags=os.O_WRONLY):
        """One write() of text, as `echo` does: None on success, else the errno
        (of the open or of the write)."""
        self.note(f"printf %s {shlex.quote(text)} > {shlex.quote(self.path(p))}")
        try:
            fd = os.open(self.path(p), flags, 0o644)
        except OSError as e:
            return e.errno
        try:
            n = os.write(fd, text.encode())
            assert n == len(text.encode()), f"short write to {p}: {n} of {len(text)}"
            return None
        except OSError as e:
            return e.errno
        finally:
            os.close(fd)

    def exists(self, p):
        return os.path.lexists(self.path(p))

    def ls(self, p):
        return sorted(os.listdir(self.path(p)))

    def readlink(self, p):
        return os.readlink(self.path(p))

    # -- mdevs --

    def create_mdev(self, u=None):
        """Write a UUID (a new random one by default) to create; the UUID."""
        u = u or str(uuid.uuid4())
        assert self.write(TYPE_PATH + "/create", u + "\n") is None
        return u

    def mdev(self, u, attr=""):
        """The path of mdev u (or of its attribute attr) inside the tree."""
        return f"/sys/devices/vfio_ap/matrix/{u}" + (f"/{attr}" if attr else "")

    # -- teardown --

    def is_mounted(self):
        with open("/proc/self/mountinfo") as f:
            for line in f:
                fields = line.split()
                if len(fields) > 4 and fields[4].encode().decode("unicode_escape") == self.mount:
                    return True
        return False

    def cleanup(self):
        """Stop the daemon however it takes; a list of problems found."""
        problems = []
        if self.started or self.is_mounted() or os.path.exists(self.socket):
            rc, out, err = self.command([apemu_path(), "stop", "--mount", self.mount],
                                    check_sanitizer=False)
            if rc != 0 and self.started:
                problems.append(f"apemu stop --mount {self.mount} failed ({rc}): {err.strip()}")
            if rc != 0:
                pid = self.daemon_pid()
                if pid:
                    try:
                        os.kill(pid, signal.SIGKILL)
                    except ProcessLookupError:
                        pass
                if self.is_mounted():
                    subprocess.run(["umount", "-l", self.mount], capture_output=True)
            self.started = False
        if os.path.exists(self.log):
            with open(self.log, errors="replace") as f:
                rep = sanitizer_report(f.read())
            if rep:
                problems.append(f"sanitizer report in {self.log}:\n{rep}")
        return problems

    def daemon_pid(self):
        """The daemon's pid: what start said, else a process with our --mount."""
        if self.pid and os.path.exists(f"/proc/{self.pid}"):
            return self.pid
        for d in os.listdir("/proc"):
            if not d.isdigit():
                continue
            try:
                with open(f"/proc/{d}/cmdline", "rb") as f:
                    argv = f.read().split(b"\0")
            except OSError:
                continue
            if argv and argv[0].endswith(b"apemud") and self.mount.encode() in argv:
                return int(d)
        return None

    def reproducer(self):
        lines = [f"export APEMUD={apemud_path()} LC_ALL=C; alias apemu={apemu_path()}"]
        if self.machine_text is not None:
            lines.append(f"cat > {self.machine_file} <<'EOF'\n{self.machine_text}\nEOF")
        lines += self.history
        if self.started:
            lines.append(f"apemu stop --mount {self.mount}")
        lines.append(f"# daemon log: {self.log}")
        return "\n".join(lines)


class Instances:
    """Starts instances for one test and tears every one of them down."""

    def __init__(self, node):
        self.node = node  # the test, for its report
        self.all = []
        self.dirs = []

    def new(self, machine=None, name="sys"):
        d = tempfile.mkdtemp(prefix="apemu-ft-", dir="/tmp")
        self.dirs.append(d)
        inst = Instance(d, machine, name)
        self.all.append(inst)
        return inst

    def start(self, machine=None):
        inst = self.new(machine)
        rc, out, err = inst.start()
        assert rc == 0 and err == "", f"apemu start failed ({rc}): {err}"
        assert inst.is_mounted()
        return inst

    def teardown(self, keep=False):
        """Stop every instance; remove their directories unless keep (a
        failed test: its logs stay for a look) or something went wrong.
        The problems found, as messages."""
        problems = []
        for inst in self.all:
            problems += inst.cleanup()
        for d in self.dirs:
            if any(i.is_mounted() for i in self.all if i.dir == d):
                problems.append(f"{d}: still mounted, not removed")
            elif problems:
                problems.append(f"kept {d} for a look at its logs")
            elif not keep:
                shutil.rmtree(d, ignore_errors=True)
        return problems


