"""pytest plugin of python3-apemu: the `apemu_host` fixture.

    def test_lists_the_mdev(apemu_host):
        u = apemu_host.create_mdev(adapters=[5], domains=[4])
        assert u in apemu_host.run(["mdevctl", "list"]).stdout

`apemu_host` is a started apemu.Host on a temporary mount, stopped after
the test. Its machine is the `apemu_machine` fixture's value: None (the
built-in machine) unless a test module or conftest overrides it, or a
test is marked @pytest.mark.apemu_machine({...}).
Without /dev/fuse, root or apemu the fixture fails with the reason.

Installed with python3-apemu the plugin loads itself (entry point
pytest11); from a source tree, import the fixtures into a conftest.py:
from apemu.pytest_plugin import apemu_host, apemu_machine.
"""
import pytest

from .host import Host
from .instance import check_environment


def pytest_configure(config):
    config.addinivalue_line("markers",
                            "apemu_machine(machine): the machine description apemu_host starts")


@pytest.fixture
def apemu_machine():
    """The machine apemu_host starts: None is apemud's built-in machine."""
    return None


@pytest.fixture
def apemu_host(request, apemu_machine):
    """A started apemu.Host for one test; stopped (and checked) at its end."""
    why = check_environment()
    if why:
        pytest.fail(why, pytrace=False)
    marker = request.node.get_closest_marker("apemu_machine")
    host = Host(machine=marker.args[0] if marker else apemu_machine)
    host.start()
    try:
        yield host
    finally:
        host.close()
