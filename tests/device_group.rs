//! Groups owned by the device, through the public API: forming a group,
//! messages in every direction, a sender key that overtakes its roster,
//! removal and rotation, hostile group messages, trust on every group
//! message and restarts from the store.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

mod device_common;

use bleep::store::{MemoryStore, Store};
use bleep::*;
use device_common::*;
use rand_chacha::ChaCha20Rng;
use std::collections::VecDeque;

type Ward = Vec<Device<MemoryStore>>;
/// Envelopes set aside, with their sender.
type Held = Vec<(DeviceAddress, OutgoingEnvelope)>;

/// Dr Okafor (phone and desktop), Nurse Patel and Dr Ahmed, all verified.
fn ward(rng: &mut ChaCha20Rng) -> Ward {
    let mut ds = vec![
        device(rng, MemoryStore::new(), "okafor", 1),
        device(rng, MemoryStore::new(), "okafor", 2),
        device(rng, MemoryStore::new(), "patel", 1),
        device(rng, MemoryStore::new(), "ahmed", 1),
    ];
    introduce(rng, &mut ds);
    ds
}

fn at(ds: &mut Ward, a: &DeviceAddress) -> usize {
    ds.iter().position(|d| d.address() == a).unwrap()
}

/// Delivers 1:1 envelopes (and every reply they cause) in order; returns
/// each device's events.
fn pump(
    rng: &mut ChaCha20Rng,
    ds: &mut Ward,
    from: &DeviceAddress,
    envelopes: Vec<OutgoingEnvelope>,
    now: u64,
) -> Vec<(DeviceAddress, Event)> {
    let (events, held) = pump_holding(rng, ds, from, envelopes, now, |_| false);
    assert!(held.is_empty());
    events
}

/// As [`pump`], but envelopes `hold` picks are set aside (with their
/// sender) instead of delivered.
fn pump_holding(
    rng: &mut ChaCha20Rng,
    ds: &mut Ward,
    from: &DeviceAddress,
    envelopes: Vec<OutgoingEnvelope>,
    now: u64,
    hold: impl Fn(&OutgoingEnvelope) -> bool,
) -> (Vec<(DeviceAddress, Event)>, Held) {
    let mut queue: VecDeque<(DeviceAddress, OutgoingEnvelope)> =
        envelopes.into_iter().map(|e| (from.clone(), e)).collect();
    let (mut events, mut held) = (Vec::new(), Vec::new());
    while let Some((from, env)) = queue.pop_front() {
        if hold(&env) {
            held.push((from, env));
            continue;
        }
        let i = at(ds, &env.to);
        let got = ds[i].receive(rng, &from, &env.envelope, now).unwrap();
        let me = ds[i].address().clone();
        queue.extend(got.replies.into_iter().map(|r| (me.clone(), r)));
        events.push((me, got.event));
    }
    (events, held)
}

/// What a group send produced, once delivered.
struct Said {
    message: Vec<u8>,
    deliver_to: Vec<DeviceAddress>,
    not_sent: Vec<(DeviceAddress, Error)>,
    /// What each recipient shows (the text, or the event).
    shown: Vec<(DeviceAddress, String)>,
}

/// Sends a group text from device `i`, delivers the owed keys and hands
/// the message to every device it is for.
fn say(
    rng: &mut ChaCha20Rng,
    ds: &mut Ward,
    i: usize,
    group: &GroupId,
    text: &str,
    now: u64,
) -> Said {
    let sent = ds[i]
        .send_group(rng, group, Outgoing::text(text), now)
        .unwrap();
    let from = ds[i].address().clone();
    pump(rng, ds, &from, sent.distributions, now);
    let mut shown = Vec::new();
    for to in &sent.deliver_to {
        let j = at(ds, to);
        let got = ds[j]
            .receive_group(rng, &from, &sent.message, now + 1)
            .unwrap();
        shown.push((to.clone(), shown_text(&ds[j], &got, now + 1)));
    }
    Said {
        message: sent.message,
        deliver_to: sent.deliver_to,
        not_sent: sent.not_sent,
        shown,
    }
}

fn shown_text<S: Store>(d: &Device<S>, got: &Received, now: u64) -> String {
    match &got.event {
        Event::Group(GroupEvent::Message { message, .. }) => {
            String::from_utf8(d.message(message, now).unwrap().1.expose().to_vec()).unwrap()
        }
        other => format!("{other:?}"),
    }
}

/// Device 0 (Dr Okafor's phone) forms a group with every other device;
/// everything is delivered in order.
fn formed(rng: &mut ChaCha20Rng, ds: &mut Ward) -> GroupId {
    let members: Vec<DeviceAddress> = ds[1..].iter().map(|d| d.address().clone()).collect();
    let (group, sent) = ds[0].create_group(rng, &members, T0).unwrap();
    assert!(sent.not_sent.is_empty());
    // A roster and a key for each member.
    assert_eq!(sent.envelopes.len(), 2 * members.len());
    let from = ds[0].address().clone();
    let events = pump(rng, ds, &from, sent.envelopes, T0);
    let joined = events
        .iter()
        .filter(|(_, e)| matches!(e, Event::Group(GroupEvent::Joined { .. })))
        .count();
    assert_eq!(joined, members.len());
    for d in ds.iter() {
        assert_eq!(d.groups(), vec![group]);
        assert!(d.group_missing_keys(&group).is_empty(), "{:?}", d.address());
        assert_eq!(
            d.group_safety_number(&group),
            ds[0].group_safety_number(&group)
        );
    }
    group
}

fn restart(d: Device<MemoryStore>) -> Device<MemoryStore> {
    let a = d.address().clone();
    let key = key_of(a.clinician().as_str(), a.device());
    Device::open(d.into_store(), key).unwrap()
}

/// Hands `d` the held sender keys: each installs its key; returns the
/// waiting messages they released, in order.
fn deliver_keys(
    rng: &mut ChaCha20Rng,
    d: &mut Device<MemoryStore>,
    held: Held,
    now: u64,
) -> Vec<Event> {
    let mut released = Vec::new();
    for (from, env) in held {
        let got = d.receive(rng, &from, &env.envelope, now).unwrap();
        assert!(
            matches!(got.event, Event::Group(GroupEvent::KeyInstalled { .. })),
            "{:?}",
            got.event
        );
        released.extend(got.released);
    }
    released
}

#[test]
fn a_ward_group_forms_and_talks_in_every_direction() {
    let mut rng = rng(1);
    let mut ds = ward(&mut rng);
    let group = formed(&mut rng, &mut ds);
    for (i, text) in [
        (0, "Major incident declared"),
        (2, "Resus bay 2 ready"),
        (1, "On my way from the desktop"),
        (3, "Theatre 4 free"),
    ] {
        let said = say(&mut rng, &mut ds, i, &group, text, T0 + 10);
        assert_eq!(said.deliver_to.len(), 3);
        assert!(said.not_sent.is_empty());
        for (to, shown) in &said.shown {
            assert_eq!(shown, text, "at {to:?}");
        }
    }
    // The sender's own other device is a member like any other.
    let okafor_desk = ds[1].address().clone();
    let said = say(&mut rng, &mut ds, 0, &group, "phone to desk", T0 + 20);
    assert!(said.deliver_to.contains(&okafor_desk));
}

