//! The row layout (`layout`) and the batched receive, from inside the
//! crate: which rows each call writes, how loading checks them, and a
//! batch with a message that fails after its session advanced.

use super::layout::{self, ARCHIVE_PREFIX, HANDLED_PREFIX, MESSAGE_PREFIX};
use super::record;
use super::*;
use crate::identity::verified::proof;
use crate::state::StateType;
use crate::store::{Change, MemoryStore};
use rand_chacha::ChaCha20Rng;
use rand_core::SeedableRng;

const NOW: u64 = 1_700_000_000;

/// A memory store that keeps every change set it commits.
#[derive(Default)]
struct Recording {
    inner: MemoryStore,
    log: Vec<ChangeSet>,
}

impl Store for Recording {
    fn get(&self, key: &[u8]) -> core::result::Result<Option<Vec<u8>>, StoreError> {
        self.inner.get(key)
    }

    fn scan(&self, prefix: &[u8]) -> core::result::Result<Vec<crate::store::Row>, StoreError> {
        self.inner.scan(prefix)
    }

    fn commit(&mut self, changes: &ChangeSet) -> core::result::Result<(), StoreError> {
        self.log.push(changes.clone());
        self.inner.commit(changes)
    }
}

impl Recording {
    /// The prefixes (up to and including `/`, or the whole key) the last
    /// commit wrote, with `+` for a put and `-` for a delete, and the bytes
    /// it wrote.
    fn last(&self) -> (Vec<String>, usize) {
        let Some(cs) = self.log.last() else {
            return (Vec::new(), 0);
        };
        let mut names = Vec::new();
        let mut bytes = 0;
        for c in cs.changes() {
            let (sign, key) = match c {
                Change::Put { key, value } => {
                    bytes += value.len();
                    ('+', key)
                }
                Change::Delete { key } => ('-', key),
            };
            let end = key
                .iter()
                .position(|&b| b == b'/')
                .map_or(key.len(), |i| i + 1);
            let name = String::from_utf8_lossy(key.get(..end).unwrap_or_default());
            names.push(format!("{sign}{name}"));
        }
        (names, bytes)
    }
}

fn addrs() -> (DeviceAddress, DeviceAddress) {
    (
        DeviceAddress::new(&crate::PeerId::new("a").unwrap(), 1).unwrap(),
        DeviceAddress::new(&crate::PeerId::new("b").unwrap(), 1).unwrap(),
    )
}

fn pair<S: Store>(rng: &mut ChaCha20Rng, sa: S, sb: S) -> (Device<S>, Device<S>) {
    let p = TrustPolicy::RequireVerified;
    let (aa, ba) = addrs();
    let (ka, kb) = (
        StorageKey::from_bytes([1; 32]),
        StorageKey::from_bytes([2; 32]),
    );
    let mut a = Device::create(rng, sa, ka, aa.clone(), p, NOW).unwrap();
    let mut b = Device::create(rng, sb, kb, ba.clone(), p, NOW).unwrap();
    a.add_peer_device(rng, &ba, &b.prekey_bundle()).unwrap();
    b.add_peer_device(rng, &aa, &a.prekey_bundle()).unwrap();
    a.mark_verified(rng, &ba, VerificationMethod::QrCode, NOW)
        .unwrap();
    b.mark_verified(rng, &aa, VerificationMethod::QrCode, NOW)
        .unwrap();
    a.set_delivery_receipts(rng, false).unwrap();
    b.set_delivery_receipts(rng, false).unwrap();
    (a, b)
}

fn text<S: Store>(rng: &mut ChaCha20Rng, a: &mut Device<S>, b: &Device<S>, body: &str) -> Vec<u8> {
    let to = b.address().clinician().clone();
    let sent = a.send(rng, &to, Outgoing::text(body), NOW).unwrap();
    sent.envelopes.into_iter().next().unwrap().envelope
}

/// Encrypts raw content bytes on `a`'s current session to `to`.
fn raw<S: Store>(
    rng: &mut ChaCha20Rng,
    a: &mut Device<S>,
    to: &DeviceAddress,
    body: &[u8],
) -> Vec<u8> {
    let s = a.state.peers.get_mut(to).unwrap().current.as_mut().unwrap();
    let p = proof(s);
    s.encrypt(rng, p, OutgoingMessage::new(body, NOW))
        .unwrap()
        .envelope
}

