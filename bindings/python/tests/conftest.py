"""Shared helpers: devices that have exchanged bundles and verified each
other by QR code, and a transport that hands envelopes over."""

import pytest

import bleep
from bleep import BleepDevice, DeviceAddress, TrustPolicy


def addr(clinician, device=1):
    return DeviceAddress(clinician=clinician, device=device)


def new_device(tmp_path, clinician, key=None):
    key = key or bleep.generate_storage_key()
    path = str(tmp_path / f"{clinician}.db")
    dev = BleepDevice.create(path, key, addr(clinician), TrustPolicy.REQUIRE_VERIFIED)
    return dev, path, key


def introduce(a, b):
    """Each learns the other's bundle (from the app's server)."""
    a.add_peer_device(b.address(), b.prekey_bundle())
    b.add_peer_device(a.address(), a.prekey_bundle())


def verify_by_qr(a, b):
    """Each phone scans the QR code the other shows."""
    qa = a.safety_number(b.address())
    qb = b.safety_number(a.address())
    assert qa.digits == qb.digits
    a.verify_by_qr(b.address(), qb.qr_payload)
    b.verify_by_qr(a.address(), qa.qr_payload)


def deliver(sender, envelopes, devices):
    """Hands each envelope to its addressee; returns what each received."""
    out = []
    by_addr = {(d.address().clinician, d.address().device): d for d in devices}
    for env in envelopes:
        to = by_addr[(env.to.clinician, env.to.device)]
        out.append((to, to.receive(sender.address(), env.envelope)))
    return out


@pytest.fixture
def pair(tmp_path):
    a, a_path, a_key = new_device(tmp_path, "dr.okafor")
    b, b_path, b_key = new_device(tmp_path, "dr.patel")
    introduce(a, b)
    verify_by_qr(a, b)
    return {"a": a, "b": b, "b_path": b_path, "b_key": b_key, "a_path": a_path, "a_key": a_key}
