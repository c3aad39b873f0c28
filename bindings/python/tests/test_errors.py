"""Each error case a mobile app must handle, and what it raises (or, for a
replay, the event it returns): see docs/BINDINGS.md."""

import time

import pytest

import bleep
from bleep import BleepDevice, BleepError, OutgoingOptions

from conftest import addr, deliver, introduce, new_device, verify_by_qr


def confirmed_chain(a, b):
    """A session both sides have used, and two envelopes on one chain: the
    first delivered, the second returned (tampering is told from lost
    state by a chain the receiver knows)."""
    first = a.send_text("dr.patel", "one", OutgoingOptions())
    [(_, got)] = deliver(a, first.envelopes, [b])
    deliver(b, got.replies, [a])
    two = a.send_text("dr.patel", "two", OutgoingOptions()).envelopes
    three = a.send_text("dr.patel", "three", OutgoingOptions()).envelopes[0].envelope
    deliver(a, two, [b])
    return three


def test_tampered_envelope_raises_crypto_decrypt_failed(pair):
    a, b = pair["a"], pair["b"]
    env = confirmed_chain(a, b)
    bad = env[:-1] + bytes([env[-1] ^ 1])
    with pytest.raises(BleepError.Crypto) as e:
        b.receive(a.address(), bad)
    assert e.value.reason == "DecryptFailed"
    # Nothing changed: the genuine envelope still opens.
    assert b.receive(a.address(), env).event.is_message()


def test_garbage_raises_decode(pair):
    with pytest.raises(BleepError.Decode):
        pair["b"].receive(addr("dr.okafor"), b"\x01\x02")
    with pytest.raises(BleepError.Decode):
        pair["b"].add_peer_device(addr("dr.x"), b"not a bundle")


def test_replayed_envelope_is_a_duplicate_event_not_a_second_message(pair):
    a, b = pair["a"], pair["b"]
    sent = a.send_text("dr.patel", "only once", OutgoingOptions())
    [(_, got)] = deliver(a, sent.envelopes, [b])
    assert got.event.is_message()
    again = b.receive(a.address(), sent.envelopes[0].envelope)
    assert again.event.is_duplicate()
    assert len(b.awaiting_filing()) == 1


def test_key_changed(pair, tmp_path):
    a, b = pair["a"], pair["b"]
    deliver(a, a.send_text("dr.patel", "hello", OutgoingOptions()).envelopes, [b])
    # Dr Patel reinstalls: a new identity on the same address.
    (tmp_path / "new").mkdir()
    b2, _, _ = new_device(tmp_path / "new", "dr.patel")
    a.add_peer_device(b2.address(), b2.prekey_bundle())
    with pytest.raises(BleepError.Device) as e:
        a.send_text("dr.patel", "still there?", OutgoingOptions())
    assert e.value.reason == "NoVerifiedDevice"
    change = a.key_change(b2.address())
    assert change is not None and change.new_key == b2.identity_key()
    # A message from the new key is reported, not shown.
    b2.add_peer_device(a.address(), a.prekey_bundle())
    b2.mark_verified(a.address(), bleep.VerificationMethod.SAFETY_NUMBER)
    [(_, got)] = deliver(b2, b2.send_text("dr.okafor", "it's me", OutgoingOptions()).envelopes, [a])
    assert got.event.is_key_changed()
    # Verifying the new key by QR lets messages through again.
    verify_by_qr(a, b2)
    assert a.send_text("dr.patel", "verified", OutgoingOptions()).envelopes


