"""No secret reaches an exception message, str() or repr()."""

import pytest

import bleep
from bleep import BleepError, OutgoingOptions

from conftest import deliver

SECRET_TEXT = "NHS 943 476 5919 Mrs Thornton"


def test_message_objects_print_no_plaintext(pair):
    a, b = pair["a"], pair["b"]
    [(_, got)] = deliver(a, a.send_text("dr.patel", SECRET_TEXT, OutgoingOptions()).envelopes, [b])
    m = b.message(got.event.message)
    for s in (str(m), repr(m), str(got), repr(got), str(got.event)):
        assert "Thornton" not in s and "5919" not in s
    assert str(m) == f"StoredMessage({len(SECRET_TEXT)} bytes)"
    assert m.text() == SECRET_TEXT


def test_key_holders_print_no_key(pair):
    org = bleep.OrganisationSigner.generate()
    key = bleep.generate_pseudonym_key()
    p = bleep.Pseudonymiser(key)
    s = bleep.Scanner(["Thornton"], [], [])
    assert str(org) == repr(org) == "OrganisationSigner(<secret>)"
    assert str(p) == repr(p) == "Pseudonymiser(<secret>)"
    assert str(s) == "Scanner" and "Thornton" not in repr(s)
    assert "dr.patel" in str(pair["b"]) and pair["b_key"].hex() not in str(pair["b"])


def test_exceptions_carry_no_secret(pair):
    key = pair["b_key"]
    wrong = bleep.generate_storage_key()
    with pytest.raises(BleepError) as e:
        bleep.BleepDevice.open(pair["b_path"], wrong)
    text = str(e.value) + repr(e.value) + repr(e.value.args)
    for secret in (key, wrong):
        assert secret.hex() not in text
        assert repr(secret) not in text
    a, b = pair["a"], pair["b"]
    first = a.send_text("dr.patel", "one", OutgoingOptions())
    [(_, got)] = deliver(a, first.envelopes, [b])
    deliver(b, got.replies, [a])
    deliver(a, a.send_text("dr.patel", "two", OutgoingOptions()).envelopes, [b])
    env = a.send_text("dr.patel", SECRET_TEXT, OutgoingOptions()).envelopes[0].envelope
    with pytest.raises(BleepError) as e:
        b.receive(a.address(), env[:-1] + bytes([env[-1] ^ 1]))
    text = str(e.value) + repr(e.value)
    assert "Thornton" not in text and "5919" not in text
    assert "DecryptFailed" in text
