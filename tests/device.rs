//! The device layer through its public API: conversations, devices,
//! restarts, key changes, recovery, hostile input and failing stores.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

mod device_common;

use bleep::store::{MemoryStore, SqliteStore, Store};
use bleep::*;
use device_common::*;
use rand_chacha::ChaCha20Rng;

fn text_of<S: Store>(d: &Device<S>, r: &Received, now: u64) -> String {
    match &r.event {
        Event::Message { message, .. } => {
            String::from_utf8(d.message(message, now).unwrap().1.expose().to_vec()).unwrap()
        }
        other => panic!("expected a message, got {other:?}"),
    }
}

/// [`reinstalled`], whose first message (to Okafor, `peer`) arrives as a
/// key change.
fn reinstalled_and_announced(
    rng: &mut ChaCha20Rng,
    peer: &mut Device<MemoryStore>,
    address: &DeviceAddress,
    seed: u8,
) -> Device<MemoryStore> {
    let mut d = reinstalled(rng, peer, address, seed);
    let okafor = PeerId::new("okafor").unwrap();
    let y = d
        .send(rng, &okafor, Outgoing::text("new phone"), T0)
        .unwrap();
    let r = peer
        .receive(rng, address, &y.envelopes[0].envelope, T0 + 1)
        .unwrap();
    assert!(matches!(r.event, Event::KeyChanged { .. }));
    d
}

#[test]
fn conversation_with_receipts_filing_and_restart() {
    let mut rng = rng(1);
    let (mut a, mut b) = okafor_and_patel(&mut rng);
    let (a_addr, b_addr) = (a.address().clone(), b.address().clone());
    let patel = PeerId::new("patel").unwrap();
    let okafor = PeerId::new("okafor").unwrap();

    let sent = a
        .send(&mut rng, &patel, Outgoing::text("Bed 7: K+ 6.1"), T0)
        .unwrap();
    assert_eq!(sent.envelopes.len(), 1);
    assert_eq!(a.unconfirmed(&b_addr).len(), 1);
    let got = b
        .receive(&mut rng, &a_addr, &sent.envelopes[0].envelope, T0 + 1)
        .unwrap();
    assert_eq!(text_of(&b, &got, T0 + 1), "Bed 7: K+ 6.1");
    // Delivered again: shown once.
    let again = b
        .receive(&mut rng, &a_addr, &sent.envelopes[0].envelope, T0 + 1)
        .unwrap();
    assert!(matches!(again.event, Event::Duplicate { .. }));
    // The receipt clears the sender's list.
    let r = a
        .receive(&mut rng, &b_addr, &got.replies[0].envelope, T0 + 2)
        .unwrap();
    assert!(matches!(&r.event, Event::Delivered { ids, .. } if ids == &[sent.envelopes[0].id]));
    assert!(a.unconfirmed(&b_addr).is_empty());

    // Restart both from their stores mid-conversation.
    let a_store = a.into_store();
    let mut a = Device::open(a_store, key_of("okafor", 1)).unwrap();
    let b_store = b.into_store();
    let mut b = Device::open(b_store, key_of("patel", 1)).unwrap();
    let reply = b
        .send(&mut rng, &okafor, Outgoing::text("On my way"), T0 + 3)
        .unwrap();
    let got = a
        .receive(&mut rng, &b_addr, &reply.envelopes[0].envelope, T0 + 4)
        .unwrap();
    assert_eq!(text_of(&a, &got, T0 + 4), "On my way");

    // File the first message to the record; tell the sender.
    let waiting = b.awaiting_filing(T0 + 5);
    assert_eq!(waiting.len(), 1);
    let mut record = Vec::new();
    let filed = b
        .file_to_record(&mut rng, &waiting[0].message, |_, body| {
            record.extend_from_slice(body.expose());
            Ok::<_, ()>(())
        })
        .unwrap();
    assert!(filed.is_ok());
    assert_eq!(record, b"Bed 7: K+ 6.1");
    assert!(b.awaiting_filing(T0 + 5).is_empty());
    let notice = b
        .send_to_device(
            &mut rng,
            &a_addr,
            Outgoing::filed(vec![waiting[0].message.id()]),
            T0 + 6,
        )
        .unwrap();
    let r = a
        .receive(&mut rng, &b_addr, &notice.envelopes[0].envelope, T0 + 7)
        .unwrap();
    assert!(matches!(r.event, Event::Filed { .. }));
}