#[test]
fn missing_keys_name_the_members_not_heard_from_yet() {
    let mut rng = rng(40);
    let mut ds = ward(&mut rng);
    let members: Vec<DeviceAddress> = ds[1..].iter().map(|d| d.address().clone()).collect();
    let (group, sent) = ds[0].create_group(&mut rng, &members, T0).unwrap();
    // Each member gets its roster and Dr Okafor's key; what they send back
    // (their own keys) is held.
    let creator = ds[0].address().clone();
    let mut replies = Vec::new();
    for env in sent.envelopes {
        let i = at(&mut ds, &env.to);
        let got = ds[i]
            .receive(&mut rng, &creator, &env.envelope, T0)
            .unwrap();
        let me = ds[i].address().clone();
        replies.extend(got.replies.into_iter().map(|r| (me.clone(), r)));
    }
    let keys: Vec<IdentityKey> = ds.iter().map(|d| d.identity_key().clone()).collect();
    let missing = |d: &Device<MemoryStore>, expected: &[usize]| {
        let got = d.group_missing_keys(&group);
        assert_eq!(got.len(), expected.len(), "{:?}: {got:?}", d.address());
        for &k in expected {
            assert!(got.contains(&keys[k]), "{:?} lacks {k}", d.address());
        }
    };
    // The creator holds no member's key; each member holds the creator's
    // only.
    missing(&ds[0], &[1, 2, 3]);
    missing(&ds[1], &[2, 3]);
    missing(&ds[2], &[1, 3]);
    missing(&ds[3], &[1, 2]);
    // A group this device is not in has no missing keys to report.
    assert!(ds[0].group_missing_keys(&GroupId([7; 16])).is_empty());
    for (from, env) in replies {
        pump(&mut rng, &mut ds, &from, vec![env], T0 + 1);
    }
    for d in &ds {
        missing(d, &[]);
    }
}

#[test]
fn a_key_before_its_roster_waits_in_the_store_across_a_restart() {
    let mut rng = rng(2);
    let mut ds = ward(&mut rng);
    let (okafor, patel, ahmed) = (
        ds[0].address().clone(),
        ds[2].address().clone(),
        ds[3].address().clone(),
    );
    let (group, sent) = ds[0]
        .create_group(&mut rng, &[patel.clone(), ahmed.clone()], T0)
        .unwrap();
    // Patel joins; everything for Ahmed is held back: Okafor's roster and
    // key, and the key Patel sends on joining.
    let (events, mut held) = pump_holding(&mut rng, &mut ds, &okafor, sent.envelopes, T0, |e| {
        e.to == ahmed
    });
    assert!(matches!(
        events[0].1,
        Event::Group(GroupEvent::Joined {
            version: 1,
            members: 3,
            keys_applied: 0,
            ..
        })
    ));
    assert_eq!(held.len(), 3);
    // Both keys overtake the roster.
    let roster = held.remove(0);
    assert_eq!(roster.0, okafor);
    for (from, env) in held {
        let got = ds[3]
            .receive(&mut rng, &from, &env.envelope, T0 + 1)
            .unwrap();
        assert!(
            matches!(&got.event, Event::Group(GroupEvent::KeyPending { group: g, dropped: None, .. }) if *g == group),
            "{:?}",
            got.event
        );
    }
    assert_eq!(ds[3].pending_group_keys(), 2);

    // Patel writes to the group; for Ahmed it names a group he is not in
    // yet: reported, nothing changes.
    let sent = ds[2]
        .send_group(
            &mut rng,
            &group,
            Outgoing::text("Triage at the ambulance bay"),
            T0 + 2,
        )
        .unwrap();
    assert!(sent.deliver_to.contains(&ahmed));
    let before = rows(ds[3].store());
    let got = ds[3]
        .receive_group(&mut rng, &patel, &sent.message, T0 + 3)
        .unwrap();
    assert!(matches!(
        got.event,
        Event::Group(GroupEvent::Undecryptable {
            reason: Error::Group(GroupError::WrongGroup),
            ..
        })
    ));
    assert_eq!(rows(ds[3].store()), before);

    // Ahmed's app restarts: the keys were kept in the store.
    let d = ds.remove(3);
    ds.push(restart(d));
    assert_eq!(ds[3].pending_group_keys(), 2);
    assert!(ds[3].groups().is_empty());

    // The roster arrives: Ahmed joins and installs both waiting keys.
    let got = ds[3]
        .receive(&mut rng, &roster.0, &roster.1.envelope, T0 + 4)
        .unwrap();
    assert!(
        matches!(
            got.event,
            Event::Group(GroupEvent::Joined {
                keys_applied: 2,
                ..
            })
        ),
        "{:?}",
        got.event
    );
    assert_eq!(ds[3].pending_group_keys(), 0);
    assert!(ds[3].group_missing_keys(&group).is_empty());
    // His own key goes to Okafor and Patel.
    assert_eq!(got.replies.len(), 2);
    pump(&mut rng, &mut ds, &ahmed, got.replies, T0 + 4);
    // Patel's message, handed in again, is read now.
    let got = ds[3]
        .receive_group(&mut rng, &patel, &sent.message, T0 + 5)
        .unwrap();
    assert_eq!(
        shown_text(&ds[3], &got, T0 + 5),
        "Triage at the ambulance bay"
    );
    let said = say(&mut rng, &mut ds, 3, &group, "Ahmed here", T0 + 6);
    assert_eq!(said.shown.len(), 2);
    assert!(said.shown.iter().all(|(_, t)| t == "Ahmed here"));
}

#[test]
fn waiting_keys_are_bounded_and_the_oldest_dropped_is_reported() {
    let mut rng = rng(3);
    let mut ds = ward(&mut rng);
    let (okafor, ahmed) = (ds[0].address().clone(), ds[3].address().clone());
    // Okafor forms many groups with Ahmed; Ahmed sees only the keys.
    let mut first = None;
    for n in 0..(limits::MAX_PENDING_GROUP_KEYS + 1) {
        let (group, sent) = ds[0]
            .create_group(&mut rng, core::slice::from_ref(&ahmed), T0)
            .unwrap();
        first.get_or_insert(group);
        let key = sent.envelopes.into_iter().nth(1).unwrap();
        let got = ds[3].receive(&mut rng, &okafor, &key.envelope, T0).unwrap();
        match got.event {
            Event::Group(GroupEvent::KeyPending { dropped, .. }) => {
                if n < limits::MAX_PENDING_GROUP_KEYS {
                    assert!(dropped.is_none());
                } else {
                    let d = dropped.unwrap();
                    assert_eq!(d.group, first.unwrap());
                    assert_eq!(d.from, okafor);
                }
            }
            other => panic!("{other:?}"),
        }
    }
    assert_eq!(ds[3].pending_group_keys(), limits::MAX_PENDING_GROUP_KEYS);
    let d = ds.remove(3);
    let d = restart(d);
    assert_eq!(d.pending_group_keys(), limits::MAX_PENDING_GROUP_KEYS);
}

