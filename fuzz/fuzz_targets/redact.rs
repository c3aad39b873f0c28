//! Fuzz the redaction scanner: any UTF-8 input must scan without panicking,
//! give sorted, disjoint, char-aligned spans, and redact idempotently.
#![no_main]

use bleep::redact::{Action, PseudonymKey, Scanner};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let scanner = Scanner::builder()
        .patient_name("Margaret Thornton")
        .patient_name("Zoë Müller")
        .staff_name("Adaeze Okafor")
        .hospital_pattern("RQ#######")
        .unwrap_or_else(|_| Scanner::builder())
        .build();
    let findings = scanner.scan(text);
    let mut last = 0;
    for f in &findings {
        let s = f.span();
        assert!(s.start >= last && s.start < s.end && s.end <= text.len());
        assert!(text.is_char_boundary(s.start) && text.is_char_boundary(s.end));
        last = s.end;
    }
    let key = PseudonymKey::from_bytes([3; 32]);
    for action in [
        Action::Mask,
        Action::PartialMask,
        Action::Pseudonymise {
            key: &key,
            conversation: b"fuzz",
        },
    ] {
        let once = scanner.redact(text, &action);
        let twice = scanner.redact(once.expose(), &action);
        assert_eq!(once.expose(), twice.expose());
    }
    let masked = scanner.redact(text, &Action::Mask);
    assert!(scanner.scan(masked.expose()).is_empty());
});
