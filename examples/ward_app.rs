//! A ward app on the device layer: three clinicians (Dr Okafor on a phone
//! and a desktop), verification, a conversation, a restart from the SQLite
//! file, a group, a key change and filing a message to the record.
//!
//! `cargo run --example ward_app`

// The introductions index small fixed arrays of devices.
#![allow(clippy::indexing_slicing)]

use bleep::store::{MemoryStore, SqliteStore, Store};
use bleep::*;

const NOW: u64 = 1_700_000_000;

/// Hands every envelope to its device and prints what happened, following
/// replies (receipts, resets) until the network is quiet.
fn deliver<S: Store>(
    rng: &mut impl rand_core::CryptoRng,
    devices: &mut [&mut Device<S>],
    from: &DeviceAddress,
    outgoing: Vec<OutgoingEnvelope>,
    now: u64,
) -> Result<()> {
    let mut queue: Vec<(DeviceAddress, OutgoingEnvelope)> =
        outgoing.into_iter().map(|e| (from.clone(), e)).collect();
    while let Some((from, env)) = queue.pop() {
        let Some(to) = devices.iter_mut().find(|d| *d.address() == env.to) else {
            continue;
        };
        let got = to.receive(rng, &from, &env.envelope, now)?;
        match &got.event {
            Event::Message { message, .. } => {
                let text = to
                    .message(message, now)
                    .map(|(_, b)| b.expose_str().unwrap_or("?"));
                println!(
                    "  {:?} shows from {:?}: {:?}",
                    to.address(),
                    from,
                    text.unwrap_or("?")
                );
            }
            Event::Delivered { .. } => println!("  {:?}: delivered to {:?}", to.address(), from),
            other => println!("  {:?}: {other:?}", to.address()),
        }
        let me = to.address().clone();
        queue.extend(got.replies.into_iter().map(|r| (me.clone(), r)));
    }
    Ok(())
}

/// Hands a group message (after any sender keys still owed) to every
/// device it is for, and says who was left out.
fn deliver_group<S: Store>(
    rng: &mut impl rand_core::CryptoRng,
    devices: &mut [&mut Device<S>],
    from: &DeviceAddress,
    sent: GroupSent,
    now: u64,
) -> Result<()> {
    deliver(rng, devices, from, sent.distributions, now)?;
    for to in &sent.deliver_to {
        let Some(d) = devices.iter_mut().find(|d| d.address() == to) else {
            continue;
        };
        let got = d.receive_group(rng, from, &sent.message, now)?;
        if let Event::Group(GroupEvent::Message { message, .. }) = &got.event {
            let text = d
                .message(message, now)
                .map(|(_, b)| b.expose_str().unwrap_or("?"));
            println!(
                "  {to:?} shows in the group from {from:?}: {:?}",
                text.unwrap_or("?")
            );
        }
    }
    for (to, why) in &sent.not_sent {
        println!("  not sent to {to:?}: {why}");
    }
    Ok(())
}