#[test]
fn removal_rotates_every_key_and_the_removed_device_reads_nothing_new() {
    let mut rng = rng(4);
    let mut ds = ward(&mut rng);
    let group = formed(&mut rng, &mut ds);
    let (okafor, patel, ahmed) = (
        ds[0].address().clone(),
        ds[2].address().clone(),
        ds[3].address().clone(),
    );
    // Ahmed's device as it was before the removal (a copy of its store).
    let ahmed_copy = Device::open(ds[3].store().snapshot(), key_of("ahmed", 1));
    let sent = ds[0]
        .update_group(
            &mut rng,
            &group,
            &[],
            core::slice::from_ref(&ahmed),
            T0 + 10,
        )
        .unwrap();
    assert!(sent.not_sent.is_empty());
    // Patel's new key for Okafor is held back a moment.
    let (events, held) = pump_holding(&mut rng, &mut ds, &okafor, sent.envelopes, T0 + 10, |e| {
        e.to == okafor
    });
    for (at, e) in &events {
        match e {
            Event::Group(GroupEvent::Changed {
                removed,
                rotated,
                version,
                ..
            }) => {
                assert_eq!(removed, &vec![ahmed.clone()]);
                assert!(rotated);
                assert_eq!(*version, 2);
            }
            Event::Group(GroupEvent::Removed { group: g, from }) => {
                assert_eq!(at, &ahmed);
                assert_eq!((g, from), (&group, &okafor));
            }
            Event::Group(GroupEvent::KeyInstalled { .. }) => {}
            other => panic!("{other:?}"),
        }
    }
    assert!(ds[3].groups().is_empty());
    // Patel writes before her new key reached Okafor: kept, and shown in
    // the receive that delivers the key.
    let sent = ds[2]
        .send_group(
            &mut rng,
            &group,
            Outgoing::text("after the removal"),
            T0 + 11,
        )
        .unwrap();
    assert!(!sent.deliver_to.contains(&ahmed));
    assert_eq!(sent.deliver_to.len(), 2);
    let got = ds[0]
        .receive_group(&mut rng, &patel, &sent.message, T0 + 12)
        .unwrap();
    assert!(matches!(
        got.event,
        Event::Group(GroupEvent::MessageWaiting { ref evicted, .. }) if evicted.is_empty()
    ));
    assert_eq!(ds[0].waiting_group_messages(), 1);
    let released = deliver_keys(&mut rng, &mut ds[0], held, T0 + 12);
    assert_eq!(released.len(), 1);
    let Event::Group(GroupEvent::Message { ref message, .. }) = released[0] else {
        panic!("{released:?}");
    };
    assert_eq!(
        ds[0].message(message, T0 + 13).unwrap().1.expose(),
        b"after the removal"
    );
    assert_eq!(ds[0].waiting_group_messages(), 0);
    // Delivered again: a duplicate.
    let got = ds[0]
        .receive_group(&mut rng, &patel, &sent.message, T0 + 13)
        .unwrap();
    assert!(matches!(got.event, Event::Duplicate { .. }));

    // The removed device cannot read it: not with its current state, and
    // not with a copy of the state it had before.
    let got = ds[3]
        .receive_group(&mut rng, &patel, &sent.message, T0 + 13)
        .unwrap();
    assert!(matches!(
        got.event,
        Event::Group(GroupEvent::Undecryptable { .. })
    ));
    let mut copy = ahmed_copy.unwrap();
    let got = copy
        .receive_group(&mut rng, &patel, &sent.message, T0 + 13)
        .unwrap();
    assert!(matches!(
        got.event,
        Event::Group(GroupEvent::Undecryptable {
            reason: Error::Group(GroupError::FutureRoster),
            ..
        })
    ));
    let said = say(
        &mut rng,
        &mut ds,
        0,
        &group,
        "two of us left, plus the desk",
        T0 + 14,
    );
    assert_eq!(said.deliver_to.len(), 2);
    assert!(
        said.shown
            .iter()
            .all(|(_, t)| t == "two of us left, plus the desk")
    );
    let got = copy
        .receive_group(&mut rng, &okafor, &said.message, T0 + 15)
        .unwrap();
    assert!(!matches!(
        got.event,
        Event::Group(GroupEvent::Message { .. })
    ));

    // Adding him back (a new roster version) lets him read again, from now.
    let sent = ds[0]
        .update_group(
            &mut rng,
            &group,
            core::slice::from_ref(&ahmed),
            &[],
            T0 + 20,
        )
        .unwrap();
    pump(&mut rng, &mut ds, &okafor, sent.envelopes, T0 + 20);
    assert_eq!(ds[3].groups(), vec![group]);
    let said = say(&mut rng, &mut ds, 2, &group, "welcome back", T0 + 21);
    assert_eq!(said.shown.len(), 3);
    assert!(
        said.shown.iter().all(|(_, t)| t == "welcome back"),
        "{:?}",
        said.shown
    );
}

/// Leaving one group drops only the keys waiting for that group: a key
/// that overtook the roster of another group still waits, and is
/// installed when that roster arrives.
#[test]
fn removal_from_one_group_keeps_the_keys_waiting_for_another() {
    let mut rng = rng(12);
    let mut ds = ward(&mut rng);
    let first = formed(&mut rng, &mut ds);
    let (okafor, ahmed) = (ds[0].address().clone(), ds[3].address().clone());
    // A second group with Ahmed: its key reaches him before its roster.
    let (second, sent) = ds[0]
        .create_group(&mut rng, core::slice::from_ref(&ahmed), T0 + 5)
        .unwrap();
    let mut envelopes = sent.envelopes.into_iter();
    let roster = envelopes.next().unwrap();
    let key = envelopes.next().unwrap();
    let got = ds[3]
        .receive(&mut rng, &okafor, &key.envelope, T0 + 5)
        .unwrap();
    assert!(matches!(
        got.event,
        Event::Group(GroupEvent::KeyPending { group, .. }) if group == second
    ));
    assert_eq!(ds[3].pending_group_keys(), 1);
    // Ahmed is removed from the first group.
    let sent = ds[0]
        .update_group(
            &mut rng,
            &first,
            &[],
            core::slice::from_ref(&ahmed),
            T0 + 10,
        )
        .unwrap();
    let events = pump(&mut rng, &mut ds, &okafor, sent.envelopes, T0 + 10);
    assert!(events.iter().any(|(at, e)| at == &ahmed
        && matches!(e, Event::Group(GroupEvent::Removed { group, .. }) if *group == first)));
    assert!(ds[3].groups().is_empty());
    assert_eq!(ds[3].pending_group_keys(), 1);
    // The second group's roster arrives: the waiting key is installed.
    let got = ds[3]
        .receive(&mut rng, &okafor, &roster.envelope, T0 + 11)
        .unwrap();
    assert!(
        matches!(
            got.event,
            Event::Group(GroupEvent::Joined { group, keys_applied: 1, .. }) if group == second
        ),
        "{:?}",
        got.event
    );
    assert_eq!(ds[3].pending_group_keys(), 0);
    assert_eq!(ds[3].groups(), vec![second]);
}