#[test]
fn a_clinician_with_two_devices_gets_both() {
    let mut rng = rng(2);
    let mut ds = vec![
        device(&mut rng, MemoryStore::new(), "okafor", 1),
        device(&mut rng, MemoryStore::new(), "patel", 1),
        device(&mut rng, MemoryStore::new(), "patel", 2),
    ];
    introduce(&mut rng, &mut ds);
    let patel = PeerId::new("patel").unwrap();
    let sent = ds[0]
        .send(&mut rng, &patel, Outgoing::text("Theatre 2 at 14:00"), T0)
        .unwrap();
    assert_eq!(sent.envelopes.len(), 2);
    let from = ds[0].address().clone();
    for env in &sent.envelopes {
        let i = if env.to.device() == 1 { 1 } else { 2 };
        let got = ds[i]
            .receive(&mut rng, &from, &env.envelope, T0 + 1)
            .unwrap();
        assert_eq!(text_of(&ds[i], &got, T0 + 1), "Theatre 2 at 14:00");
    }
    // Patel's desktop replies.
    let okafor = PeerId::new("okafor").unwrap();
    let reply = ds[2]
        .send(&mut rng, &okafor, Outgoing::text("Noted"), T0 + 2)
        .unwrap();
    let p2 = ds[2].address().clone();
    assert!(matches!(
        ds[0].receive(&mut rng, &p2, &[], T0),
        Err(Error::Decode(_))
    ));
    let got = ds[0]
        .receive(&mut rng, &p2, &reply.envelopes[0].envelope, T0 + 3)
        .unwrap();
    assert_eq!(text_of(&ds[0], &got, T0 + 3), "Noted");
}

#[test]
fn simultaneous_initiation_converges_and_loses_nothing() {
    for seed in 0..6 {
        let mut rng = rng(100 + seed);
        let mut ds = vec![
            device(&mut rng, MemoryStore::new(), "okafor", 1),
            device(&mut rng, MemoryStore::new(), "patel", 1),
        ];
        introduce(&mut rng, &mut ds);
        let mut b = ds.pop().unwrap();
        let mut a = ds.pop().unwrap();
        let (a_addr, b_addr) = (a.address().clone(), b.address().clone());
        let (okafor, patel) = (
            PeerId::new("okafor").unwrap(),
            PeerId::new("patel").unwrap(),
        );
        // Both start a session before either hears from the other.
        let x = a.send(&mut rng, &patel, Outgoing::text("a1"), T0).unwrap();
        let y = b.send(&mut rng, &okafor, Outgoing::text("b1"), T0).unwrap();
        let gb = b
            .receive(&mut rng, &a_addr, &x.envelopes[0].envelope, T0)
            .unwrap();
        assert_eq!(text_of(&b, &gb, T0), "a1");
        let ga = a
            .receive(&mut rng, &b_addr, &y.envelopes[0].envelope, T0)
            .unwrap();
        assert_eq!(text_of(&a, &ga, T0), "b1");
        for r in gb.replies {
            a.receive(&mut rng, &b_addr, &r.envelope, T0).unwrap();
        }
        for r in ga.replies {
            b.receive(&mut rng, &a_addr, &r.envelope, T0).unwrap();
        }
        // Then many rounds, crossing in flight: every message arrives.
        for round in 0..5 {
            let m = format!("a{round}x");
            let n = format!("b{round}x");
            let x = a.send(&mut rng, &patel, Outgoing::text(&m), T0).unwrap();
            let y = b.send(&mut rng, &okafor, Outgoing::text(&n), T0).unwrap();
            let gb = b
                .receive(&mut rng, &a_addr, &x.envelopes[0].envelope, T0)
                .unwrap();
            assert_eq!(text_of(&b, &gb, T0), m, "seed {seed} round {round}");
            let ga = a
                .receive(&mut rng, &b_addr, &y.envelopes[0].envelope, T0)
                .unwrap();
            assert_eq!(text_of(&a, &ga, T0), n, "seed {seed} round {round}");
            for r in gb.replies {
                a.receive(&mut rng, &b_addr, &r.envelope, T0).unwrap();
            }
            for r in ga.replies {
                b.receive(&mut rng, &a_addr, &r.envelope, T0).unwrap();
            }
        }
        assert!(a.unconfirmed(&b_addr).is_empty());
        assert!(b.unconfirmed(&a_addr).is_empty());
        // Converged: after one message each way without crossing, a message
        // from each decrypts with the other's current session (a prekey
        // message would mean a new handshake).
        let x = a
            .send(&mut rng, &patel, Outgoing::text("settled"), T0)
            .unwrap();
        assert!(
            !Envelope::parse(&x.envelopes[0].envelope)
                .unwrap()
                .is_prekey_message()
        );
    }
}