fn message_of(r: &Received) -> MessageRef {
    match &r.event {
        Event::Message { message, .. } => *message,
        other => panic!("not a message: {other:?}"),
    }
}

#[test]
fn each_call_writes_only_the_rows_it_changed() {
    let mut rng = ChaCha20Rng::seed_from_u64(1);
    let (mut a, mut b) = pair(&mut rng, Recording::default(), Recording::default());
    let aa = a.address().clone();
    // The first send starts the session and strips the one-time prekey
    // from the kept bundle; later sends write the peer record only.
    // The record holds the ids of the last few texts sent without a
    // receipt; only beyond MAX_INLINE_SENT do they get rows.
    let first = text(&mut rng, &mut a, &b, "hi");
    assert_eq!(a.store().last().0, ["+bndl/", "+peer/"]);
    text(&mut rng, &mut a, &b, "again");
    assert_eq!(a.store().last().0, ["+peer/"]);
    // The first message consumes a prekey: peer, prekeys, message.
    let got = b.receive(&mut rng, &aa, &first, NOW).unwrap();
    let (mut names, _) = b.store().last();
    names.sort();
    assert_eq!(names, ["+msg/", "+peer/", "+prekeys", "+rkey/"]);
    b.erase(&mut rng, &message_of(&got)).unwrap();
    assert_eq!(b.store().last().0, ["-msg/", "+done/"]);

    // With many messages held and handled, a message still writes its
    // own rows and nothing of the history.
    let body = "x".repeat(1024);
    let mut sizes = Vec::new();
    let mut sends_with_rows = 0;
    for i in 0..300 {
        let env = text(&mut rng, &mut a, &b, &body);
        let (names, _) = a.store().last();
        // All the ids the record held move to one row at once; a row
        // whose last id is dropped (the list is full) is deleted.
        assert!(names.iter().filter(|n| *n == "+sent/").count() <= 1);
        assert!(names.iter().filter(|n| *n == "-sent/").count() <= 1);
        if names.iter().any(|n| n == "+sent/") {
            sends_with_rows += 1;
        }
        let got = b.receive(&mut rng, &aa, &env, NOW).unwrap();
        let (mut names, bytes) = b.store().last();
        names.sort();
        assert_eq!(names, ["+msg/", "+peer/"]);
        sizes.push(bytes);
        if i % 2 == 0 {
            b.erase(&mut rng, &message_of(&got)).unwrap();
            assert_eq!(b.store().last().0, ["-msg/", "+done/"]);
        }
    }
    assert_eq!(b.state.vault.len(), 150);
    // One send in MAX_INLINE_SENT + 1 seals the sent rows.
    assert_eq!(sends_with_rows, 302 / (record::MAX_INLINE_SENT + 1));
    // The sender's list of unconfirmed ids is full (no receipts): a send
    // drops the oldest id, counted in the record, and the oldest row goes
    // once all its ids are dropped.
    let with_rows = a.store().inner.scan(layout::SENT_PREFIX).unwrap().len();
    let per_row = record::MAX_INLINE_SENT + 1;
    assert!(with_rows * per_row + record::MAX_INLINE_SENT >= crate::limits::MAX_UNCONFIRMED_SENT);
    assert!(with_rows <= crate::limits::MAX_UNCONFIRMED_SENT / per_row + 1);
    assert_eq!(
        a.unconfirmed(b.address()).len(),
        crate::limits::MAX_UNCONFIRMED_SENT
    );
    let unconfirmed = a.unconfirmed(&b.address().clone());
    let ka = StorageKey::from_bytes([1; 32]);
    let reopened = Device::open(a.store().inner.snapshot(), ka).unwrap();
    assert_eq!(reopened.unconfirmed(b.address()), unconfirmed);
    // A 1 KiB text, the peer record (session and kept bundle): the same
    // with 1 or 150 messages held and 150 handled.
    assert!(sizes[0] < 6 * 1024, "{}", sizes[0]);
    assert!(sizes.iter().all(|&s| s == sizes[0]), "{sizes:?}");
    assert!(b.store().inner.scan(ARCHIVE_PREFIX).unwrap().is_empty());

    // Archiving a session (a new identity for the peer) writes the archive
    // row once; the next message does not.
    let mut rng2 = ChaCha20Rng::seed_from_u64(2);
    let fresh = Device::create(
        &mut rng2,
        MemoryStore::new(),
        StorageKey::from_bytes([3; 32]),
        aa.clone(),
        TrustPolicy::RequireVerified,
        NOW,
    )
    .unwrap();
    b.add_peer_device(&mut rng, &aa, &fresh.prekey_bundle())
        .unwrap();
    let (mut names, _) = b.store().last();
    names.sort();
    assert_eq!(names, ["+arch/", "+bndl/", "+peer/"]);
    assert_eq!(b.store().inner.scan(ARCHIVE_PREFIX).unwrap().len(), 1);
    // The old session still decrypts (from the archive) and is promoted:
    // the archive changes (now empty), so its row goes.
    let late = text(&mut rng, &mut a, &b, "late");
    b.receive(&mut rng, &aa, &late, NOW).unwrap();
    let (mut names, _) = b.store().last();
    names.sort();
    assert_eq!(names, ["+msg/", "+peer/", "-arch/"]);
    let again = text(&mut rng, &mut a, &b, "again");
    b.receive(&mut rng, &aa, &again, NOW).unwrap();
    let (mut names, _) = b.store().last();
    names.sort();
    assert_eq!(names, ["+msg/", "+peer/"]);

    // Everything reopens as it was.
    let held = b.awaiting_filing(NOW);
    let key = StorageKey::from_bytes([2; 32]);
    let b2 = Device::open(b.into_store(), key).unwrap();
    assert_eq!(b2.awaiting_filing(NOW), held);
    assert_eq!(b2.state.vault.handled_total(), 151);
    let rec = b2.state.peers.get(&aa).unwrap();
    assert!(rec.current.is_some());
    assert_eq!(rec.archive.len(), 0);
}