#[test]
fn tampered_and_replayed_group_messages_change_nothing() {
    let mut rng = rng(5);
    let mut ds = ward(&mut rng);
    let group = formed(&mut rng, &mut ds);
    let patel = ds[2].address().clone();
    let sent = ds[2]
        .send_group(&mut rng, &group, Outgoing::text("NEWS 9 bed 4"), T0 + 1)
        .unwrap();
    let before = rows(ds[0].store());
    for i in (0..sent.message.len()).step_by(7) {
        let mut bad = sent.message.clone();
        bad[i] ^= 0x01;
        let waiting = ds[0].waiting_group_messages();
        match ds[0].receive_group(&mut rng, &patel, &bad, T0 + 2) {
            Err(_) => {}
            // A changed chain id names a key not held yet: the message
            // waits for it (bounded; it never decrypts) and nothing else
            // changes.
            Ok(got) if matches!(got.event, Event::Group(GroupEvent::MessageWaiting { .. })) => {
                assert_eq!(ds[0].waiting_group_messages(), waiting + 1);
                let others: Vec<_> = rows(ds[0].store())
                    .into_iter()
                    .filter(|(k, _)| !k.starts_with(b"gmsg/"))
                    .collect();
                assert_eq!(others, before, "byte {i}");
                continue;
            }
            Ok(got) => assert!(
                matches!(got.event, Event::Group(GroupEvent::Undecryptable { .. })),
                "byte {i}: {:?}",
                got.event
            ),
        }
        let others: Vec<_> = rows(ds[0].store())
            .into_iter()
            .filter(|(k, _)| !k.starts_with(b"gmsg/"))
            .collect();
        assert_eq!(others, before, "byte {i}");
        assert_eq!(ds[0].waiting_group_messages(), waiting, "byte {i}");
    }
    for bad in [&sent.message[..10], &[][..], &[0xff; 300][..]] {
        assert!(matches!(
            ds[0].receive_group(&mut rng, &patel, bad, T0 + 2),
            Err(Error::Decode(_))
        ));
    }
    // Claimed by another member's device: refused.
    let desk = ds[1].address().clone();
    assert_eq!(
        ds[0]
            .receive_group(&mut rng, &desk, &sent.message, T0 + 2)
            .unwrap_err(),
        Error::Trust(TrustError::IdentityMismatch)
    );
    assert_eq!(rows(ds[0].store()), before);
    let got = ds[0]
        .receive_group(&mut rng, &patel, &sent.message, T0 + 2)
        .unwrap();
    assert_eq!(shown_text(&ds[0], &got, T0 + 2), "NEWS 9 bed 4");
    // Replayed: a duplicate, nothing written.
    let after = rows(ds[0].store());
    let again = ds[0]
        .receive_group(&mut rng, &patel, &sent.message, T0 + 3)
        .unwrap();
    assert!(matches!(again.event, Event::Duplicate { .. }));
    assert_eq!(rows(ds[0].store()), after);
    // Its own message handed back to the sender: refused.
    assert_eq!(
        ds[2]
            .receive_group(&mut rng, &desk, &sent.message, T0 + 3)
            .unwrap_err(),
        Error::Group(GroupError::OwnMessage)
    );
}

#[test]
fn trust_is_asked_on_every_group_send_and_receive() {
    let mut rng = rng(6);
    let mut ds = ward(&mut rng);
    let group = formed(&mut rng, &mut ds);
    let (patel, ahmed) = (ds[2].address().clone(), ds[3].address().clone());
    // A message Ahmed wrote before anything changed.
    let from_ahmed = ds[3]
        .send_group(
            &mut rng,
            &group,
            Outgoing::text("from the old phone"),
            T0 + 1,
        )
        .unwrap();
    // Patel learns a new key for Ahmed's device (a reinstall): until she
    // verifies it and the coordinator updates the roster, Ahmed is neither
    // sent to nor read from.
    let reinstalled = device(&mut rng, MemoryStore::new(), "ahmed", 9);
    ds[2]
        .add_peer_device(&mut rng, &ahmed, &reinstalled.prekey_bundle())
        .unwrap();
    let said = say(&mut rng, &mut ds, 2, &group, "handover at 8", T0 + 2);
    assert!(!said.deliver_to.contains(&ahmed));
    assert_eq!(said.deliver_to.len(), 2);
    assert_eq!(
        said.not_sent,
        vec![(ahmed.clone(), Error::Trust(TrustError::KeyChanged))]
    );
    let before = rows(ds[2].store());
    let got = ds[2]
        .receive_group(&mut rng, &ahmed, &from_ahmed.message, T0 + 3)
        .unwrap();
    assert!(
        matches!(got.event, Event::KeyChanged { .. }),
        "{:?}",
        got.event
    );
    assert_eq!(rows(ds[2].store()), before, "nothing decrypted or stored");
    let _ = reinstalled.address();

    // Revoking trust in Patel's device at Okafor's: his sends leave her
    // out, and her messages are not read.
    let p = patel.peer_id();
    ds[0]
        .update_trust(&mut rng, |t| {
            t.forget(&p);
            Ok(())
        })
        .unwrap();
    let from_patel = ds[2]
        .send_group(&mut rng, &group, Outgoing::text("are you there?"), T0 + 4)
        .unwrap();
    let got = ds[0]
        .receive_group(&mut rng, &patel, &from_patel.message, T0 + 5)
        .unwrap();
    assert!(
        matches!(
            got.event,
            Event::Untrusted {
                reason: TrustError::Unverified,
                ..
            } | Event::KeyChanged { .. }
        ),
        "{:?}",
        got.event
    );
    let sent = ds[0]
        .send_group(&mut rng, &group, Outgoing::text("still here"), T0 + 6)
        .unwrap();
    assert!(!sent.deliver_to.contains(&patel));
    assert!(sent.not_sent.iter().any(|(a, _)| a == &patel));
}