#[test]
fn after_a_key_change_verification_is_of_the_new_key_shown() {
    let mut rng = rng(31);
    let mut ds = vec![
        device(&mut rng, MemoryStore::new(), "okafor", 1),
        device(&mut rng, MemoryStore::new(), "patel", 1),
    ];
    introduce(&mut rng, &mut ds);
    let b = ds.pop().unwrap();
    let mut a = ds.pop().unwrap();
    let b_addr = b.address().clone();
    let old_number = a.safety_number(&b_addr).unwrap();
    // Patel reinstalls: a new identity at the same address, and no new
    // bundle reaches Okafor's device.
    let mut b2 = reinstalled_and_announced(&mut rng, &mut a, &b_addr, 78);
    let okafor = PeerId::new("okafor").unwrap();
    // What the app shows is the new key's safety number, the one Patel's
    // new phone shows.
    let shown = a.safety_number(&b_addr).unwrap();
    assert_eq!(a.key_to_verify(&b_addr).as_ref(), Some(b2.identity_key()));
    assert_eq!(shown.peer_key(), b2.identity_key());
    assert_eq!(shown, b2.safety_number(a.address()).unwrap());
    // A number shown before the change verifies nothing.
    assert_eq!(
        a.mark_verified_shown(
            &mut rng,
            &b_addr,
            &old_number,
            VerificationMethod::SafetyNumber,
            T0 + 2
        ),
        Err(Error::Trust(TrustError::SafetyNumberMismatch))
    );
    assert!(a.key_change(&b_addr).is_some());
    a.mark_verified_shown(
        &mut rng,
        &b_addr,
        &shown,
        VerificationMethod::SafetyNumber,
        T0 + 2,
    )
    .unwrap();
    assert!(a.key_change(&b_addr).is_none());
    // The new phone's next message is read, and the reply reaches it.
    let y = b2
        .send(&mut rng, &okafor, Outgoing::text("new phone again"), T0 + 3)
        .unwrap();
    let r = a
        .receive(&mut rng, &b_addr, &y.envelopes[0].envelope, T0 + 3)
        .unwrap();
    assert_eq!(text_of(&a, &r, T0 + 3), "new phone again");
    let patel = PeerId::new("patel").unwrap();
    let z = a
        .send(&mut rng, &patel, Outgoing::text("welcome back"), T0 + 4)
        .unwrap();
    let got = b2
        .receive(&mut rng, a.address(), &z.envelopes[0].envelope, T0 + 5)
        .unwrap();
    assert_eq!(text_of(&b2, &got, T0 + 5), "welcome back");
}

#[test]
fn key_change_is_an_event_and_stops_sending() {
    let mut rng = rng(3);
    let mut ds = vec![
        device(&mut rng, MemoryStore::new(), "okafor", 1),
        device(&mut rng, MemoryStore::new(), "patel", 1),
    ];
    introduce(&mut rng, &mut ds);
    let b = ds.pop().unwrap();
    let mut a = ds.pop().unwrap();
    let b_addr = b.address().clone();
    let patel = PeerId::new("patel").unwrap();
    let x = a
        .send(&mut rng, &patel, Outgoing::text("before"), T0)
        .unwrap();
    assert_eq!(x.envelopes.len(), 1);
    // Patel reinstalls: a new identity at the same address.
    // Their first message reaches Okafor: a key change, nothing decrypted.
    let mut b2 = reinstalled_and_announced(&mut rng, &mut a, &b_addr, 77);
    let okafor = PeerId::new("okafor").unwrap();
    let change = a.key_change(&b_addr).unwrap();
    assert_eq!(change.new_key(), b2.identity_key());
    // The new bundle arrives from the server: sending stops until verified.
    a.add_peer_device(&mut rng, &b_addr, &b2.prekey_bundle())
        .unwrap();
    let err = a
        .send(&mut rng, &patel, Outgoing::text("x"), T0 + 2)
        .unwrap_err();
    assert_eq!(err, Error::Device(DeviceError::NoVerifiedDevice));
    a.mark_verified(&mut rng, &b_addr, VerificationMethod::SafetyNumber, T0 + 3)
        .unwrap();
    let z = a
        .send(&mut rng, &patel, Outgoing::text("verified again"), T0 + 4)
        .unwrap();
    let got = b2
        .receive(&mut rng, a.address(), &z.envelopes[0].envelope, T0 + 5)
        .unwrap();
    assert_eq!(text_of(&b2, &got, T0 + 5), "verified again");
    // Forgetting the peer's verification stops receiving too.
    let a_addr = a.address().clone();
    let y = b2
        .send(&mut rng, &okafor, Outgoing::text("y"), T0 + 6)
        .unwrap();
    a.update_trust(&mut rng, |t| {
        t.forget(&b_addr.peer_id());
        Ok(())
    })
    .unwrap();
    let r = a
        .receive(&mut rng, &b_addr, &y.envelopes[0].envelope, T0 + 7)
        .unwrap();
    assert!(matches!(
        r.event,
        Event::Untrusted {
            reason: TrustError::Unverified,
            ..
        }
    ));
    let _ = a_addr;
}