/// Sends `b` a read receipt for `ids` and has `a` receive it; returns the
/// prefixes `a` wrote.
fn confirm_on<S: Store>(
    rng: &mut ChaCha20Rng,
    a: &mut Device<Recording>,
    b: &mut Device<S>,
    ids: &[MessageId],
) -> Vec<String> {
    let to = a.address().clone();
    let sent = b
        .send_to_device(rng, &to, Outgoing::read(ids.to_vec()), NOW)
        .unwrap();
    let from = b.address().clone();
    a.receive(rng, &from, &sent.envelopes[0].envelope, NOW)
        .unwrap();
    let mut names = a.store().last().0;
    // The first receipt also arrives on a new ratchet key of `b`'s.
    names.retain(|n| n != "+rkey/");
    names.sort();
    names
}

#[test]
fn sent_rows_hold_a_flush_each_and_confirmations_rewrite_only_what_they_must() {
    let mut rng = ChaCha20Rng::seed_from_u64(9);
    let (mut a, mut b) = pair(&mut rng, Recording::default(), Recording::default());
    let (aa, ba) = addrs();
    let ka = || StorageKey::from_bytes([1; 32]);
    let per_row = record::MAX_INLINE_SENT + 1;
    // Two flushes: two rows of nine ids each; the record holds none.
    for i in 0..2 * per_row {
        let env = text(&mut rng, &mut a, &b, "obs");
        b.receive(&mut rng, &aa, &env, NOW).unwrap();
        let writes = a.store().last().0;
        let rows = writes.iter().filter(|n| *n == "+sent/").count();
        assert_eq!(rows, usize::from((i + 1) % per_row == 0), "send {i}");
    }
    assert_eq!(a.store().inner.scan(layout::SENT_PREFIX).unwrap().len(), 2);
    let ids: Vec<MessageId> = a.unconfirmed(&ba).iter().map(|(id, _)| *id).collect();
    assert_eq!(ids.len(), 2 * per_row);
    let reopened = |a: &Device<Recording>| {
        Device::open(a.store().inner.snapshot(), ka())
            .unwrap()
            .unconfirmed(&ba)
    };

    // In order: the oldest row's first ids are counted in the record; no
    // row is sealed again.
    let names = confirm_on(&mut rng, &mut a, &mut b, &ids[..3]);
    assert_eq!(names, ["+peer/"]);
    assert_eq!(a.state.peers[&ba].sent_skip, 3);
    assert_eq!(reopened(&a), a.unconfirmed(&ba));
    assert_eq!(a.unconfirmed(&ba).len(), 2 * per_row - 3);

    // A gap in the newer row: that row is sealed again without the id.
    let names = confirm_on(&mut rng, &mut a, &mut b, &ids[per_row + 4..per_row + 5]);
    assert_eq!(names, ["+peer/", "+sent/"]);
    assert_eq!(reopened(&a), a.unconfirmed(&ba));

    // A gap in the oldest row: sealed again, the count starts over.
    let names = confirm_on(&mut rng, &mut a, &mut b, &ids[5..6]);
    assert_eq!(names, ["+peer/", "+sent/"]);
    assert_eq!(a.state.peers[&ba].sent_skip, 0);
    assert_eq!(reopened(&a), a.unconfirmed(&ba));

    // The rest of the oldest row: deleted; the newer row, untouched, is
    // now the oldest and nothing of it is confirmed.
    let mut rest = ids[3..5].to_vec();
    rest.extend_from_slice(&ids[6..per_row]);
    let names = confirm_on(&mut rng, &mut a, &mut b, &rest);
    assert_eq!(names, ["+peer/", "-sent/"]);
    assert_eq!(a.state.peers[&ba].sent_skip, 0);
    assert_eq!(reopened(&a), a.unconfirmed(&ba));
    assert_eq!(a.unconfirmed(&ba).len(), per_row - 1);

    // Everything: the last row goes.
    let names = confirm_on(&mut rng, &mut a, &mut b, &ids);
    assert_eq!(names, ["+peer/", "-sent/"]);
    assert!(a.unconfirmed(&ba).is_empty());
    assert!(reopened(&a).is_empty());

    // A count of confirmed ids larger than the oldest row holds, or one
    // without a row, is refused as corrupt.
    for _ in 0..per_row {
        let env = text(&mut rng, &mut a, &b, "obs");
        b.receive(&mut rng, &aa, &env, NOW).unwrap();
    }
    let mut store = a.store().inner.snapshot();
    let rec = &a.state.peers[&ba];
    for (skip, drop_rows) in [(per_row as u16, false), (1, true)] {
        let mut forged = PeerRecord::decode(&rec.encode()).unwrap();
        forged.sent_skip = skip;
        let mut cs = ChangeSet::new();
        cs.put(rec.row.clone(), ka().seal_for(&mut rng, &rec.row, &forged));
        if drop_rows {
            for (k, _) in store.scan(layout::SENT_PREFIX).unwrap() {
                cs.delete(k);
            }
        }
        let mut s = store.snapshot();
        s.commit(&cs).unwrap();
        assert!(matches!(
            Device::open(s, ka()),
            Err(crate::Error::Store(StoreError::Corrupt))
        ));
    }
    // The untouched store still opens.
    store.commit(&ChangeSet::new()).unwrap();
    assert_eq!(
        Device::open(store, ka()).unwrap().unconfirmed(&ba).len(),
        per_row
    );
}

