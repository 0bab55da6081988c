# Functional tests: the real apemud and apemu CLI, driven as a user or a
# client would drive them, against a fresh instance on a temporary mount.
#
# Invariant every test relies on: an instance started by these fixtures is
# always stopped again (apemu stop; failing that, SIGKILL and a lazy
# unmount), and its daemon log ("<mount>.log") holds no sanitizer report.
# Without /dev/fuse or root the tests fail with the reason; they never skip.
# The helpers are python3-apemu's (python/apemu, through apemutest.py), and
# so is the apemu_host fixture other projects use (test_python_package.py).
import pytest

from apemutest import BUILD, Instances, check_environment
# python3-apemu's fixtures and its marker, as its pytest plugin provides them
from apemu.pytest_plugin import apemu_host, apemu_machine, pytest_configure  # noqa: F401


@pytest.fixture(scope="session", autouse=True)
def apemu_environment():
    why = check_environment()
    if why:
        pytest.fail(why, pytrace=False)


@pytest.fixture
def apemu(request):
    """A factory: apemu.start(machine=None) -> a started Instance; all are
    stopped at the end of the test."""
    insts = Instances(request.node)
    request.node.apemu_instances = insts
    yield insts
    problems = insts.teardown(keep=getattr(request.node, "apemu_failed", False))
    if problems:
        pytest.fail("\n".join(problems), pytrace=False)


@pytest.fixture
def inst(apemu):
    """A fresh instance of the built-in machine."""
    return apemu.start()


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item, call):
    outcome = yield
    rep = outcome.get_result()
    insts = getattr(item, "apemu_instances", None)
    if rep.failed:
        item.apemu_failed = True  # the fixture keeps the logs
    if rep.failed and insts and insts.all:
        text = "\n\n".join(i.reproducer() for i in insts.all)
        text += (
            f"\n\n# or rerun this test alone:\n"
            f"APEMU_BUILD={BUILD} /usr/bin/python3 -m pytest -q '{item.nodeid}'"
        )
        rep.sections.append(("apemu: how to reproduce", text))
