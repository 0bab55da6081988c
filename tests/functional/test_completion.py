# The bash completion of apemu (completion/apemu) against a running
# instance: mdev UUIDs for --mdev, APQNs for --apqn (each element of the
# list), adapter ids for events, all read from the instance that the
# command line's --mount names.
#
# Invariant: what the completion offers is what the instance's tree holds
# at that moment, and nothing from another instance.
import os
import subprocess

COMPLETION = os.path.join(os.path.dirname(__file__), "..", "..", "completion", "apemu")

MACHINE = {
    "usage_domains": "4,0x47",
    "adapters": [{"id": 5, "type": "CEX5C"}, {"id": 6, "type": "CEX5A"}],
}


def complete(*words):
    """What the completion offers for the last of words (sorted, unique)."""
    script = (
        'source "$1"; shift; COMP_WORDS=("$@"); COMP_CWORD=$(($# - 1)); _apemu; '
        'printf "%s\\n" "${COMPREPLY[@]}"'
    )
    out = subprocess.run(["bash", "-c", script, "bash", COMPLETION] + list(words),
                         capture_output=True, text=True, timeout=30)
    assert out.returncode == 0 and out.stderr == "", out.stderr
    return sorted({w for w in out.stdout.split("\n") if w})


def test_completion_offers_the_instances_mdevs(apemu):
    inst = apemu.start(MACHINE)
    other = apemu.start(MACHINE)
    u1, u2 = inst.create_mdev(), inst.create_mdev()
    other.create_mdev()
    assert complete("apemu", "guest", "--mount", inst.mount, "--mdev", "") == sorted([u1, u2])
    assert complete("apemu", "rsa", "--mount", inst.mount, "--mdev", u1[:6]) == [u1]
    assert inst.write(inst.mdev(u2, "remove"), "1") is None
    assert complete("apemu", "guest", "--mount", inst.mount, "--mdev", "") == [u1]


def test_completion_offers_apqns_and_adapters(apemu):
    inst = apemu.start(MACHINE)
    apqns = ["05.0004", "05.0047", "06.0004", "06.0047"]
    assert complete("apemu", "rsa", "--mount", inst.mount, "--apqn", "") == apqns
    assert complete("apemu", "rsa", "--mount", inst.mount, "--apqn", "06.0004,05") == [
        "06.0004,05.0004", "06.0004,05.0047"]
    assert complete("apemu", "event", "--mount", inst.mount, "adapter-config", "") == ["0x05", "0x06"]
    rc, out, err = inst.cli("event", "adapter-remove", "5")
    assert rc == 0, err
    assert complete("apemu", "event", "--mount", inst.mount, "chkstop", "") == ["0x06"]


def test_completion_without_an_instance_offers_no_ids(tmp_path):
    mount = str(tmp_path / "none")
    assert complete("apemu", "guest", "--mount", mount, "--mdev", "") == []
    assert complete("apemu", "rsa", "--mount", mount, "--apqn", "") == []