#[test]
fn the_received_ratchet_keys_are_bounded_written_on_a_new_key_and_reload() {
    use crate::limits::MAX_RECEIVED_RATCHET_KEYS;
    let mut rng = ChaCha20Rng::seed_from_u64(7);
    let (mut a, mut b) = pair(&mut rng, Recording::default(), Recording::default());
    let (aa, ba) = addrs();
    let held = |b: &Device<Recording>| b.state.peers.get(&aa).unwrap().received.len();
    for turn in 0..MAX_RECEIVED_RATCHET_KEYS + 10 {
        // Two messages on a new chain of `a`: the first writes the row,
        // the second does not.
        for (i, want) in [(0, true), (1, false)] {
            let env = text(&mut rng, &mut a, &b, "x");
            b.receive(&mut rng, &aa, &env, NOW).unwrap();
            let (names, _) = b.store().last();
            assert_eq!(names.contains(&"+rkey/".to_string()), want, "{turn} {i}");
        }
        assert_eq!(held(&b), (turn + 1).min(MAX_RECEIVED_RATCHET_KEYS));
        let env = text(&mut rng, &mut b, &a, "y");
        a.receive(&mut rng, &ba, &env, NOW).unwrap();
    }
    let rows = b.store().inner.scan(layout::RECEIVED_PREFIX).unwrap();
    assert_eq!(rows.len(), 1);
    // 3 bytes of header and 8 a key, sealed.
    assert!(rows[0].1.len() < 3 + 8 * MAX_RECEIVED_RATCHET_KEYS + 64);
    let kept = b.state.peers.get(&aa).unwrap().received.encode();
    let kb = StorageKey::from_bytes([2; 32]);
    let b2 = Device::open(b.into_store(), kb).unwrap();
    assert_eq!(b2.state.peers.get(&aa).unwrap().received.encode(), kept);
}

