# The machine description's facts as the tools read them: the example
# machines of docs/machines/, the built-in machine, partial descriptions and
# `apemu start --abi`.
#
# Invariant: every text lszcrypt, chzcrypt and lszdev read (bus features,
# ap_functions, serialnr, the EP11 card info, mkvps, op_modes) is what the
# description says, in the kernel's format, and exists exactly while the
# kernel shows it (zcrypt's files only while a zcrypt driver is bound).
import json
import os

import pytest

HERE = os.path.dirname(os.path.abspath(__file__))
MACHINES = os.path.join(HERE, "..", "..", "docs", "machines")
BUS = "/sys/bus/ap"


def load(name):
    with open(os.path.join(MACHINES, name)) as f:
        return json.load(f)


def card(a):
    return f"/sys/devices/ap/card{a:02x}"


def queue(a, d):
    return f"{card(a)}/{a:02x}.{d:04x}"


CCA_Z15 = (
    "AES NEW: empty 0x0000000000000000\n"
    "AES CUR: valid 0x6b12e9a80f3c4d71\n"
    "AES OLD: valid 0x2d0f7c11a9e845b3\n"
    "APKA NEW: empty 0x0000000000000000\n"
    "APKA CUR: valid 0x43c8d1e2b7a09f65\n"
    "APKA OLD: invalid 0x0000000000000000\n"
)


def test_z15_example(apemu):
    inst = apemu.start(load("z15-cex7.json"))
    assert inst.read(f"{BUS}/features") == "APSC APXA QACT RC8A\n"
    assert inst.read(f"{BUS}/ap_max_domain_id") == "84\n"
    assert inst.read(f"{BUS}/ap_domain") == "11\n"
    # lszcrypt -d reads the domain masks: domains 0x0b-0x12
    mask = "0x001fe0" + "0" * 58 + "\n"
    assert inst.read(f"{BUS}/ap_usage_domain_mask") == mask
    assert inst.read(f"{BUS}/ap_control_domain_mask") == mask
    assert [inst.read(f"{card(a)}/type") for a in range(5)] == ["CEX7C\n"] * 2 + ["CEX7A\n"] * 2 + ["CEX7P\n"]
    assert [inst.read(f"{card(a)}/ap_functions") for a in range(5)] == (
        ["0x92810003\n"] * 2 + ["0x6A800000\n"] * 2 + ["0x86800000\n"]
    )
    assert inst.read(f"{card(0)}/serialnr") == "93AAH2T5\n"
    assert inst.read(f"{queue(0, 0x0b)}/mkvps") == CCA_Z15
    assert inst.read(f"{queue(1, 0x12)}/mkvps") == CCA_Z15
    p = card(4)
    assert [inst.read(f"{p}/{f}") for f in ("serialnr", "API_ordinalnr", "FW_version", "op_modes")] == [
        "93AAHE7P93AAHE7P\n", "6\n", "7.15\n", "\n"
    ]
    assert inst.read(f"{queue(4, 0x0c)}/mkvps") == (
        "WK CUR: valid 0x9c2f1b7e55d04a68c3e1f0a7b2d9e4c61f8a0b3d7e2c5f9a1b4d6e8f0a2c4e6b\n"
        "WK NEW: empty -\n"
    )
    assert inst.read(f"{queue(4, 0x0c)}/op_modes") == "\n"
    # accelerators: no serial, no card info, no mkvps
    assert not inst.exists(f"{card(2)}/serialnr")
    assert not inst.exists(f"{queue(2, 0x0b)}/mkvps")


