#!/usr/bin/env python3
# The host side of scripts/linux-guest.sh.
#
#   run.py keys DIR BITS
#       an RSA key made by OpenSSL, an input and OpenSSL's raw RSA result
#       (openssl pkeyutl, no padding), as the binary files zcrypt-check
#       reads in the guest
#   run.py boot --tree DIR --mdev UUID [--queues AA.DDDD,...] --timeout S -- QEMU ARGS...
#       boots the guest, prints its console, prints each "CHECK" line it
#       reports as "ok"/"not ok", acts on its "HOST" requests (assign and
#       unassign an adapter of the mdev in apemu's tree DIR), checks in the
#       tree that the guest's requests reached the queues, and ends with
#       "N passed, N failed" (a guest that stops early or times out counts
#       as one more failure)
import os
import re
import select
import subprocess
import sys
import time


def openssl(*args, data=None):
    return subprocess.run(["openssl"] + list(args), input=data, capture_output=True,
                          check=True).stdout


def rsa_numbers(pem):
    """{name: int} of `openssl rsa -text`'s fields."""
    text = openssl("rsa", "-in", pem, "-text", "-noout").decode()
    nums, name = {}, None
    for line in text.splitlines():
        m = re.match(r"^(\w+):\s*(\d+)?", line)
        if m and not line.startswith(" "):
            name = m.group(1)
            if m.group(2):
                nums[name] = int(m.group(2))
                name = None
            else:
                nums[name] = ""
        elif name and line.startswith(" "):
            nums[name] += line.strip().replace(":", "")
    return {k: (int(v, 16) if isinstance(v, str) else v) for k, v in nums.items()}


def keys(d, bits):
    os.makedirs(d, exist_ok=True)
    pem = os.path.join(d, "key.pem")
    openssl("genpkey", "-algorithm", "RSA", "-pkeyopt", "rsa_keygen_bits:%d" % bits,
            "-out", pem)
    k = rsa_numbers(pem)
    size, half = bits // 8, bits // 16
    n = k["modulus"]
    msg = int.from_bytes(os.urandom(size), "big") % n
    inp = msg.to_bytes(size, "big")
    out = openssl("pkeyutl", "-decrypt", "-inkey", pem, "-pkeyopt",
                  "rsa_padding_mode:none", data=inp)
    assert len(out) == size and int.from_bytes(out, "big") == pow(msg, k["privateExponent"], n)
    files = {
        "n": n.to_bytes(size, "big"),
        "d": k["privateExponent"].to_bytes(size, "big"),
        # zcrypt's CRT layout: p, dp, qinv 8 bytes longer than q, dq
        "p": k["prime1"].to_bytes(half + 8, "big"),
        "dp": k["exponent1"].to_bytes(half + 8, "big"),
        "qinv": k["coefficient"].to_bytes(half + 8, "big"),
        "q": k["prime2"].to_bytes(half, "big"),
        "dq": k["exponent2"].to_bytes(half, "big"),
        "in": inp,
        "out": out,
    }
    for name, data in files.items():
        with open(os.path.join(d, name), "wb") as f:
            f.write(data)
    os.unlink(pem)


def tree_write(path, value):
    with open(path, "w") as f:
        f.write(value)


def boot(tree, mdev, queues, timeout, qemu):
    passed = failed = 0
    done = False
    start = time.monotonic()
    matrix = os.path.join(tree, "devices", "vfio_ap", "matrix", mdev)
    p = subprocess.Popen(qemu, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                         stderr=subprocess.STDOUT)
    buf = b""
    try:
        while not done:
            left = timeout - (time.monotonic() - start)
            if left <= 0:
                print("not ok the guest did not finish within %d s" % timeout, flush=True)
                failed += 1
                break
            r, _, _ = select.select([p.stdout], [], [], min(left, 1.0))
            if not r:
                continue
            chunk = os.read(p.stdout.fileno(), 4096)
            if not chunk:
                print("not ok QEMU ended (status %s) before the guest said DONE" % p.wait(),
                      flush=True)
                failed += 1
                break
            buf += chunk
            while b"\n" in buf:
                raw, buf = buf.split(b"\n", 1)
                line = raw.decode(errors="replace").rstrip("\r")
                m = re.search(r"CHECK (ok|not ok) (.*)", line)
                h = re.search(r"HOST (assign_adapter|unassign_adapter) ([0-9a-f]+)", line)
                if m:
                    ok = m.group(1) == "ok"
                    passed += ok
                    failed += not ok
                    print("%s %s" % (m.group(1), m.group(2)), flush=True)
                elif h:
                    print("# host: echo 0x%s > %s/%s" % (h.group(2), matrix, h.group(1)),
                          flush=True)
                    tree_write(os.path.join(matrix, h.group(1)), "0x%s\n" % h.group(2))
                elif "DONE" in line and line.strip() == "DONE":
                    done = True
                else:
                    print("# " + line, flush=True)
    finally:
        if p.poll() is None:
            try:
                p.wait(timeout=20)
            except subprocess.TimeoutExpired:
                p.kill()
                p.wait()
    print("# %.0f s from QEMU's start to the guest's end" % (time.monotonic() - start))
    if queues:
        # the host's side: the requests the guest's zcrypt sent were counted
        # by the emulated adapters of its mdev
        counts = {}
        for q in queues:
            with open(os.path.join(tree, "devices", "ap", "card" + q[:2], q,
                                   "request_count")) as f:
                counts[q] = int(f.read())
        total = sum(counts.values())
        ok = total >= 3  # one ME and one CRT, three times
        passed += ok
        failed += not ok
        print("%s host: the mdev's queues counted %d requests (%s)"
              % ("ok" if ok else "not ok", total,
                 ", ".join("%s %d" % kv for kv in sorted(counts.items()))), flush=True)
    print("%d passed, %d failed" % (passed, failed), flush=True)
    return 1 if failed or not passed else 0


def main(argv):
    if len(argv) == 4 and argv[1] == "keys":
        keys(argv[2], int(argv[3]))
        return 0
    if len(argv) > 2 and argv[1] == "boot" and "--" in argv:
        opts = argv[2:argv.index("--")]
        o = dict(zip(opts[::2], opts[1::2]))
        queues = [q for q in o.get("--queues", "").split(",") if q]
        return boot(o["--tree"], o["--mdev"], queues, int(o.get("--timeout", "600")),
                    argv[argv.index("--") + 1:])
    sys.exit(__doc__ or "usage: run.py keys DIR BITS | boot --tree DIR --mdev UUID -- QEMU...")


if __name__ == "__main__":
    sys.exit(main(sys.argv))
