//! Decodes arbitrary bytes directly (without the AEAD) as each of the
//! device layer's row encodings, through the crate's hidden fuzzing hook.
//! The first byte picks the row: peer record, settings, archive, kept
//! bundle, sent id, vault message, handled id, received ratchet keys (first
//! byte mod 8), a waiting group message (first byte 0xff) or a batch of
//! sent ids (first byte 0xfe). Must return, never panic.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    if let Some((ty, rest)) = data.split_first() {
        let _ = bleep::fuzz_decode_device_row(*ty, rest);
    }
});