#[test]
fn a_peer_that_lost_its_state_is_repaired_and_told_what_was_unread() {
    let mut rng = rng(4);
    let (mut a, mut b) = okafor_and_patel(&mut rng);
    let (a_addr, b_addr) = (a.address().clone(), b.address().clone());
    let (okafor, patel) = (
        PeerId::new("okafor").unwrap(),
        PeerId::new("patel").unwrap(),
    );
    // Patel's phone is backed up before the conversation starts.
    let backup = b.store().snapshot();
    let x = a.send(&mut rng, &patel, Outgoing::text("one"), T0).unwrap();
    let got = b
        .receive(&mut rng, &a_addr, &x.envelopes[0].envelope, T0)
        .unwrap();
    for r in &got.replies {
        a.receive(&mut rng, &b_addr, &r.envelope, T0).unwrap();
    }
    let y = b
        .send(&mut rng, &okafor, Outgoing::text("two"), T0)
        .unwrap();
    a.receive(&mut rng, &b_addr, &y.envelopes[0].envelope, T0)
        .unwrap();
    // Okafor sends more; the receipt never comes, because Patel's phone is
    // restored from the backup.
    let lost = a
        .send(&mut rng, &patel, Outgoing::text("three"), T0 + 10)
        .unwrap();
    let mut b = Device::open(backup, key_of("patel", 1)).unwrap();
    let r = b
        .receive(&mut rng, &a_addr, &lost.envelopes[0].envelope, T0 + 11)
        .unwrap();
    // The backup never saw this session: "three" cannot be read, and the
    // device starts a new session at once.
    let Event::Undecryptable { reset, .. } = r.event else {
        panic!("{:?}", r.event)
    };
    assert_eq!(reset, ResetStatus::Started);
    assert_eq!(r.replies.len(), 1);
    // Okafor learns which messages Patel may not have read.
    let r2 = a
        .receive(&mut rng, &b_addr, &r.replies[0].envelope, T0 + 12)
        .unwrap();
    let Event::SessionReset { may_be_unread, .. } = r2.event else {
        panic!("{:?}", r2.event)
    };
    assert_eq!(may_be_unread, vec![lost.envelopes[0].id]);
    // The conversation goes on both ways.
    let again = a
        .send(&mut rng, &patel, Outgoing::text("three (resent)"), T0 + 13)
        .unwrap();
    let got = b
        .receive(&mut rng, &a_addr, &again.envelopes[0].envelope, T0 + 14)
        .unwrap();
    assert_eq!(text_of(&b, &got, T0 + 14), "three (resent)");
    let z = b
        .send(&mut rng, &okafor, Outgoing::text("thanks"), T0 + 15)
        .unwrap();
    let got = a
        .receive(&mut rng, &b_addr, &z.envelopes[0].envelope, T0 + 16)
        .unwrap();
    assert_eq!(text_of(&a, &got, T0 + 16), "thanks");
    // A second undecryptable message within the interval does not reset again.
    let r = b
        .receive(&mut rng, &a_addr, &lost.envelopes[0].envelope, T0 + 17)
        .unwrap();
    assert!(matches!(
        r.event,
        Event::Undecryptable {
            reset: ResetStatus::RateLimited,
            ..
        } | Event::Duplicate { .. }
    ));
}