#[test]
fn a_reinstalled_device_is_put_back_under_its_new_key() {
    let mut rng = rng(10);
    let mut ds = ward(&mut rng);
    let group = formed(&mut rng, &mut ds);
    let (okafor, ahmed) = (ds[0].address().clone(), ds[3].address().clone());
    // Dr Ahmed reinstalls: same address, new identity key; everyone
    // verifies the new key.
    ds[3] = device(&mut rng, MemoryStore::new(), "ahmed", 1);
    // The server hands each of his one-time prekeys to one initiator.
    let mut server = PreKeyDispenser::new(&ds[3].prekey_bundle()).unwrap();
    for i in 0..3 {
        let bundle = server.hand_out();
        ds[i].add_peer_device(&mut rng, &ahmed, &bundle).unwrap();
        ds[i]
            .mark_verified(&mut rng, &ahmed, VerificationMethod::QrCode, T0 + 1)
            .unwrap();
        let (addr, bundle) = (ds[i].address().clone(), ds[i].prekey_bundle());
        ds[3].add_peer_device(&mut rng, &addr, &bundle).unwrap();
        ds[3]
            .mark_verified(&mut rng, &addr, VerificationMethod::QrCode, T0 + 1)
            .unwrap();
    }
    // Until the roster names the new key, he is left out.
    let said = say(&mut rng, &mut ds, 2, &group, "before", T0 + 2);
    assert_eq!(
        said.not_sent,
        vec![(ahmed.clone(), Error::Trust(TrustError::KeyChanged))]
    );
    // The coordinator replaces the old key with the new one.
    let one = core::slice::from_ref(&ahmed);
    let sent = ds[0]
        .update_group(&mut rng, &group, one, one, T0 + 3)
        .unwrap();
    let events = pump(&mut rng, &mut ds, &okafor, sent.envelopes, T0 + 3);
    let mut changed = 0;
    for (at, e) in &events {
        match e {
            Event::Group(GroupEvent::Changed {
                key_changed,
                rotated,
                ..
            }) => {
                assert_eq!(key_changed, &vec![ahmed.clone()], "at {at:?}");
                assert!(rotated);
                changed += 1;
            }
            Event::Group(GroupEvent::Joined { version: 2, .. }) => assert_eq!(at, &ahmed),
            Event::Group(GroupEvent::KeyInstalled { .. } | GroupEvent::KeyPending { .. }) => {}
            other => panic!("{other:?} at {at:?}"),
        }
    }
    assert_eq!(changed, 2);
    let said = say(&mut rng, &mut ds, 2, &group, "after", T0 + 4);
    assert!(said.not_sent.is_empty());
    assert_eq!(said.shown.len(), 3);
    assert!(
        said.shown.iter().all(|(_, t)| t == "after"),
        "{:?}",
        said.shown
    );
}

#[test]
fn a_member_that_lost_our_session_is_sent_our_key_again() {
    let mut rng = rng(11);
    let mut ds = ward(&mut rng);
    let group = formed(&mut rng, &mut ds);
    let (okafor, patel) = (ds[0].address().clone(), ds[2].address().clone());
    let (okafor_id, patel_id) = (okafor.clinician().clone(), patel.clinician().clone());
    // Patel's store as it was after the group formed.
    let backup = ds[2].store().snapshot();
    for (i, to, text, t) in [
        (0, &patel_id, "one", 1),
        (2, &okafor_id, "two", 2),
        (0, &patel_id, "three", 3),
    ] {
        let sent = ds[i]
            .send(&mut rng, to, Outgoing::text(text), T0 + t)
            .unwrap();
        let from = ds[i].address().clone();
        pump(&mut rng, &mut ds, &from, sent.envelopes, T0 + t);
    }
    // Patel restores the backup: Okafor's next message cannot be read,
    // her device resets the session, and Okafor learns it.
    ds[2] = Device::open(backup, key_of("patel", 1)).unwrap();
    let sent = ds[0]
        .send_to_device(&mut rng, &patel, Outgoing::text("four"), T0 + 4)
        .unwrap();
    let events = pump(&mut rng, &mut ds, &okafor, sent.envelopes, T0 + 4);
    assert!(
        events
            .iter()
            .any(|(at, e)| at == &okafor && matches!(e, Event::SessionReset { .. })),
        "{events:?}"
    );
    // Okafor's next group message sends his key to Patel again first.
    let sent = ds[0]
        .send_group(&mut rng, &group, Outgoing::text("five"), T0 + 5)
        .unwrap();
    assert_eq!(sent.distributions.len(), 1);
    assert_eq!(sent.distributions[0].to, patel);
    pump(&mut rng, &mut ds, &okafor, sent.distributions, T0 + 5);
    let got = ds[2]
        .receive_group(&mut rng, &okafor, &sent.message, T0 + 6)
        .unwrap();
    assert_eq!(shown_text(&ds[2], &got, T0 + 6), "five");
    // Sent once: the next message owes nothing.
    let again = ds[0]
        .send_group(&mut rng, &group, Outgoing::text("six"), T0 + 7)
        .unwrap();
    assert!(again.distributions.is_empty());
}

#[test]
fn a_restart_mid_conversation_loses_nothing_and_shows_nothing_twice() {
    let mut rng = rng(7);
    let mut ds = ward(&mut rng);
    let group = formed(&mut rng, &mut ds);
    let patel = ds[2].address().clone();
    let first = say(&mut rng, &mut ds, 2, &group, "one", T0 + 1);
    let in_flight = ds[2]
        .send_group(&mut rng, &group, Outgoing::text("two"), T0 + 2)
        .unwrap();
    // Everyone restarts from their stores.
    let old = std::mem::take(&mut ds);
    for d in old {
        ds.push(restart(d));
    }
    for d in ds.iter() {
        assert_eq!(d.groups(), vec![group]);
    }
    for i in [0usize, 1, 3] {
        let again = ds[i]
            .receive_group(&mut rng, &patel, &first.message, T0 + 3)
            .unwrap();
        assert!(matches!(again.event, Event::Duplicate { .. }));
        let got = ds[i]
            .receive_group(&mut rng, &patel, &in_flight.message, T0 + 3)
            .unwrap();
        assert_eq!(shown_text(&ds[i], &got, T0 + 3), "two");
    }
    let said = say(&mut rng, &mut ds, 1, &group, "three", T0 + 4);
    assert!(said.shown.iter().all(|(_, t)| t == "three"));
}

#[test]
fn a_failed_commit_leaves_the_group_as_it_was() {
    let mut rng = rng(8);
    let mut ds = ward(&mut rng);
    let group = formed(&mut rng, &mut ds);
    let patel = ds[2].address().clone();
    let sent = ds[2]
        .send_group(&mut rng, &group, Outgoing::text("filed later"), T0 + 1)
        .unwrap();
    // Okafor's phone on a store whose next commit fails.
    let d = ds.remove(0);
    let store = FlakyStore::over(d.into_store(), 1);
    let mut d = Device::open(store, key_of("okafor", 1)).unwrap();
    assert_eq!(
        d.receive_group(&mut rng, &patel, &sent.message, T0 + 2)
            .unwrap_err(),
        Error::Store(StoreError::Backend)
    );
    assert!(
        d.send_group(&mut rng, &group, Outgoing::text("x"), T0 + 2)
            .is_err()
    );
    let mut d = Device::open(d.into_store().inner, key_of("okafor", 1)).unwrap();
    let got = d
        .receive_group(&mut rng, &patel, &sent.message, T0 + 3)
        .unwrap();
    assert_eq!(shown_text(&d, &got, T0 + 3), "filed later");
}

