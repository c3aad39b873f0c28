//! A first message whose prekey the responder no longer holds: the
//! responder's reset says so (`ResetReason::PreKeyRefused`), the initiator
//! gets `Event::PreKeyRefused` with the ids it should send again, and after
//! resending every message is shown exactly once.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

mod device_common;

use bleep::store::MemoryStore;
use bleep::*;
use device_common::*;
use proptest::prelude::*;
use std::collections::BTreeMap;

type Dev = Device<MemoryStore>;

/// The responder (Nurse Patel's phone) and four initiators.
const INITIATORS: [(&str, u32); 4] = [("okafor", 1), ("okafor", 2), ("lee", 1), ("khan", 1)];

/// A responder that knows and verified every initiator (each initiator's
/// own bundle fairly handed out), and initiators that all got the *same*
/// bundle of the responder from a faulty server, one-time prekeys included.
fn ward(rng: &mut rand_chacha::ChaCha20Rng) -> (Dev, Vec<Dev>) {
    let mut b = device(rng, MemoryStore::new(), "patel", 1);
    let b_addr = b.address().clone();
    let mut b_dispenser = PreKeyDispenser::new(&b.prekey_bundle()).unwrap();
    let reused = b_dispenser.hand_out();
    let mut inits = Vec::new();
    for (name, n) in INITIATORS {
        let mut a = device(rng, MemoryStore::new(), name, n);
        let a_addr = a.address().clone();
        a.add_peer_device(rng, &b_addr, &reused).unwrap();
        a.mark_verified(rng, &b_addr, VerificationMethod::SafetyNumber, T0)
            .unwrap();
        let mut a_dispenser = PreKeyDispenser::new(&a.prekey_bundle()).unwrap();
        b.add_peer_device(rng, &a_addr, &a_dispenser.hand_out())
            .unwrap();
        b.mark_verified(rng, &a_addr, VerificationMethod::SafetyNumber, T0)
            .unwrap();
        inits.push(a);
    }
    (b, inits)
}

/// Delivers `env` from `from` to `to`, returning the event and queueing
/// the replies (to `from`, the only peer a reply can go to here).
fn deliver(
    rng: &mut rand_chacha::ChaCha20Rng,
    to: &mut Dev,
    from: &DeviceAddress,
    env: &[u8],
    now: u64,
    replies: &mut Vec<(DeviceAddress, Vec<u8>)>,
) -> Event {
    let got = to.receive(rng, from, env, now).unwrap();
    for r in got.replies {
        assert_eq!(&r.to, from);
        replies.push((r.to, r.envelope));
    }
    got.event
}

fn index_of(inits: &[Dev], to: &DeviceAddress) -> usize {
    inits.iter().position(|a| a.address() == to).unwrap()
}

fn shown_text(d: &Dev, event: &Event, now: u64) -> Option<String> {
    match event {
        Event::Message { message, .. } => {
            Some(String::from_utf8(d.message(message, now).unwrap().1.expose().to_vec()).unwrap())
        }
        _ => None,
    }
}

