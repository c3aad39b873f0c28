"""Two devices verify by QR, talk, restart from the store, form a group."""

import bleep
from bleep import BleepDevice, Event, GroupEvent, OutgoingOptions

from conftest import addr, deliver, introduce, new_device, verify_by_qr


def test_verify_talk_and_restart(pair):
    a, b = pair["a"], pair["b"]
    assert a.verification(b.address()).method == bleep.VerificationMethod.QR_CODE

    sent = a.send_text("dr.patel", "Bed 7 needs review", OutgoingOptions())
    assert len(sent.envelopes) == 1 and sent.not_sent == []
    [(_, got)] = deliver(a, sent.envelopes, [b])
    assert got.event.is_message()
    handle = got.event.message
    assert b.message(handle).text() == "Bed 7 needs review"

    # The delivery receipt goes back.
    [(_, receipt)] = deliver(b, got.replies, [a])
    assert receipt.event.is_delivered()
    assert receipt.event.ids == [sent.envelopes[0].id]

    # Restart: the device and its vault come back from the SQLite file.
    del b
    pair.pop("b")
    b = BleepDevice.open(pair["b_path"], pair["b_key"])
    assert b.address() == addr("dr.patel")
    assert b.message(handle).text() == "Bed 7 needs review"
    assert [m.message for m in b.awaiting_filing()] == [handle]

    # The conversation goes on after the restart, both ways.
    reply = b.send_text("dr.okafor", "On my way", OutgoingOptions(contains_patient_data=False))
    [(_, got)] = deliver(b, reply.envelopes, [a])
    assert a.message(got.event.message).text() == "On my way"
    assert got.event.info.contains_patient_data is False


def test_batch_and_filing(pair):
    a, b = pair["a"], pair["b"]
    envs = [a.send_text("dr.patel", f"obs {i}", OutgoingOptions()).envelopes[0] for i in range(3)]
    items = b.receive_batch(
        [bleep.IncomingEnvelope(_from=a.address(), envelope=e.envelope) for e in envs]
        + [bleep.IncomingEnvelope(_from=a.address(), envelope=b"\x00garbage")]
    )
    assert [i.is_ok() for i in items] == [True, True, True, False]
    assert items[3].failure.category == "decode"
    handles = [i.received.event.message for i in items[:3]]

    filed = []

    class Record:
        def file(self, message, info, body):
            filed.append(bytes(body))

    class Refuse:
        def file(self, message, info, body):
            raise bleep.RecordRefused.Refused()

    assert b.file_to_record(handles[0], Refuse()) == bleep.FileOutcome.REFUSED
    assert b.message(handles[0]) is not None
    assert b.file_to_record(handles[0], Record()) == bleep.FileOutcome.FILED
    assert filed == [b"obs 0"]
    assert b.message(handles[0]) is None
    assert b.file_to_record(handles[0], Record()) == bleep.FileOutcome.NOT_FOUND
    assert b.erase(handles[1]) is True
    assert len(b.awaiting_filing()) == 1


def test_prekeys(pair):
    a = pair["a"]
    bundle = a.prekey_bundle()
    assert len(a.one_time_prekey_ids()) > 0
    assert a.needs_prekey_refill() is False
    assert isinstance(a.refill_prekeys(), bytes)
    assert a.rotate_signed_prekey_if_due() is None
    assert len(bundle) > 0


