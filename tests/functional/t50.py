# Type 50 requests and the replies a CEX accelerator gives (facts 8), built
# in Python so that the functional tests can check what apemud's adapters
# compute: pow() is the reference for modular exponentiation.
import os
import random
import re
import subprocess
import tempfile

HDR = 16
ME_FIELDS = ((1, 128), (2, 256), (3, 512))  # MEB1..3: key-block type, field bytes
CRT_FIELDS = ((0x11, 64), (0x12, 128), (0x13, 256))  # CRB1..3: half-size fields


def _be(n, size):
    return n.to_bytes(size, "big")


def header(total, keyblock):
    return bytes([0, 0x50]) + _be(total, 2) + bytes(4) + _be(keyblock, 2) + bytes(6)


def me_request(e, n, m):
    """A MEB1/2/3 request for m**e mod n, in the smallest block n fits."""
    nbytes = (n.bit_length() + 7) // 8
    kb, f = next((kb, f) for kb, f in ME_FIELDS if nbytes <= f)
    total = HDR + 3 * f
    return header(total, kb) + _be(e, f) + _be(n, f) + _be(m, f), f


def crt_request(p, q, dp, dq, u, m):
    """A CRB1/2/3 request; u = q^-1 mod p; the message field is twice a half field."""
    half = max((p.bit_length() + 7) // 8, (q.bit_length() + 7) // 8)
    kb, f = next((kb, f) for kb, f in CRT_FIELDS if half <= f)
    total = HDR + 5 * f + 2 * f
    body = _be(p, f) + _be(q, f) + _be(dp, f) + _be(dq, f) + _be(u, f) + _be(m, 2 * f)
    return header(total, kb) + body, 2 * f


def reply80(result, rlen):
    """The type 80 reply: 16-byte header, the result right-justified in rlen bytes."""
    total = HDR + rlen
    return bytes([0, 0x80]) + _be(total, 2) + bytes(12) + _be(result, rlen)


def error82(code):
    return bytes([0, 0x82, 0, 0, code, 0, 0, 0])


RC_MESSAGE_TYPE = 0x20
RC_INVALID_MSG_LEN = 0x23
RC_OPERAND_INVALID = 0x82


def random_me(bits, rng):
    """(request, expected reply) for a random odd modulus of exactly bits bits."""
    n = rng.getrandbits(bits) | (1 << (bits - 1)) | 1
    e = rng.getrandbits(bits) % n
    m = rng.getrandbits(bits) % n
    req, f = me_request(e, n, m)
    return req, reply80(pow(m, e, n), f)


def rng(seed):
    return random.Random(seed)


def openssl_key(bits):
    """A fresh RSA key from openssl genpkey: a dict of its components and the PEM."""
    pem = subprocess.run(["openssl", "genpkey", "-algorithm", "RSA", "-pkeyopt",
                          f"rsa_keygen_bits:{bits}"], capture_output=True, check=True).stdout
    text = subprocess.run(["openssl", "pkey", "-text", "-noout"], input=pem,
                          capture_output=True, check=True).stdout.decode()
    key = {"pem": pem}
    for name, body in re.findall(r"^(\w+):\s*\n((?:\s+[0-9a-f:]+\n)+)", text, re.M):
        key[name] = int(re.sub(r"[\s:]", "", body), 16)
    return key


def openssl_private(key, m):
    """What OpenSSL's RSA computes: the raw private-key operation on m (no padding)."""
    size = (key["modulus"].bit_length() + 7) // 8
    with tempfile.TemporaryDirectory() as d:
        kp, mp = os.path.join(d, "k.pem"), os.path.join(d, "m")
        with open(kp, "wb") as f:
            f.write(key["pem"])
        with open(mp, "wb") as f:
            f.write(m.to_bytes(size, "big"))
        out = subprocess.run(["openssl", "pkeyutl", "-decrypt", "-inkey", kp, "-in", mp,
                              "-pkeyopt", "rsa_padding_mode:none"], capture_output=True,
                             check=True).stdout
    return int.from_bytes(out, "big")


_SHARED_KEYS = {}


def openssl_cases(bits, r, shared=False):
    """An OpenSSL key, a random message, and the two requests an RSA private-key
    operation takes (ME with d, CRT), each with the reply OpenSSL's result gives.
    shared: the key is one made once per test process for every such caller
    (for tests that need a real key's work, not a key of their own: a 4096-bit
    key takes openssl about a second of CPU to find)."""
    if not shared:
        k = openssl_key(bits)
    else:
        if bits not in _SHARED_KEYS:
            _SHARED_KEYS[bits] = openssl_key(bits)
        k = _SHARED_KEYS[bits]
    n = k["modulus"]
    m = r.getrandbits(bits) % n
    want = openssl_private(k, m)
    me, f = me_request(k["privateExponent"], n, m)
    crt, rlen = crt_request(k["prime1"], k["prime2"], k["exponent1"], k["exponent2"],
                            k["coefficient"], m)
    return [(me, reply80(want, f)), (crt, reply80(want, rlen))]
