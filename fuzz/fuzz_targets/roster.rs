//! Parses arbitrary bytes as a signed roster: never a panic; whatever
//! parses re-encodes to the same bytes.
#![no_main]
#![allow(clippy::unwrap_used)]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    if let Ok(roster) = bleep::Roster::from_bytes(data) {
        assert_eq!(roster.to_bytes(), data);
        assert!(!roster.is_empty());
        let _ = roster.safety_number();
    }
});