#[test]
fn hostile_input_is_an_error_and_changes_nothing() {
    let mut rng = rng(5);
    let (mut a, mut b) = okafor_and_patel(&mut rng);
    let a_addr = a.address().clone();
    let patel = PeerId::new("patel").unwrap();
    let x = a
        .send(&mut rng, &patel, Outgoing::text("genuine"), T0)
        .unwrap();
    let env = &x.envelopes[0].envelope;
    let before = rows(b.store());
    // Truncations are malformed: a typed error, no commit.
    for cut in 0..env.len() {
        if let Err(e) = b.receive(&mut rng, &a_addr, &env[..cut], T0) {
            assert!(matches!(e, Error::Decode(_)), "{e:?}");
        }
        assert_eq!(rows(b.store()), before, "cut {cut}");
    }
    let own = b.address().clone();
    assert_eq!(
        b.receive(&mut rng, &own, env, T0).unwrap_err(),
        Error::Device(DeviceError::OwnAddress)
    );
    // The genuine message still arrives.
    let got = b.receive(&mut rng, &a_addr, env, T0).unwrap();
    assert_eq!(text_of(&b, &got, T0), "genuine");
}

#[test]
fn a_store_failing_every_nth_write_loses_nothing() {
    for every in [2, 3, 5] {
        let mut rng = rng(6);
        let mut ds = vec![
            device(&mut rng, FlakyStore::new(0), "okafor", 1),
            device(&mut rng, FlakyStore::new(0), "patel", 1),
        ];
        introduce(&mut rng, &mut ds);
        let b = ds.pop().unwrap();
        let a = ds.pop().unwrap();
        let a_addr = a.address().clone();
        let b_addr = b.address().clone();
        let (okafor, patel) = (
            PeerId::new("okafor").unwrap(),
            PeerId::new("patel").unwrap(),
        );
        let mut a = Device::open(
            {
                let mut s = a.into_store();
                s.every = every;
                s
            },
            key_of("okafor", 1),
        )
        .unwrap();
        let mut b = Device::open(
            {
                let mut s = b.into_store();
                s.every = every;
                s
            },
            key_of("patel", 1),
        )
        .unwrap();
        let mut shown_b = Vec::new();
        let mut shown_a = Vec::new();
        for i in 0..12 {
            let m = format!("m{i}");
            // The app retries a send that failed to commit.
            let x = loop {
                match a.send(&mut rng, &patel, Outgoing::text(&m), T0 + i) {
                    Ok(x) => break x,
                    Err(Error::Store(StoreError::Backend)) => continue,
                    Err(e) => panic!("{e:?}"),
                }
            };
            // The transport redelivers until the receive commits.
            let got = loop {
                match b.receive(&mut rng, &a_addr, &x.envelopes[0].envelope, T0 + i) {
                    Ok(g) => break g,
                    Err(Error::Store(StoreError::Backend)) => continue,
                    Err(e) => panic!("{e:?}"),
                }
            };
            if let Event::Message { message, .. } = &got.event {
                shown_b.push(b.message(message, T0 + i).unwrap().1.expose().to_vec());
            }
            let n = format!("n{i}");
            let y = loop {
                match b.send(&mut rng, &okafor, Outgoing::text(&n), T0 + i) {
                    Ok(y) => break y,
                    Err(Error::Store(StoreError::Backend)) => continue,
                    Err(e) => panic!("{e:?}"),
                }
            };
            for env in got.replies.iter().chain(y.envelopes.iter()) {
                let got = loop {
                    match a.receive(&mut rng, &b_addr, &env.envelope, T0 + i) {
                        Ok(g) => break g,
                        Err(Error::Store(StoreError::Backend)) => continue,
                        Err(e) => panic!("{e:?}"),
                    }
                };
                if let Event::Message { message, .. } = &got.event {
                    shown_a.push(a.message(message, T0 + i).unwrap().1.expose().to_vec());
                }
            }
        }
        let want_b: Vec<Vec<u8>> = (0..12).map(|i| format!("m{i}").into_bytes()).collect();
        let want_a: Vec<Vec<u8>> = (0..12).map(|i| format!("n{i}").into_bytes()).collect();
        assert_eq!(shown_b, want_b, "every {every}");
        assert_eq!(shown_a, want_a, "every {every}");
        assert!(a.store().failures > 0 && b.store().failures > 0);
        // What is committed reopens to the same conversation.
        let mut a = Device::open(a.into_store(), key_of("okafor", 1)).unwrap();
        assert!(a.unconfirmed(&b_addr).is_empty());
        let _ = a.send(&mut rng, &patel, Outgoing::text("after"), T0 + 99);
    }
}