/// Commits `cs` to `store` and checks the vault loads back as `vault`.
fn commit_and_check(store: &mut MemoryStore, key: &StorageKey, cs: &ChangeSet, v: &MessageVault) {
    store.commit(cs).unwrap();
    let back = layout::load_vault(&*store, key, &mut layout::MessageIndex::new(key)).unwrap();
    assert_eq!(back.encode().as_slice(), v.encode().as_slice());
    assert_eq!(back.handled_total(), v.handled_total());
}

#[test]
fn handled_rows_slide_with_the_window_and_reload() {
    use crate::limits::MAX_VAULT_HANDLED_IDS;
    use crate::wire::payload::ReceivedMessage;
    let mut rng = ChaCha20Rng::seed_from_u64(3);
    let key = StorageKey::from_bytes([9; 32]);
    let mut index = layout::MessageIndex::new(&key);
    let sender = crate::IdentityKeyPair::from_seed_bytes([5; 32])
        .public()
        .clone();
    let msg = |i: u64| ReceivedMessage {
        sender: sender.clone(),
        info: MessageInfo {
            id: MessageId({
                let mut id = [0u8; 16];
                id[..8].copy_from_slice(&i.to_be_bytes());
                id
            }),
            sent_at: 1,
            expires_at: None,
            contains_patient_data: false,
        },
        body: Plaintext::from_slice(b"obs stable"),
    };
    let mut v = MessageVault::new();
    let mut store = MemoryStore::new();
    let mut saved = 0;
    let n = MAX_VAULT_HANDLED_IDS as u64 + 10;
    for i in 0..n {
        let m = msg(i);
        let r = m.message_ref();
        v.insert(m, 1).unwrap();
        let mut cs = ChangeSet::new();
        saved = layout::put_vault(&key, &mut index, &mut rng, &mut cs, &v, &[r], saved);
        store.commit(&cs).unwrap();
        if i % 5 != 0 {
            v.erase(&r);
            let mut cs = ChangeSet::new();
            saved = layout::put_vault(&key, &mut index, &mut rng, &mut cs, &v, &[], saved);
            assert!(cs.len() <= 3, "{}", cs.len());
            store.commit(&cs).unwrap();
        }
    }
    let back = layout::load_vault(&store, &key, &mut layout::MessageIndex::new(&key)).unwrap();
    assert_eq!(back.encode().as_slice(), v.encode().as_slice());
    assert_eq!(back.handled_total(), v.handled_total());
    let done = store.scan(HANDLED_PREFIX).unwrap();
    assert_eq!(
        done.len(),
        MAX_VAULT_HANDLED_IDS.min(v.handled_total() as usize)
    );
    // A purge of many at once, then more erasures, still reload.
    let held: Vec<MessageRef> = v.awaiting_filing(1).iter().map(|a| a.message).collect();
    for r in held.iter().take(500) {
        v.erase(r);
    }
    let mut cs = ChangeSet::new();
    saved = layout::put_vault(&key, &mut index, &mut rng, &mut cs, &v, &[], saved);
    commit_and_check(&mut store, &key, &cs, &v);
    assert_eq!(saved, v.handled_total());
    assert_eq!(
        store.scan(MESSAGE_PREFIX).unwrap().len(),
        v.len(),
        "every handled message's row is gone"
    );

    // A gap in the handled numbers, a moved message row and an extra
    // message are refused.
    let done = store.scan(HANDLED_PREFIX).unwrap();
    let mut gap = store.snapshot();
    let mut cs = ChangeSet::new();
    cs.delete(done[10].0.clone());
    gap.commit(&cs).unwrap();
    assert_eq!(
        layout::load_vault(&gap, &key, &mut layout::MessageIndex::new(&key)).unwrap_err(),
        Error::Store(StoreError::Corrupt)
    );
    let msgs = store.scan(MESSAGE_PREFIX).unwrap();
    let mut moved = store.snapshot();
    let mut cs = ChangeSet::new();
    cs.put(msgs[0].0.clone(), msgs[1].1.clone());
    moved.commit(&cs).unwrap();
    assert_eq!(
        layout::load_vault(&moved, &key, &mut layout::MessageIndex::new(&key)).unwrap_err(),
        Error::State(crate::error::StateError::Unseal)
    );
    let mut bad_name = store.snapshot();
    let mut cs = ChangeSet::new();
    cs.put(b"done/xyz".to_vec(), done[0].1.clone());
    bad_name.commit(&cs).unwrap();
    assert_eq!(
        layout::load_vault(&bad_name, &key, &mut layout::MessageIndex::new(&key)).unwrap_err(),
        Error::Store(StoreError::Corrupt)
    );
}

