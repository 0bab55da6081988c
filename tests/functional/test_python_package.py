# python3-apemu (python/apemu) as another project's tests use it: the
# apemu_host fixture, apemu.Host as a context manager, host.run() inside
# apemu shell, the mdev helpers and the guest client on the control socket.
#
# Invariant: a Host is started on entry and fully gone on exit (no daemon,
# no mount, no temporary directory), and what its helpers do is what the
# kernel's tree and mdevctl show.
import os

import pytest

import apemu

MACHINE = {
    "usage_domains": "4,0x47",
    "adapters": [{"id": 5, "type": "CEX5C"}, {"id": 6, "type": "CEX8A"}],
}


# the README's ten-line test of a third-party tool (mdevctl), as it stands there
@pytest.mark.apemu_machine({"usage_domains": "4", "adapters": [{"id": 5, "type": "CEX8A"}]})
def test_mdevctl_sees_the_mdev(apemu_host):
    u = apemu_host.create_mdev(adapters=[5], domains=[4])
    out = apemu_host.run(["mdevctl", "list"]).stdout
    assert u in out and "vfio_ap-passthrough" in out
    with apemu_host.guest(mdev=u) as g:
        assert g.tapq(0x0504).cc == 0


def test_readme_example_is_this_file():
    readme = open(os.path.join(os.path.dirname(__file__), "..", "..", "README.md")).read()
    here = open(__file__).read()
    start = readme.index("@pytest.mark.apemu_machine(")
    example = readme[start:readme.index("```", start)]
    assert example in here, "README's python3-apemu example differs from this file's"


@pytest.mark.apemu_machine(MACHINE)
def test_fixture_takes_the_machine_from_the_marker(apemu_host):
    cards = [n for n in os.listdir(apemu_host.path("/sys/bus/ap/devices")) if n.startswith("card")]
    assert sorted(cards) == ["card05", "card06"]
    assert apemu_host.mdevs() == []


def test_host_context_manager_starts_and_stops(tmp_path):
    mount = str(tmp_path / "inst" / "sys")
    with apemu.Host(machine=MACHINE, mount=mount) as host:
        assert host.is_mounted() and os.path.exists(host.socket)
        u = host.create_mdev(adapters=[5, 6], domains=[0x47])
        host.assign(u, control_domains=[4])
        assert host.matrix(u) == ["05.0047", "06.0047"]
        assert host.status()["mdevs"][0]["uuid"] == u
        assert host.run(["cat", "/sys/bus/ap/apmask"]).stdout.startswith("0xf9ff")
        p = host.run(["bash", "-c", "echo 0x100 > /sys/devices/vfio_ap/matrix/%s/assign_adapter" % u],
                     check=False)
        assert p.returncode == 1 and "write error" in p.stderr, p.stderr
        with pytest.raises(apemu.HostError):
            host.run(["false"])
        host.remove_mdev(u)
        assert host.mdevs() == []
    assert not host.is_mounted() and not os.path.exists(host.socket)


def test_host_without_mount_cleans_up_its_directory():
    with apemu.Host() as host:
        d = host.dir
        assert os.path.isdir(d)
    assert not os.path.exists(d)


def test_host_start_failure_names_the_problem(tmp_path):
    with pytest.raises(apemu.HostError) as e:
        with apemu.Host(machine={"adapters": [{"id": 5, "type": "CEX9A"}]},
                        mount=str(tmp_path / "sys")):
            pass
    assert "CEX9A" in str(e.value)
    host = apemu.Host(machine={"adapters": [{"id": 5, "type": "CEX9A"}]})
    with pytest.raises(apemu.HostError):
        host.start()
    assert not os.path.exists(host.dir)  # its temporary directory is gone too


@pytest.mark.apemu_machine(MACHINE)
def test_guest_client_reaches_its_matrix_only(apemu_host):
    u = apemu_host.create_mdev(adapters=[6], domains=[4])
    apemu_host.free_queues(adapters=[5])
    with apemu_host.guest(mdev=u) as g:
        res = g.tapq(apemu.apqn(6, 4))
        assert (res.cc, apemu.rc_of(res)) == (0, 0)
        res = g.tapq(apemu.apqn(5, 4))
        assert (res.cc, apemu.rc_of(res)) == (3, 1)
        with pytest.raises(apemu.GuestError):
            g.open(u)  # one mdev per guest: already open