#[test]
fn sqlite_store_survives_a_restart_mid_conversation() {
    let path = std::env::temp_dir().join(format!("bleep-device-test-{}.db", std::process::id()));
    let _ = std::fs::remove_file(&path);
    let mut rng = rng(7);
    let a = device(&mut rng, SqliteStore::open(&path).unwrap(), "okafor", 1);
    let b = device(&mut rng, MemoryStore::new(), "patel", 1);
    let (a_addr, b_addr) = (a.address().clone(), b.address().clone());
    // Introduce across store types by hand.
    let (mut a, mut b) = (a, b);
    a.add_peer_device(&mut rng, &b_addr, &b.prekey_bundle())
        .unwrap();
    b.add_peer_device(&mut rng, &a_addr, &a.prekey_bundle())
        .unwrap();
    a.mark_verified(&mut rng, &b_addr, VerificationMethod::QrCode, T0)
        .unwrap();
    b.mark_verified(&mut rng, &a_addr, VerificationMethod::QrCode, T0)
        .unwrap();
    let patel = PeerId::new("patel").unwrap();
    let x = a
        .send(&mut rng, &patel, Outgoing::text("first"), T0)
        .unwrap();
    b.receive(&mut rng, &a_addr, &x.envelopes[0].envelope, T0)
        .unwrap();
    drop(a);
    let mut a = Device::open(SqliteStore::open(&path).unwrap(), key_of("okafor", 1)).unwrap();
    let x = a
        .send(&mut rng, &patel, Outgoing::text("after restart"), T0 + 1)
        .unwrap();
    let got = b
        .receive(&mut rng, &a_addr, &x.envelopes[0].envelope, T0 + 1)
        .unwrap();
    assert_eq!(text_of(&b, &got, T0 + 1), "after restart");
    // The wrong key does not open it.
    drop(a);
    assert!(
        Device::open(
            SqliteStore::open(&path).unwrap(),
            StorageKey::from_bytes([0; 32])
        )
        .is_err()
    );
    for suffix in ["", "-wal", "-shm"] {
        let _ = std::fs::remove_file(format!("{}{suffix}", path.display()));
    }
}

#[test]
fn prekeys_are_handed_out_once_and_refilled() {
    let mut rng = rng(8);
    let mut d = device(&mut rng, MemoryStore::new(), "patel", 1);
    let mut server = PreKeyDispenser::new(&d.prekey_bundle()).unwrap();
    assert_eq!(server.one_time_prekey_ids(), d.one_time_prekey_ids());
    assert_eq!(
        server.kem_one_time_prekey_ids().len(),
        limits::KEM_ONE_TIME_PREKEY_BATCH
    );
    let mut seen = std::collections::BTreeSet::new();
    for i in 0..limits::MAX_BUNDLE_ONE_TIME_PREKEYS {
        let b = server.hand_out();
        assert_eq!(b.one_time_prekey_count(), 1);
        // One ML-KEM one-time prekey each while they last, then the
        // last-resort one alone: always post-quantum.
        assert!(b.has_post_quantum_prekeys());
        let kem = usize::from(i < limits::KEM_ONE_TIME_PREKEY_BATCH);
        assert_eq!(b.kem_one_time_prekey_count(), kem);
        assert!(seen.insert(b.to_bytes()));
    }
    assert!(server.kem_one_time_prekey_ids().is_empty());
    assert!(server.needs_refill());
    assert_eq!(server.hand_out().one_time_prekey_count(), 0);
    assert!(!d.needs_prekey_refill());
    // Rotation on schedule keeps the previous signed prekeys.
    assert!(
        d.rotate_signed_prekey_if_due(&mut rng, T0 + 60)
            .unwrap()
            .is_none()
    );
    let rotated = d
        .rotate_signed_prekey_if_due(&mut rng, T0 + limits::SIGNED_PREKEY_ROTATION_SECS)
        .unwrap()
        .unwrap();
    server.upload(&rotated).unwrap();
    assert_ne!(server.hand_out().signed_prekey_id(), 0);
    let other = device(&mut rng, MemoryStore::new(), "okafor", 1);
    assert!(server.upload(&other.prekey_bundle()).is_err());
}

