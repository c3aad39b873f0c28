//! A live AES-256-GCM-SIV session decrypting arbitrary (or masked genuine) envelopes: a rejection leaves `state_digest()` unchanged.
//! The checks live in `fuzz/harness.rs`, shared with `tests/fuzz_seeds.rs`.
#![no_main]

#[path = "../harness.rs"]
mod harness;

libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    let _accepted = harness::session_decrypt_aes(data);
});
