//! The benchmark texts, shared by the criterion bench and the callgrind
//! driver (`examples/scan_once.rs`).
#![allow(
    dead_code,
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

use bleep_redact::Scanner;

const CORPUS: &str = include_str!("../../tests/data/redact_corpus.txt");

/// The corpus messages without their label markers, padded with plain
/// clinical chatter so identifiers are not the whole text, repeated to 64 KiB.
pub(crate) fn mixed_text() -> (Scanner, String) {
    let mut b = Scanner::builder();
    let mut msgs = Vec::new();
    for line in CORPUS.lines() {
        if let Some(p) = line.strip_prefix("#! patient: ") {
            b = b.patient_name(p);
        } else if let Some(s) = line.strip_prefix("#! staff: ") {
            b = b.staff_name(s);
        } else if !line.starts_with('#') {
            let mut t = String::new();
            let mut rest = line;
            while let Some(i) = rest.find("{{") {
                t.push_str(&rest[..i]);
                let colon = rest[i..].find(':').unwrap() + i;
                rest = &rest[colon + 1..];
                let end = rest.find("}}").unwrap();
                t.push_str(&rest[..end]);
                rest = &rest[end + 2..];
            }
            t.push_str(rest);
            msgs.push(t.replace("<<", "").replace(">>", ""));
        }
    }
    let chatter = [
        "Thanks, will review after the ward round 👍 Obs stable, eating and drinking, mobilising with frame.",
        "Can someone chase the CT report? Radiology say it's been vetted, slot after 15:00 — café closes at 4 ☕",
        "Physio happy for home with package of care; OT assessment tomorrow. Pharmacy doing TTOs now 🙏",
        "Reminder: hand hygiene audit this week, and please document fluid balance on every bed ✅",
    ];
    let mut text = String::new();
    let mut k = 0;
    while text.len() < 64 * 1024 {
        text.push_str(&msgs[k % msgs.len()]);
        text.push('\n');
        text.push_str(chatter[k % chatter.len()]);
        text.push('\n');
        k += 1;
    }
    (b.build(), text)
}

/// The chatter lines of `mixed_text` alone (no identifiers).
pub(crate) fn chatter(text: &str) -> String {
    text.lines()
        .filter(|l| {
            l.starts_with("Thanks")
                || l.starts_with("Can")
                || l.starts_with("Physio")
                || l.starts_with("Reminder")
        })
        .collect::<Vec<_>>()
        .join("\n")
}

/// One corpus message per four lines of chatter: closer to a ward's
/// message stream than the dense mix.
pub(crate) fn typical(text: &str, plain: &str) -> String {
    let dense: Vec<&str> = text.lines().step_by(2).collect();
    let chat: Vec<&str> = plain.lines().collect();
    let mut typical = String::new();
    let mut k = 0;
    while typical.len() < 64 * 1024 {
        typical.push_str(dense[k % dense.len()]);
        typical.push('\n');
        for j in 0..4 {
            typical.push_str(chat[(k * 4 + j) % chat.len()]);
            typical.push('\n');
        }
        k += 1;
    }
    typical
}
