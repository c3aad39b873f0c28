//! Redact a (synthetic) ward handover and print what was found.
//!
//! Run with `cargo run --example redact_handover`.

use bleep::redact::{Action, LockScreenPreview, PreviewPolicy, PseudonymKey, Scanner};

const HANDOVER: &str = "Night handover, Nightingale Ward bay 4 bed 2 🛏️\n\
Mrs Margaret Thornton, 84F, DOB 12/03/1954, NHS 943 476 5919, MRN 00123456.\n\
Adm 21/11/2026 with CAP. Obs: BP 104/62, HR 110, SpO2 94% on 2L O2, GCS 14/15.\n\
Bloods: Hb 98, K+ 5.9 — repeat at 06:00. Gentamicin 5mg/kg, levels due.\n\
NOK son Peter Thornton 07700 900123 (lives SW1A 2AA), happy to be called overnight.\n\
Dr Okafor aware, Sister Lee on bleep 1234; under Mr Shah for review on the post-take round.";

fn main() {
    // The app supplies its patient list and the clinicians in the conversation.
    let scanner = Scanner::builder()
        .patient_name("Margaret Thornton")
        .patient_name("Peter Thornton")
        .staff_name("Adaeze Okafor")
        .build();

    // Pre-send check: what would the clinician be warned about?
    let findings = scanner.scan(HANDOVER);
    println!("{} findings:", findings.len());
    for f in &findings {
        println!(
            "  {:<16} bytes {:>3}..{:<3} rule {}",
            f.kind().label(),
            f.span().start,
            f.span().end,
            f.rule().id()
        );
    }

    println!(
        "\n-- masked --\n{}",
        scanner.redact(HANDOVER, &Action::Mask).expose()
    );
    println!(
        "\n-- partial --\n{}",
        scanner.redact(HANDOVER, &Action::PartialMask).expose()
    );

    // A real app keeps this key in its key store; this one is for the demo.
    let key = PseudonymKey::from_bytes([0x42; 32]);
    let action = Action::Pseudonymise {
        key: &key,
        conversation: b"ward-7-night-handover",
    };
    println!(
        "\n-- pseudonymised --\n{}",
        scanner.redact(HANDOVER, &action).expose()
    );

    let preview = LockScreenPreview::from_policy(
        PreviewPolicy::SenderAndGroup,
        "Dr A. Okafor",
        Some("Ward 7 nights"),
    );
    println!(
        "\n-- lock screen --\n{}\n{}",
        preview.title(),
        preview.body()
    );
}
