"""apemu.Host: an emulator instance for one test, as a context manager.

    with apemu.Host(machine={"adapters": [{"id": 5, "type": "CEX8A"}],
                             "usage_domains": "4"}) as host:
        u = host.create_mdev(adapters=[5], domains=[4])
        out = host.run(["mdevctl", "list"]).stdout

Entering starts apemud on `mount` (default: a new temporary directory)
with the machine (a dict, JSON text, or None for the built-in machine);
leaving stops it, unmounts, and removes the temporary directory. Every
command goes through the apemu CLI (apemu.instance.apemu_path()).
"""
import json
import os
import shlex
import shutil
import subprocess
import tempfile
import uuid

from .guest import Guest
from .instance import TYPE_PATH, Instance, apemu_path, check_environment, env

__all__ = ["Host", "HostError"]


class HostError(RuntimeError):
    """apemu could not start, stop, or do what a helper asked."""


class Host(Instance):
    """A started apemud (inside `with`) and helpers to drive it."""

    def __init__(self, machine=None, mount=None):
        if mount is None:
            self._tmp = tempfile.mkdtemp(prefix="apemu-host-")
            mount = os.path.join(self._tmp, "sys")
        else:
            self._tmp = None
            mount = os.path.abspath(mount)
            os.makedirs(os.path.dirname(mount), exist_ok=True)
        super().__init__(os.path.dirname(mount), machine, os.path.basename(mount))

    def __enter__(self):
        why = check_environment()
        if why:
            self.close()
            raise HostError(why)
        self.start()
        return self

    def __exit__(self, *exc):
        self.close()

    def start(self):
        """Start apemud (apemu start); raises HostError with its message
        (and then cleans up as close() does: nothing is left behind)."""
        rc, out, err = super().start()
        if rc != 0:
            log = self.read_log()
            try:
                self.close()
            except HostError:
                pass
            raise HostError(f"apemu start --mount {self.mount} failed ({rc}): {err.strip()}"
                            + (f"\ndaemon log:\n{log}" if log else ""))
        return rc, out, err

    def read_log(self):
        """The daemon's log, or "" if there is none."""
        try:
            with open(self.log, errors="replace") as f:
                return f.read()
        except OSError:
            return ""

    def close(self):
        """Stop apemud however it takes; remove the temporary directory."""
        problems = self.cleanup()
        if self._tmp and not self.is_mounted():
            shutil.rmtree(self._tmp, ignore_errors=True)
            self._tmp = None
        if problems:
            raise HostError("\n".join(problems))

    # -- commands inside the instance --

    def run(self, argv, check=True, input=None, timeout=60):
        """Run argv in `apemu shell` (the tree is /sys, the instance's
        mdevctl.d is /etc/mdevctl.d); a subprocess.CompletedProcess (text).
        check: raise HostError when it exits non-zero."""
        full = [apemu_path(), "shell", "--mount", self.mount, "--"] + list(argv)
        self.note(shlex.join(["apemu"] + full[1:]))
        p = subprocess.run(full, capture_output=True, text=True, input=input, env=env(),
                           timeout=timeout)
        if check and p.returncode != 0:
            raise HostError(f"{shlex.join(argv)} failed ({p.returncode}): {p.stderr.strip()}")
        return p

    def shell(self, script, check=True, timeout=60):
        """run(["sh", "-c", script])."""
        return self.run(["sh", "-c", script], check=check, timeout=timeout)

    # -- the AP bus and mdevs --

    def _store(self, path, value):
        e = self.write(path, value)
        if e is not None:
            raise HostError(f"echo {value} > {path}: {os.strerror(e)}")

    def free_queues(self, adapters=(), domains=()):
        """Take adapters and domains from the host's drivers (apmask and
        aqmask bits off), so that vfio_ap gets their queues."""
        for a in adapters:
            self._store("/sys/bus/ap/apmask", "-%d" % a)
        for d in domains:
            self._store("/sys/bus/ap/aqmask", "-%d" % d)

    def create_mdev(self, u=None, adapters=(), domains=(), control_domains=(), free=True):
        """Create a vfio_ap mdev (UUID u, default a random one), assign the
        adapters, domains and control domains (freeing them from the host's
        drivers first unless free=False); its UUID."""
        u = u or str(uuid.uuid4())
        if free:
            self.free_queues(adapters, domains)
        self._store(TYPE_PATH + "/create", u)
        self.assign(u, adapters, domains, control_domains)
        return u

    def assign(self, u, adapters=(), domains=(), control_domains=()):
        """assign_adapter, assign_domain, assign_control_domain on mdev u."""
        for attr, ids in (("assign_adapter", adapters), ("assign_domain", domains),
                          ("assign_control_domain", control_domains)):
            for i in ids:
                self._store(self.mdev(u, attr), "0x%x" % i)

    def unassign(self, u, adapters=(), domains=(), control_domains=()):
        for attr, ids in (("unassign_adapter", adapters), ("unassign_domain", domains),
                          ("unassign_control_domain", control_domains)):
            for i in ids:
                self._store(self.mdev(u, attr), "0x%x" % i)

    def remove_mdev(self, u):
        self._store(self.mdev(u, "remove"), "1")

    def mdevs(self):
        """The UUIDs of the instance's mdevs."""
        return sorted(n for n in self.ls("/sys/devices/vfio_ap/matrix") if n.count("-") == 4)

    def matrix(self, u):
        """The mdev's matrix attribute, as a list of APQNs ("05.0004")."""
        return self.read(self.mdev(u, "matrix")).split()

    def status(self):
        """The daemon's status object (apemu status --json)."""
        rc, out, err = self.cli("status", "--json")
        if rc != 0:
            raise HostError(f"apemu status failed ({rc}): {err.strip()}")
        return json.loads(out)

    def event(self, *args):
        """A hardware event: event("adapter-config", 5, "off")."""
        rc, out, err = self.cli("event", *[str(a) for a in args])
        if rc != 0:
            raise HostError(f"apemu event {' '.join(map(str, args))} failed ({rc}): {err.strip()}")

    def guest(self, mdev=None, cpu=None, **kw):
        """A Guest on the control socket, created (cpu: the CPU model dict)
        and, with mdev, with that mdev open. Close it (or use `with`)."""
        g = Guest(self, **kw)
        try:
            g.create(cpu)
            if mdev:
                g.open(mdev)
        except BaseException:
            g.close()
            raise
        return g