#[test]
fn only_the_coordinator_changes_the_roster_and_only_texts_go_to_a_group() {
    let mut rng = rng(9);
    let mut ds = ward(&mut rng);
    let group = formed(&mut rng, &mut ds);
    let ahmed = ds[3].address().clone();
    let before = rows(ds[2].store());
    assert_eq!(
        ds[2]
            .update_group(&mut rng, &group, &[], core::slice::from_ref(&ahmed), T0)
            .unwrap_err(),
        Error::Group(GroupError::NotCoordinator)
    );
    assert_eq!(
        ds[2]
            .send_group(&mut rng, &group, Outgoing::read(vec![]), T0)
            .unwrap_err(),
        Error::Decode(DecodeError::UnknownKind)
    );
    assert_eq!(
        ds[2]
            .send_group(&mut rng, &GroupId([0; 16]), Outgoing::text("x"), T0)
            .unwrap_err(),
        Error::Group(GroupError::WrongGroup)
    );
    assert_eq!(rows(ds[2].store()), before);
    // A device that is not verified cannot be put in a group.
    let stranger = device(&mut rng, MemoryStore::new(), "locum", 1);
    let s_addr = stranger.address().clone();
    ds[0]
        .add_peer_device(&mut rng, &s_addr, &stranger.prekey_bundle())
        .unwrap();
    let before = rows(ds[0].store());
    assert_eq!(
        ds[0]
            .create_group(&mut rng, core::slice::from_ref(&s_addr), T0)
            .unwrap_err(),
        Error::Trust(TrustError::Unverified)
    );
    assert_eq!(
        ds[0]
            .update_group(&mut rng, &group, &[s_addr], &[], T0)
            .unwrap_err(),
        Error::Trust(TrustError::Unverified)
    );
    assert_eq!(rows(ds[0].store()), before);
}

proptest::proptest! {
    #![proptest_config(proptest::prelude::ProptestConfig { cases: 12, ..Default::default() })]

    /// The coordinator forms the group and at once removes Dr Ahmed; every
    /// roster and key is delivered in any order, some twice. The remaining
    /// members end up holding each other's keys for the new roster, with
    /// nothing left waiting, every message among them is shown exactly
    /// once, and Dr Ahmed reads none of them.
    #[test]
    fn any_delivery_order_converges(
        seed in proptest::prelude::any::<u64>(),
        picks in proptest::collection::vec((proptest::prelude::any::<u16>(), proptest::prelude::any::<bool>()), 64),
    ) {
        let mut rng = rng(seed);
        let mut ds = ward(&mut rng);
        let okafor = ds[0].address().clone();
        let ahmed = ds[3].address().clone();
        let members: Vec<DeviceAddress> = ds[1..].iter().map(|d| d.address().clone()).collect();
        let (group, sent) = ds[0].create_group(&mut rng, &members, T0).unwrap();
        let mut pool: Vec<(DeviceAddress, OutgoingEnvelope)> =
            sent.envelopes.into_iter().map(|e| (okafor.clone(), e)).collect();
        let sent = ds[0]
            .update_group(&mut rng, &group, &[], core::slice::from_ref(&ahmed), T0)
            .unwrap();
        pool.extend(sent.envelopes.into_iter().map(|e| (okafor.clone(), e)));
        let mut picks = picks.into_iter().cycle();
        while !pool.is_empty() {
            let (k, twice) = picks.next().unwrap();
            let (from, env) = pool.swap_remove(usize::from(k) % pool.len());
            let i = at(&mut ds, &env.to);
            let got = ds[i].receive(&mut rng, &from, &env.envelope, T0 + 1).unwrap();
            let me = ds[i].address().clone();
            pool.extend(got.replies.into_iter().map(|r| (me.clone(), r)));
            if twice {
                let again = ds[i].receive(&mut rng, &from, &env.envelope, T0 + 1).unwrap();
                proptest::prop_assert!(matches!(again.event, Event::Duplicate { .. }), "not a duplicate");
            }
        }
        for d in &ds[..3] {
            proptest::prop_assert_eq!(d.group_roster(&group).unwrap().version(), 2);
            proptest::prop_assert!(d.group_missing_keys(&group).is_empty(), "{:?}", d.address());
            proptest::prop_assert_eq!(d.pending_group_keys(), 0);
        }
        for i in 0..3 {
            let text = format!("from {i}");
            let sender = ds[i].address().clone();
            let said = say(&mut rng, &mut ds, i, &group, &text, T0 + 2);
            proptest::prop_assert_eq!(said.deliver_to.len(), 2);
            proptest::prop_assert!(said.shown.iter().all(|(_, t)| *t == text));
            let again = ds[(i + 1) % 3].receive_group(&mut rng, &sender, &said.message, T0 + 3).unwrap();
            proptest::prop_assert!(matches!(again.event, Event::Duplicate { .. }), "not a duplicate");
            let got = ds[3].receive_group(&mut rng, &sender, &said.message, T0 + 3);
            proptest::prop_assert!(
                !matches!(got, Ok(Received { event: Event::Group(GroupEvent::Message { .. }), .. })),
                "the removed device read it"
            );
        }
    }
}

/// Dr Okafor's phone forms a group of every device; the members' sender
/// keys for device `at` are held back (for a member, everything after the
/// coordinator's roster and key). Nurse Patel then writes to the group:
/// returns her message and the held envelopes.
fn message_before_key(
    rng: &mut ChaCha20Rng,
    ds: &mut Ward,
    at: usize,
    text: &str,
) -> (Vec<u8>, Held) {
    let members: Vec<DeviceAddress> = ds[1..].iter().map(|d| d.address().clone()).collect();
    let (group, sent) = ds[0].create_group(rng, &members, T0).unwrap();
    let (okafor, to) = (ds[0].address().clone(), ds[at].address().clone());
    let let_through = std::cell::Cell::new(if at == 0 { 0u32 } else { 2 });
    let (_, held) = pump_holding(rng, ds, &okafor, sent.envelopes, T0, |e| {
        if e.to != to {
            return false;
        }
        let n = let_through.get();
        let_through.set(n.saturating_sub(1));
        n == 0
    });
    assert_eq!(
        held.len(),
        2 + usize::from(at == 0),
        "the other members' keys"
    );
    let sent = ds[2]
        .send_group(rng, &group, Outgoing::text(text), T0 + 1)
        .unwrap();
    assert!(sent.deliver_to.contains(&to));
    (sent.message, held)
}

