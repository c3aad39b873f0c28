#!/usr/bin/env python3
"""An independent check of tests/vectors/pqxdh.json against docs/PROTOCOL.md.

Written from the specification only, with Python's `cryptography` (47 or
later, whose ML-KEM comes from OpenSSL or AWS-LC): recomputes every draw
from its label, the identity keys from their seeds, every signature in the
bundles, DH1-DH4, the ML-KEM-1024 key pairs from their 64-byte seeds, SS by
decapsulating CT, SK, AD, and the layout of each first message. Not run by
`cargo test` (it needs Python); run it after regenerating the vectors:

    python3 tests/vectors/check_pqxdh.py
"""

import hashlib
import hmac
import json
import pathlib

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import mlkem
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey
from cryptography.hazmat.primitives.asymmetric.x25519 import X25519PrivateKey, X25519PublicKey

RAW = (serialization.Encoding.Raw, serialization.PublicFormat.Raw)


def hkdf(salt, ikm, info, length):
    prk = hmac.new(salt, ikm, hashlib.sha256).digest()
    out, block, i = b"", b"", 1
    while len(out) < length:
        block = hmac.new(prk, block + info + bytes([i]), hashlib.sha256).digest()
        out += block
        i += 1
    return out[:length]


def check_draws(draws):
    for d in draws:
        data = bytes.fromhex(d["bytes"])
        label = ("bleep test vector: " + d["label"]).encode()
        digest = hashlib.sha256(label) if len(data) <= 32 else hashlib.sha512(label)
        assert digest.digest()[: len(data)] == data, d["label"]


def x25519(secret, public):
    out = X25519PrivateKey.from_private_bytes(secret).exchange(X25519PublicKey.from_public_bytes(public))
    assert out != bytes(32)
    return out


def parse_bundle(b):
    assert b[0] == 2
    identity, ed = b[1:130], b[2:34]
    signer = Ed25519PublicKey.from_public_bytes(ed)
    spk_id, spk, spk_sig = b[130:134], b[134:166], b[166:230]
    signer.verify(spk_sig, b"bleep v1 signed prekey" + spk_id + spk)
    n = int.from_bytes(b[230:232], "big")
    one_time = [(b[232 + 36 * i : 236 + 36 * i], b[236 + 36 * i : 268 + 36 * i]) for i in range(n)]
    off = 232 + 36 * n
    kems = []
    entry = 4 + 1568 + 64

    def kem_at(o):
        kid, ek, sig = b[o : o + 4], b[o + 4 : o + 1572], b[o + 1572 : o + entry]
        signer.verify(sig, b"bleep v2 kem prekey" + kid + ek)
        return int.from_bytes(kid, "big"), ek

    kems.append(kem_at(off))
    m = int.from_bytes(b[off + entry : off + entry + 2], "big")
    for i in range(m):
        kems.append(kem_at(off + entry + 2 + entry * i))
    assert len(b) == off + entry + 2 + entry * m
    return identity, spk, one_time, kems


def main():
    v = json.loads((pathlib.Path(__file__).parent / "pqxdh.json").read_text())
    check_draws(v["setup"]["draws"])
    setup = {d["label"]: bytes.fromhex(d["bytes"]) for d in v["setup"]["draws"]}
    ids = {}
    for who in ("alice", "bob"):
        seed = setup[f"{who} identity seed"]
        ed = Ed25519PrivateKey.from_private_bytes(hkdf(b"", seed, b"bleep v1 identity ed25519", 32))
        x = hkdf(b"", seed, b"bleep v1 identity x25519", 32)
        ed_pub = ed.public_key().public_bytes(*RAW)
        x_pub = X25519PrivateKey.from_private_bytes(x).public_key().public_bytes(*RAW)
        ident = bytes([1]) + ed_pub + x_pub + ed.sign(b"bleep v1 identity binding" + x_pub)
        assert ident.hex() == v["setup"][f"{who}_identity_key"], who
        ids[who] = (ident, x)
    seeds = {1: setup["bob last-resort kem prekey 1 seed"]}
    seeds[2] = setup["bob kem one-time prekey 2 seed"]
    seeds[3] = setup["bob kem one-time prekey 3 seed"]

    for h in v["handshakes"] + [v["rejection_handshake"]]:
        check_draws(h["draws"])
        draws = {d["label"].split(": ", 1)[1]: bytes.fromhex(d["bytes"]) for d in h["draws"]}
        identity, spk, one_time, kems = parse_bundle(bytes.fromhex(h["bundle"]))
        assert identity == ids["bob"][0]
        bob_x = identity[33:65]
        ek = draws["alice ephemeral (base) secret"]
        dh = [x25519(ids["alice"][1], spk), x25519(ek, bob_x), x25519(ek, spk)]
        if one_time:
            assert "alice one-time prekey choice" in draws
            dh.append(x25519(ek, one_time[0][1]))
        for i, d in enumerate(dh):
            assert d.hex() == h[f"dh{i + 1}"], (h["name"], i)
        assert h["dh4"] is None or len(dh) == 4
        kem_id, kem_pub = kems[1] if len(kems) > 1 else kems[0]
        assert kem_id == h["kem_prekey_id"]
        dk = mlkem.MLKEM1024PrivateKey.from_seed_bytes(seeds[kem_id])
        assert dk.public_key().public_bytes(*RAW) == kem_pub
        ss = dk.decapsulate(bytes.fromhex(h["kem_ciphertext"]))
        assert ss.hex() == h["kem_shared_secret"], h["name"]
        ikm = b"\xff" * 32 + b"".join(dh) + ss
        sk = hkdf(bytes(32), ikm, b"bleep v2 pqxdh x25519 sha256 mlkem1024", 32)
        assert sk.hex() == h["pqxdh_shared_secret"], h["name"]
        ad = ids["alice"][0][1:65] + ids["bob"][0][1:65]
        assert ad.hex() == h["associated_data"]
        env = bytes.fromhex(h["first_message"]["envelope"])
        base = X25519PrivateKey.from_private_bytes(ek).public_key().public_bytes(*RAW)
        assert env[:2] == b"\x02\x01" and env[2:131] == ids["alice"][0] and env[131:163] == base
        off = 167 + 1 + (4 if env[167] else 0)
        assert int.from_bytes(env[off : off + 4], "big") == kem_id
        assert env[off + 4 : off + 1572].hex() == h["kem_ciphertext"]
        print("ok:", h["name"])


if __name__ == "__main__":
    main()
