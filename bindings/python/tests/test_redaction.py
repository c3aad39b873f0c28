"""Redacting a draft before it is sent, and lock-screen previews."""

import re

import bleep


DRAFT = "Mrs Thornton, NHS 943 476 5919, DOB 01/02/1950, lives at SW1A 1AA"


def test_scan_and_redact_a_draft():
    found = bleep.scan_text(DRAFT)
    kinds = {f.kind for f in found}
    assert {"nhs", "dob", "postcode"} <= kinds
    nhs = next(f for f in found if f.kind == "nhs")
    # Python strings index by code point: the `char` offsets.
    assert DRAFT[nhs.start_char:nhs.end_char] == "943 476 5919"

    masked = bleep.redact_text(DRAFT, bleep.RedactAction.MASK)
    assert "943 476 5919" not in masked.text and "[NHS number]" in masked.text
    partial = bleep.redact_text(DRAFT, bleep.RedactAction.PARTIAL_MASK)
    assert "ending 919" in partial.text


def test_scanner_with_names_and_pseudonyms():
    s = bleep.Scanner(["Thornton"], ["Okafor"], ["RXH#######"])
    r = s.redact("Mrs Thornton RXH1234567 seen by Dr Okafor", bleep.RedactAction.MASK)
    assert "Thornton" not in r.text and "RXH1234567" not in r.text
    assert "Okafor" in r.text
    p = bleep.Pseudonymiser(bleep.generate_pseudonym_key())
    one = s.pseudonymise("Mrs Thornton", p, b"conv-1")
    two = s.pseudonymise("Thornton again", p, b"conv-1")
    assert "Thornton" not in one.text
    pseudonym = re.compile(r"\[patient [0-9a-f]+\]")
    assert pseudonym.findall(one.text) == pseudonym.findall(two.text) != []
    try:
        bleep.Scanner([], [], ["##"])
        raise AssertionError("expected a redact error")
    except bleep.BleepError.Redact as e:
        assert e.reason == "PatternTooWeak"


def test_lock_screen_preview():
    p = bleep.lock_screen_preview(bleep.PreviewPolicy.NOTHING, "Dr A. Okafor", None)
    assert (p.title, p.body) == ("bleep", "New message")
    p = bleep.lock_screen_preview(bleep.PreviewPolicy.SENDER_AND_GROUP, "Sister Lee", "Bed 4 Mrs Thornton")
    assert "Thornton" not in p.title and p.body == "New message"