#[test]
fn vault_rows_are_numbered_and_numbering_carries_on_after_a_reopen() {
    let mut rng = ChaCha20Rng::seed_from_u64(5);
    let (mut a, mut b) = pair(&mut rng, MemoryStore::new(), MemoryStore::new());
    let aa = a.address().clone();
    let names = |b: &Device<MemoryStore>| -> Vec<Vec<u8>> {
        b.store()
            .scan(MESSAGE_PREFIX)
            .unwrap()
            .into_iter()
            .map(|(k, _)| k)
            .collect()
    };
    let row = layout::numbered_row;
    let mut got = Vec::new();
    for body in ["one", "two", "three"] {
        let env = text(&mut rng, &mut a, &b, body);
        got.push(message_of(&b.receive(&mut rng, &aa, &env, NOW).unwrap()));
    }
    assert_eq!(names(&b), [row(0), row(1), row(2)]);
    // The newest leaves; after a reopen the next message takes the next
    // number after the highest held, and each erase deletes its own row.
    b.erase(&mut rng, &got[2]).unwrap();
    b.erase(&mut rng, &got[0]).unwrap();
    assert_eq!(names(&b), [row(1)]);
    let mut b = Device::open(b.into_store(), StorageKey::from_bytes([2; 32])).unwrap();
    let env = text(&mut rng, &mut a, &b, "four");
    let four = message_of(&b.receive(&mut rng, &aa, &env, NOW).unwrap());
    assert_eq!(names(&b), [row(1), row(2)]);
    b.erase(&mut rng, &got[1]).unwrap();
    assert_eq!(names(&b), [row(2)]);
    let kb = || StorageKey::from_bytes([2; 32]);
    let b = Device::open(b.into_store(), kb()).unwrap();
    assert!(b.message(&four, NOW).is_some());

    // A message row under a name that is neither a number nor the keyed
    // hash of its sender and id is refused; under its keyed hash (the
    // earlier layout) it opens.
    let store = b.into_store();
    let (k, v) = store.scan(MESSAGE_PREFIX).unwrap().remove(0);
    let plain = kb()
        .unseal_encoded_for(StateType::DeviceVaultMessage, &k, &v)
        .unwrap();
    let reseal_as = |name: Vec<u8>| {
        let mut moved = store.snapshot();
        let mut cs = ChangeSet::new();
        cs.delete(k.clone());
        let sealed = kb().seal_encoded_for(
            &mut ChaCha20Rng::seed_from_u64(6),
            StateType::DeviceVaultMessage,
            &name,
            &plain,
        );
        cs.put(name, sealed);
        moved.commit(&cs).unwrap();
        moved
    };
    let keyed = layout::MessageIndex::new(&kb()).keyed_row(&four);
    let old = Device::open(reseal_as(keyed), kb()).unwrap();
    assert!(old.message(&four, NOW).is_some());
    for bad in [
        &b"msg/xyz"[..],
        b"msg/00000000000000000000000000000000",
        b"msg/0000000000000002",
        b"msg/100000000000000000000002",
    ] {
        assert_eq!(
            Device::open(reseal_as(bad.to_vec()), kb()).unwrap_err(),
            Error::Store(StoreError::Corrupt)
        );
    }
}