#[test]
fn debug_output_shows_no_content() {
    let mut rng = rng(9);
    let mut ds = vec![
        device(&mut rng, MemoryStore::new(), "okafor", 1),
        device(&mut rng, MemoryStore::new(), "patel", 1),
    ];
    introduce(&mut rng, &mut ds);
    let patel = PeerId::new("patel").unwrap();
    let a_addr = ds[0].address().clone();
    let x = ds[0]
        .send(
            &mut rng,
            &patel,
            Outgoing::text("NHS 943 476 5919").contains_patient_data(true),
            T0,
        )
        .unwrap();
    let got = ds[1]
        .receive(&mut rng, &a_addr, &x.envelopes[0].envelope, T0)
        .unwrap();
    for s in [format!("{got:?}"), format!("{:?}", ds[1]), format!("{x:?}")] {
        assert!(!s.contains("943"), "{s}");
    }
    assert!(format!("{:?}", Outgoing::text("NHS 943 476 5919")).contains("redacted"));
}

#[test]
fn a_reset_stays_without_the_used_one_time_prekey_after_a_restart() {
    // Issue 12: a reset started on an undecryptable message used the peer's
    // kept one-time prekey, but the bundle without it was never stored, so
    // after a restart (or a backup taken then) every later reset offered
    // the used prekey again, was refused, and the conversation wedged.
    let mut rng = rng(12);
    let (mut a, mut b) = okafor_and_patel(&mut rng);
    let (a_addr, b_addr) = (a.address().clone(), b.address().clone());
    let (okafor, patel) = (
        PeerId::new("okafor").unwrap(),
        PeerId::new("patel").unwrap(),
    );
    // Patel's phone is backed up before the conversation, then restored:
    // it cannot read Okafor's message and resets, offering the one-time
    // prekey of Okafor's it kept (it never started a session itself).
    let first = b.store().snapshot();
    let x = a.send(&mut rng, &patel, Outgoing::text("one"), T0).unwrap();
    let got = b
        .receive(&mut rng, &a_addr, &x.envelopes[0].envelope, T0)
        .unwrap();
    for r in &got.replies {
        a.receive(&mut rng, &b_addr, &r.envelope, T0).unwrap();
    }
    let mut b = Device::open(first, key_of("patel", 1)).unwrap();
    let y = a
        .send(&mut rng, &patel, Outgoing::text("two"), T0 + 1)
        .unwrap();
    let r = b
        .receive(&mut rng, &a_addr, &y.envelopes[0].envelope, T0 + 2)
        .unwrap();
    assert!(
        matches!(
            r.event,
            Event::Undecryptable {
                reset: ResetStatus::Started,
                ..
            }
        ),
        "{r:?}"
    );
    let got = a
        .receive(&mut rng, &b_addr, &r.replies[0].envelope, T0 + 3)
        .unwrap();
    assert!(matches!(got.event, Event::SessionReset { .. }), "{got:?}");
    // Patel's phone restarts, and is backed up again.
    let mut b = Device::open(b.into_store(), key_of("patel", 1)).unwrap();
    let second = b.store().snapshot();
    // The conversation moves on (both sides step their ratchets)...
    let z = a
        .send(&mut rng, &patel, Outgoing::text("three"), T0 + 4)
        .unwrap();
    let got = b
        .receive(&mut rng, &a_addr, &z.envelopes[0].envelope, T0 + 5)
        .unwrap();
    assert_eq!(text_of(&b, &got, T0 + 5), "three");
    let w = b
        .send(&mut rng, &okafor, Outgoing::text("thanks"), T0 + 6)
        .unwrap();
    let got = a
        .receive(&mut rng, &b_addr, &w.envelopes[0].envelope, T0 + 7)
        .unwrap();
    assert_eq!(text_of(&a, &got, T0 + 7), "thanks");
    // ...and the second backup is restored: it cannot read Okafor's next
    // message, and its reset must be one Okafor can accept.
    let mut b = Device::open(second, key_of("patel", 1)).unwrap();
    let t = T0 + 8 + bleep::limits::MIN_RESET_INTERVAL_SECS;
    let v = a.send(&mut rng, &patel, Outgoing::text("four"), t).unwrap();
    let r = b
        .receive(&mut rng, &a_addr, &v.envelopes[0].envelope, t + 1)
        .unwrap();
    assert!(
        matches!(
            r.event,
            Event::Undecryptable {
                reset: ResetStatus::Started,
                ..
            }
        ),
        "{r:?}"
    );
    let got = a
        .receive(&mut rng, &b_addr, &r.replies[0].envelope, t + 2)
        .unwrap();
    let Event::SessionReset { may_be_unread, .. } = got.event else {
        panic!("the reset was refused: {:?}", got.event)
    };
    assert!(may_be_unread.contains(&v.envelopes[0].id));
    // The conversation goes on both ways.
    let again = a
        .send(&mut rng, &patel, Outgoing::text("four (resent)"), t + 3)
        .unwrap();
    let got = b
        .receive(&mut rng, &a_addr, &again.envelopes[0].envelope, t + 4)
        .unwrap();
    assert_eq!(text_of(&b, &got, t + 4), "four (resent)");
    let u = b
        .send(&mut rng, &okafor, Outgoing::text("seen"), t + 5)
        .unwrap();
    let got = a
        .receive(&mut rng, &b_addr, &u.envelopes[0].envelope, t + 6)
        .unwrap();
    assert_eq!(text_of(&a, &got, t + 6), "seen");
}