/// The scenario of the issue, in any delivery order: every initiator whose
/// first messages were refused learns it with the exact ids, resends them,
/// and every message is shown exactly once.
fn reused_bundle(seed: u64, order: &[usize]) {
    let mut rng = rng(seed);
    let (mut b, mut inits) = ward(&mut rng);
    let patel = PeerId::new("patel").unwrap();
    let b_addr = b.address().clone();
    let mut now = T0 + 1;

    // Two first messages from each initiator (both prekey messages).
    let mut body_of: BTreeMap<[u8; 16], String> = BTreeMap::new();
    let mut flight: Vec<(usize, Vec<u8>)> = Vec::new();
    for (i, a) in inits.iter_mut().enumerate() {
        for k in 0..2 {
            let body = format!("{i}: first {k}");
            let sent = a
                .send(&mut rng, &patel, Outgoing::text(&body), now)
                .unwrap();
            assert_eq!(sent.envelopes.len(), 1);
            body_of.insert(sent.envelopes[0].id.0, body);
            flight.push((i, sent.envelopes.into_iter().next().unwrap().envelope));
        }
    }
    // Delivered to the responder in the order given (a permutation).
    let mut shown: BTreeMap<String, u32> = BTreeMap::new();
    let mut replies = Vec::new();
    let mut started = 0;
    for &k in order {
        let (i, env) = &flight[k % flight.len()];
        now += 1;
        let from = inits[*i].address().clone();
        let ev = deliver(&mut rng, &mut b, &from, env, now, &mut replies);
        match &ev {
            Event::Message { .. } => {
                *shown.entry(shown_text(&b, &ev, now).unwrap()).or_default() += 1;
            }
            Event::Undecryptable { reset, .. } => {
                if *reset == ResetStatus::Started {
                    started += 1;
                } else {
                    assert_eq!(*reset, ResetStatus::RateLimited);
                }
            }
            Event::Duplicate { .. } => {}
            other => panic!("unexpected {other:?}"),
        }
    }
    // Exactly one initiator's handshake used the one-time prekeys; each
    // of the others was refused and sent one reset.
    assert_eq!(started, INITIATORS.len() - 1);

    // Replies (receipts and resets) reach the initiators.
    let mut refused = 0;
    let mut resend: Vec<(usize, Vec<[u8; 16]>)> = Vec::new();
    for (to, env) in std::mem::take(&mut replies) {
        let idx = index_of(&inits, &to);
        now += 1;
        let ev = deliver(&mut rng, &mut inits[idx], &b_addr, &env, now, &mut replies);
        match ev {
            Event::PreKeyRefused { may_be_unread, .. } => {
                refused += 1;
                let mut ids: Vec<[u8; 16]> = may_be_unread.iter().map(|id| id.0).collect();
                ids.sort();
                // Both first messages, and only this initiator's.
                let mut expect: Vec<[u8; 16]> = body_of
                    .iter()
                    .filter(|(_, body)| body.starts_with(&format!("{idx}:")))
                    .map(|(id, _)| *id)
                    .collect();
                expect.sort();
                assert_eq!(ids, expect);
                assert!(inits[idx].unconfirmed(&b_addr).is_empty());
                resend.push((idx, ids));
            }
            Event::Delivered { .. } => {}
            other => panic!("unexpected {other:?}"),
        }
    }
    assert_eq!(refused, INITIATORS.len() - 1);
    assert!(replies.is_empty());

    // The app sends each refused message again; it goes on the new
    // session and is read.
    for (idx, ids) in resend {
        for id in ids {
            let body = body_of[&id].clone();
            now += 1;
            let sent = inits[idx]
                .send(&mut rng, &patel, Outgoing::text(&body), now)
                .unwrap();
            let from = inits[idx].address().clone();
            let ev = deliver(
                &mut rng,
                &mut b,
                &from,
                &sent.envelopes[0].envelope,
                now,
                &mut replies,
            );
            *shown
                .entry(shown_text(&b, &ev, now).expect("a resent message is shown"))
                .or_default() += 1;
        }
    }
    // Delivery receipts confirm everything.
    for (to, env) in std::mem::take(&mut replies) {
        let idx = index_of(&inits, &to);
        now += 1;
        let ev = deliver(&mut rng, &mut inits[idx], &b_addr, &env, now, &mut replies);
        assert!(matches!(ev, Event::Delivered { .. }), "{ev:?}");
    }
    for body in body_of.values() {
        assert_eq!(shown.get(body), Some(&1), "{body}");
    }
    assert_eq!(shown.len(), body_of.len());
    for a in &inits {
        assert!(a.unconfirmed(&b_addr).is_empty());
    }
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 8, ..ProptestConfig::default() })]

    #[test]
    fn a_bundle_handed_to_several_initiators_is_refused_and_every_message_resent_once(
        seed in any::<u64>(),
        order in Just((0..2 * INITIATORS.len()).collect::<Vec<usize>>()).prop_shuffle(),
    ) {
        reused_bundle(seed, &order);
    }
}

/// A responder that cannot reset yet (`NeedBundle`): the app fetches the
/// initiator's bundle, adds it, and hands the same envelope to `receive`
/// again; the reset then starts and the initiator learns.
#[test]
fn need_bundle_then_the_same_envelope_again_starts_the_reset() {
    let mut rng = rng(21);
    let mut a = device(&mut rng, MemoryStore::new(), "okafor", 1);
    let mut b = device(&mut rng, MemoryStore::new(), "patel", 1);
    let mut c = device(&mut rng, MemoryStore::new(), "lee", 1);
    let (a_addr, b_addr, c_addr) = (
        a.address().clone(),
        b.address().clone(),
        c.address().clone(),
    );
    let patel = PeerId::new("patel").unwrap();
    // The faulty server gives Okafor and Lee the same bundle of Patel's.
    let reused = PreKeyDispenser::new(&b.prekey_bundle()).unwrap().hand_out();
    for d in [&mut a, &mut c] {
        d.add_peer_device(&mut rng, &b_addr, &reused).unwrap();
        d.mark_verified(&mut rng, &b_addr, VerificationMethod::QrCode, T0)
            .unwrap();
    }
    // Patel verified both by QR code but holds no bundle of theirs.
    for d in [&a, &c] {
        let (peer, key) = (d.address().peer_id(), d.identity_key().clone());
        b.update_trust(&mut rng, |t| {
            t.mark_verified(&peer, &key, VerificationMethod::QrCode, T0)
                .map(drop)
        })
        .unwrap();
    }
    let from_c = c.send(&mut rng, &patel, Outgoing::text("lee"), T0).unwrap();
    let got = b
        .receive(&mut rng, &c_addr, &from_c.envelopes[0].envelope, T0 + 1)
        .unwrap();
    assert!(matches!(got.event, Event::Message { .. }));
    let first = a
        .send(&mut rng, &patel, Outgoing::text("okafor"), T0 + 2)
        .unwrap();
    let env = first.envelopes[0].envelope.clone();
    let before = rows(b.store());
    let got = b.receive(&mut rng, &a_addr, &env, T0 + 3).unwrap();
    assert!(matches!(
        got.event,
        Event::Undecryptable {
            reset: ResetStatus::NeedBundle,
            ..
        }
    ));
    assert!(got.replies.is_empty());
    assert_eq!(rows(b.store()), before, "nothing changes");
    // The app fetches Okafor's bundle and gives the envelope again.
    b.add_peer_device(&mut rng, &a_addr, &a.prekey_bundle())
        .unwrap();
    let got = b.receive(&mut rng, &a_addr, &env, T0 + 4).unwrap();
    assert!(matches!(
        got.event,
        Event::Undecryptable {
            reset: ResetStatus::Started,
            ..
        }
    ));
    let r = a
        .receive(&mut rng, &b_addr, &got.replies[0].envelope, T0 + 5)
        .unwrap();
    let Event::PreKeyRefused { may_be_unread, .. } = r.event else {
        panic!("{:?}", r.event)
    };
    assert_eq!(may_be_unread, vec![first.envelopes[0].id]);
    let again = a
        .send(&mut rng, &patel, Outgoing::text("okafor"), T0 + 6)
        .unwrap();
    let got = b
        .receive(&mut rng, &a_addr, &again.envelopes[0].envelope, T0 + 7)
        .unwrap();
    assert!(matches!(got.event, Event::Message { .. }));
}