def test_app_supplied_store(tmp_path):
    class DictStore:
        def __init__(self):
            self.rows = {}

        def get(self, key):
            return self.rows.get(bytes(key))

        def scan(self, prefix):
            prefix = bytes(prefix)
            return [
                bleep.StoreRow(key=k, value=v)
                for k, v in sorted(self.rows.items())
                if k.startswith(prefix)
            ]

        def commit(self, changes):
            for c in changes:
                if c.value is None:
                    self.rows.pop(bytes(c.key), None)
                else:
                    self.rows[bytes(c.key)] = bytes(c.value)

    store, key = DictStore(), bleep.generate_storage_key()
    a = BleepDevice.create_with_store(store, key, addr("dr.okafor"), bleep.TrustPolicy.REQUIRE_VERIFIED)
    b, _, _ = new_device(tmp_path, "dr.patel")
    introduce(a, b)
    verify_by_qr(a, b)
    sent = a.send_text("dr.patel", "Handover at 8", OutgoingOptions())
    [(_, got)] = deliver(a, sent.envelopes, [b])
    assert b.message(got.event.message).text() == "Handover at 8"
    assert store.rows, "the device wrote to the app's store"
    assert all(b"Handover" not in v for v in store.rows.values())
    del a
    a = BleepDevice.open_with_store(store, key)
    assert a.address() == addr("dr.okafor")

    class Failing(DictStore):
        def commit(self, changes):
            raise bleep.AppStoreError.Backend()

    try:
        BleepDevice.create_with_store(Failing(), key, addr("x"), bleep.TrustPolicy.REQUIRE_VERIFIED)
        raise AssertionError("expected a store error")
    except bleep.BleepError.Store as e:
        assert e.reason == "Backend"


def test_group(tmp_path):
    a, _, _ = new_device(tmp_path, "dr.okafor")
    b, _, _ = new_device(tmp_path, "dr.patel")
    c, _, _ = new_device(tmp_path, "sister.lee")
    devices = [a, b, c]
    for x, y in [(a, b), (a, c), (b, c)]:
        introduce(x, y)
        verify_by_qr(x, y)

    created = a.create_group([b.address(), c.address()])
    group = created.group
    assert len(group) == 16
    # Deliver the roster and a's key; the members answer with their keys.
    pending = [(a, created.sent.envelopes)]
    while pending:
        sender, envs = pending.pop(0)
        for to, got in deliver(sender, envs, devices):
            if got.replies:
                pending.append((to, got.replies))

    assert a.groups() == [group] and b.groups() == [group] and c.groups() == [group]
    assert a.group_safety_number(group) == b.group_safety_number(group) == c.group_safety_number(group)

    gs = b.send_group(group, "Theatre 3 ready", OutgoingOptions())
    # Keys still owed go first (1:1 envelopes), then the group message.
    deliver(b, gs.distributions, devices)
    for d in devices:
        if any(x == d.address() for x in gs.deliver_to):
            got = d.receive_group(b.address(), gs.message)
            assert got.event.is_group()
            ev = got.event.event
            assert ev.is_message(), ev
            assert ev.group == group
            assert d.message(ev.message).text() == "Theatre 3 ready"
    assert {(x.clinician) for x in gs.deliver_to} == {"dr.okafor", "sister.lee"}


def test_group_message_before_its_sender_key(tmp_path):
    a, _, _ = new_device(tmp_path, "dr.okafor")
    b, _, _ = new_device(tmp_path, "dr.patel")
    introduce(a, b)
    verify_by_qr(a, b)
    created = a.create_group([b.address()])
    group = created.group
    # b joins and sends its key to a; that envelope is held back.
    held = []
    for _, got in deliver(a, created.sent.envelopes, [b]):
        held.extend(got.replies)
    assert len(held) == 1
    gs = b.send_group(group, "Bay 2 needs a porter", OutgoingOptions())
    got = a.receive_group(b.address(), gs.message)
    assert got.event.is_group() and got.event.event.is_message_waiting()
    assert got.event.event.evicted == []
    assert a.waiting_group_messages() == 1
    # The key arrives: the waiting message comes out in the same receive.
    [(_, got)] = deliver(b, held, [a])
    assert got.event.is_group() and got.event.event.is_key_installed()
    [released] = got.released
    assert released.is_group() and released.event.is_message()
    assert a.message(released.event.message).text() == "Bay 2 needs a porter"
    assert a.waiting_group_messages() == 0