fn main() -> Result<()> {
    let mut rng = rand::rng();
    let path = std::env::temp_dir().join("bleep-ward-app.db");
    for suffix in ["", "-wal", "-shm"] {
        let _ = std::fs::remove_file(format!("{}{suffix}", path.display()));
    }
    let (okafor, patel, ahmed) = (
        PeerId::new("dr.okafor")?,
        PeerId::new("nurse.patel")?,
        PeerId::new("dr.ahmed")?,
    );
    let policy = TrustPolicy::RequireVerified;
    let phone_key = [7u8; 32]; // in an app: from the Android Keystore / iOS Keychain
    let new = |rng: &mut _, who: &PeerId, n, key: [u8; 32]| {
        let store: Box<dyn Store> = Box::new(MemoryStore::new());
        Device::create(
            rng,
            store,
            StorageKey::from_bytes(key),
            DeviceAddress::new(who, n)?,
            policy,
            NOW,
        )
    };
    let sqlite: Box<dyn Store> = Box::new(SqliteStore::open(&path)?);
    let mut ok_phone = Device::create(
        &mut rng,
        sqlite,
        StorageKey::from_bytes(phone_key),
        DeviceAddress::new(&okafor, 1)?,
        policy,
        NOW,
    )?;
    let mut ok_desk = new(&mut rng, &okafor, 2, [8; 32])?;
    let mut pat = new(&mut rng, &patel, 1, [9; 32])?;
    let mut ahm = new(&mut rng, &ahmed, 1, [10; 32])?;

    // The app's server keeps each device's uploaded prekeys and hands each
    // one-time prekey to one initiator. Every device learns every other's
    // bundle; the clinicians compare safety numbers in person.
    println!("verify:");
    {
        let all = [&mut ok_phone, &mut ok_desk, &mut pat, &mut ahm];
        let mut server: Vec<PreKeyDispenser> = all
            .iter()
            .map(|d| PreKeyDispenser::new(&d.prekey_bundle()))
            .collect::<Result<_>>()?;
        let addrs: Vec<DeviceAddress> = all.iter().map(|d| d.address().clone()).collect();
        for i in 0..all.len() {
            for j in 0..all.len() {
                if i != j {
                    let bundle = server[j].hand_out();
                    all[i].add_peer_device(&mut rng, &addrs[j], &bundle)?;
                    all[i].mark_verified(
                        &mut rng,
                        &addrs[j],
                        VerificationMethod::SafetyNumber,
                        NOW,
                    )?;
                }
            }
        }
        let sn = all[2].safety_number(&addrs[0]).map(|s| s.digits());
        println!(
            "  nurse.patel and dr.okafor/1 compare {} ... (equal on both phones: {})",
            sn.as_deref().unwrap_or("").get(..10).unwrap_or(""),
            sn == all[0].safety_number(&addrs[2]).map(|s| s.digits())
        );
    }

    println!("talk:");
    let sent = pat.send(
        &mut rng,
        &okafor,
        Outgoing::text("Bay 3 bed 2: NEWS 7, please review").contains_patient_data(true),
        NOW + 60,
    )?;
    let from = pat.address().clone();
    deliver(
        &mut rng,
        &mut [&mut ok_phone, &mut ok_desk, &mut pat, &mut ahm],
        &from,
        sent.envelopes,
        NOW + 61,
    )?;
    let sent = ok_phone.send(
        &mut rng,
        &patel,
        Outgoing::text("Coming in 10 minutes"),
        NOW + 120,
    )?;
    let from = ok_phone.address().clone();
    deliver(
        &mut rng,
        &mut [&mut ok_phone, &mut ok_desk, &mut pat, &mut ahm],
        &from,
        sent.envelopes,
        NOW + 121,
    )?;

    println!("restart dr.okafor/1 from {}:", path.display());
    drop(ok_phone);
    let sqlite: Box<dyn Store> = Box::new(SqliteStore::open(&path)?);
    let mut ok_phone = Device::open(sqlite, StorageKey::from_bytes(phone_key))?;
    let sent = ok_phone.send(
        &mut rng,
        &patel,
        Outgoing::text("Bloods back: K+ 6.1, repeat ECG"),
        NOW + 180,
    )?;
    let from = ok_phone.address().clone();
    deliver(
        &mut rng,
        &mut [&mut ok_phone, &mut ok_desk, &mut pat, &mut ahm],
        &from,
        sent.envelopes,
        NOW + 181,
    )?;

    println!("form a group (dr.okafor/1 coordinates):");
    let members = [
        ok_desk.address().clone(),
        pat.address().clone(),
        ahm.address().clone(),
    ];
    let (group, sent) = ok_phone.create_group(&mut rng, &members, NOW + 190)?;
    let from = ok_phone.address().clone();
    deliver(
        &mut rng,
        &mut [&mut ok_phone, &mut ok_desk, &mut pat, &mut ahm],
        &from,
        sent.envelopes,
        NOW + 191,
    )?;
    let sent = pat.send_group(
        &mut rng,
        &group,
        Outgoing::text("Bay 3 bed 2 moving to resus").contains_patient_data(true),
        NOW + 200,
    )?;
    let from = pat.address().clone();
    deliver_group(
        &mut rng,
        &mut [&mut ok_phone, &mut ok_desk, &mut pat, &mut ahm],
        &from,
        sent,
        NOW + 201,
    )?;

    println!("key change: dr.ahmed reinstalls the app");
    let mut ahm = new(&mut rng, &ahmed, 1, [11; 32])?;
    ahm.add_peer_device(&mut rng, pat.address(), &pat.prekey_bundle())?;
    ahm.mark_verified(
        &mut rng,
        pat.address(),
        VerificationMethod::QrCode,
        NOW + 240,
    )?;
    let sent = ahm.send(
        &mut rng,
        &patel,
        Outgoing::text("New phone, same Ahmed"),
        NOW + 240,
    )?;
    let from = ahm.address().clone();
    deliver(
        &mut rng,
        &mut [&mut ok_phone, &mut ok_desk, &mut pat, &mut ahm],
        &from,
        sent.envelopes,
        NOW + 241,
    )?;
    let change = pat.key_change(&from).map(|c| c.detected_at());
    println!(
        "  nurse.patel must verify dr.ahmed again (change seen at {change:?}); sending is refused until then:"
    );
    pat.add_peer_device(&mut rng, &from, &ahm.prekey_bundle())?;
    println!(
        "  {:?}",
        pat.send(&mut rng, &ahmed, Outgoing::text("hello?"), NOW + 250)
            .map(|_| ())
    );
    println!("  and his old key is left out of the group until the coordinator adds the new one:");
    let sent = pat.send_group(&mut rng, &group, Outgoing::text("Resus 2 ready"), NOW + 255)?;
    let me = pat.address().clone();
    deliver_group(
        &mut rng,
        &mut [&mut ok_phone, &mut ok_desk, &mut pat, &mut ahm],
        &me,
        sent,
        NOW + 256,
    )?;
    pat.mark_verified(&mut rng, &from, VerificationMethod::QrCode, NOW + 260)?;
    let sent = pat.send(
        &mut rng,
        &ahmed,
        Outgoing::text("Verified, welcome back"),
        NOW + 261,
    )?;
    let from = pat.address().clone();
    deliver(
        &mut rng,
        &mut [&mut ok_phone, &mut ok_desk, &mut pat, &mut ahm],
        &from,
        sent.envelopes,
        NOW + 262,
    )?;

    println!("file to record:");
    for waiting in ok_phone.awaiting_filing(NOW + 300) {
        let filed = ok_phone.file_to_record(&mut rng, &waiting.message, |info, body| {
            println!(
                "  EPR <- {} bytes, patient data: {}",
                body.len(),
                info.contains_patient_data
            );
            Ok::<_, ()>(())
        })?;
        if filed.is_ok() {
            let notice = ok_phone.send_to_device(
                &mut rng,
                pat.address(),
                Outgoing::filed(vec![waiting.message.id()]),
                NOW + 301,
            )?;
            let from = ok_phone.address().clone();
            deliver(
                &mut rng,
                &mut [&mut ok_phone, &mut ok_desk, &mut pat, &mut ahm],
                &from,
                notice.envelopes,
                NOW + 302,
            )?;
        }
    }
    println!(
        "  dr.okafor/1 holds {} unfiled messages",
        ok_phone.awaiting_filing(NOW + 303).len()
    );
    Ok(())
}
