# The kernel may cache the names that come and go (cards, queues, mdevs,
# driver links, driver-dependent files) for speed; apemu takes them back when
# devices, bindings or mdevs change. Invariant: every access right after a
# change sees the tree as it is now, never a name from before.
import os


Q = "/sys/devices/ap/card05/05.0004"


def test_rebinding_a_queue_changes_its_files_at_once(inst):
    for _ in range(3):
        assert inst.read(Q + "/online") == "1\n"
        assert os.path.basename(inst.readlink(Q + "/driver")) == "cex4queue"
        assert inst.write("/sys/bus/ap/drivers/cex4queue/unbind", "05.0004") is None
        assert not inst.exists(Q + "/online")
        assert not inst.exists(Q + "/driver")
        assert not inst.exists("/sys/bus/ap/drivers/cex4queue/05.0004")
        assert inst.write("/sys/bus/ap/drivers/cex4queue/bind", "05.0004") is None
        assert inst.exists("/sys/bus/ap/drivers/cex4queue/05.0004")


def test_mask_write_moves_cached_queue_names_to_vfio_ap(inst):
    assert inst.read(Q + "/online") == "1\n"
    assert inst.exists("/sys/bus/ap/drivers/cex4queue/05.0004")
    assert inst.write("/sys/bus/ap/apmask", "-5") is None
    assert not inst.exists(Q + "/online")
    assert inst.read(Q + "/status") == "unassigned\n"
    assert not inst.exists("/sys/bus/ap/drivers/cex4queue/05.0004")
    assert inst.exists("/sys/bus/ap/drivers/vfio_ap/05.0004")
    assert inst.write("/sys/bus/ap/apmask", "+5") is None
    assert inst.read(Q + "/online") == "1\n"
    assert not inst.exists(Q + "/status")


def test_an_mdev_removed_and_created_again_is_the_new_one(inst):
    inst.write("/sys/bus/ap/apmask", "-5")
    inst.write("/sys/bus/ap/aqmask", "-4")
    u = inst.create_mdev()
    for _ in range(3):
        assert inst.write(inst.mdev(u, "assign_adapter"), "5") is None
        assert inst.read(inst.mdev(u, "matrix")) == "05.\n"
        assert inst.exists("/sys/bus/mdev/devices/" + u)
        assert inst.write(inst.mdev(u, "remove"), "1") is None
        assert not inst.exists(inst.mdev(u))
        assert not inst.exists("/sys/bus/mdev/devices/" + u)
        inst.create_mdev(u)
        assert inst.read(inst.mdev(u, "matrix")) == ""


def test_hardware_events_take_names_back(inst):
    card = "/sys/devices/ap/card07"
    assert inst.read(card + "/07.0047/online") == "1\n"
    inst.cli("event", "adapter-remove", "7")
    assert not inst.exists(card)
    assert not inst.exists("/sys/bus/ap/devices/07.0047")
    inst.cli("event", "adapter-add", "7", "CEX8P")
    assert inst.read(card + "/type") == "CEX8P\n"
    assert inst.read(card + "/07.0047/online") == "1\n"
    inst.cli("event", "domain-remove", "0x47")
    assert not inst.exists(card + "/07.0047")
    inst.cli("event", "domain-add", "0x47")
    assert inst.read(card + "/07.0047/online") == "1\n"