#[test]
fn loading_refuses_the_old_layout_and_stray_archives() {
    let mut rng = ChaCha20Rng::seed_from_u64(4);
    let (mut a, b) = pair(&mut rng, MemoryStore::new(), MemoryStore::new());
    text(&mut rng, &mut a, &b, "hi");
    let ka = StorageKey::from_bytes([1; 32]);
    let mut store = a.into_store();
    let mut old = store.snapshot();
    let mut cs = ChangeSet::new();
    cs.put(ROW_VAULT.to_vec(), vec![0; 64]);
    old.commit(&cs).unwrap();
    assert_eq!(
        Device::open(old, StorageKey::from_bytes([1; 32])).unwrap_err(),
        Error::Store(StoreError::OldLayout)
    );
    // An archive row whose peer record is missing.
    let mut cs = ChangeSet::new();
    cs.put(
        b"arch/00000000000000000000000000000000".to_vec(),
        vec![0; 64],
    );
    store.commit(&cs).unwrap();
    assert_eq!(
        Device::open(store, ka).unwrap_err(),
        Error::Store(StoreError::Corrupt)
    );
}

#[test]
fn a_batch_drops_a_message_that_failed_after_its_session_advanced() {
    let mut rng = ChaCha20Rng::seed_from_u64(5);
    let (mut a, mut b) = pair(&mut rng, MemoryStore::new(), MemoryStore::new());
    let (aa, ba) = addrs();
    // Sessions both ways, so a tampered envelope is on a known chain.
    let hi = text(&mut rng, &mut a, &b, "hi");
    b.receive(&mut rng, &aa, &hi, NOW).unwrap();
    let back = text(&mut rng, &mut b, &a, "hi");
    a.receive(&mut rng, &ba, &back, NOW).unwrap();
    let e1 = text(&mut rng, &mut a, &b, "one");
    let e2 = text(&mut rng, &mut a, &b, "two");
    // Malformed content of a known type: decrypts, then fails.
    let bad = raw(&mut rng, &mut a, &ba, &[1, 2, 0]);
    let e3 = text(&mut rng, &mut a, &b, "three");
    let mut tampered = e3.clone();
    let last = tampered.len() - 1;
    tampered[last] ^= 1;
    let queue: Vec<(DeviceAddress, Vec<u8>)> = [&e1, &e2, &bad, &e1, &tampered, &e3, &bad]
        .into_iter()
        .map(|e| (aa.clone(), e.clone()))
        .collect();

    let kb = StorageKey::from_bytes([2; 32]);
    let snapshot = b.store().snapshot();
    let mut one = b;
    let mut batch = Device::open(snapshot, StorageKey::from_bytes([2; 32])).unwrap();
    // The same draws for both (a duplicate's session check draws some).
    let (mut r1, mut r2) = (
        ChaCha20Rng::seed_from_u64(50),
        ChaCha20Rng::seed_from_u64(50),
    );
    let singles: Vec<String> = queue
        .iter()
        .map(|(f, e)| {
            let r = one.receive(&mut r1, f, e, NOW);
            summary(&one, r)
        })
        .collect();
    let got = batch.receive_batch(&mut r2, &queue, NOW).unwrap();
    let batched: Vec<String> = got.into_iter().map(|r| summary(&batch, r)).collect();
    assert_eq!(singles, batched);
    assert!(batched[2].starts_with("err Decode"), "{batched:?}");
    assert_eq!(batched[3], "Duplicate");
    assert!(batched[4].starts_with("err Crypto"), "{batched:?}");
    // The same committed state: reopen the batch device and compare.
    let reopened = Device::open(batch.into_store(), kb).unwrap();
    assert_eq!(reopened.awaiting_filing(NOW), one.awaiting_filing(NOW));
    assert_eq!(
        reopened.state.peers.get(&aa).unwrap().encode().as_slice(),
        one.state.peers.get(&aa).unwrap().encode().as_slice()
    );
}

/// An event and its reply count, with a message's text, as a string to
/// compare.
fn summary<S: Store>(d: &Device<S>, r: Result<Received>) -> String {
    match r {
        Err(e) => format!("err {e:?}"),
        Ok(r) => match &r.event {
            Event::Message { message, .. } => format!(
                "text {:?} replies {}",
                d.message(message, NOW).map(|m| m.1.expose().to_vec()),
                r.replies.len()
            ),
            Event::Duplicate { .. } => "Duplicate".to_string(),
            other => format!("{other:?} replies {}", r.replies.len()),
        },
    }
}

