# The functional tests' helpers: apemu.instance of python/apemu (one
# apemud instance on a temporary mount, Instance and Instances; the machine
# description's id lists and masks; the sanitizer check of a log), pointed
# at the build under test.
#
# Binaries: $APEMU_BUILD/src/cli/apemu and $APEMU_BUILD/src/daemon/apemud
# (APEMU_BUILD defaults to /work/main/build; the CI points it at the
# ASan+UBSan build). apemu finds apemud beside itself; APEMUD is set too.
import os

import apemupath  # noqa: F401  (python/ first on sys.path)
from apemu import instance
from apemu.instance import (MODE_OF, SANITIZER_RE, TYPE_PATH, Instance, Instances,  # noqa: F401
                            adapters_of, c_int, check_environment, default_machine, env,
                            hwtype_of, id_list, mask_hex, sanitizer_report)

BUILD = os.path.abspath(os.environ.get("APEMU_BUILD", "/work/main/build"))
APEMU = os.path.join(BUILD, "src", "cli", "apemu")
APEMUD = os.path.join(BUILD, "src", "daemon", "apemud")
instance.configure(APEMU, APEMUD)


def probe_client(socket_path, tag):
    """Connect to the control socket, send an unknown op with tag and read
    the answer even when apemud refused and reset the connection (the error
    naming the cause comes before the reset): (socket, reply). The caller
    keeps the socket open (it holds a descriptor in apemud) and closes it."""
    import json
    import socket

    s = socket.socket(socket.AF_UNIX, socket.SOCK_SEQPACKET)
    s.settimeout(10)
    s.connect(socket_path)
    try:
        s.send(json.dumps({"op": "frobnicate", "tag": tag}).encode())
    except BrokenPipeError:
        pass
    try:
        msg = s.recv(65536)
    except ConnectionResetError:
        msg = s.recv(65536)  # the reset comes first, the reason behind it
    return s, json.loads(msg)
