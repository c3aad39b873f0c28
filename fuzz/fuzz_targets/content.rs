//! Parses arbitrary bytes as device-layer content (the framing inside every
//! decrypted payload, chosen by the peer): never a panic; every known kind
//! that parses re-encodes to the same bytes; unknown kinds are reported.
#![no_main]
#![allow(clippy::unwrap_used)]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    if let Ok(content) = bleep::Content::parse(data) {
        match content {
            bleep::Content::Unknown { version, .. } => {
                assert!(version != bleep::CONTENT_VERSION || data.len() >= 2);
            }
            known => assert_eq!(known.to_bytes().unwrap().as_slice(), data),
        }
    }
});