#[test]
fn row_decoders_refuse_every_cut_and_trailing_byte() {
    let mut rng = ChaCha20Rng::seed_from_u64(6);
    let (mut a, mut b) = pair(&mut rng, MemoryStore::new(), MemoryStore::new());
    let (aa, _) = addrs();
    let env = text(&mut rng, &mut a, &b, "obs stable");
    let got = b.receive(&mut rng, &aa, &env, NOW).unwrap();
    let mref = message_of(&got);
    let rec = a.state.peers.values().next().unwrap();
    let mut archive = std::collections::VecDeque::new();
    archive.push_back(
        crate::session::Session::decode(&rec.current.as_ref().unwrap().encode()).unwrap(),
    );
    let (id, at) = rec.unconfirmed[0];
    let rows: Vec<(u8, Vec<u8>)> = vec![
        (0, rec.encode().to_vec()),
        (1, a.state.settings.encode().to_vec()),
        (2, record::encode_archive(&archive).to_vec()),
        (
            3,
            record::encode_bundle(rec.bundle.as_ref().unwrap()).to_vec(),
        ),
        (4, record::encode_sent(&id, at).to_vec()),
        (
            0xfe,
            record::encode_sent_batch([(id, at), (id, at + 1)].iter()).to_vec(),
        ),
        (5, b.state.vault.encode_message(&mref).unwrap().to_vec()),
        (6, mref.to_bytes().to_vec()),
        (7, b.state.peers.values().next().unwrap().received.encode()),
    ];
    for (ty, bytes) in rows {
        assert!(crate::fuzz_decode_device_row(ty, &bytes), "type {ty}");
        // A bundle is parsed when used: any shorter non-empty one decodes.
        if ty != 3 {
            for cut in 0..bytes.len() {
                assert!(
                    !crate::fuzz_decode_device_row(ty, &bytes[..cut]),
                    "type {ty} cut {cut}"
                );
            }
        }
        let mut long = bytes.clone();
        long.push(0);
        assert_eq!(
            crate::fuzz_decode_device_row(ty, &long),
            ty == 3,
            "type {ty}"
        );
    }
}

#[test]
fn a_waiting_group_message_has_its_own_row_written_and_deleted_with_the_receive() {
    let mut rng = ChaCha20Rng::seed_from_u64(8);
    let (mut a, mut b) = pair(&mut rng, Recording::default(), Recording::default());
    let (aa, ba) = addrs();
    let (group, sent) = a
        .create_group(&mut rng, core::slice::from_ref(&ba), NOW)
        .unwrap();
    let mut key_for_a = Vec::new();
    for e in sent.envelopes {
        let got = b.receive(&mut rng, &aa, &e.envelope, NOW).unwrap();
        key_for_a.extend(got.replies);
    }
    assert_eq!(key_for_a.len(), 1);
    let msg = b
        .send_group(&mut rng, &group, Outgoing::text("before the key"), NOW)
        .unwrap()
        .message;
    let got = a.receive_group(&mut rng, &ba, &msg, NOW).unwrap();
    assert!(matches!(
        got.event,
        Event::Group(GroupEvent::MessageWaiting { .. })
    ));
    assert_eq!(a.store().last().0, ["+gmsg/"]);
    // A row moved to another name does not open.
    let ka = StorageKey::from_bytes([1; 32]);
    let mut moved = a.store().inner.snapshot();
    let (row, value) = moved.scan(group_waiting::WAITING_PREFIX).unwrap().remove(0);
    let mut cs = ChangeSet::new();
    cs.delete(row);
    cs.put(b"gmsg/00000000000000000000000000000000".to_vec(), value);
    moved.commit(&cs).unwrap();
    assert!(Device::open(moved, StorageKey::from_bytes([1; 32])).is_err());
    // The key's receive installs it, shows the message and deletes the
    // waiting row in one commit.
    let got = a
        .receive(&mut rng, &ba, &key_for_a[0].envelope, NOW)
        .unwrap();
    assert_eq!(got.released.len(), 1);
    let (mut names, _) = a.store().last();
    names.sort();
    assert_eq!(names, ["+group/", "+msg/", "+peer/", "+rkey/", "-gmsg/"]);
    let a2 = Device::open(a.into_store(), ka).unwrap();
    assert_eq!(a2.waiting_group_messages(), 0);
    assert_eq!(a2.awaiting_filing(NOW).len(), 1);
}