/// A first message naming a signed prekey the responder rotated out, or a
/// one-time ML-KEM prekey already used: refused, and the initiator learns.
#[test]
fn a_rotated_out_signed_prekey_or_a_reused_kem_prekey_is_refused_and_signalled() {
    let mut rng = rng(22);
    for case in ["signed", "kem"] {
        let mut a = device(&mut rng, MemoryStore::new(), "okafor", 1);
        let mut b = device(&mut rng, MemoryStore::new(), "patel", 1);
        let mut c = device(&mut rng, MemoryStore::new(), "lee", 1);
        let (a_addr, b_addr, c_addr) = (
            a.address().clone(),
            b.address().clone(),
            c.address().clone(),
        );
        let patel = PeerId::new("patel").unwrap();
        // Signed prekey only, plus the first one-time ML-KEM prekey.
        let old = PreKeyDispenser::new(&b.prekey_bundle())
            .unwrap()
            .hand_out()
            .with_one_time_prekey(None)
            .unwrap();
        let mut now = T0;
        if case == "signed" {
            // Three rotations: the two previous signed prekeys are kept,
            // the original is gone.
            for _ in 0..3 {
                now += limits::SIGNED_PREKEY_ROTATION_SECS;
                assert!(
                    b.rotate_signed_prekey_if_due(&mut rng, now)
                        .unwrap()
                        .is_some()
                );
            }
        } else {
            // Lee's handshake uses the same one-time ML-KEM prekey first.
            c.add_peer_device(&mut rng, &b_addr, &old).unwrap();
            c.mark_verified(&mut rng, &b_addr, VerificationMethod::QrCode, now)
                .unwrap();
            b.add_peer_device(&mut rng, &c_addr, &c.prekey_bundle())
                .unwrap();
            b.mark_verified(&mut rng, &c_addr, VerificationMethod::QrCode, now)
                .unwrap();
            let s = c
                .send(&mut rng, &patel, Outgoing::text("lee"), now)
                .unwrap();
            let got = b
                .receive(&mut rng, &c_addr, &s.envelopes[0].envelope, now)
                .unwrap();
            assert!(matches!(got.event, Event::Message { .. }));
        }
        assert_eq!(old.kem_one_time_prekey_count(), 1);
        assert_eq!(old.one_time_prekey_count(), 0);
        a.add_peer_device(&mut rng, &b_addr, &old).unwrap();
        a.mark_verified(&mut rng, &b_addr, VerificationMethod::QrCode, now)
            .unwrap();
        b.add_peer_device(&mut rng, &a_addr, &a.prekey_bundle())
            .unwrap();
        b.mark_verified(&mut rng, &a_addr, VerificationMethod::QrCode, now)
            .unwrap();
        let first = a
            .send(&mut rng, &patel, Outgoing::text("first"), now)
            .unwrap();
        let got = b
            .receive(&mut rng, &a_addr, &first.envelopes[0].envelope, now + 1)
            .unwrap();
        assert!(
            matches!(
                got.event,
                Event::Undecryptable {
                    reset: ResetStatus::Started,
                    ..
                }
            ),
            "{case}: {:?}",
            got.event
        );
        let r = a
            .receive(&mut rng, &b_addr, &got.replies[0].envelope, now + 2)
            .unwrap();
        let Event::PreKeyRefused { may_be_unread, .. } = r.event else {
            panic!("{case}: {:?}", r.event)
        };
        assert_eq!(may_be_unread, vec![first.envelopes[0].id], "{case}");
        let again = a
            .send(&mut rng, &patel, Outgoing::text("first"), now + 3)
            .unwrap();
        let got = b
            .receive(&mut rng, &a_addr, &again.envelopes[0].envelope, now + 4)
            .unwrap();
        assert!(matches!(got.event, Event::Message { .. }), "{case}");
    }
}