/// Every call that changes a device commits the change before it returns:
/// reopened from its store at once, the device shows it. Filing, erasing,
/// purging expired messages, refilling prekeys and rotating the signed
/// prekey each name the rows they change; a change left unnamed would be
/// lost at the next restart (a filed message shown again, a used
/// one-time prekey offered again, a rotation forgotten).
#[test]
fn filing_purging_refills_and_rotation_survive_a_restart() {
    let mut rng = rng(21);
    let (mut a, mut b) = okafor_and_patel(&mut rng);
    let a_addr = a.address().clone();
    let patel = PeerId::new("patel").unwrap();
    let reopen = |d: Device<MemoryStore>| Device::open(d.into_store(), key_of("patel", 1)).unwrap();

    // Three messages: one to file, one to erase, one that expires.
    let mut refs = Vec::new();
    let outgoing = [
        Outgoing::text("file me"),
        Outgoing::text("erase me"),
        Outgoing::text("expires").expires_at(T0 + 100),
    ];
    for (i, out) in outgoing.into_iter().enumerate() {
        let now = T0 + i as u64;
        let s = a.send(&mut rng, &patel, out, now).unwrap();
        let got = b
            .receive(&mut rng, &a_addr, &s.envelopes[0].envelope, now)
            .unwrap();
        match got.event {
            Event::Message { message, .. } => refs.push(message),
            other => panic!("expected a message, got {other:?}"),
        }
    }
    let mut b = reopen(b);
    for r in &refs {
        assert!(b.message(r, T0 + 10).is_some());
    }

    let filed = b
        .file_to_record(&mut rng, &refs[0], |_, _| Ok::<_, ()>(()))
        .unwrap();
    assert!(filed.is_ok());
    let mut b = reopen(b);
    assert!(
        b.message(&refs[0], T0 + 10).is_none(),
        "filed, then shown again"
    );
    assert!(b.message(&refs[1], T0 + 10).is_some());

    assert!(b.erase(&mut rng, &refs[1]).unwrap());
    let mut b = reopen(b);
    assert!(
        b.message(&refs[1], T0 + 10).is_none(),
        "erased, then shown again"
    );

    assert_eq!(b.purge_expired(&mut rng, T0 + 200).unwrap(), vec![refs[2]]);
    let mut b = reopen(b);
    // Asked before its expiry, a purged message is still gone.
    assert!(b.message(&refs[2], T0 + 10).is_none(), "purged, then back");
    assert!(b.awaiting_filing(T0 + 10).is_empty());

    // Okafor's first message used one of Patel's one-time prekeys; the
    // refill replaces it, and the new one is there after a restart.
    let used = b.one_time_prekey_ids();
    let refilled = b.refill_prekeys(&mut rng).unwrap();
    let after = b.one_time_prekey_ids();
    assert_eq!(after.len(), used.len() + 1);
    let mut b = reopen(b);
    assert_eq!(b.one_time_prekey_ids(), after);
    assert_eq!(b.prekey_bundle().to_bytes(), refilled.to_bytes());

    // A rotation is kept, and so is when it happened: not due again.
    let at = T0 + limits::SIGNED_PREKEY_ROTATION_SECS;
    let rotated = b
        .rotate_signed_prekey_if_due(&mut rng, at)
        .unwrap()
        .unwrap();
    let mut b = reopen(b);
    assert_eq!(
        b.prekey_bundle().signed_prekey_id(),
        rotated.signed_prekey_id()
    );
    assert!(
        b.rotate_signed_prekey_if_due(&mut rng, at + 1)
            .unwrap()
            .is_none()
    );
}