def test_z16_example(apemu):
    inst = apemu.start(load("z16-cex8.json"))
    assert inst.read(f"{BUS}/features") == "APSC APXA QACT RC8A APSB\n"
    assert inst.read(f"{card(2)}/ap_functions") == "0xF2800000\n"
    assert inst.read(f"{queue(3, 0x1c)}/mkvps").splitlines()[0] == "AES NEW: full 0x5c27e8a1d40f93b6"
    p = card(8)
    assert [inst.read(f"{p}/{f}") for f in ("API_ordinalnr", "FW_version", "op_modes")] == [
        "6\n", "8.3\n", "FIPS2011\n"
    ]
    q = queue(8, 0x03)
    assert inst.read(f"{q}/op_modes") == "FIPS2011\n"
    assert inst.read(f"{q}/mkvps").splitlines()[1] == (
        "WK NEW: uncommitted 0x3f1e5c7a9b2d4f6081a3c5e7092b4d6f8e0a2c4e6b8d0f1a3c5e7092b4d6f871"
    )
    # an offline EP11 queue has no domain info: zcrypt does not ask the card
    assert inst.write(f"{q}/online", "0\n") is None
    assert inst.read(f"{q}/mkvps") == "WK CUR: - -\nWK NEW: - -\n"
    assert inst.read(f"{q}/op_modes") == "\n"
    # bound to vfio_ap: zcrypt's files are gone
    assert inst.write(f"{BUS}/apmask", "-8\n") is None
    assert not inst.exists(f"{q}/mkvps") and not inst.exists(f"{q}/op_modes")
    assert inst.exists(f"{q}/status")


def test_builtin_machine_shows_complete_values(inst):
    assert inst.read(f"{BUS}/features") == "APSC APXA QACT RC8A\n"
    assert inst.read(f"{card(5)}/serialnr") == "93AADFK7\n"
    # 16 characters; lszcrypt -s shows the first 8
    assert inst.read(f"{card(0x0b)}/serialnr") == "APEMU011EP11CARD\n"
    assert [inst.read(f"{card(0x0b)}/{f}") for f in ("API_ordinalnr", "FW_version", "op_modes")] == [
        "6\n", "8.2\n", "FIPS2011\n"
    ]
    lines = inst.read(f"{queue(5, 4)}/mkvps").splitlines()
    assert [x.split(" 0x")[0] for x in lines] == [
        "AES NEW: empty", "AES CUR: valid", "AES OLD: invalid",
        "APKA NEW: empty", "APKA CUR: valid", "APKA OLD: invalid",
    ]
    assert inst.read(f"{queue(0x0b, 4)}/mkvps").startswith("WK CUR: valid 0x")


def test_cca_serial_needs_a_default_domain(apemu):
    inst = apemu.start({"usage_domains": "4", "aqmask": "", "adapters": [{"id": 5, "type": "CEX7C"}]})
    assert inst.read(f"{BUS}/ap_domain") == "-1\n"
    assert inst.read(f"{card(5)}/serialnr") == "\n"


def test_partial_description_and_abi_option(apemu):
    inst = apemu.start({"abi": "v8"})
    assert not inst.exists(f"{BUS}/apmask")
    assert inst.ls("/sys/devices/ap")[:5] == ["card05", "card06", "card07", "card08", "card0b"]
    inst.stop()
    inst2 = apemu.new()
    rc, out, err = inst2.start("--abi", "v8")
    assert (rc, err) == (0, ""), err
    assert not inst2.exists(f"{BUS}/apmask") and inst2.exists(f"{BUS}/ap_domain")
    inst3 = apemu.new({"apmask": "0xffff"}, name="sys3")
    rc, out, err = inst3.start("--abi", "v8")
    assert rc == 1 and "apmask: the v8 ABI has no apmask" in err, err


@pytest.mark.parametrize(
    "bad,message",
    [
        ({"adapters": [{"id": 1, "type": "CEX7A", "serial": "X"}]}, "adapters[0].serial: an accelerator"),
        ({"features": ["APXA", "NOPE"]}, 'features[1]: unknown facility "NOPE"'),
        ({"adapters": [{"id": 1, "type": "CEX7P", "fw_version": "x"}]}, "adapters[0].fw_version: bad firmware"),
    ],
    ids=["serial", "features", "fw_version"],
)
def test_bad_fields_are_named(apemu, bad, message):
    inst = apemu.new(bad)
    rc, out, err = inst.start()
    assert rc == 1 and message in err, err