#[test]
fn a_group_message_before_its_sender_key_waits_sealed_and_is_shown_once() {
    let mut rng = rng(21);
    let mut ds = ward(&mut rng);
    let (message, held) = message_before_key(&mut rng, &mut ds, 0, "NEWS 7, bay 3");
    let patel = ds[2].address().clone();
    let before = rows(ds[0].store());
    let got = ds[0]
        .receive_group(&mut rng, &patel, &message, T0 + 2)
        .unwrap();
    assert!(
        matches!(
            got.event,
            Event::Group(GroupEvent::MessageWaiting { ref from, ref evicted, .. })
                if *from == patel && evicted.is_empty()
        ),
        "{:?}",
        got.event
    );
    assert!(got.replies.is_empty() && got.released.is_empty());
    assert_eq!(ds[0].waiting_group_messages(), 1);
    // One new row, sealed: it names neither the group nor the sender, and
    // holds not even the ciphertext in the clear.
    let after = rows(ds[0].store());
    let new: Vec<_> = after.iter().filter(|r| !before.contains(r)).collect();
    assert_eq!(new.len(), 1);
    let (k, v) = new[0];
    assert!(k.starts_with(b"gmsg/") && k.len() == 5 + 32);
    let group = ds[0].groups()[0];
    let sender = ds[2].identity_key().to_bytes();
    for needle in [&group.0[..], &sender[1..33], &message[60..90]] {
        assert!(!v.windows(needle.len()).any(|w| w == needle));
    }
    // A second copy is a duplicate, not a second waiting message.
    let got = ds[0]
        .receive_group(&mut rng, &patel, &message, T0 + 3)
        .unwrap();
    assert!(matches!(got.event, Event::Duplicate { .. }));
    assert_eq!(ds[0].waiting_group_messages(), 1);

    // The app restarts: the message is still waiting.
    let d = ds.remove(0);
    ds.insert(0, restart(d));
    assert_eq!(ds[0].waiting_group_messages(), 1);

    // The keys arrive: Patel's releases her message, in the same receive.
    let mut shown = Vec::new();
    for e in deliver_keys(&mut rng, &mut ds[0], held, T0 + 4) {
        let Event::Group(GroupEvent::Message {
            message: m, from, ..
        }) = e
        else {
            panic!("{e:?}");
        };
        assert_eq!(from, patel);
        shown.push(ds[0].message(&m, T0 + 4).unwrap().1.expose().to_vec());
    }
    assert_eq!(shown, vec![b"NEWS 7, bay 3".to_vec()]);
    assert_eq!(ds[0].waiting_group_messages(), 0);
    assert!(
        !rows(ds[0].store())
            .iter()
            .any(|(k, _)| k.starts_with(b"gmsg/"))
    );
    // Stored in the vault like any group message: still there after a
    // restart; a copy delivered now is a duplicate.
    let d = ds.remove(0);
    ds.insert(0, restart(d));
    assert_eq!(ds[0].awaiting_filing(T0 + 10).len(), 1);
    let got = ds[0]
        .receive_group(&mut rng, &patel, &message, T0 + 5)
        .unwrap();
    assert!(matches!(got.event, Event::Duplicate { .. }));
}

/// The receive that installs the key and shows the waiting message is one
/// commit: if it fails, the key is not installed and the message still
/// waits; delivered again, both happen once.
#[test]
fn a_failed_commit_of_the_key_keeps_the_message_waiting() {
    let mut rng = rng(22);
    let mut ds = ward(&mut rng);
    let (message, held) = message_before_key(&mut rng, &mut ds, 0, "recheck obs");
    let patel = ds[2].address().clone();
    ds[0]
        .receive_group(&mut rng, &patel, &message, T0 + 2)
        .unwrap();
    let d = ds.remove(0);
    let store = FlakyStore::over(d.into_store(), 1);
    let mut d = Device::open(store, key_of("okafor", 1)).unwrap();
    let (from, env) = held.iter().find(|(f, _)| *f == patel).unwrap();
    assert_eq!(
        d.receive(&mut rng, from, &env.envelope, T0 + 3)
            .unwrap_err(),
        Error::Store(StoreError::Backend)
    );
    assert_eq!(d.waiting_group_messages(), 1);
    assert!(d.awaiting_filing(T0 + 10).is_empty());
    let mut d = Device::open(d.into_store().inner, key_of("okafor", 1)).unwrap();
    assert_eq!(d.waiting_group_messages(), 1);
    let got = d.receive(&mut rng, from, &env.envelope, T0 + 4).unwrap();
    assert_eq!(got.released.len(), 1);
    assert!(matches!(
        got.released[0],
        Event::Group(GroupEvent::Message { .. })
    ));
    assert_eq!(d.waiting_group_messages(), 0);
    assert_eq!(d.awaiting_filing(T0 + 10).len(), 1);
}

/// A waiting message that turns out forged once the key arrives is
/// dropped and reported; the key is installed and the next message reads.
#[test]
fn a_waiting_message_that_fails_its_signature_is_dropped_and_reported() {
    let mut rng = rng(23);
    let mut ds = ward(&mut rng);
    let (message, held) = message_before_key(&mut rng, &mut ds, 0, "genuine");
    let patel = ds[2].address().clone();
    let mut forged = message.clone();
    let n = forged.len();
    forged[n - 80] ^= 0x40;
    let got = ds[0]
        .receive_group(&mut rng, &patel, &forged, T0 + 2)
        .unwrap();
    assert!(matches!(
        got.event,
        Event::Group(GroupEvent::MessageWaiting { .. })
    ));
    let released = deliver_keys(&mut rng, &mut ds[0], held, T0 + 3);
    assert_eq!(released.len(), 1, "{released:?}");
    assert!(
        matches!(
            &released[0],
            Event::Group(GroupEvent::WaitingDropped { dropped })
                if dropped.from == patel
                    && dropped.arrived_at == T0 + 2
                    && dropped.reason == Error::Crypto(CryptoError::BadSignature)
        ),
        "{released:?}"
    );
    assert!(ds[0].awaiting_filing(T0 + 10).is_empty());
    assert_eq!(ds[0].waiting_group_messages(), 0);
    // The genuine copy reads normally.
    let got = ds[0]
        .receive_group(&mut rng, &patel, &message, T0 + 4)
        .unwrap();
    assert_eq!(shown_text(&ds[0], &got, T0 + 4), "genuine");
}

