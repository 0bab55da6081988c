# The example programs of examples/, built against libapemu-guest as a user
# builds them, run against a real apemud: rsa-guest opens an mdev set up
# through the emulated sysfs tree, sends one RSA request to its queue and
# finds the adapter's result equal to OpenSSL's; given an mdev that does
# not exist it fails with the kernel's reason and a non-zero status, and
# leaves nothing behind.
import os
import re
import shlex
import subprocess
import uuid

from apemutest import BUILD, env

RSA_GUEST = os.path.join(BUILD, "examples", "rsa-guest")

# One accelerator and one domain, free for vfio_ap.
MACHINE = {
    "adapters": [{"id": 6, "type": "CEX8A"}],
    "usage_domains": "4",
    "control_domains": "4",
    "apmask": "",
    "aqmask": "",
}


def rsa_guest(inst, *args):
    argv = [RSA_GUEST, "-s", inst.socket] + list(args)
    inst.note(shlex.join(argv))
    return inst.command(argv)


def mdev_with_one_queue(inst):
    u = inst.create_mdev()
    assert inst.write(inst.mdev(u, "assign_adapter"), "6\n") is None
    assert inst.write(inst.mdev(u, "assign_domain"), "4\n") is None
    return u


def test_rsa_guest_result_equals_openssl(apemu):
    assert os.access(RSA_GUEST, os.X_OK), f"{RSA_GUEST} is missing: build examples/"
    inst = apemu.start(MACHINE)
    u = mdev_with_one_queue(inst)
    rc, out, err = rsa_guest(inst, u, "06.0004")
    assert (rc, err) == (0, ""), (rc, out, err)
    assert re.fullmatch(r"TAPQ 06\.0004: cc 0, holds \d+ requests\n"
                        r"RSA-1024 ME on 06\.0004: the adapter's result equals OpenSSL's\n",
                        out), out
    # the adapter did compute it, and the reply was taken
    assert inst.read("/sys/devices/ap/card06/06.0004/request_count") == "1\n"
    assert inst.read("/sys/devices/ap/card06/06.0004/pendingq_count") == "0\n"
    # the guest is gone: its mdev is free for the next one
    rc, out, err = rsa_guest(inst, u, "06.0004")
    assert (rc, err) == (0, ""), (rc, out, err)


def test_rsa_guest_on_adopted_memory(apemu):
    """-m plays QEMU: the guest's RAM is the program's own sealed memfd,
    adopted by the library (apemu_guest_adopt), its pages behind it; the
    same request computes the same result, on the data plane or not."""
    inst = apemu.start(MACHINE)
    u = mdev_with_one_queue(inst)
    for ram in ("65536", "0x200000"):
        rc, out, err = rsa_guest(inst, "-m", ram, u, "06.0004")
        assert (rc, err) == (0, ""), (ram, rc, out, err)
        assert out.endswith("the adapter's result equals OpenSSL's\n"), out
    assert inst.read("/sys/devices/ap/card06/06.0004/request_count") == "2\n"
    for bad in ("0", "4097", "x"):
        rc, out, err = rsa_guest(inst, "-m", bad, u, "06.0004")
        assert rc == 2 and err.startswith("usage:"), (bad, rc, out, err)


def test_rsa_guest_fails_cleanly_for_an_unknown_mdev(apemu):
    inst = apemu.start(MACHINE)
    u = mdev_with_one_queue(inst)
    missing = str(uuid.uuid4())
    rc, out, err = rsa_guest(inst, missing, "06.0004")
    assert rc == 1 and out == "", (rc, out, err)
    assert err.startswith(f"rsa-guest: cannot open mdev {missing}: No such device"), err
    assert err.count("\n") == 1 and "no such mdev" in err, err
    # nothing was sent, and the real mdev still serves a guest
    assert inst.read("/sys/devices/ap/card06/06.0004/request_count") == "0\n"
    rc, out, err = rsa_guest(inst, u, "06.0004")
    assert (rc, err) == (0, ""), (rc, out, err)


def test_rsa_guest_names_a_queue_outside_its_mdev(apemu):
    inst = apemu.start(MACHINE)
    u = mdev_with_one_queue(inst)
    rc, out, err = rsa_guest(inst, u, "06.0005")
    assert rc == 1 and out == "", (rc, out, err)
    assert err == "rsa-guest: queue 06.0005 is not usable (TAPQ cc 3, rc 0x01)\n", err


def test_rsa_guest_usage():
    for args in (["only-one-uuid"], [str(uuid.uuid4()), "6.4.1"], ["-x", "u", "06.0004"]):
        p = subprocess.run([RSA_GUEST] + args, capture_output=True, text=True, env=env())
        assert p.returncode == 2 and p.stdout == "", (args, p)
        assert p.stderr.endswith(" [-s SOCKET] [-m BYTES] UUID AA.DDDD\n"), (args, p.stderr)


def test_rsa_guest_without_apemud(tmp_path):
    sock = str(tmp_path / "none.sock")
    p = subprocess.run([RSA_GUEST, "-s", sock, str(uuid.uuid4()), "06.0004"],
                       capture_output=True, text=True, env=env())
    assert (p.returncode, p.stdout) == (1, ""), p
    assert p.stderr == f"rsa-guest: cannot create a guest of apemud at {sock}: " \
                       "No such file or directory\n", p.stderr
