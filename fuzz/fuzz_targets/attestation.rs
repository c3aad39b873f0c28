//! Attestation parsing: arbitrary bytes never panic, and whatever parses
//! re-encodes to exactly the input (the format is canonical).
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    if let Ok(att) = bleep::Attestation::from_bytes(data) {
        assert_eq!(att.to_bytes(), data);
    }
});