/// Waiting messages are bounded per group: the oldest is dropped and
/// reported; the rest are shown once the key arrives, in order.
#[test]
fn waiting_group_messages_are_bounded_and_the_oldest_dropped_is_reported() {
    use bleep::limits::MAX_WAITING_GROUP_MESSAGES_PER_GROUP as MAX;
    let mut rng = rng(24);
    let mut ds = ward(&mut rng);
    let (first, held) = message_before_key(&mut rng, &mut ds, 0, "t0");
    let patel = ds[2].address().clone();
    let group = ds[0].groups()[0];
    let mut messages = vec![first];
    for i in 1..=MAX {
        let sent = ds[2]
            .send_group(&mut rng, &group, Outgoing::text(&format!("t{i}")), T0 + 1)
            .unwrap();
        messages.push(sent.message);
    }
    for (i, m) in messages.iter().enumerate() {
        let got = ds[0].receive_group(&mut rng, &patel, m, T0 + 2).unwrap();
        let Event::Group(GroupEvent::MessageWaiting { evicted, .. }) = got.event else {
            panic!("{:?}", got.event);
        };
        if i < MAX {
            assert!(evicted.is_empty());
        } else {
            assert_eq!(evicted.len(), 1);
            assert_eq!(evicted[0].from, patel);
            assert_eq!(evicted[0].reason, Error::Limit(LimitError::TooManyEntries));
        }
    }
    assert_eq!(ds[0].waiting_group_messages(), MAX);
    let mut shown = Vec::new();
    for e in deliver_keys(&mut rng, &mut ds[0], held, T0 + 3) {
        let Event::Group(GroupEvent::Message { message, .. }) = e else {
            panic!("{e:?}");
        };
        let body = ds[0].message(&message, T0 + 3).unwrap().1.expose().to_vec();
        shown.push(String::from_utf8(body).unwrap());
    }
    let want: Vec<String> = (1..=MAX).map(|i| format!("t{i}")).collect();
    assert_eq!(shown, want);
}

/// Removed from the group while a message waits: it is dropped and
/// reported with the removal.
#[test]
fn removal_drops_the_waiting_messages_of_the_group() {
    let mut rng = rng(25);
    let mut ds = ward(&mut rng);
    let (message, _held) = message_before_key(&mut rng, &mut ds, 3, "bye");
    let (okafor, patel, ahmed) = (
        ds[0].address().clone(),
        ds[2].address().clone(),
        ds[3].address().clone(),
    );
    let got = ds[3]
        .receive_group(&mut rng, &patel, &message, T0 + 2)
        .unwrap();
    assert!(matches!(
        got.event,
        Event::Group(GroupEvent::MessageWaiting { .. })
    ));
    let group = ds[0].groups()[0];
    let sent = ds[0]
        .update_group(&mut rng, &group, &[], core::slice::from_ref(&ahmed), T0 + 3)
        .unwrap();
    let roster = sent.envelopes.iter().find(|e| e.to == ahmed).unwrap();
    let got = ds[3]
        .receive(&mut rng, &okafor, &roster.envelope, T0 + 4)
        .unwrap();
    assert!(matches!(
        got.event,
        Event::Group(GroupEvent::Removed { .. })
    ));
    assert_eq!(got.released.len(), 1);
    assert!(matches!(
        &got.released[0],
        Event::Group(GroupEvent::WaitingDropped { dropped })
            if dropped.reason == Error::Group(GroupError::NotAMember)
                && dropped.group == group
    ));
    assert_eq!(ds[3].waiting_group_messages(), 0);
    assert!(
        !rows(ds[3].store())
            .iter()
            .any(|(k, _)| k.starts_with(b"gmsg/"))
    );
}

/// A group message read is in the vault after a restart (its vault row is
/// written with the receive).
#[test]
fn a_group_message_read_is_still_in_the_vault_after_a_restart() {
    let mut rng = rng(26);
    let mut ds = ward(&mut rng);
    let group = formed(&mut rng, &mut ds);
    let said = say(&mut rng, &mut ds, 2, &group, "kept", T0 + 1);
    assert!(said.shown.iter().all(|(_, t)| t == "kept"));
    let d = ds.remove(0);
    let d = restart(d);
    let held = d.awaiting_filing(T0 + 2);
    assert_eq!(held.len(), 1);
}

/// A catch-up of queued group messages (`receive_group_batch`, signatures
/// checked in one batch per group) gives, message by message, what
/// `receive_group` gives one at a time, and leaves the same store: good
/// messages from three senders, a tampered one, a replay, one handed in
/// under another member's device, and garbage.
#[test]
fn a_group_catch_up_equals_receiving_one_at_a_time() {
    let mut rng = rng(9);
    let mut ds = ward(&mut rng);
    let group = formed(&mut rng, &mut ds);
    let mut queue: Vec<(DeviceAddress, Vec<u8>)> = Vec::new();
    for round in 0..4 {
        for i in [0, 2, 3] {
            let sent = ds[i]
                .send_group(
                    &mut rng,
                    &group,
                    Outgoing::text(&format!("{i}/{round}")),
                    T0 + 1,
                )
                .unwrap();
            let from = ds[i].address().clone();
            pump(&mut rng, &mut ds, &from, sent.distributions, T0 + 1);
            queue.push((from, sent.message));
        }
    }
    let mut tampered = queue[4].clone();
    let n = tampered.1.len();
    tampered.1[n - 1] ^= 1;
    queue.insert(2, tampered);
    queue.push(queue[0].clone());
    queue.push((ds[2].address().clone(), queue[1].1.clone()));
    queue.push((ds[2].address().clone(), vec![1, 3, 0]));

    let key = key_of("okafor", 2);
    let mut twin = Device::open(ds[1].store().snapshot(), key).unwrap();
    let singly: Vec<_> = queue
        .iter()
        .map(|(from, m)| twin.receive_group(&mut rng, from, m, T0 + 2))
        .collect();
    let batched = ds[1].receive_group_batch(&mut rng, &queue, T0 + 2).unwrap();
    assert_eq!(batched.len(), queue.len());
    let mut texts = 0;
    for (k, (a, b)) in singly.iter().zip(&batched).enumerate() {
        match (a, b) {
            (Ok(x), Ok(y)) => {
                let (tx, ty) = (shown_text(&twin, x, T0 + 2), shown_text(&ds[1], y, T0 + 2));
                assert_eq!(tx, ty, "{k}");
                texts += usize::from(matches!(x.event, Event::Group(GroupEvent::Message { .. })));
            }
            (Err(x), Err(y)) => assert_eq!(x, y, "{k}"),
            _ => panic!("{k}: {a:?} vs {b:?}"),
        }
    }
    assert_eq!(texts, 12);
    assert_eq!(
        batched[2].as_ref().unwrap_err(),
        &Error::Crypto(CryptoError::BadSignature)
    );
    assert!(matches!(
        batched[13].as_ref().unwrap().event,
        Event::Duplicate { .. }
    ));
    // The same rows (values are sealed under fresh nonces, so they differ).
    let names =
        |rows: Vec<(Vec<u8>, Vec<u8>)>| rows.into_iter().map(|(k, _)| k).collect::<Vec<_>>();
    assert_eq!(names(rows(twin.store())), names(rows(ds[1].store())));
    // Nothing queued: nothing happens.
    assert!(
        ds[1]
            .receive_group_batch(&mut rng, &[] as &[(DeviceAddress, Vec<u8>)], T0 + 3)
            .unwrap()
            .is_empty()
    );
}