def test_revoked_attestation(tmp_path):
    a, _, _ = new_device(tmp_path, "dr.okafor")
    b, _, _ = new_device(tmp_path, "dr.patel")
    introduce(a, b)
    org = bleep.OrganisationSigner.generate()
    now = int(time.time())
    att = org.attest(
        7, b.address(), b.identity_key(), "Dr R. Patel", "Registrar",
        bleep.RegulatoryBody.GMC, "7654321", "RXH", now - 60, now + 86400,
    )
    assert bleep.attestation_info(att).serial == 7
    assert bleep.attestation_info(att).peer == "dr.patel/1"
    with pytest.raises(BleepError.Trust) as e:
        a.verify_by_attestation(b.address(), att)
    assert e.value.reason == "UnknownOrganisation"
    a.trust_organisation(org.public_key())
    a.verify_by_attestation(b.address(), att)
    assert a.verification(b.address()).method == bleep.VerificationMethod.ATTESTATION
    b.mark_verified(a.address(), bleep.VerificationMethod.SAFETY_NUMBER)
    assert a.send_text("dr.patel", "before", OutgoingOptions()).envelopes

    a.add_revocation_list(org.revocation_list(1, [7]))
    with pytest.raises(BleepError.Device) as e:
        a.send_text("dr.patel", "after", OutgoingOptions())
    assert e.value.reason == "NoVerifiedDevice"
    with pytest.raises(BleepError.Trust) as e:
        a.verify_by_attestation(b.address(), att)
    assert e.value.reason == "AttestationRevoked"
    [(_, got)] = deliver(b, b.send_text("dr.okafor", "hi", OutgoingOptions()).envelopes, [a])
    assert got.event.is_untrusted() and got.event.reason == "AttestationRevoked"
    with pytest.raises(BleepError.Trust) as e:
        a.add_revocation_list(org.revocation_list(1, [7]))
    assert e.value.reason == "StaleRevocationList"
    # A forged attestation never verifies.
    forged = att[:-1] + bytes([att[-1] ^ 1])
    with pytest.raises(BleepError.Crypto) as e:
        bleep.attestation_info(forged)
    assert e.value.reason == "BadSignature"


def test_wrong_storage_key_raises_state_unseal(pair):
    with pytest.raises(BleepError.State) as e:
        BleepDevice.open(pair["b_path"], bleep.generate_storage_key())
    assert e.value.reason == "Unseal"
    with pytest.raises(BleepError.Decode) as e:
        BleepDevice.open(pair["b_path"], b"short")
    assert e.value.reason == "InvalidLength"
    with pytest.raises(BleepError.Device) as e:
        BleepDevice.create(pair["b_path"], pair["b_key"], addr("dr.patel"), bleep.TrustPolicy.REQUIRE_VERIFIED)
    assert e.value.reason == "AlreadyCreated"


def test_qr_of_another_pair_raises_trust_mismatch(pair, tmp_path):
    a, b = pair["a"], pair["b"]
    (tmp_path / "c").mkdir()
    c, _, _ = new_device(tmp_path / "c", "sister.lee")
    introduce(a, c)
    wrong = b.safety_number(a.address()).qr_payload
    with pytest.raises(BleepError.Trust) as e:
        a.verify_by_qr(c.address(), wrong)
    assert e.value.reason == "SafetyNumberMismatch"


def test_unverified_recipient(tmp_path):
    a, _, _ = new_device(tmp_path, "dr.okafor")
    b, _, _ = new_device(tmp_path, "dr.patel")
    with pytest.raises(BleepError.Device) as e:
        a.send_text("dr.patel", "x", OutgoingOptions())
    assert e.value.reason == "UnknownRecipient"
    introduce(a, b)
    with pytest.raises(BleepError.Device) as e:
        a.send_text("dr.patel", "x", OutgoingOptions())
    assert e.value.reason == "NoVerifiedDevice"


def test_mark_verified_shown_refuses_a_stale_safety_number(pair):
    a, b = pair["a"], pair["b"]
    shown = a.safety_number(b.address())
    wrong = bleep.SafetyNumber(digits="0" * len(shown.digits), qr_payload=shown.qr_payload)
    with pytest.raises(BleepError.Trust) as e:
        a.mark_verified_shown(b.address(), wrong, bleep.VerificationMethod.SAFETY_NUMBER)
    assert e.value.reason == "SafetyNumberMismatch"
    a.mark_verified_shown(b.address(), shown, bleep.VerificationMethod.SAFETY_NUMBER)
