"""apemu for tests: start an emulated s390 vfio-ap host, drive it, play guests.

    import apemu
    with apemu.Host() as host:
        u = host.create_mdev(adapters=[5], domains=[4])
        print(host.run(["mdevctl", "list"]).stdout)

- apemu.Host: an apemud instance as a context manager, with helpers for
  mdevs and commands run where the emulated tree is /sys (apemu.host).
- apemu.Guest: a guest spoken raw over the control socket (apemu.guest).
- apemu.instance: Instance and Instances, what Host is built on.
- apemu.pytest_plugin: the apemu_host fixture.
Only the standard library is used (pytest for the plugin).
"""
from .guest import Guest, GuestError, Result, apqn, rc_of
from .host import Host, HostError
from .instance import Instance, Instances, apemu_path, apemud_path, configure

__version__ = "0.1.0"
__all__ = ["Host", "HostError", "Guest", "GuestError", "Result", "apqn", "rc_of", "Instance",
           "Instances", "configure", "apemu_path", "apemud_path"]
